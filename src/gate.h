/*
 * gate: the accept loop, in which the request threads wait. A connection
 * is held, costing no thread, until its FastCGI request has arrived.
 */
#ifndef NUMDIALER_GATE_H
#define NUMDIALER_GATE_H

#include <stddef.h>

#define GATE_REQUEST_MS 5000          /* from accept to the request arrived */
#define GATE_REQUEST_MAX (128 * 1024) /* bytes before the body waited for */
#define GATE_HELD_MAX 4096            /* connections held at once; more
                                         wait in the kernel's backlog */

struct gate;

/*
 * A gate on the listening socket listen_fd (made non-blocking; not owned).
 * A request has arrived once every record of it has, or once its
 * parameters and body_max bytes of its body have (no reader takes more).
 * When the listening socket fails for good, broken(arg) is called once,
 * from a request thread. NULL on failure.
 */
struct gate *gate_new(int listen_fd, size_t body_max,
    void (*broken)(void *arg), void *arg);

/*
 * Returns the next connection whose request has arrived; the caller owns
 * it. libfcgi reads and parses that request without waiting and without
 * failing: its records are well formed, and all of it a reader takes is
 * in. One that came whole has its read side shut down (reads return it,
 * then the end). Meanwhile the caller accepts, peeks and drops the
 * requests not in GATE_REQUEST_MS after their accept, with the others
 * waiting in the same epoll set. -1 once the gate is stopped.
 */
int gate_next(struct gate *g);

/* Stops the gate: every gate_next returns -1, now and later. */
void gate_stop(struct gate *g);

/* Closes the connections still held and frees g (NULL is fine), once no
 * thread is in gate_next. */
void gate_free(struct gate *g);

#endif
