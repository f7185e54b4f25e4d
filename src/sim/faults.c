/* faults: the fault table, --fault parsing, and the per-event decisions. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faults.h"
#include "util.h"

#define FAULTS_FIRST_PREFIX "first:"
#define FAULTS_NAME_MAX 32  /* bytes of a fault's name in a message */
#define FAULTS_KINDS 2

/*
 * Every fault, and what it does to its event. On one event the faults that
 * fire apply in this order; of the exclusive ones (they decide the event's
 * outcome) only the first that fires applies, and only an applied fault
 * counts a hit.
 */
static const struct {
	const char *name;
	enum faults_kind kind;
	int exclusive;
	int once;          /* applies at most once to a call */
	int slow;          /* delays it --call-slow-ms or --hook-slow-ms */
	struct faults_effect effect;  /* what it does, but the delay */
	const char *help;
} fault_table[] = {
	{"call-500", FAULTS_CALL, 1, 0, 0, {.refuse = 1, .status = 500,
	    .key = "error", .value = "simulated", .twilio_status = 500,
	    .twilio_code = 20500, .twilio_message = "Internal Server Error"},
	    "answer 500 {\"error\":\"simulated\"} (--twilio: code 20500); "
	    "not placed"},
	{"call-503", FAULTS_CALL, 1, 0, 0, {.refuse = 1, .status = 503,
	    .key = "error", .value = "simulated",
	    .retry_after = FAULTS_RETRY_AFTER_S, .twilio_status = 503,
	    .twilio_code = 20503, .twilio_message = "Service unavailable"},
	    "answer 503, Retry-After: 1 (--twilio: code 20503); not placed"},
	{"call-429", FAULTS_CALL, 1, 0, 0, {.refuse = 1, .status = 429,
	    .key = "error", .value = "simulated",
	    .retry_after = FAULTS_RETRY_AFTER_S, .twilio_status = 429,
	    .twilio_code = 20429, .twilio_message = "Too Many Requests"},
	    "answer 429, Retry-After: 1 (--twilio: code 20429); not placed"},
	{"call-error", FAULTS_CALL, 1, 0, 0, {.refuse = 1, .status = 200,
	    .key = "error", .value = "simulated failure",
	    .twilio_status = 400, .twilio_code = 21215,
	    .twilio_message = "Account not authorized to call this number. "
	    "Perhaps you need to enable some international permissions."},
	    "answer 200 {\"error\": \"simulated failure\"} (--twilio: 400, "
	    "code 21215); not placed"},
	{"call-bad-id", FAULTS_CALL, 1, 0, 0, {.refuse = 1, .status = 200,
	    .key = "id", .value = NULL, .twilio_status = 201},
	    "answer 200 {\"id\": null} (--twilio: 201 {\"sid\": null}); "
	    "not placed"},
	{"call-drop", FAULTS_CALL, 1, 0, 0, {.drop = 1},
	    "read the request, close without answering; not placed"},
	{"call-slow", FAULTS_CALL, 0, 0, 1, {0},
	    "answer --call-slow-ms late; placed"},
	{"call-lost", FAULTS_CALL, 1, 0, 1, {.placed = 1, .drop = 1},
	    "place the call, close without answering --call-slow-ms later"},
	{"call-null-error", FAULTS_CALL, 1, 0, 0, {.placed = 1, .key = "error",
	    .value = NULL}, "place the call, answer {\"id\": N, \"error\": null}"},
	{"hook-drop", FAULTS_HOOK, 1, 0, 0, {.drop = 1},
	    "do not send the webhook"},
	{"hook-duplicate", FAULTS_HOOK, 1, 0, 0, {.duplicate = 1},
	    "send the webhook twice in a row"},
	{"hook-reorder", FAULTS_HOOK, 0, 1, 0, {.reverse = 1},
	    "send the call's remaining webhooks in reverse order"},
	{"hook-slow", FAULTS_HOOK, 0, 0, 1, {0},
	    "send the webhook --hook-slow-ms late"},
};

