/*
 * stats: what the simulator saw, as GET /stats reports it: calls placed and
 * the order of their phones, calls in flight and their peak, webhooks sent
 * and failed, unknown phones, calls done. One lock; safe from any thread.
 */
#ifndef NUMDIALER_SIM_STATS_H
#define NUMDIALER_SIM_STATS_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#define STATS_ID_FIRST 1234  /* the id of the first call */

struct stats;

/* A new, zeroed record (free it with stats_free), or NULL. */
struct stats *stats_new(void);

/* Frees the record; takes NULL. */
void stats_free(struct stats *st);

/*
 * Accepts a call to the len bytes of phone: appends it to the dialed list,
 * counts it placed and in flight, raises the peak. Sets *index to the
 * call's 0-based place among accepted calls (its id is STATS_ID_FIRST plus
 * that). Returns 0, or -1 when out of memory (nothing counted).
 */
int stats_accept(struct stats *st, const char *phone, size_t len,
    uint64_t *index);

/* Counts a POST /call refused for an unknown phone. */
void stats_unknown(struct stats *st);

/* A call's terminal webhook is about to be sent: it leaves flight. */
void stats_terminal(struct stats *st);

/* A webhook's attempt is over: counts it sent, and failed unless ok. */
void stats_webhook(struct stats *st, int ok);

/* Every webhook of a call has been attempted. */
void stats_call_done(struct stats *st);

/* The GET /stats object (the caller owns it: json_object_put), or NULL. */
struct json_object *stats_render(struct stats *st);

#endif
