/*
 * routes: the table of what the web server forwards (POST /call,
 * POST /resume, POST /webhook/ROW/KEY, GET /events, GET /metrics) and the
 * handlers behind it. Handlers touch memory only: parse, lock, change, unlock, answer.
 */
#ifndef NUMDIALER_ROUTES_H
#define NUMDIALER_ROUTES_H

#include <fcgiapp.h>

#include "http.h"
#include "hub.h"
#include "webhook.h"

/* The most of a request's body any route reads: one byte past the largest
 * webhook body tells an oversized one. */
#define ROUTES_BODY_READ_MAX (WEBHOOK_BODY_MAX + 1)

/* What routes_serve did with a request. */
enum routes_served {
	ROUTES_ANSWERED,  /* *answer is made: the caller sends and frees it,
	                     and finishes req */
	ROUTES_PARKED     /* parked with the events module, which owns req
	                     now: the caller must not touch it again */
};

/* Serves one accepted request: reads it, acts, and makes its answer. Writes
 * nothing to the connection. */
enum routes_served routes_serve(struct hub *hub, FCGX_Request *req,
    struct http_answer *answer);

#endif