/* One fault as given, and what it has seen. */
struct fault_state {
	int active;
	int by_count;
	uint64_t first;
	double p;
	uint64_t rng;     /* its own stream: one fault's draws never shift
	                   * another's */
	uint64_t events;
	uint64_t hits;
};

struct faults {
	pthread_mutex_t lock;  /* guards the events, hits and rng of states */
	struct fault_state states[LEN(fault_table)];
	size_t active[FAULTS_KINDS];  /* set once; read without the lock */
	unsigned slow_ms[FAULTS_KINDS];  /* --call-slow-ms, --hook-slow-ms */
};

/* Applies the fault of row to e. */
static void
faults_apply(const struct faults *f, size_t row, struct faults_effect *e)
{
	const struct faults_effect *x = &fault_table[row].effect;

	if (x->placed) {
		e->placed = 1;
		e->key = x->key;
		e->value = x->value;
	}
	if (x->refuse) {
		e->refuse = 1;
		e->status = x->status;
		e->key = x->key;
		e->value = x->value;
		e->retry_after = x->retry_after;
		e->twilio_status = x->twilio_status;
		e->twilio_code = x->twilio_code;
		e->twilio_message = x->twilio_message;
	}
	e->drop |= x->drop;
	e->duplicate |= x->duplicate;
	e->reverse |= x->reverse;
	if (fault_table[row].slow)
		e->delay_ms = f->slow_ms[fault_table[row].kind];
}

void
faults_usage(FILE *out)
{
	size_t row;

	fprintf(out, "faults (--fault NAME=WHEN; WHEN: a probability in [0,1] "
	    "drawn from --seed, or first:N):\n");
	for (row = 0; row < LEN(fault_table); row++)
		fprintf(out, "  %-26s %s\n", fault_table[row].name,
		    fault_table[row].help);
}

/* Reads WHEN (first:N, or a decimal probability in [0,1]) into given
 * row i: 0 or -1. */
static int
faults_when(struct faults_spec *spec, size_t i, const char *name,
    const char *when, char *err, size_t errlen)
{
	size_t plen = strlen(FAULTS_FIRST_PREFIX);
	int by_count = strncmp(when, FAULTS_FIRST_PREFIX, plen) == 0;
	const char *errstr;
	uint64_t n = 0;
	double p = 0;

	if (by_count)
		n = util_strtou64(when + plen, strlen(when + plen), 0,
		    FAULTS_FIRST_MAX, &errstr);
	else
		p = util_strtoprob(when, &errstr);
	if (errstr != NULL)
		return util_err(err, errlen, "--fault %s: want a probability "
		    "in [0,1] or first:N (N up to %d), got '%s'", name,
		    FAULTS_FIRST_MAX, when);
	spec->given[i].by_count = by_count;
	spec->given[i].first = n;
	spec->given[i].p = p;
	return 0;
}

int
faults_spec_add(struct faults_spec *spec, const char *arg, char *err,
    size_t errlen)
{
	const char *eq = strchr(arg, '=');
	size_t len, row, i;

	if (spec->nflags == FAULTS_FLAGS_MAX)
		return util_err(err, errlen, "--fault: more than %d flags",
		    FAULTS_FLAGS_MAX);
	spec->nflags++;
	len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
	for (row = 0; row < LEN(fault_table); row++)
		if (strlen(fault_table[row].name) == len &&
		    memcmp(fault_table[row].name, arg, len) == 0)
			break;
	if (row == LEN(fault_table))
		return util_err(err, errlen, "--fault: unknown fault "
		    "'%.*s'", len < FAULTS_NAME_MAX ? (int)len :
		    FAULTS_NAME_MAX, arg);
	if (eq == NULL)
		return util_err(err, errlen, "--fault %s: want %s=WHEN",
		    fault_table[row].name, fault_table[row].name);
	for (i = 0; i < spec->ngiven; i++)
		if (spec->given[i].fault == row)
			break;
	if (i == FAULTS_GIVEN_MAX)
		return util_err(err, errlen, "--fault: more than %d given",
		    FAULTS_GIVEN_MAX);
	if (faults_when(spec, i, fault_table[row].name, eq + 1, err,
	    errlen) != 0)
		return -1;
	spec->given[i].fault = row;
	if (i == spec->ngiven)
		spec->ngiven++;
	return 0;
}

