/*
 * sender: the calls once placed, and their webhooks. One thread runs a
 * libcurl multi handle (connections and easy handles reused) and a timer
 * heap: each call's webhooks go one after another, each after a random
 * delay and only once the one before it has been answered or has failed.
 * Webhook faults (dropped, twice, reversed, late) are applied here.
 */
#ifndef NUMDIALER_SIM_SENDER_H
#define NUMDIALER_SIM_SENDER_H

#include <stdint.h>

#include "faults.h"
#include "paths.h"
#include "stats.h"

#define SENDER_URL_MAX 2048         /* bytes of a webhook URL */
#define SENDER_DELAY_MAX_MS 3600000 /* bound of --delay-max-ms */

struct sender;

/*
 * A sender that counts into st and asks faults (NULL: none) what to do
 * with each webhook, both borrowed: they must outlive the sender. It waits
 * 0..delay_max_ms before each webhook, drawn from seed. Its thread runs
 * once sender_new returns. Returns NULL on failure.
 */
struct sender *sender_new(struct stats *st, struct faults *faults,
    unsigned delay_max_ms, uint64_t seed);

/*
 * Hands over the call id, to take path, sending its webhooks to url (copied;
 * NUL-terminated). For a path whose first webhook comes before the answer
 * to POST /call, returns only once that webhook has been answered or has
 * failed. Returns 0, or -1 when stopping or out of memory (the call is
 * dropped). Safe from any thread.
 */
int sender_place(struct sender *s, long long id, const struct path *path,
    const char *url);

/*
 * Ends the thread: webhooks on the wire are cut, calls not done dropped,
 * and every sender_place still waiting returns. Later sender_place calls
 * return -1 at once.
 */
void sender_stop(struct sender *s);

/* Frees a stopped sender; takes NULL. Call it only once no thread can call
 * sender_place any more. */
void sender_free(struct sender *s);

#endif
