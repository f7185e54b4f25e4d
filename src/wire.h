/*
 * wire: an answer on the web server's connection, as the FastCGI records
 * libfcgi itself would write, sent in as many writes as the connection
 * needs, each from where the last one stopped.
 */
#ifndef NUMDIALER_WIRE_H
#define NUMDIALER_WIRE_H

#include <stdbool.h>
#include <stddef.h>

#include <fastcgi.h>

#include "http.h"

/* An answer being sent on one connection. */
struct wire {
	const struct http_answer *answer;  /* not owned: kept by the caller
	                                      until the sending ends */
	int request_id;                    /* the FastCGI request answered */
	size_t sent;                       /* bytes of the records written */
	size_t size;                       /* bytes of the records in all */
	bool part;                         /* a piece of a longer answer: no
	                                      end of the request after it */
};

/* What a wire_send came to. */
enum wire_result {
	WIRE_SENT,         /* every byte is written */
	WIRE_WOULD_BLOCK,  /* the connection takes no more now: send again
	                      when it is writable */
	WIRE_FAILED        /* the connection is gone, or (waiting) took no
	                      byte for its SO_SNDTIMEO */
};

/* The header of a record of type for request_id, of content_len bytes
 * (at most FCGI_MAX_LENGTH) and no padding. */
FCGI_Header wire_header(int type, int request_id, size_t content_len);

/* Starts sending answer as the reply to request_id: nothing written yet. */
void wire_init(struct wire *w, const struct http_answer *answer,
    int request_id);

/*
 * Writes to fd what is left of w: the answer on FCGI_STDOUT in records of
 * at most FCGI_MAX_LENGTH bytes, an empty FCGI_STDOUT record, then
 * FCGI_END_REQUEST (request complete). Without wait, only what the
 * connection takes at once; with it, blocks until all is written or a
 * write fails (a socket's SO_SNDTIMEO bounds each write's wait).
 */
enum wire_result wire_send(struct wire *w, int fd, bool wait);

/* Bytes of w not written yet. */
size_t wire_left(const struct wire *w);

/*
 * Writes what is left of w to fd, waiting while the connection takes
 * nothing, for stall_ms at most since it last took a byte: WIRE_SENT, or
 * WIRE_FAILED (gone, or stalled that long).
 */
enum wire_result wire_send_within(struct wire *w, int fd, int stall_ms);

/*
 * Writes part (a piece of an answer written in pieces: http_answer_stream)
 * to fd as request_id's FCGI_STDOUT records, without the end of the
 * request, which the answer's rest brings (wire_init, wire_send), as
 * wire_send_within does: WIRE_SENT, or WIRE_FAILED (the connection gone
 * or stalled: drop it, never end the request on it, or a cut answer would
 * pass for whole).
 */
enum wire_result wire_send_part(int fd, int request_id,
    const struct http_answer *part, int stall_ms);

/*
 * Closes a connection whose answer is written (or given up). What the web
 * server may still have sent (the end of an empty request body) is read
 * first without waiting: a socket closed with unread data may reset the
 * connection, and a reset can drop the answer before the web server reads
 * it. (libfcgi's own close waits, up to seconds, for the web server to
 * close first: a thread must not wait on a peer.)
 */
void wire_close(int fd);

/*
 * Reads and throws away what fd holds now, without waiting. On a kept
 * connection, before its answer's FCGI_END_REQUEST: the web server sends
 * nothing more until then, so this is the rest of the request answered
 * (a body left unread), and the next request starts where it ends.
 */
void wire_drain(int fd);

/* Where a kept connection goes once its answer is written whole:
 * fn(arg, fd) takes fd. */
struct wire_keeper {
	void (*fn)(void *arg, int fd);
	void *arg;
};

/*
 * Ends fd's part in an answer: sent says it was written whole. A kept
 * connection (keep) whose answer was goes to k (NULL or no fn: none, it
 * is closed); any other is closed (wire_close).
 */
void wire_done(const struct wire_keeper *k, int fd, bool keep, bool sent);

#endif
