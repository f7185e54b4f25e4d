/* stats: the counters and the dialed list behind GET /stats. */
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "util.h"

#define STATS_DIALED_FIRST 4096  /* bytes first kept for the dialed list */
#define STATS_REFILL_BUCKETS (STATS_REFILL_FINE_US + \
    (STATS_REFILL_COARSE_US - STATS_REFILL_FINE_US) / \
    STATS_REFILL_COARSE_STEP_US)

/* Refill samples: the pending terminal webhooks (a ring of send times)
 * and the histogram of latencies. */
struct refill {
	int64_t pending[STATS_REFILL_PENDING_MAX];
	size_t head, npending;
	uint64_t buckets[STATS_REFILL_BUCKETS];
	uint64_t beyond;      /* samples of STATS_REFILL_COARSE_US or more */
	uint64_t samples;
	int64_t max_us;
};

/* The times of the events of the last second, oldest first (a ring), and
 * the most there ever were. */
struct window {
	int64_t at[STATS_WINDOW_MAX];
	size_t head, n;
	uint64_t max;
};

struct stats {
	pthread_mutex_t lock; /* guards every field below */
	uint64_t placed;
	uint64_t in_flight;
	uint64_t max_in_flight;
	uint64_t sent;
	uint64_t failed;
	uint64_t unknown;
	uint64_t done;
	uint64_t refused;
	struct refill refill;
	/* Twilio mode */
	struct window posts;  /* POSTs accepted */
	struct window turns;  /* calls initiated, at their turns */
	uint64_t max_posts;
	uint64_t max_cps;
	uint64_t queued;
	uint64_t queued_max;
	uint64_t auth_failures;
	uint64_t bad_requests;
	uint64_t call_queries;
	char *dialed;         /* accepted phones, NUL-terminated, in order; owned */
	size_t dialed_len;
	size_t dialed_cap;
};

struct stats *
stats_new(void)
{
	struct stats *st = calloc(1, sizeof *st);

	if (st == NULL)
		return NULL;
	if (pthread_mutex_init(&st->lock, NULL) != 0) {
		free(st);
		return NULL;
	}
	return st;
}

void
stats_free(struct stats *st)
{
	if (st == NULL)
		return;
	pthread_mutex_destroy(&st->lock);
	free(st->dialed);
	free(st);
}

/* Makes room for need more bytes of dialed list: 0 or -1. Lock held. */
static int
stats_room(struct stats *st, size_t need)
{
	size_t cap = st->dialed_cap != 0 ? st->dialed_cap : STATS_DIALED_FIRST;
	char *p;

	while (cap - st->dialed_len < need)
		cap *= 2;
	if (cap == st->dialed_cap)
		return 0;
	p = realloc(st->dialed, cap);
	if (p == NULL)
		return -1;
	st->dialed = p;
	st->dialed_cap = cap;
	return 0;
}

int
stats_accept(struct stats *st, const char *phone, size_t len,
    uint64_t *index)
{
	int rc = -1;

	pthread_mutex_lock(&st->lock);
	if (stats_room(st, len + 1) != 0)
		goto fail;
	memcpy(st->dialed + st->dialed_len, phone, len);
	st->dialed[st->dialed_len + len] = '\0';
	st->dialed_len += len + 1;
	*index = st->placed++;
	if (++st->in_flight > st->max_in_flight)
		st->max_in_flight = st->in_flight;
	rc = 0;
fail:
	pthread_mutex_unlock(&st->lock);
	return rc;
}

void
stats_unknown(struct stats *st)
{
	pthread_mutex_lock(&st->lock);
	st->unknown++;
	pthread_mutex_unlock(&st->lock);
}

void
stats_refused(struct stats *st)
{
	pthread_mutex_lock(&st->lock);
	st->refused++;
	pthread_mutex_unlock(&st->lock);
}

/* Counts one latency in the histogram. Lock held. */
static void
stats_refill_count(struct refill *r, int64_t us)
{
	if (us < 0)
		us = 0;
	if (us < STATS_REFILL_FINE_US)
		r->buckets[us]++;
	else if (us < STATS_REFILL_COARSE_US)
		r->buckets[STATS_REFILL_FINE_US + (us - STATS_REFILL_FINE_US) /
		    STATS_REFILL_COARSE_STEP_US]++;
	else
		r->beyond++;
	if (us > r->max_us)
		r->max_us = us;
	r->samples++;
}

