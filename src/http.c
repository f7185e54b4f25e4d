/*
 * http: the one place FastCGI answers are written: a CGI status line, the
 * standard headers, the caller's extra headers and a JSON body.
 */
#include "http.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "util.h"

/* Room for the status line and the standard headers; extra headers are
 * written separately, so this only bounds what http.c itself puts there.
 * The security headers (X-Content-Type-Options and the rest) are the web
 * server's, on every answer: sent here too, they would arrive twice. */
#define HTTP_HEAD_MAX 256

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

/* FCGX_PutStr counts in int: a body past INT_MAX goes in pieces. */
static void
http_put(FCGX_Request *req, const char *s, size_t len)
{
	while (len > 0) {
		int n = len > INT_MAX ? INT_MAX : (int)len;

		if (FCGX_PutStr(s, n, req->out) != n)
			return;
		s += n;
		len -= (size_t)n;
	}
}

void
http_reply_json(FCGX_Request *req, enum http_status status,
    const char *extra_headers, const char *json, size_t len)
{
	char head[HTTP_HEAD_MAX];
	int n;

	n = snprintf(head, sizeof(head),
	    "Status: %d %s\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: %zu\r\n"
	    "Cache-Control: no-store\r\n",
	    (int)status, http_status_text(status), len);
	if (n < 0 || (size_t)n >= sizeof(head))
		return;
	http_put(req, head, (size_t)n);
	if (extra_headers != NULL)
		http_put(req, extra_headers, strlen(extra_headers));
	http_put(req, "\r\n", 2);
	http_put(req, json, len);
}

void
http_reply_error(FCGX_Request *req, enum http_status status,
    const char *extra_headers, const char *message)
{
	/* Sent when json-c cannot build the error: the status still goes out. */
	static const char fallback[] = "{\"error\":\"out of memory\"}";
	struct json_object *obj = json_object_new_object();
	const char *text = fallback;
	size_t len = sizeof(fallback) - 1;

	if (obj != NULL && util_json_put(obj, "error",
	    json_object_new_string(message != NULL ? message : "")) == 0) {
		const char *s;

		s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
		if (s != NULL) {
			text = s;
			len = strlen(s);
		}
	}
	http_reply_json(req, status, extra_headers, text, len);
	json_object_put(obj);
}
