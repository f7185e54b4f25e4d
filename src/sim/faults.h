/*
 * faults: the faults apisim injects (--fault NAME=WHEN) and the decision,
 * event by event, of which ones fire. One table row per fault: its name,
 * the kind of event it hits (a POST /call, or a webhook about to be sent)
 * and what it does to that event.
 */
#ifndef NUMDIALER_SIM_FAULTS_H
#define NUMDIALER_SIM_FAULTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#define FAULTS_FLAGS_MAX 64          /* --fault flags on one command line */
#define FAULTS_GIVEN_MAX 16          /* distinct faults given (all fit) */
#define FAULTS_FIRST_MAX 1000000000  /* N of first:N */
#define FAULTS_SLOW_MAX_MS 600000    /* bound of --call-slow-ms and such */
#define FAULTS_CALL_SLOW_DEFAULT 3000
#define FAULTS_HOOK_SLOW_DEFAULT 2000
#define FAULTS_RETRY_AFTER_S 1       /* Retry-After of call-503 and call-429 */

enum faults_kind {
	FAULTS_CALL,  /* an event is one POST /call */
	FAULTS_HOOK,  /* an event is one webhook about to be sent */
};

/*
 * What the faults that fired on one event do to it. Zeroed: nothing.
 * For a POST /call: refuse (with status and the body {key: value}, value
 * NULL for a JSON null), or drop the connection; either way no call is
 * placed. In Twilio mode a refusal is answered twilio_status with Twilio's
 * error {"code": twilio_code, "message": twilio_message, ...} (code 0: the
 * call resource with no sid). delay_ms delays the answer. For a webhook:
 * drop it, send it twice, reverse the call's remaining webhooks, send it
 * delay_ms late.
 */
struct faults_effect {
	int placed;             /* the call is placed all the same: drop, key
	                           and value then apply to its answer */
	int refuse;
	unsigned status;
	const char *key;
	const char *value;
	unsigned retry_after;   /* seconds; 0: no Retry-After header */
	unsigned twilio_status;
	unsigned twilio_code;
	const char *twilio_message;
	int drop;
	int duplicate;
	int reverse;
	unsigned delay_ms;
};

struct faults;

/* The set of faults given, with their slow delays; filled by the flags. */
struct faults_spec {
	struct {
		size_t fault;      /* row of the fault table */
		uint64_t first;    /* first:N, or 0 */
		double p;          /* probability, when first is 0 and !by_count */
		int by_count;
	} given[FAULTS_GIVEN_MAX];
	size_t ngiven;
	size_t nflags;
	unsigned call_slow_ms;
	unsigned hook_slow_ms;
};

/*
 * Adds "NAME=WHEN" to spec; WHEN is a probability in [0,1] written in
 * decimal (0.25, 1), or first:N. A later flag for the same fault replaces
 * the earlier one. Returns 0, or -1 with the reason in err (errlen bytes,
 * always terminated).
 */
int faults_spec_add(struct faults_spec *spec, const char *arg, char *err,
    size_t errlen);

/* Writes every fault's name and what it does to out, for --help. */
void faults_usage(FILE *out);

/*
 * The decider for spec (copied), its randoms drawn from seed. Returns NULL
 * when out of memory. Free it with faults_free.
 */
struct faults *faults_new(const struct faults_spec *spec, uint64_t seed);

/* Frees f; takes NULL. */
void faults_free(struct faults *f);

/*
 * One POST /call arrived: decides which faults hit it, counts them, and
 * fills *e (zeroed first). Events are numbered in the order of the calls,
 * so the same seed and the same requests give the same faults. Safe from
 * any thread; with no fault of the kind given it takes no lock.
 */
void faults_call(struct faults *f, struct faults_effect *e);

/*
 * One webhook is about to be sent: as faults_call. reversed says the
 * call's webhooks were already reversed once: hook-reorder then does not
 * apply (its event still counts for first:N, and draws its random).
 */
void faults_hook(struct faults *f, int reversed, struct faults_effect *e);

/*
 * Adds "faults": {"NAME": hits, ...}, one key per fault given, to out.
 * Returns 0 or -1 (out of memory).
 */
int faults_render(struct faults *f, struct json_object *out);

#endif
