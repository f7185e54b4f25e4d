/*
 * history: each row's events (struct campaign_event: the status reports of
 * its calls), at most CAMPAIGN_EVENTS_MAX a row, packed so that a finished
 * million-number campaign keeps its history in tens of megabytes. Pure: no
 * I/O, no clock, no lock (the campaign's caller holds one).
 *
 * What packing costs (the rest is kept exactly): an event's time is kept
 * within 2^35 ms (about 397 days) of the first event the store took, held
 * to that range beyond it; a provider time outside 0..HISTORY_PROVIDER_MAX
 * seconds and a sequence number above CAMPAIGN_SEQ_MAX are kept as none.
 */
#ifndef NUMDIALER_HISTORY_H
#define NUMDIALER_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "campaign.h"

#define HISTORY_PROVIDER_MAX (((int64_t)1 << 34) - 2)  /* year 2514 */

struct history;

/* A store for rows 0..rows-1, each with no event. NULL when out of
 * memory. Freed with history_free (which takes NULL). */
struct history *history_new(size_t rows);
void history_free(struct history *h);

/*
 * Appends ev to row's history. When the row holds CAMPAIGN_EVENTS_MAX
 * already, one of those gives way first: the oldest whose status is not
 * terminal, else the oldest; the new event always goes in. Returns the
 * row's event count after it, or -1 (nothing changed) for a row out of
 * range or out of memory.
 */
int history_add(struct history *h, size_t row, const struct campaign_event *ev);

/* Row's events, oldest first: copies up to max into out and returns how
 * many it copied (0 for a row out of range). */
size_t history_get(const struct history *h, size_t row,
    struct campaign_event *out, size_t max);

/* Forgets row's events (a row restored from a journal gets its own). */
void history_clear(struct history *h, size_t row);

/* Overflow chunks in use (the memory past each row's own four slots). */
size_t history_chunks(const struct history *h);

#endif
