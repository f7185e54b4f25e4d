/* faults: the fault table, --fault parsing, and the per-event decisions. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faults.h"

#define FAULTS_FIRST_PREFIX "first:"
#define FAULTS_NAME_MAX 32  /* bytes of a fault's name in a message */

struct faults;

typedef void (*faults_apply)(const struct faults *f, struct faults_effect *e);

static void faults_call_500(const struct faults *f, struct faults_effect *e);
static void faults_call_503(const struct faults *f, struct faults_effect *e);
static void faults_call_429(const struct faults *f, struct faults_effect *e);
static void faults_call_error(const struct faults *f, struct faults_effect *e);
static void faults_call_bad_id(const struct faults *f,
    struct faults_effect *e);
static void faults_drop(const struct faults *f, struct faults_effect *e);
static void faults_call_slow(const struct faults *f, struct faults_effect *e);
static void faults_hook_duplicate(const struct faults *f,
    struct faults_effect *e);
static void faults_hook_reorder(const struct faults *f,
    struct faults_effect *e);
static void faults_hook_slow(const struct faults *f, struct faults_effect *e);

/*
 * Every fault. On one event the faults that fire apply in this order; of
 * the exclusive ones (they decide the event's outcome) only the first that
 * fires applies, and only an applied fault counts a hit.
 */
static const struct {
	const char *name;
	enum faults_kind kind;
	int exclusive;
	int once;          /* applies at most once to a call */
	faults_apply apply;
	const char *help;
} fault_table[] = {
	{"call-500", FAULTS_CALL, 1, 0, faults_call_500,
	    "answer 500 {\"error\":\"simulated\"}; not placed"},
	{"call-503", FAULTS_CALL, 1, 0, faults_call_503,
	    "answer 503, Retry-After: 1; not placed"},
	{"call-429", FAULTS_CALL, 1, 0, faults_call_429,
	    "answer 429, Retry-After: 1; not placed"},
	{"call-error", FAULTS_CALL, 1, 0, faults_call_error,
	    "answer 200 {\"error\": \"simulated failure\"}; not placed"},
	{"call-bad-id", FAULTS_CALL, 1, 0, faults_call_bad_id,
	    "answer 200 {\"id\": null}; not placed"},
	{"call-drop", FAULTS_CALL, 1, 0, faults_drop,
	    "read the request, close without answering; not placed"},
	{"call-slow", FAULTS_CALL, 0, 0, faults_call_slow,
	    "answer --call-slow-ms late; placed"},
	{"hook-drop", FAULTS_HOOK, 1, 0, faults_drop,
	    "do not send the webhook"},
	{"hook-duplicate", FAULTS_HOOK, 1, 0, faults_hook_duplicate,
	    "send the webhook twice in a row"},
	{"hook-reorder", FAULTS_HOOK, 0, 1, faults_hook_reorder,
	    "send the call's remaining webhooks in reverse order"},
	{"hook-slow", FAULTS_HOOK, 0, 0, faults_hook_slow,
	    "send the webhook --hook-slow-ms late"},
};
#define FAULTS_COUNT (sizeof fault_table / sizeof fault_table[0])
#define FAULTS_KINDS 2

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
	struct fault_state states[FAULTS_COUNT];
	size_t active[FAULTS_KINDS];  /* set once; read without the lock */
	unsigned call_slow_ms;
	unsigned hook_slow_ms;
};

static void
faults_refuse(struct faults_effect *e, unsigned status, const char *key,
    const char *value, unsigned retry_after)
{
	e->refuse = 1;
	e->status = status;
	e->key = key;
	e->value = value;
	e->retry_after = retry_after;
}

static void
faults_call_500(const struct faults *f, struct faults_effect *e)
{
	(void)f;
	faults_refuse(e, 500, "error", "simulated", 0);
}

static void
faults_call_503(const struct faults *f, struct faults_effect *e)
{
	(void)f;
	faults_refuse(e, 503, "error", "simulated", FAULTS_RETRY_AFTER_S);
}

static void
faults_call_429(const struct faults *f, struct faults_effect *e)
{
	(void)f;
	faults_refuse(e, 429, "error", "simulated", FAULTS_RETRY_AFTER_S);
}

static void
faults_call_error(const struct faults *f, struct faults_effect *e)
{
	(void)f;
	faults_refuse(e, 200, "error", "simulated failure", 0);
}

static void
faults_call_bad_id(const struct faults *f, struct faults_effect *e)
{
	(void)f;
	faults_refuse(e, 200, "id", NULL, 0);
}

static void
faults_drop(const struct faults *f, struct faults_effect *e)
{
	(void)f;
	e->drop = 1;
}

static void
faults_call_slow(const struct faults *f, struct faults_effect *e)
{
	e->delay_ms = f->call_slow_ms;
}

static void
faults_hook_duplicate(const struct faults *f, struct faults_effect *e)
{
	(void)f;
	e->duplicate = 1;
}

