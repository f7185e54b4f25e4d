/*
 * http: the one place answers are made: a CGI status line, the standard
 * headers, the caller's extra headers and a JSON body, kept in memory
 * until wire.c has sent them.
 */
#include "http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "util.h"

/* The security headers (X-Content-Type-Options and the rest) are the web
 * server's, on every answer: sent here too, they would arrive twice. An
 * answer written in pieces has no Content-Length: the web server ends it
 * its own way (chunks, or the connection's close). */
#define HTTP_HEAD_FORMAT \
	"Status: %d %s\r\n" \
	"Content-Type: %s\r\n" \
	"%s" \
	"Cache-Control: no-store\r\n" \
	"%s\r\n"
#define HTTP_LENGTH_MAX 48   /* "Content-Length: " and 20 digits */

static const struct {
	enum http_status code;
	const char *text;
} http_statuses[] = {
	{HTTP_OK, "OK"},
	{HTTP_ACCEPTED, "Accepted"},
	{HTTP_BAD_REQUEST, "Bad Request"},
	{HTTP_FORBIDDEN, "Forbidden"},
	{HTTP_NOT_FOUND, "Not Found"},
	{HTTP_METHOD_NOT_ALLOWED, "Method Not Allowed"},
	{HTTP_CONFLICT, "Conflict"},
	{HTTP_CONTENT_TOO_LARGE, "Content Too Large"},
	{HTTP_URI_TOO_LONG, "URI Too Long"},
	{HTTP_UNSUPPORTED_MEDIA_TYPE, "Unsupported Media Type"},
	{HTTP_MISDIRECTED_REQUEST, "Misdirected Request"},
	{HTTP_UNPROCESSABLE_CONTENT, "Unprocessable Content"},
	{HTTP_INTERNAL_SERVER_ERROR, "Internal Server Error"},
	{HTTP_SERVICE_UNAVAILABLE, "Service Unavailable"},
};

const char *
http_status_text(enum http_status status)
{
	size_t i;

	for (i = 0; i < LEN(http_statuses); i++)
		if (http_statuses[i].code == status)
			return http_statuses[i].text;
	return "Unknown";
}

/* Writes the head of an answer of status with a body of content type
 * type, of len bytes (a negative len: not known beforehand). */
static void
http_head(struct http_answer *a, enum http_status status, const char *type,
    const char *extra_headers, int64_t len)
{
	char length[HTTP_LENGTH_MAX] = "";
	int n;

	if (len >= 0)
		snprintf(length, sizeof(length), "Content-Length: %lld\r\n",
		    (long long)len);
	n = snprintf(a->head, sizeof(a->head), HTTP_HEAD_FORMAT, (int)status,
	    http_status_text(status), type, length,
	    extra_headers != NULL ? extra_headers : "");
	/* Without the extra headers the head always fits: a status, its
	 * phrase, a type of ours and a length are a few dozen bytes. */
	if (n < 0 || (size_t)n >= sizeof(a->head))
		n = snprintf(a->head, sizeof(a->head), HTTP_HEAD_FORMAT,
		    (int)status, http_status_text(status), type, length, "");
	a->head_len = n > 0 ? (size_t)n : 0;
}

void
http_answer_body(struct http_answer *a, enum http_status status,
    const char *type, const char *extra_headers, char *body, size_t len)
{
	memset(a, 0, sizeof(*a));
	http_head(a, status, type, extra_headers, (int64_t)len);
	a->body = a->owned = body;
	a->len = len;
}

void
http_answer_stream(struct http_answer *a, enum http_status status,
    const char *type, const char *extra_headers)
{
	memset(a, 0, sizeof(*a));
	http_head(a, status, type, extra_headers, -1);
}

void
http_answer_piece(struct http_answer *a, const char *body, size_t len)
{
	/* The head went out with the first piece. */
	if (a->pieces++ > 0)
		a->head_len = 0;
	a->body = body;
	a->len = len;
}

void
http_answer_rest(struct http_answer *a, char *body, size_t len)
{
	memset(a, 0, sizeof(*a));
	a->body = a->owned = body;
	a->len = len;
}

void
http_answer_json(struct http_answer *a, enum http_status status,
    const char *extra_headers, char *body, size_t len)
{
	http_answer_body(a, status, HTTP_JSON, extra_headers, body, len);
}

void
http_answer_error(struct http_answer *a, enum http_status status,
    const char *extra_headers, const char *message)
{
	/* Sent when json-c cannot build the error: the status still goes out. */
	static const char fallback[] = "{\"error\":\"out of memory\"}";
	struct json_object *obj = json_object_new_object();
	const char *text = NULL;
	char *body = NULL;

	if (obj != NULL && util_json_put(obj, "error",
	    json_object_new_string(message != NULL ? message : "")) == 0)
		text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
	if (text != NULL)
		body = strdup(text);
	json_object_put(obj);
	if (body != NULL) {
		http_answer_json(a, status, extra_headers, body, strlen(body));
		return;
	}
	http_answer_json(a, status, extra_headers, NULL, sizeof(fallback) - 1);
	a->body = fallback;
}

struct http_shared *
http_shared_new(char *data, size_t len, atomic_uint *alive)
{
	struct http_shared *s = malloc(sizeof(*s));

	if (s == NULL) {
		free(data);
		return NULL;
	}
	atomic_init(&s->refs, 1);
	s->data = data;
	s->len = len;
	s->alive = alive;
	if (alive != NULL)
		atomic_fetch_add(alive, 1);
	return s;
}

struct http_shared *
http_shared_hold(struct http_shared *s)
{
	atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
	return s;
}

void
http_shared_release(struct http_shared *s)
{
	if (s == NULL)
		return;
	/* Release, then acquire before the free: every holder's reads of
	 * data are done before it goes. */
	if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_release) != 1)
		return;
	atomic_thread_fence(memory_order_acquire);
	if (s->alive != NULL)
		atomic_fetch_sub(s->alive, 1);
	free(s->data);
	free(s);
}

void
http_answer_shared(struct http_answer *a, struct http_shared *s)
{
	memset(a, 0, sizeof(*a));
	http_head(a, HTTP_OK, HTTP_JSON, NULL, (int64_t)s->len);
	a->body = s->data;
	a->len = s->len;
	a->shared = s;
}

void
http_answer_free(struct http_answer *a)
{
	free(a->owned);
	http_shared_release(a->shared);
	memset(a, 0, sizeof(*a));
}
