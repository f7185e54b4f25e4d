/*
 * gate: the thread that accepts every connection and holds it, costing no
 * request thread, until its FastCGI request has arrived (or drops it).
 */
#ifndef NUMDIALER_GATE_H
#define NUMDIALER_GATE_H

#include <stddef.h>

#define GATE_REQUEST_MS 5000          /* from accept to the whole request */
#define GATE_REQUEST_MAX (128 * 1024) /* bytes before the body waited for */
#define GATE_HELD_MAX 4096            /* connections held at once, waiting
                                         or ready; more wait in the backlog */

struct gate;

/*
 * Starts the gate's thread on the listening socket listen_fd (made
 * non-blocking; not owned). A request counts as arrived once every record
 * of it has, or once its parameters and body_max bytes of its body have
 * (no reader takes more). When the listening socket fails for good,
 * broken(arg) is called once, from the gate's thread. NULL on failure.
 */
struct gate *gate_start(int listen_fd, size_t body_max,
    void (*broken)(void *arg), void *arg);

/*
 * Waits for a connection whose request has arrived and returns it: the
 * caller owns it. Reading the request, and body_max bytes of its body,
 * never waits: a request that came whole has its read side shut down
 * (reads return it, then the end); for one with a longer body, the read
 * side is shut down when GATE_REQUEST_MS have passed since its accept.
 * -1 once the gate is stopped.
 */
int gate_take(struct gate *g);

/* Ends the thread and closes the connections it holds; every gate_take
 * returns -1 from now on. NULL is fine. */
void gate_stop(struct gate *g);

/* Frees g (NULL is fine), once gate_stop has returned and no thread is in
 * gate_take. */
void gate_free(struct gate *g);

#endif
