/*
 * metrics: the counters behind GET /metrics. Each is a C11 atomic, added
 * to with a relaxed increment by whichever thread counts: no lock, no
 * order among them (a reader may see one counter a moment ahead of
 * another). A histogram is a counter per bucket plus a sum; its count is
 * the sum of its buckets, so the two never disagree.
 *
 * The refill latency's slot times are the one thing not atomic: they are
 * taken and given back under the hub's lock, the lock under which a webhook
 * frees a slot and the dialer fills it, so the pairing of the two follows
 * the campaign exactly.
 */
#include "metrics.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "events.h"
#include "gate.h"
#include "exposition.h"
#include "util.h"

/* Slot times kept: at most one per free slot, and slots are at most
 * CAMPAIGN_LIMIT_MAX. Past it (a restored campaign over its limit) the
 * oldest is dropped. */
#define METRICS_FREED_MAX 1024

struct metrics_histogram {
	atomic_uint_fast64_t counts[EXPOSITION_BUCKETS + 1];
	atomic_uint_fast64_t sum_us;
};

static struct {
	atomic_int_fast64_t start_ms;
	atomic_uint_fast64_t api[EXPOSITION_RESULTS];
	atomic_uint_fast64_t webhooks[EXPOSITION_CODES];
	struct metrics_histogram api_latency;
	struct metrics_histogram refill_latency;
	atomic_uint_fast64_t full_renders;
	atomic_uint_fast64_t full_answers;
	atomic_uint_fast64_t journal_writes;
	atomic_uint_fast64_t journal_failures;
	/* Under the hub's lock: when each free slot was freed by a webhook
	 * (CLOCK_MONOTONIC µs), oldest first, in a ring. */
	int64_t freed_us[METRICS_FREED_MAX];
	size_t freed_first, freed_len;
	/* The dialer thread's: the freed slot its next POST /call fills;
	 * 0 for none. */
	int64_t refill_from_us;
} metrics;

static void
metrics_add(atomic_uint_fast64_t *counter)
{
	atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
}

static uint64_t
metrics_read(atomic_uint_fast64_t *counter)
{
	return atomic_load_explicit(counter, memory_order_relaxed);
}

static void
metrics_observe(struct metrics_histogram *h, int64_t us)
{
	if (us < 0)
		us = 0;
	metrics_add(&h->counts[exposition_bucket(us)]);
	atomic_fetch_add_explicit(&h->sum_us, (uint_fast64_t)us,
	    memory_order_relaxed);
}

static void
metrics_histogram_read(struct metrics_histogram *h,
    struct exposition_histogram *out)
{
	size_t i;

	for (i = 0; i <= EXPOSITION_BUCKETS; i++)
		out->counts[i] = metrics_read(&h->counts[i]);
	out->sum_us = metrics_read(&h->sum_us);
}

void
metrics_start(void)
{
	atomic_store(&metrics.start_ms, hub_now_ms());
}

void
metrics_webhook(int code)
{
	int i = exposition_code(code);

	if (i >= 0)
		metrics_add(&metrics.webhooks[i]);
}

void
metrics_api(enum outcome_kind kind, CURL *easy)
{
	curl_off_t us = 0;

	if ((unsigned)kind < EXPOSITION_RESULTS)
		metrics_add(&metrics.api[kind]);
	if (curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME_T, &us) == CURLE_OK)
		metrics_observe(&metrics.api_latency, (int64_t)us);
}

void
metrics_slot_freed(void)
{
	size_t end;

	if (metrics.freed_len == METRICS_FREED_MAX) {
		metrics.freed_first = (metrics.freed_first + 1) %
		    METRICS_FREED_MAX;
		metrics.freed_len--;
	}
	end = (metrics.freed_first + metrics.freed_len) % METRICS_FREED_MAX;
	metrics.freed_us[end] = util_mono_us();
	metrics.freed_len++;
}

void
metrics_refill_take(bool dialed)
{
	if (!dialed) {
		metrics.freed_len = 0;
		return;
	}
	if (metrics.freed_len == 0)
		return;
	metrics.refill_from_us = metrics.freed_us[metrics.freed_first];
	metrics.freed_first = (metrics.freed_first + 1) % METRICS_FREED_MAX;
	metrics.freed_len--;
}

void
metrics_refill_sent(void)
{
	if (metrics.refill_from_us == 0)
		return;
	metrics_observe(&metrics.refill_latency,
	    util_mono_us() - metrics.refill_from_us);
	metrics.refill_from_us = 0;
}

void
metrics_journal_write(bool ok)
{
	metrics_add(ok ? &metrics.journal_writes : &metrics.journal_failures);
}

void
metrics_full_render(void)
{
	metrics_add(&metrics.full_renders);
}

void
metrics_full_answer(void)
{
	metrics_add(&metrics.full_answers);
}

int
metrics_render(struct hub *h, char **out, size_t *len)
{
	struct exposition m = { 0 };
	char stuck[HUB_STUCK_MAX];
	size_t i, n;
	char *buf;

	/* The allocation before the lock: nothing waits on it. */
	buf = malloc(EXPOSITION_SIZE);
	if (buf == NULL)
		return -1;
	/* While the journal cannot be written the lock is held, retrying,
	 * for as long as that lasts: the rest is answered without the
	 * campaign (the failures among it), as GET /events answers 503. */
	m.campaign = !hub_stuck(h, stuck, sizeof(stuck));
	if (m.campaign) {
		hub_lock(h);
		campaign_counts(h->campaign, &m.counts);
		m.state = campaign_state_name(campaign_state(h->campaign));
		hub_unlock(h);
	}
	/* The events module's lock, after the hub's is let go. */
	m.watchers = h->events != NULL ? events_waiting(h->events) : 0;
	if (h->gate != NULL) {
		struct gate_counts g;

		gate_counts(h->gate, &g);
		m.connections = g.accepted;
		m.requests = g.requests;
		m.kept = g.kept;
	}
	for (i = 0; i < EXPOSITION_RESULTS; i++)
		m.api[i] = metrics_read(&metrics.api[i]);
	for (i = 0; i < EXPOSITION_CODES; i++)
		m.webhooks[i] = metrics_read(&metrics.webhooks[i]);
	metrics_histogram_read(&metrics.api_latency, &m.api_latency);
	metrics_histogram_read(&metrics.refill_latency, &m.refill_latency);
	m.full_renders = metrics_read(&metrics.full_renders);
	m.full_answers = metrics_read(&metrics.full_answers);
	m.journal_writes = metrics_read(&metrics.journal_writes);
	m.journal_failures = metrics_read(&metrics.journal_failures);
	m.start_ms = atomic_load(&metrics.start_ms);

	n = exposition_format(&m, buf, EXPOSITION_SIZE);
	if (n >= EXPOSITION_SIZE) {
		/* Never so far: the text is a few KiB. */
		char *more = realloc(buf, n + 1);

		if (more == NULL) {
			free(buf);
			return -1;
		}
		buf = more;
		exposition_format(&m, buf, n + 1);
	}
	*out = buf;
	*len = n;
	return 0;
}