static void
faults_hook_reorder(const struct faults *f, struct faults_effect *e)
{
	(void)f;
	e->reverse = 1;
}

static void
faults_hook_slow(const struct faults *f, struct faults_effect *e)
{
	e->delay_ms = f->hook_slow_ms;
}

void
faults_usage(FILE *out)
{
	size_t row;

	fprintf(out, "faults (--fault NAME=WHEN; WHEN: a probability in [0,1] "
	    "drawn from --seed, or first:N):\n");
	for (row = 0; row < FAULTS_COUNT; row++)
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
	const char *num = when;
	unsigned long long n;
	double p;
	char *end;

	errno = 0;
	if (strncmp(when, FAULTS_FIRST_PREFIX, plen) == 0) {
		num += plen;
		if (num[0] == '\0' || strspn(num, "0123456789") != strlen(num))
			goto bad;
		n = strtoull(num, &end, 10);
		if (errno != 0 || n > FAULTS_FIRST_MAX)
			goto bad;
		spec->given[i].by_count = 1;
		spec->given[i].first = n;
		spec->given[i].p = 0;
		return 0;
	}
	/* Plain decimals only: strtod alone would also take "inf", "nan",
	 * hex and leading spaces. */
	if (num[0] == '\0' || strspn(num, "0123456789.") != strlen(num))
		goto bad;
	p = strtod(num, &end);
	if (errno != 0 || *end != '\0' || p > 1)
		goto bad;
	spec->given[i].by_count = 0;
	spec->given[i].first = 0;
	spec->given[i].p = p;
	return 0;
bad:
	snprintf(err, errlen, "--fault %s: want a probability in [0,1] or "
	    "first:N (N up to %d), got '%s'", name, FAULTS_FIRST_MAX, when);
	return -1;
}

int
faults_spec_add(struct faults_spec *spec, const char *arg, char *err,
    size_t errlen)
{
	const char *eq = strchr(arg, '=');
	size_t len, row, i;

	if (spec->nflags == FAULTS_FLAGS_MAX) {
		snprintf(err, errlen, "--fault: more than %d flags",
		    FAULTS_FLAGS_MAX);
		return -1;
	}
	spec->nflags++;
	len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
	for (row = 0; row < FAULTS_COUNT; row++)
		if (strlen(fault_table[row].name) == len &&
		    memcmp(fault_table[row].name, arg, len) == 0)
			break;
	if (row == FAULTS_COUNT) {
		snprintf(err, errlen, "--fault: unknown fault '%.*s'",
		    len < FAULTS_NAME_MAX ? (int)len : FAULTS_NAME_MAX, arg);
		return -1;
	}
	if (eq == NULL) {
		snprintf(err, errlen, "--fault %s: want %s=WHEN",
		    fault_table[row].name, fault_table[row].name);
		return -1;
	}
	for (i = 0; i < spec->ngiven; i++)
		if (spec->given[i].fault == row)
			break;
	if (i == FAULTS_GIVEN_MAX) {
		snprintf(err, errlen, "--fault: more than %d given",
		    FAULTS_GIVEN_MAX);
		return -1;
	}
	if (faults_when(spec, i, fault_table[row].name, eq + 1, err,
	    errlen) != 0)
		return -1;
	spec->given[i].fault = row;
	if (i == spec->ngiven)
		spec->ngiven++;
	return 0;
}

/* splitmix64, as the sender's delays. */
static uint64_t
faults_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
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
	f->call_slow_ms = spec->call_slow_ms;
	f->hook_slow_ms = spec->hook_slow_ms;
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
	for (row = 0; row < FAULTS_COUNT; row++)
		f->states[row].rng = faults_next(&mix) ^ (uint64_t)row;
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
	u = (double)(faults_next(&s->rng) >> 11) * 0x1.0p-53;
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
	for (row = 0; row < FAULTS_COUNT; row++) {
		s = &f->states[row];
		if (!s->active || fault_table[row].kind != kind ||
		    !faults_fires(s) || (fault_table[row].once && once_done) ||
		    (fault_table[row].exclusive && decided))
			continue;
		decided |= fault_table[row].exclusive;
		fault_table[row].apply(f, e);
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
	struct json_object *obj = json_object_new_object(), *n;
	size_t row;
	int rc = -1;

	if (obj == NULL || json_object_object_add(out, "faults", obj) != 0) {
		json_object_put(obj);
		return -1;
	}
	if (f == NULL)
		return 0;
	pthread_mutex_lock(&f->lock);
	for (row = 0; row < FAULTS_COUNT; row++) {
		if (!f->states[row].active)
			continue;
		n = json_object_new_int64((int64_t)f->states[row].hits);
		if (n == NULL || json_object_object_add(obj,
		    fault_table[row].name, n) != 0) {
			json_object_put(n);
			goto fail;
		}
	}
	rc = 0;
fail:
	pthread_mutex_unlock(&f->lock);
	return rc;
}
