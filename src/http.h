/*
 * http: writes answers to a FastCGI request: status, headers, JSON body.
 * Every answer the program gives goes through here.
 */
#ifndef NUMDIALER_HTTP_H
#define NUMDIALER_HTTP_H

#include <stddef.h>

#include <fcgiapp.h>

/* The reason phrase of an HTTP status ("Not Found"); "Unknown" otherwise. */
const char *http_status_text(int status);

/* Answers status with a JSON body; extra_headers (NULL or lines each ending
 * in "\r\n") go after the standard ones. */
void http_reply_json(FCGX_Request *req, int status, const char *extra_headers,
    const char *json, size_t len);

/* Answers status with {"error": message}. */
void http_reply_error(FCGX_Request *req, int status, const char *extra_headers,
    const char *message);

#endif
