/*
 * test_history: rows' events packed in slots: their order, what a slot
 * keeps and what it cannot, the bound and which event gives way, clearing
 * and the chunks given back, and a random run against a plain model.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "history.h"
#include "status.h"

#define T0 1764469900123LL   /* 2025-11-30T02:31:40.123Z */
#define LEN_OF(a) (sizeof(a) / sizeof((a)[0]))
#define MODEL_ROWS 7
#define MODEL_STEPS 20000

static struct campaign_event
event(int64_t at, enum status s, enum event_source src, int64_t seq,
    int64_t provider, bool applied)
{
	struct campaign_event ev = { .at_ms = at, .status = s, .source = src,
	    .seq = seq, .provider_s = provider, .applied = applied };

	return ev;
}

static void
assert_event(const struct campaign_event *got,
    const struct campaign_event *want)
{
	assert_int_equal(got->at_ms, want->at_ms);
	assert_int_equal(got->status, want->status);
	assert_int_equal(got->source, want->source);
	assert_int_equal(got->seq, want->seq);
	assert_int_equal(got->provider_s, want->provider_s);
	assert_int_equal(got->applied, want->applied);
}

/* A call's events, then more than a row's own four slots hold: they come
 * back in order, each whole, and a row beside it stays empty. */
static void
test_order_and_round_trip(void **state)
{
	struct history *h = history_new(3);
	const struct campaign_event want[] = {
		event(T0, STATUS_DIALING, EVENT_API, -1, -1, true),
		event(T0 + 700, STATUS_RINGING, EVENT_WEBHOOK, 1, T0 / 1000, true),
		event(T0 + 9000, STATUS_ANSWERED, EVENT_WEBHOOK, 2,
		    T0 / 1000 + 8, true),
		event(T0 + 9001, STATUS_RINGING, EVENT_WEBHOOK, 1, -1, false),
		event(T0 + 60000, STATUS_COMPLETED, EVENT_WEBHOOK, 3,
		    T0 / 1000 + 59, true),
		event(T0 + 61000, STATUS_COMPLETED, EVENT_PROVIDER_QUERY, -1,
		    T0 / 1000 + 59, false),
		event(T0 - 5000, STATUS_FAILED, EVENT_TIMEOUT, -1, -1, false),
	};
	struct campaign_event got[CAMPAIGN_EVENTS_MAX];
	size_t i;

	(void)state;
	assert_non_null(h);
	for (i = 0; i < LEN_OF(want); i++)
		assert_int_equal(history_add(h, 1, &want[i]), (int)i + 1);
	assert_int_equal(history_get(h, 1, got, LEN_OF(got)), LEN_OF(want));
	for (i = 0; i < LEN_OF(want); i++)
		assert_event(&got[i], &want[i]);
	assert_int_equal(history_get(h, 1, got, 2), 2);
	assert_int_equal(history_get(h, 0, got, LEN_OF(got)), 0);
	assert_int_equal(history_get(h, 2, got, LEN_OF(got)), 0);
	assert_int_equal(history_chunks(h), 1);
	history_free(h);
}

/* A plain call (api, ringing, answered, completed) fits a row's own
 * slots: no chunk. */
static void
test_a_plain_call_takes_no_chunk(void **state)
{
	struct history *h = history_new(1000);
	struct campaign_event ev;
	size_t row;

	(void)state;
	for (row = 0; row < 1000; row++) {
		ev = event(T0 + (int64_t)row, STATUS_DIALING, EVENT_API, -1, -1,
		    true);
		history_add(h, row, &ev);
		ev.status = STATUS_RINGING;
		ev.source = EVENT_WEBHOOK;
		ev.seq = 0;
		ev.provider_s = (T0 + (int64_t)row) / 1000;
		history_add(h, row, &ev);
		ev.status = STATUS_ANSWERED;
		ev.seq = 1;
		history_add(h, row, &ev);
		ev.status = STATUS_COMPLETED;
		ev.seq = 2;
		assert_int_equal(history_add(h, row, &ev), 4);
	}
	assert_int_equal(history_chunks(h), 0);
	history_free(h);
}

/* What a slot keeps exactly, what takes a second one, and what is kept
 * as none. */
