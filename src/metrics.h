/*
 * metrics: the program's counters and histograms, counted where things
 * happen (the webhook route, the dialer, the journal's writes) with C11
 * atomics and no lock, and GET /metrics's text made from them and from
 * the campaign's own counts (exposition.c writes it).
 */
#ifndef NUMDIALER_METRICS_H
#define NUMDIALER_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "hub.h"
#include "outcome.h"

/* Notes the process's start time: call once, first thing. */
void metrics_start(void);

/* A webhook was answered with HTTP status code. */
void metrics_webhook(int code);

/* A POST /call ended in kind; easy is its handle, whose total time (start
 * to answer) libcurl still holds. */
void metrics_api(enum outcome_kind kind, CURL *easy);

/*
 * The refill latency: from the webhook that ended a call, freeing its
 * slot, to the POST /call that fills the slot again.
 *
 * metrics_slot_freed: a webhook ended a call in flight. Call with the hub's
 * lock held, in the hold that applied it, so that the dialer, which takes
 * rows under the same lock, sees the slot and its time together.
 *
 * metrics_refill_take: the dialer looked for a row to dial, a POST free:
 * dialed says whether it took one. Call with the hub's lock held. A row
 * taken takes the oldest freed slot's time (none at the start: no refill);
 * none taken while slots are free (paused, waiting, nothing left) forgets
 * every time kept, since no POST was waiting to go.
 *
 * metrics_refill_sent: the dialer handed its POST /call to libcurl, which
 * sends it (on a kept-alive connection, at once): the sample, if the
 * POST was a refill's. Dialer thread only.
 */
void metrics_slot_freed(void);
void metrics_refill_take(bool dialed);
void metrics_refill_sent(void);

/* The full list of GET /events was made (metrics_full_render) or given
 * as an answer (metrics_full_answer): many answers to few makings are
 * clients sharing one list (full.c). */
void metrics_full_render(void);
void metrics_full_answer(void);

/* An append to the journal was written (ok) or failed. */
void metrics_journal_write(bool ok);

/*
 * GET /metrics's text, of *len bytes, into *out (malloc'd, NUL-terminated;
 * the caller frees it): the campaign's counts read under h's lock, the
 * parked watchers from h's events module, the rest from the counters.
 * 0, or -1 when out of memory.
 */
int metrics_render(struct hub *h, char **out, size_t *len);

#endif
