/*
 * sender: the calls once placed, and their webhooks. One thread runs a
 * libcurl multi handle (connections and easy handles reused) and a timer
 * heap: each call's webhooks go one after another, each after a delay and
 * only once the one before it has been answered or has failed. Webhook
 * faults (dropped, twice, reversed, late) are applied here. A call sends
 * the default JSON {"id", "status"}, or what its voice renders (Twilio's
 * signed forms), the voice also told of each step reached and asked for
 * its timing.
 */
#ifndef NUMDIALER_SIM_SENDER_H
#define NUMDIALER_SIM_SENDER_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "faults.h"
#include "stats.h"

#define SENDER_URL_MAX 2048         /* bytes of a webhook URL */
#define SENDER_DELAY_MAX_MS 3600000 /* bound of --delay-max-ms */
#define SENDER_STEPS_MAX 6          /* steps of one call */
#define SENDER_NAME_MAX 48          /* bytes of a call's name in the logs */

/* One step of a call: a webhook to send, or a change only the voice sees. */
struct sender_step {
	const char *status;  /* its word (the default body's status, the
	                        logs'); static */
	int terminal;        /* the call ends for the dialer here */
	int quiet;           /* reached, but nothing is sent (an event not
	                        asked for, a lost end) */
	int64_t hold_ms;     /* the wait before it: -1 for a random one in
	                        0..delay_max_ms, else exactly this */
};

/* A request a voice renders for a step; the sender frees it all. */
struct sender_request {
	char *url;                  /* owned */
	char *body;                 /* owned; NULL: a GET */
	size_t len;
	struct curl_slist *headers; /* owned; NULL: none */
};

/*
 * How a call other than the default one is sent. Each is called with the
 * call's ctx and the index of a step in the steps given, from the sender's
 * thread (delay also from sender_place's), never with the sender's lock
 * held.
 */
struct sender_voice {
	/* The wait before step, ms being the one its hold gives or drawn;
	 * returns the one to use (0..ms). */
	int64_t (*delay)(void *ctx, size_t step, int64_t ms);
	/* step is reached: once per step, just before it is sent, or when it
	 * is dropped, quiet, or its request cannot be made. */
	void (*reached)(void *ctx, size_t step);
	/* Fills out (zeroed) for step, once even when the step is sent twice:
	 * 0, or -1 (nothing to free; the webhook counts as failed). */
	int (*render)(void *ctx, size_t step, struct sender_request *out);
};

/* A call as sender_place takes it; copied. */
struct sender_call {
	long long id;              /* the default body's id */
	const char *name;          /* how the logs name it */
	const char *url;           /* where the default body goes; NULL with a
	                              voice */
	struct sender_step steps[SENDER_STEPS_MAX];
	size_t nsteps;             /* 1..SENDER_STEPS_MAX */
	/* The first step goes at once (no hold, no delay), and sender_place
	 * returns only once it has been answered or has failed. */
	int first_before_answer;
	int64_t start_ms;          /* CLOCK_MONOTONIC ms: no step before it */
	const struct sender_voice *voice; /* NULL: the default JSON body */
	void *ctx;                 /* the voice's; outlives the sender */
};

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
 * Hands over a call (copied; name and url too). With first_before_answer,
 * returns only once the first webhook has been answered or has failed.
 * Returns 0, or -1 when stopping or out of memory (the call is dropped:
 * no step is reached). Safe from any thread.
 */
int sender_place(struct sender *s, const struct sender_call *call);

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
