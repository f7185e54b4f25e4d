/*
 * gate: the accept loop, led by the request threads in turn. A connection
 * is held, costing no thread, until its FastCGI request has arrived.
 */
#ifndef NUMDIALER_GATE_H
#define NUMDIALER_GATE_H

#include <stddef.h>

#define GATE_REQUEST_MS 5000          /* from accept to the request arrived */
#define GATE_REQUEST_MAX (128 * 1024) /* bytes before the body waited for */
#define GATE_HELD_MAX 4096            /* connections held at once, waiting
                                         or ready; more wait in the backlog */

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
 * then the end). While no request is ready, one caller at a time leads
 * (accepts, peeks, drops the requests not in GATE_REQUEST_MS after their
 * accept) and the others wait their turn. -1 once the gate is stopped.
 */
int gate_next(struct gate *g);

/* Stops the gate: every gate_next returns -1, now and later. */
void gate_stop(struct gate *g);

/* Closes the connections still held and frees g (NULL is fine), once no
 * thread is in gate_next. */
void gate_free(struct gate *g);

#endif
