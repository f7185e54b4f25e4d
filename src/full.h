/*
 * full: the full list of GET /events, made by one thread a batch of rows
 * per hold of the campaign's lock, and one body shared by every client
 * that asks for it while it is made or shortly after.
 */
#ifndef NUMDIALER_FULL_H
#define NUMDIALER_FULL_H

#include <fcgiapp.h>

#include "http.h"
#include "hub.h"
#include "outbox.h"

#define FULL_SHARE_MS 100     /* a list made this recently is the answer */
#define FULL_BATCH 1000       /* rows written per hold of the lock */
#define FULL_WAITERS_MAX 1024 /* waiting for the list at once, a connection
                                 each; past it 503 */

struct full;

/* What full_ask did with a request. */
enum full_asked {
	FULL_ANSWER,   /* *body is the answer: a list made within
	                  FULL_SHARE_MS, one reference the caller now holds */
	FULL_PARKED,   /* req is the module's: it frees req at once, keeps
	                  its connection, and answers it through outbox once
	                  the list being made is done */
	FULL_REFUSED   /* FULL_WAITERS_MAX wait, out of memory, or stopping:
	                  req is still the caller's (answer it 503) */
};

/* Starts the thread that makes the list of hub's campaign and hands its
 * answers to outbox. NULL on failure. */
struct full *full_start(struct hub *hub, struct outbox *outbox);

/*
 * Asks for the full list for req, with no lock held: the list made within
 * FULL_SHARE_MS, else a place among those waiting for the one being made
 * (which starts now when none is).
 */
enum full_asked full_ask(struct full *f, FCGX_Request *req,
    struct http_shared **body);

/* Answers those still waiting, ends the thread, frees f (NULL is fine).
 * Call once no thread may call full_ask, before outbox is stopped. */
void full_stop(struct full *f);

#endif
