/*
 * stats: what the simulator saw, as GET /stats reports it: calls placed and
 * the order of their phones, calls in flight and their peak, webhooks sent
 * and failed, unknown phones, calls refused, calls done, and the refill
 * latency (a terminal webhook sent to the next POST /call); in Twilio
 * mode also the calls per second it let out of its queue and took in, the
 * queue's peak, and the requests it refused or answered. One lock; safe
 * from any thread.
 */
#ifndef NUMDIALER_SIM_STATS_H
#define NUMDIALER_SIM_STATS_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#define STATS_ID_FIRST 1234  /* the id of the first call */

/* Refill latencies are counted in a histogram: 1 us buckets below
 * STATS_REFILL_FINE_US, 1 ms buckets from there to STATS_REFILL_COARSE_US,
 * beyond that only the count and the maximum. */
#define STATS_REFILL_FINE_US 10000
#define STATS_REFILL_COARSE_US 10000000
#define STATS_REFILL_COARSE_STEP_US 1000
/* Terminal webhooks waiting for their refill; past this the oldest is
 * forgotten (only a client that stopped dialing leaves them waiting). */
#define STATS_REFILL_PENDING_MAX 4096

/* Events kept in a sliding 1-second window (max_cps, max_posts_per_s);
 * a second busier than this counts as this many. */
#define STATS_WINDOW_MAX 4096
#define STATS_WINDOW_US 1000000

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

/* Counts a POST /call that placed no call, whatever the reason (a bad
 * request, an unknown phone, a fault): "calls_refused". */
void stats_refused(struct stats *st);

/*
 * A POST /call has arrived (its headers are in): the oldest terminal
 * webhook waiting for a refill, if any, is paired with it, and the time
 * between the two counts as one refill sample.
 */
void stats_post_arrived(struct stats *st);

/*
 * A call's terminal webhook is about to be sent, or would have been when
 * sent is 0 (a dropped webhook, a call that was never placed): the call
 * leaves flight. A sent one waits, from now, for the next POST /call.
 */
void stats_terminal(struct stats *st, int sent);

/* A webhook's attempt is over: counts it sent, and failed unless ok. */
void stats_webhook(struct stats *st, int ok);

/* Every webhook of a call has been attempted. */
void stats_call_done(struct stats *st);

/* The GET /stats object (the caller owns it: json_object_put), or NULL. */
struct json_object *stats_render(struct stats *st);

/* Twilio mode: a POST to Calls.json was accepted (201), now; counts in
 * "max_posts_per_s", the most accepted in any 1-second window. */
void stats_post_accepted(struct stats *st);

/* Twilio mode: a call waits in the calls-per-second queue ("queued", and
 * its peak "queued_max"). */
void stats_queued(struct stats *st);

/*
 * Twilio mode: a call left the queue (was initiated) at its turn, slot_us
 * (CLOCK_MONOTONIC us; turns come in order), after waiting there when
 * queued is set. Its turn counts in "max_cps", the most calls initiated in
 * any 1-second window.
 */
void stats_initiated(struct stats *st, int queued, int64_t slot_us);

/* Twilio mode: a queued call left the queue with no turn (never
 * handed over). */
void stats_unqueued(struct stats *st);

/* Twilio mode: a request refused for its credentials ("auth_failures"), a
 * 400 ("bad_requests"), a GET of a call ("call_queries"). */
void stats_auth_failure(struct stats *st);
void stats_bad_request(struct stats *st);
void stats_call_query(struct stats *st);

/* Adds the Twilio mode counters to out, a stats_render object: 0 or -1. */
int stats_render_twilio(struct stats *st, struct json_object *out);

#endif
