/*
 * gate: the accept loop, in which the request threads wait. A connection
 * is held, costing no thread, until its FastCGI request has arrived.
 */
#ifndef NUMDIALER_GATE_H
#define NUMDIALER_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GATE_REQUEST_MS 5000          /* from accept to the request arrived */
#define GATE_REQUEST_MAX (128 * 1024) /* bytes before the body waited for */
#define GATE_HELD_MAX 4096            /* connections held at once; more
                                         wait in the kernel's backlog */
/* Idle kept connections held at once (the web server's, between two
 * requests); past it the oldest is closed, and the web server opens a new
 * one when it needs it. Above what nginx keeps (conf/nginx.conf: keepalive
 * per worker), so that none is closed under it, and far below
 * GATE_HELD_MAX and the open files the program asks for. */
#define GATE_KEPT_MAX 256
/* The body a request that asks to keep its connection is waited for whole
 * with (nginx's client_max_body_size, conf/nginx-routes.conf); a longer one
 * is handed over with its body_max, and its connection is not kept. Well
 * within what a unix socket's buffer holds, so that it can come whole. */
#define GATE_KEPT_BODY_MAX (64 * 1024)

/* What GET /metrics says of the gate. */
struct gate_counts {
	uint64_t accepted;    /* connections accepted, ever */
	uint64_t requests;    /* requests handed to the request threads, ever */
	size_t kept;          /* kept connections idle now */
};

struct gate;

/*
 * A gate on the listening socket listen_fd (made non-blocking; not owned).
 * A request has arrived once every record of it has, or once its
 * parameters and body_max bytes of its body have (no reader takes more;
 * GATE_KEPT_BODY_MAX when it asks to keep its connection).
 * When the listening socket fails for good, broken(arg) is called once,
 * from a request thread. NULL on failure.
 */
struct gate *gate_new(int listen_fd, size_t body_max,
    void (*broken)(void *arg), void *arg);

/*
 * Returns the next connection whose request has arrived; the caller owns
 * it. libfcgi reads and parses that request without waiting and without
 * failing: its records are well formed, and all of it a reader takes is
 * in. *keep says whether the connection outlives the request (it asked
 * FCGI_KEEP_CONN, came whole, and nothing came after it): then, once the
 * answer is written whole, what is left of the request in the socket is
 * read away before its FCGI_END_REQUEST (wire_drain) and the connection
 * goes back to gate_keep, never closed. Otherwise one that came whole has
 * its read side shut down (reads return it, then the end). Meanwhile the
 * caller accepts, peeks and drops the requests not in GATE_REQUEST_MS
 * after their accept (or, on a kept connection, after their first byte),
 * with the others waiting in the same epoll set. -1 once the gate is
 * stopped.
 */
int gate_next(struct gate *g, bool *keep);

/*
 * Takes back fd, a kept connection (gate_next's *keep) whose answer is
 * written whole: held, costing no thread, until its next request has come
 * (gate_next returns it), the web server closes it, or it is the oldest
 * idle one when GATE_KEPT_MAX are. Closed at once when the gate is
 * stopping or holds GATE_HELD_MAX. Any thread; g must not be freed yet.
 */
void gate_keep(struct gate *g, int fd);

/* The gate's counts, for GET /metrics. */
void gate_counts(struct gate *g, struct gate_counts *out);

/* Stops the gate: every gate_next returns -1, now and later. */
void gate_stop(struct gate *g);

/* Closes the connections still held and frees g (NULL is fine), once no
 * thread is in gate_next. */
void gate_free(struct gate *g);

#endif
