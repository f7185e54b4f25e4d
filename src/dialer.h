/*
 * dialer: the thread that places calls. It owns a libcurl multi handle:
 * fills free slots in list order with POST {API}/call, has the API's
 * answers judged (outcome.h), sends a call the API certainly did not take
 * again after a backoff (the row keeps its slot and its place meanwhile),
 * and fails calls that outlive the call timeout. Woken at once when a slot
 * frees.
 */
#ifndef NUMDIALER_DIALER_H
#define NUMDIALER_DIALER_H

#include "compliance.h"
#include "hub.h"

#define DIALER_HTTP_TIMEOUT_MS 10000   /* one POST /call, connect included */
/* Connecting longer than this is given up, and retried: nothing was sent. */
#define DIALER_CONNECT_TIMEOUT_MS 5000
#define DIALER_ANSWER_MAX 16384        /* largest API answer read (a
                                          Twilio call resource is 2-3 KB) */

struct dialer;

/*
 * Starts the thread over hub, asking rules (the do-not-call list and the
 * calling hours) before each look for a row; both must outlive it. It is
 * registered with hub_on_change so that every change makes it look at the
 * campaign again. NULL on failure.
 */
struct dialer *dialer_start(struct hub *hub, struct compliance *rules);

/* Ends the thread, drops the call being placed, frees d (NULL is fine).
 * Call once nothing else may call hub_changed: the hub keeps d's wake-up. */
void dialer_stop(struct dialer *d);

#endif
