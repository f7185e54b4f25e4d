/*
 * http: the one place FastCGI answers are written: a CGI status line, the
 * standard headers, the caller's extra headers and a JSON body.
 */
#include "http.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

/* Room for the status line and the standard headers; extra headers are
 * written separately, so this only bounds what http.c itself puts there.
 * The security headers (X-Content-Type-Options and the rest) are the web
 * server's, on every answer: sent here too, they would arrive twice. */
#define HTTP_HEAD_MAX 256

static const struct {
	int code;
	const char *text;
} http_statuses[] = {
	{200, "OK"},
	{202, "Accepted"},
	{400, "Bad Request"},
	{403, "Forbidden"},
	{404, "Not Found"},
	{405, "Method Not Allowed"},
	{409, "Conflict"},
	{413, "Content Too Large"},
	{414, "URI Too Long"},
	{415, "Unsupported Media Type"},
	{422, "Unprocessable Content"},
	{500, "Internal Server Error"},
	{503, "Service Unavailable"},
};

const char *
http_status_text(int status)
{
	size_t i;

	for (i = 0; i < sizeof(http_statuses) / sizeof(http_statuses[0]); i++)
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
http_reply_json(FCGX_Request *req, int status, const char *extra_headers,
    const char *json, size_t len)
{
	char head[HTTP_HEAD_MAX];
	int n;

	n = snprintf(head, sizeof(head),
	    "Status: %d %s\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: %zu\r\n"
	    "Cache-Control: no-store\r\n",
	    status, http_status_text(status), len);
	if (n < 0 || (size_t)n >= sizeof(head))
		return;
	http_put(req, head, (size_t)n);
	if (extra_headers != NULL)
		http_put(req, extra_headers, strlen(extra_headers));
	http_put(req, "\r\n", 2);
	http_put(req, json, len);
}

void
http_reply_error(FCGX_Request *req, int status, const char *extra_headers,
    const char *message)
{
	/* Sent when json-c cannot build the error: the status still goes out. */
	static const char fallback[] = "{\"error\":\"out of memory\"}";
	struct json_object *obj = NULL, *msg = NULL;
	const char *text = fallback;
	size_t len = sizeof(fallback) - 1;

	obj = json_object_new_object();
	msg = json_object_new_string(message != NULL ? message : "");
	if (obj != NULL && msg != NULL &&
	    json_object_object_add(obj, "error", msg) == 0) {
		const char *s;

		msg = NULL;
		s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
		if (s != NULL) {
			text = s;
			len = strlen(s);
		}
	}
	http_reply_json(req, status, extra_headers, text, len);
	json_object_put(msg);
	json_object_put(obj);
}
