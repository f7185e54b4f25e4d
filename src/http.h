/*
 * http: the statuses the program answers with, and its answers as the web
 * server reads them on FCGI_STDOUT: the CGI head (status, headers) and a
 * JSON body (GET /metrics' alone is text). Every answer the program
 * gives is made here; wire.c sends it.
 */
#ifndef NUMDIALER_HTTP_H
#define NUMDIALER_HTTP_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_HEAD_MAX 512  /* the status line and every header, blank line
                              included */
#define HTTP_JSON "application/json"  /* every answer's type but /metrics' */

/* Every status the program answers with; a route handler returns one. */
enum http_status {
	HTTP_OK = 200,
	HTTP_ACCEPTED = 202,
	HTTP_BAD_REQUEST = 400,
	HTTP_FORBIDDEN = 403,
	HTTP_NOT_FOUND = 404,
	HTTP_METHOD_NOT_ALLOWED = 405,
	HTTP_CONFLICT = 409,
	HTTP_CONTENT_TOO_LARGE = 413,
	HTTP_URI_TOO_LONG = 414,
	HTTP_UNSUPPORTED_MEDIA_TYPE = 415,
	HTTP_MISDIRECTED_REQUEST = 421,
	HTTP_UNPROCESSABLE_CONTENT = 422,
	HTTP_INTERNAL_SERVER_ERROR = 500,
	HTTP_SERVICE_UNAVAILABLE = 503
};

/*
 * A body that many answers send at once (the full list of GET /events,
 * made once for every client that asks for it meanwhile): freed when the
 * last answer holding it is freed. Its bytes never change once made.
 */
struct http_shared {
	atomic_uint refs;
	size_t len;
	char *data;                /* malloc'd; owned */
	atomic_uint *alive;        /* counts it while it lives (its maker's
	                              count of bodies in memory); or NULL */
};

/* One answer: head[0..head_len) then body[0..len). An answer written in
 * pieces is a head and its first piece, then each piece alone, then its
 * rest, which alone ends the request (wire.h). */
struct http_answer {
	char head[HTTP_HEAD_MAX];
	size_t head_len;
	const char *body;          /* the JSON: owned, shared, or a constant */
	size_t len;
	char *owned;               /* what http_answer_free frees: NULL, or
	                              body */
	struct http_shared *shared;/* the reference http_answer_free lets go:
	                              NULL, or the holder of body */
	unsigned pieces;           /* pieces given (http_answer_piece) */
};

/* The reason phrase of an HTTP status ("Not Found"); "Unknown" otherwise. */
const char *http_status_text(enum http_status status);

/*
 * Makes *a: status with a JSON body, body (malloc'd; the answer takes it,
 * http_answer_free frees it) of len bytes. extra_headers (NULL, or lines
 * each ending in "\r\n") go after the standard ones, unless they would
 * not fit in HTTP_HEAD_MAX: then they are left out.
 */
void http_answer_json(struct http_answer *a, enum http_status status,
    const char *extra_headers, char *body, size_t len);

/* Makes *a as http_answer_json does, with a body of content type type (a
 * constant: "text/plain; version=0.0.4; charset=utf-8"). */
void http_answer_body(struct http_answer *a, enum http_status status,
    const char *type, const char *extra_headers, char *body, size_t len);

/*
 * Makes *a the head of an answer whose length is not known beforehand (a
 * report of a million rows, written a batch at a time): no Content-Length,
 * no body yet. Its pieces follow with http_answer_piece, each sent as a
 * part (wire_send_part), and its rest with http_answer_rest.
 */
void http_answer_stream(struct http_answer *a, enum http_status status,
    const char *type, const char *extra_headers);

/* Gives *a (made by http_answer_stream) its next piece: body, len bytes,
 * not owned (the caller keeps it until it is sent). The head goes with the
 * first piece only. */
void http_answer_piece(struct http_answer *a, const char *body,
    size_t len);

/* Makes *a the rest of an answer whose head and first pieces went out
 * (http_answer_stream): body (malloc'd; the answer takes it), len bytes,
 * and no head. */
void http_answer_rest(struct http_answer *a, char *body, size_t len);

/* A shared body holding data (malloc'd; taken, even on failure), len
 * bytes, with one reference, the caller's; counted in *alive (NULL: not
 * counted) until freed. NULL when out of memory. */
struct http_shared *http_shared_new(char *data, size_t len,
    atomic_uint *alive);

/* Takes one more reference to s; returns s. */
struct http_shared *http_shared_hold(struct http_shared *s);

/* Lets go of one reference to s (NULL is fine); the last frees it. */
void http_shared_release(struct http_shared *s);

/* Makes *a: 200 with the JSON body s, taking one reference the caller
 * held (http_answer_free lets it go). */
void http_answer_shared(struct http_answer *a, struct http_shared *s);

/* Makes *a: status with {"error": message}; extra_headers as above. */
void http_answer_error(struct http_answer *a, enum http_status status,
    const char *extra_headers, const char *message);

/* Frees what *a owns, lets go of what it shares, and zeroes it; a zeroed
 * answer owns nothing. */
void http_answer_free(struct http_answer *a);

#endif