void
stats_post_arrived(struct stats *st)
{
	struct refill *r = &st->refill;

	pthread_mutex_lock(&st->lock);
	/* The clock is read under the lock, so a webhook queued before this
	 * POST has an earlier time. */
	if (r->npending > 0) {
		stats_refill_count(r, util_mono_us() - r->pending[r->head]);
		r->head = (r->head + 1) % STATS_REFILL_PENDING_MAX;
		r->npending--;
	}
	pthread_mutex_unlock(&st->lock);
}

void
stats_terminal(struct stats *st, int sent)
{
	struct refill *r = &st->refill;

	pthread_mutex_lock(&st->lock);
	if (st->in_flight > 0)
		st->in_flight--;
	if (sent) {
		if (r->npending == STATS_REFILL_PENDING_MAX) {
			r->head = (r->head + 1) % STATS_REFILL_PENDING_MAX;
			r->npending--;
		}
		r->pending[(r->head + r->npending++) %
		    STATS_REFILL_PENDING_MAX] = util_mono_us();
	}
	pthread_mutex_unlock(&st->lock);
}

void
stats_webhook(struct stats *st, int ok)
{
	pthread_mutex_lock(&st->lock);
	st->sent++;
	if (!ok)
		st->failed++;
	pthread_mutex_unlock(&st->lock);
}

void
stats_call_done(struct stats *st)
{
	pthread_mutex_lock(&st->lock);
	st->done++;
	pthread_mutex_unlock(&st->lock);
}

/*
 * Adds an event at us (never before the last one added: an earlier time
 * counts as the last) to w, forgetting those a second or more before it,
 * and returns the most events w has held within one second: each window
 * ending at an event is counted, which covers every window.
 */
static uint64_t
stats_window_add(struct window *w, int64_t us)
{
	int64_t last;

	if (w->n > 0) {
		last = w->at[(w->head + w->n - 1) % STATS_WINDOW_MAX];
		if (us < last)
			us = last;
	}
	while (w->n > 0 && w->at[w->head] <= us - STATS_WINDOW_US) {
		w->head = (w->head + 1) % STATS_WINDOW_MAX;
		w->n--;
	}
	if (w->n == STATS_WINDOW_MAX) {
		w->head = (w->head + 1) % STATS_WINDOW_MAX;
		w->n--;
	}
	w->at[(w->head + w->n++) % STATS_WINDOW_MAX] = us;
	if (w->n > w->max)
		w->max = w->n;
	return w->max;
}

void
stats_post_accepted(struct stats *st)
{
	pthread_mutex_lock(&st->lock);
	/* The clock is read under the lock: times come in order. */
	st->max_posts = stats_window_add(&st->posts, util_mono_us());
	pthread_mutex_unlock(&st->lock);
}

void
stats_queued(struct stats *st)
{
	pthread_mutex_lock(&st->lock);
	if (++st->queued > st->queued_max)
		st->queued_max = st->queued;
	pthread_mutex_unlock(&st->lock);
}

void
stats_initiated(struct stats *st, int queued, int64_t slot_us)
{
	pthread_mutex_lock(&st->lock);
	if (queued && st->queued > 0)
		st->queued--;
	st->max_cps = stats_window_add(&st->turns, slot_us);
	pthread_mutex_unlock(&st->lock);
}

void
stats_unqueued(struct stats *st)
{
	pthread_mutex_lock(&st->lock);
	if (st->queued > 0)
		st->queued--;
	pthread_mutex_unlock(&st->lock);
}

/* Adds one to the counter at *n, under st's lock. */
static void
stats_bump(struct stats *st, uint64_t *n)
{
	pthread_mutex_lock(&st->lock);
	(*n)++;
	pthread_mutex_unlock(&st->lock);
}

void
stats_auth_failure(struct stats *st)
{
	stats_bump(st, &st->auth_failures);
}

void
stats_bad_request(struct stats *st)
{
	stats_bump(st, &st->bad_requests);
}

void
stats_call_query(struct stats *st)
{
	stats_bump(st, &st->call_queries);
}

/* The counters after calls_placed and the dialed list, in reply order. */
static const struct {
	const char *key;
	size_t offset;
} stats_counters[] = {
	{"max_in_flight", offsetof(struct stats, max_in_flight)},
	{"in_flight", offsetof(struct stats, in_flight)},
	{"webhooks_sent", offsetof(struct stats, sent)},
	{"webhooks_failed", offsetof(struct stats, failed)},
	{"unknown_phones", offsetof(struct stats, unknown)},
	{"calls_done", offsetof(struct stats, done)},
	{"calls_refused", offsetof(struct stats, refused)},
};