struct faults *
faults_new(const struct faults_spec *spec, uint64_t seed)
{
	struct faults *f = calloc(1, sizeof *f);
	struct fault_state *s;
	uint64_t mix = seed;
	size_t i, row;

	if (f == NULL)
		return NULL;
	if (pthread_mutex_init(&f->lock, NULL) != 0) {
		free(f);
		return NULL;
	}
	f->slow_ms[FAULTS_CALL] = spec->call_slow_ms;
	f->slow_ms[FAULTS_HOOK] = spec->hook_slow_ms;
	for (i = 0; i < spec->ngiven; i++) {
		row = spec->given[i].fault;
		s = &f->states[row];
		s->active = 1;
		s->by_count = spec->given[i].by_count;
		s->first = spec->given[i].first;
		s->p = spec->given[i].p;
		f->active[fault_table[row].kind]++;
	}
	/* Each stream from the seed and the fault's row, whatever else is
	 * given. */
	for (row = 0; row < LEN(fault_table); row++)
		f->states[row].rng = util_splitmix64(&mix) ^ (uint64_t)row;
	return f;
}

void
faults_free(struct faults *f)
{
	if (f == NULL)
		return;
	pthread_mutex_destroy(&f->lock);
	free(f);
}

/* Whether fault s fires on its next event; counts the event. Lock held. */
static int
faults_fires(struct fault_state *s)
{
	/* 53 random bits as a double in [0,1): p = 1 always fires. */
	double u;

	s->events++;
	if (s->by_count)
		return s->events <= s->first;
	u = (double)(util_splitmix64(&s->rng) >> 11) * 0x1.0p-53;
	return u < s->p;
}

/* Decides one event of kind; with once_done, "once" faults do not apply. */
static void
faults_decide(struct faults *f, enum faults_kind kind, int once_done,
    struct faults_effect *e)
{
	struct fault_state *s;
	int decided = 0;
	size_t row;

	memset(e, 0, sizeof *e);
	if (f == NULL || f->active[kind] == 0)
		return;
	pthread_mutex_lock(&f->lock);
	for (row = 0; row < LEN(fault_table); row++) {
		s = &f->states[row];
		if (!s->active || fault_table[row].kind != kind ||
		    !faults_fires(s) || (fault_table[row].once && once_done) ||
		    (fault_table[row].exclusive && decided))
			continue;
		decided |= fault_table[row].exclusive;
		faults_apply(f, row, e);
		s->hits++;
	}
	pthread_mutex_unlock(&f->lock);
}

void
faults_call(struct faults *f, struct faults_effect *e)
{
	faults_decide(f, FAULTS_CALL, 0, e);
}

void
faults_hook(struct faults *f, int reversed, struct faults_effect *e)
{
	faults_decide(f, FAULTS_HOOK, reversed, e);
}

int
faults_render(struct faults *f, struct json_object *out)
{
	struct json_object *obj = json_object_new_object();
	const struct fault_state *s;
	size_t row;
	int rc = -1;

	if (util_json_put(out, "faults", obj) != 0)
		return -1;
	if (f == NULL)
		return 0;
	pthread_mutex_lock(&f->lock);
	for (row = 0; row < LEN(fault_table); row++) {
		s = &f->states[row];
		if (s->active && util_json_put(obj, fault_table[row].name,
		    json_object_new_int64((int64_t)s->hits)) != 0)
			goto fail;
	}
	rc = 0;
fail:
	pthread_mutex_unlock(&f->lock);
	return rc;
}
