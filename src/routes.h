/*
 * routes: the table of what the web server forwards (POST /call,
 * POST /resume, POST /webhook/ROW/KEY, GET /events, GET /calls/ROW,
 * GET /report.csv, GET /report/events.csv, GET /metrics) and the handlers
 * behind it. Handlers touch memory only: parse, lock, change, unlock,
 * answer; a report alone writes its pieces as it makes them.
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

#define ROUTES_REPORTS_MAX 2  /* CSV reports written at once; past it 503 */

/* What routes_serve did with a request. */
enum routes_served {
	ROUTES_ANSWERED,  /* *answer is made: the caller sends and frees it,
	                     and finishes req */
	ROUTES_PARKED,    /* parked with the events module (a long-poll) or
	                     the full list's (full.c), which owns req now:
	                     the caller must not touch it again */
	ROUTES_DROPPED    /* an answer written in pieces was cut short (its
	                     reader stalled or left): the caller closes req's
	                     connection without ending the request, so the
	                     web server sees it cut */
};

/*
 * Serves one accepted request: reads it, acts, and makes its answer. Writes
 * nothing to the connection, but for a CSV report: written in pieces while
 * it is made (a batch of rows at a time), at most ROUTES_REPORTS_MAX at
 * once, each holding the calling thread until the web server has taken
 * all but the last piece, which is *answer.
 */
enum routes_served routes_serve(struct hub *hub, FCGX_Request *req,
    struct http_answer *answer);

#endif