static void
test_edges_of_a_slot(void **state)
{
	struct history *h = history_new(1);
	const int64_t s0 = T0 / 1000;
	const struct { struct campaign_event in; int64_t seq, provider; } cases[] = {
		{ event(T0, STATUS_RINGING, EVENT_WEBHOOK, 0, s0 - 511, true), 0,
		    s0 - 511 },
		{ event(T0, STATUS_RINGING, EVENT_WEBHOOK, 254, s0 + 511, true),
		    254, s0 + 511 },
		{ event(T0, STATUS_RINGING, EVENT_WEBHOOK, 5, s0 + 512, true), 5,
		    s0 + 512 },
		{ event(T0, STATUS_RINGING, EVENT_WEBHOOK, 6, s0 - 512, true), 6,
		    s0 - 512 },
		{ event(T0, STATUS_RINGING, EVENT_WEBHOOK, 255, -1, true), 255,
		    -1 },
		{ event(T0, STATUS_RINGING, EVENT_WEBHOOK, CAMPAIGN_SEQ_MAX, 0,
		    true), CAMPAIGN_SEQ_MAX, 0 },
		{ event(T0, STATUS_RINGING, EVENT_WEBHOOK, CAMPAIGN_SEQ_MAX + 1,
		    HISTORY_PROVIDER_MAX, true), -1, HISTORY_PROVIDER_MAX },
		{ event(T0, STATUS_RINGING, EVENT_WEBHOOK, -7,
		    HISTORY_PROVIDER_MAX + 1, true), -1, -1 },
		{ event(T0, STATUS_SKIPPED, EVENT_RETRY, 3, -5, false), 3, -1 },
	};
	struct campaign_event got[CAMPAIGN_EVENTS_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < LEN_OF(cases); i++)
		history_add(h, 0, &cases[i].in);
	assert_int_equal(history_get(h, 0, got, LEN_OF(got)), LEN_OF(cases));
	for (i = 0; i < LEN_OF(cases); i++) {
		assert_int_equal(got[i].seq, cases[i].seq);
		assert_int_equal(got[i].provider_s, cases[i].provider);
		assert_int_equal(got[i].status, cases[i].in.status);
		assert_int_equal(got[i].source, cases[i].in.source);
		assert_int_equal(got[i].applied, cases[i].in.applied);
	}
	history_free(h);
}

/* Times are kept to the ms within 2^35 ms of the first event, and held to
 * that range beyond it. */
static void
test_times_far_from_the_first(void **state)
{
	struct history *h = history_new(1);
	const int64_t span = ((int64_t)1 << 35) - 1;
	struct campaign_event ev[5], got[5];
	size_t i;

	(void)state;
	ev[0] = event(T0, STATUS_DIALING, EVENT_API, -1, -1, true);
	ev[1] = event(T0 + span, STATUS_RINGING, EVENT_WEBHOOK, -1, -1, true);
	ev[2] = event(T0 - span - 1, STATUS_RINGING, EVENT_WEBHOOK, -1, -1, true);
	ev[3] = event(T0 + span + 5, STATUS_RINGING, EVENT_WEBHOOK, -1, -1, true);
	ev[4] = event(1, STATUS_RINGING, EVENT_WEBHOOK, -1, -1, true);
	for (i = 0; i < LEN_OF(ev); i++)
		history_add(h, 0, &ev[i]);
	assert_int_equal(history_get(h, 0, got, LEN_OF(got)), LEN_OF(ev));
	assert_int_equal(got[0].at_ms, T0);
	assert_int_equal(got[1].at_ms, T0 + span);
	assert_int_equal(got[2].at_ms, T0 - span - 1);
	assert_int_equal(got[3].at_ms, T0 + span);
	assert_int_equal(got[4].at_ms, T0 - span - 1);
	history_free(h);
}

/* Full, the oldest event that is not terminal gives way; with only
 * terminal ones, the oldest; the new one always goes in. */
static void
test_bound_and_eviction(void **state)
{
	struct history *h = history_new(2);
	struct campaign_event ev, got[CAMPAIGN_EVENTS_MAX];
	int64_t i;

	(void)state;
	/* Row 0: terminal, ringing, then terminal ones. */
	ev = event(T0, STATUS_COMPLETED, EVENT_WEBHOOK, 500, -1, true);
	history_add(h, 0, &ev);
	ev = event(T0 + 1, STATUS_RINGING, EVENT_WEBHOOK, 501, -1, true);
	history_add(h, 0, &ev);
	for (i = 2; i < CAMPAIGN_EVENTS_MAX; i++) {
		ev = event(T0 + i, STATUS_BUSY, EVENT_WEBHOOK, 500 + i, -1, false);
		assert_int_equal(history_add(h, 0, &ev), (int)i + 1);
	}
	ev = event(T0 + 100, STATUS_RINGING, EVENT_WEBHOOK, -1, -1, false);
	assert_int_equal(history_add(h, 0, &ev), CAMPAIGN_EVENTS_MAX);
	assert_int_equal(history_get(h, 0, got, LEN_OF(got)), CAMPAIGN_EVENTS_MAX);
	assert_int_equal(got[0].seq, 500);         /* the terminal one stays */
	assert_int_equal(got[1].seq, 502);         /* the ringing one went */
	assert_int_equal(got[CAMPAIGN_EVENTS_MAX - 1].at_ms, T0 + 100);
	/* Now the newest ringing is the only one not terminal: it goes. */
	ev = event(T0 + 101, STATUS_FAILED, EVENT_TIMEOUT, -1, -1, true);
	history_add(h, 0, &ev);
	assert_int_equal(history_get(h, 0, got, LEN_OF(got)), CAMPAIGN_EVENTS_MAX);
	for (i = 0; i < CAMPAIGN_EVENTS_MAX; i++)
		assert_true(status_is_terminal(got[i].status));
	assert_int_equal(got[CAMPAIGN_EVENTS_MAX - 1].at_ms, T0 + 101);
	/* All terminal: the oldest goes, even for a ringing. */
	ev = event(T0 + 102, STATUS_RINGING, EVENT_WEBHOOK, -1, -1, false);
	history_add(h, 0, &ev);
	history_get(h, 0, got, LEN_OF(got));
	assert_int_equal(got[0].seq, 502);
	assert_int_equal(got[CAMPAIGN_EVENTS_MAX - 1].status, STATUS_RINGING);
	/* Row 1 was never touched. */
	assert_int_equal(history_get(h, 1, got, LEN_OF(got)), 0);
	history_free(h);
}

