/*
 * routes: the table of what the web server forwards (POST /call,
 * POST /webhook/ROW/KEY, GET /events) and the handlers behind it. Handlers
 * touch memory only: parse, lock, change, unlock, answer.
 */
#ifndef NUMDIALER_ROUTES_H
#define NUMDIALER_ROUTES_H

#include <fcgiapp.h>

#include "hub.h"

/*
 * Serves one accepted request. Returns 0 when it has answered req (the
 * caller finishes and reuses it), 1 when it parked req with the events
 * module (the caller must not touch it again).
 */
int routes_serve(struct hub *hub, FCGX_Request *req);

#endif
