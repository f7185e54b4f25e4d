/*
 * http: the statuses the program answers with, and the writing of answers
 * to a FastCGI request: status, headers, JSON body. Every answer the
 * program gives goes through here.
 */
#ifndef NUMDIALER_HTTP_H
#define NUMDIALER_HTTP_H

#include <stddef.h>

#include <fcgiapp.h>

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

/* The reason phrase of an HTTP status ("Not Found"); "Unknown" otherwise. */
const char *http_status_text(enum http_status status);

/* Answers status with a JSON body; extra_headers (NULL or lines each ending
 * in "\r\n") go after the standard ones. */
void http_reply_json(FCGX_Request *req, enum http_status status,
    const char *extra_headers, const char *json, size_t len);

/* Answers status with {"error": message}. */
void http_reply_error(FCGX_Request *req, enum http_status status,
    const char *extra_headers, const char *message);

#endif