/* The Twilio mode counters, in reply order. */
static const struct {
	const char *key;
	size_t offset;
} stats_twilio_counters[] = {
	{"max_cps", offsetof(struct stats, max_cps)},
	{"max_posts_per_s", offsetof(struct stats, max_posts)},
	{"queued", offsetof(struct stats, queued)},
	{"queued_max", offsetof(struct stats, queued_max)},
	{"auth_failures", offsetof(struct stats, auth_failures)},
	{"bad_requests", offsetof(struct stats, bad_requests)},
	{"call_queries", offsetof(struct stats, call_queries)},
};

/* Adds key: value to out: 0 or -1. */
static int
stats_add_count(struct json_object *out, const char *key, uint64_t value)
{
	return util_json_put(out, key, json_object_new_int64((int64_t)value));
}

/* Adds the dialed list to out: 0 or -1. Lock held. */
static int
stats_add_dialed(const struct stats *st, struct json_object *out)
{
	struct json_object *list = json_object_new_array_ext((int)st->placed);
	struct json_object *s;
	const char *p;

	if (util_json_put(out, "dialed", list) != 0)
		return -1;
	for (p = st->dialed; p < st->dialed + st->dialed_len;
	    p += strlen(p) + 1) {
		s = json_object_new_string(p);
		if (s == NULL || json_object_array_add(list, s) != 0) {
			json_object_put(s);
			return -1;
		}
	}
	return 0;
}

/* The lower bound, in us, of the histogram's bucket i. */
static int64_t
stats_bucket_us(size_t i)
{
	if (i < STATS_REFILL_FINE_US)
		return (int64_t)i;
	return STATS_REFILL_FINE_US + (int64_t)(i - STATS_REFILL_FINE_US) *
	    STATS_REFILL_COARSE_STEP_US;
}

/* The pct-th percentile by nearest rank: the least bucket (its lower
 * bound) holding the ceil(pct% * samples)-th sample. Lock held. */
static int64_t
stats_percentile(const struct refill *r, unsigned pct)
{
	uint64_t rank = (r->samples * pct + 99) / 100, seen = 0;
	size_t i;

	if (r->samples == 0)
		return 0;
	if (rank == 0)
		rank = 1;
	for (i = 0; i < STATS_REFILL_BUCKETS; i++) {
		seen += r->buckets[i];
		if (seen >= rank)
			return stats_bucket_us(i);
	}
	return r->max_us;
}

/* Adds "refill": {"samples", "p50_us", "p99_us", "max_us"}: 0 or -1.
 * Lock held. */
static int
stats_add_refill(const struct stats *st, struct json_object *out)
{
	const struct refill *r = &st->refill;
	struct json_object *o = json_object_new_object();

	if (util_json_put(out, "refill", o) != 0)
		return -1;
	if (stats_add_count(o, "samples", r->samples) != 0 ||
	    stats_add_count(o, "p50_us",
	    (uint64_t)stats_percentile(r, 50)) != 0 ||
	    stats_add_count(o, "p99_us",
	    (uint64_t)stats_percentile(r, 99)) != 0 ||
	    stats_add_count(o, "max_us", (uint64_t)r->max_us) != 0)
		return -1;
	return 0;
}

struct json_object *
stats_render(struct stats *st)
{
	struct json_object *out = json_object_new_object();
	const uint64_t *value;
	size_t i;

	if (out == NULL)
		return NULL;
	pthread_mutex_lock(&st->lock);
	if (stats_add_count(out, "calls_placed", st->placed) != 0 ||
	    stats_add_dialed(st, out) != 0)
		goto fail;
	for (i = 0; i < LEN(stats_counters); i++) {
		value = (const uint64_t *)(const void *)((const char *)st +
		    stats_counters[i].offset);
		if (stats_add_count(out, stats_counters[i].key, *value) != 0)
			goto fail;
	}
	if (stats_add_refill(st, out) != 0)
		goto fail;
	pthread_mutex_unlock(&st->lock);
	return out;
fail:
	pthread_mutex_unlock(&st->lock);
	json_object_put(out);
	return NULL;
}

int
stats_render_twilio(struct stats *st, struct json_object *out)
{
	const uint64_t *value;
	size_t i;
	int rc = -1;

	pthread_mutex_lock(&st->lock);
	for (i = 0; i < LEN(stats_twilio_counters); i++) {
		value = (const uint64_t *)(const void *)((const char *)st +
		    stats_twilio_counters[i].offset);
		if (stats_add_count(out, stats_twilio_counters[i].key,
		    *value) != 0)
			goto fail;
	}
	rc = 0;
fail:
	pthread_mutex_unlock(&st->lock);
	return rc;
}
