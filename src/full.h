/*
 * full: the full list of GET /events, made by one thread a batch of rows
 * per hold of the campaign's lock, and one body shared by every client
 * waiting for it: those that asked while the list before it was made, and
 * those that ask while it is made or shortly after, nothing changed since
 * it was begun.
 */
#ifndef NUMDIALER_FULL_H
#define NUMDIALER_FULL_H

#include <stdint.h>

#include <fcgiapp.h>

#include "http.h"
#include "hub.h"
#include "outbox.h"

#define FULL_SHARE_MS 100     /* a list made this recently, nothing changed
                                 since, is the answer */
#define FULL_BATCH 1000       /* rows copied per hold of the lock */
#define FULL_LISTS_MAX 2      /* lists made and still in memory (being sent)
                                 past which no other is begun */
#define FULL_WAITERS_MAX 1024 /* waiting for the list at once, a connection
                                 each; past it 503 */

struct full;

/* What full_ask did with a request. */
enum full_asked {
	FULL_ANSWER,   /* *body is the answer: a list made within
	                  FULL_SHARE_MS, one reference the caller now holds */
	FULL_PARKED,   /* req is the module's: it frees req at once, keeps
	                  its connection, and answers it through outbox once
	                  its list is made */
	FULL_REFUSED   /* FULL_WAITERS_MAX wait, out of memory, or stopping:
	                  req is still the caller's (answer it 503) */
};

/* Starts the thread that makes the list of hub's campaign and hands its
 * answers to outbox. NULL on failure. */
struct full *full_start(struct hub *hub, struct outbox *outbox);

/*
 * Asks for the full list for req, with hub.lock held and version the
 * campaign's now, so that no change slips in between: the list made
 * within FULL_SHARE_MS if nothing changed since it was begun; else a place
 * among those waiting for the list being made, if nothing changed since
 * it was begun; else among those waiting for the next list (begun as soon
 * as none is being made). A client never gets a list begun before the
 * version it asked at.
 */
enum full_asked full_ask(struct full *f, FCGX_Request *req,
    uint64_t version, struct http_shared **body);

/* Answers those still waiting, ends the thread, frees f (NULL is fine).
 * Call once no thread may call full_ask, before outbox is stopped. */
void full_stop(struct full *f);

#endif