/* A row cleared gives its chunks back, and the next rows take them again:
 * restoring a journal's many lines of a row costs no more. */
static void
test_clear_gives_chunks_back(void **state)
{
	struct history *h = history_new(4);
	struct campaign_event ev, got[CAMPAIGN_EVENTS_MAX];
	size_t round, row, i, most = 0;

	(void)state;
	for (round = 0; round < 50; round++) {
		for (row = 0; row < 4; row++) {
			history_clear(h, row);
			for (i = 0; i < round % (CAMPAIGN_EVENTS_MAX + 3); i++) {
				/* Every one takes two slots. */
				ev = event(T0 + (int64_t)i, STATUS_RINGING,
				    EVENT_WEBHOOK, 1000, -1, true);
				history_add(h, row, &ev);
			}
			assert_int_equal(history_get(h, row, got, LEN_OF(got)),
			    i < CAMPAIGN_EVENTS_MAX ? i : CAMPAIGN_EVENTS_MAX);
		}
		if (history_chunks(h) > most)
			most = history_chunks(h);
	}
	/* 16 events of two slots: 3 in the row, 29 in 4 chunks. */
	assert_true(most <= 4 * 4);
	for (row = 0; row < 4; row++)
		history_clear(h, row);
	assert_int_equal(history_chunks(h), 0);
	assert_int_equal(history_get(h, 0, got, LEN_OF(got)), 0);
	history_free(h);
}

static void
test_rows_out_of_range(void **state)
{
	struct history *h = history_new(2);
	struct campaign_event ev = event(T0, STATUS_DIALING, EVENT_API, -1, -1,
	    true), got[1];

	(void)state;
	assert_int_equal(history_add(h, 2, &ev), -1);
	assert_int_equal(history_get(h, 2, got, 1), 0);
	history_clear(h, 99);
	history_free(h);
	history_free(NULL);
}

/* The model: each row's events as a plain array, with the same rule. */
struct model_row {
	struct campaign_event ev[CAMPAIGN_EVENTS_MAX];
	size_t n;
};

static void
model_add(struct model_row *m, const struct campaign_event *ev)
{
	size_t drop = 0, i;

	if (m->n == CAMPAIGN_EVENTS_MAX) {
		for (i = 0; i < m->n; i++) {
			if (!status_is_terminal(m->ev[i].status)) {
				drop = i;
				break;
			}
		}
		memmove(&m->ev[drop], &m->ev[drop + 1],
		    (m->n - drop - 1) * sizeof(m->ev[0]));
		m->n--;
	}
	m->ev[m->n++] = *ev;
}

/* An event within what a slot keeps exactly, often needing a second. */
static struct campaign_event
random_event(void)
{
	struct campaign_event ev;
	int64_t at = T0 + rand() % 100000000;

	ev = event(at, (enum status)(1 + rand() % (STATUS_COUNT - 1)),
	    (enum event_source)(rand() % EVENT_SOURCE_COUNT),
	    rand() % 3 == 0 ? -1 : rand() % 600,
	    rand() % 3 == 0 ? -1 : at / 1000 + rand() % 2000 - 1000,
	    rand() % 2);
	return ev;
}

/* Adds and clears at random over a few rows; after every step each row
 * holds what the model holds. */
static void
test_random_against_a_model(void **state)
{
	struct history *h = history_new(MODEL_ROWS);
	struct model_row *model = calloc(MODEL_ROWS, sizeof(*model));
	struct campaign_event got[CAMPAIGN_EVENTS_MAX], ev;
	size_t step, row, i;

	(void)state;
	assert_non_null(model);
	srand(7);
	for (step = 0; step < MODEL_STEPS; step++) {
		row = (size_t)rand() % MODEL_ROWS;
		if (rand() % 40 == 0) {
			history_clear(h, row);
			model[row].n = 0;
		} else {
			ev = random_event();
			model_add(&model[row], &ev);
			assert_int_equal(history_add(h, row, &ev),
			    (int)model[row].n);
		}
		assert_int_equal(history_get(h, row, got, LEN_OF(got)),
		    model[row].n);
		for (i = 0; i < model[row].n; i++)
			assert_event(&got[i], &model[row].ev[i]);
	}
	free(model);
	history_free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_round_trip),
		cmocka_unit_test(test_a_plain_call_takes_no_chunk),
		cmocka_unit_test(test_edges_of_a_slot),
		cmocka_unit_test(test_times_far_from_the_first),
		cmocka_unit_test(test_bound_and_eviction),
		cmocka_unit_test(test_clear_gives_chunks_back),
		cmocka_unit_test(test_rows_out_of_range),
		cmocka_unit_test(test_random_against_a_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
