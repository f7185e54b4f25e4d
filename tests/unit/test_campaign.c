/*
 * Unit tests for the campaign state machine and the status table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "campaign.h"
#include "status.h"

#define T0 1000000
#define LEN_CELLS(a) (sizeof(a) / sizeof((a)[0]))  /* an arbitrary start of the injected clock, in ms */

static const char *const five[] = {
	"13018040009", "19842068287", "15512459377", "13018040009", "18582210308",
};

static const unsigned char key_a[CAMPAIGN_KEY_BYTES] = { 1, 2, 3, 4, 5, 6, 7, 8,
	9, 10, 11, 12, 13, 14, 15, 16 };

/* A key per row, so tests can tell rows' keys apart. */
static void
key_for(size_t row, unsigned char key[CAMPAIGN_KEY_BYTES])
{
	memcpy(key, key_a, CAMPAIGN_KEY_BYTES);
	key[0] = (unsigned char)(row + 100);
}

static struct campaign *
started_campaign(size_t n, unsigned limit)
{
	struct campaign *c = campaign_new(five, n, limit, 64);

	assert_non_null(c);
	assert_int_equal(campaign_start(c), 0);
	return c;
}

/* Dials the next row under its own key and checks it is the expected one. */
static void
dial(struct campaign *c, size_t expected_row, int64_t now)
{
	unsigned char key[CAMPAIGN_KEY_BYTES];
	size_t row = SIZE_MAX;

	key_for(expected_row, key);
	assert_int_equal(campaign_next_dial(c, key, now, &row), 0);
	assert_int_equal(row, expected_row);
}

/* What a webhook carrying status s alone reports (one at a time). */
static const struct campaign_report *
report(enum status s)
{
	static struct campaign_report r;

	r = campaign_report_of(s);
	return &r;
}

static enum campaign_result
hook(struct campaign *c, size_t row, const char *id, enum status s, int64_t now)
{
	unsigned char key[CAMPAIGN_KEY_BYTES];

	key_for(row, key);
	return campaign_webhook(c, row, key, id, report(s), now);
}

static size_t
in_flight(const struct campaign *c)
{
	struct campaign_counts k;

	campaign_counts(c, &k);
	return k.in_flight;
}

static void
test_status_table(void **state)
{
	enum status s;

	(void)state;
	assert_string_equal(status_name(STATUS_NO_ANSWER), "no-answer");
	assert_true(status_rank(STATUS_IDLE) < status_rank(STATUS_DIALING));
	assert_true(status_rank(STATUS_DIALING) < status_rank(STATUS_RINGING));
	assert_true(status_rank(STATUS_RINGING) < status_rank(STATUS_ANSWERED));
	assert_true(status_rank(STATUS_ANSWERED) < status_rank(STATUS_COMPLETED));
	assert_int_equal(status_rank(STATUS_BUSY), status_rank(STATUS_COMPLETED));
	assert_false(status_is_terminal(STATUS_ANSWERED));
	assert_true(status_is_terminal(STATUS_CANCELED));

	assert_int_equal(status_parse("queued", 6, &s), 0);
	assert_int_equal(s, STATUS_DIALING);
	assert_int_equal(status_parse("initiated", 9, &s), 0);
	assert_int_equal(s, STATUS_DIALING);
	assert_int_equal(status_parse("in-progress", 11, &s), 0);
	assert_int_equal(s, STATUS_ANSWERED);
	assert_int_equal(status_parse("answered", 8, &s), 0);
	assert_int_equal(s, STATUS_ANSWERED);
	assert_int_equal(status_parse("no-answer", 9, &s), 0);
	assert_int_equal(s, STATUS_NO_ANSWER);
	assert_int_equal(status_parse("ringingX", 7, &s), 0);  /* len counts */
	assert_int_equal(s, STATUS_RINGING);
	assert_int_equal(status_parse("idle", 4, &s), -1);
	assert_int_equal(status_parse("Completed", 9, &s), -1);
	assert_int_equal(status_parse("", 0, &s), -1);
	assert_int_equal(status_parse(NULL, 3, &s), -1);
}

static void
test_new_rejects_bad_arguments(void **state)
{
	(void)state;
	assert_null(campaign_new(NULL, 0, 3, 16));
	assert_null(campaign_new(five, 5, 0, 16));
	assert_null(campaign_new(five, 5, CAMPAIGN_LIMIT_MAX + 1, 16));
	assert_null(campaign_new(five, 5, 3, 0));
	campaign_free(NULL);
}

static void
test_rows_start_idle_and_nothing_dials_before_start(void **state)
{
	struct campaign *c = campaign_new(five, 5, 3, 16);
	struct campaign_counts k;
	size_t row, i;

	(void)state;
	assert_non_null(c);
	assert_int_equal(campaign_size(c), 5);
	for (i = 0; i < 5; i++) {
		assert_string_equal(campaign_row(c, i)->phone, five[i]);
		assert_int_equal(campaign_row(c, i)->status, STATUS_IDLE);
		assert_null(campaign_row(c, i)->call_id);
	}
	assert_null(campaign_row(c, 5));
	assert_int_equal(campaign_next_dial(c, key_a, T0, &row), -1);
	campaign_counts(c, &k);
	assert_false(k.started);
	assert_int_equal(k.total, 5);
	assert_int_equal(k.dialed, 0);

	assert_int_equal(campaign_start(c), 0);
	assert_int_equal(campaign_start(c), -1);
	campaign_counts(c, &k);
	assert_true(k.started);
	campaign_free(c);
}

static void
test_dials_in_order_up_to_the_limit(void **state)
{
	struct campaign *c = started_campaign(5, 3);
	size_t row;

	(void)state;
	dial(c, 0, T0);
	dial(c, 1, T0);
	dial(c, 2, T0);
	assert_int_equal(campaign_next_dial(c, key_a, T0, &row), -1);
	assert_int_equal(in_flight(c), 3);
	assert_int_equal(campaign_row(c, 0)->status, STATUS_DIALING);
	assert_int_equal(campaign_row(c, 0)->attempts, 1);
	assert_int_equal(campaign_row(c, 0)->at_ms[MARK_DIALED], T0);
	assert_int_equal(campaign_row(c, 3)->status, STATUS_IDLE);

	/* The slot freed by row 1 goes to row 3, the next in the list. */
	assert_int_equal(hook(c, 1, "7", STATUS_COMPLETED, T0 + 5), CAMPAIGN_APPLIED);
	assert_int_equal(in_flight(c), 2);
	dial(c, 3, T0 + 5);
	assert_int_equal(campaign_next_dial(c, key_a, T0, &row), -1);
	campaign_free(c);
}

static void
test_every_transition_up_the_ranks(void **state)
{
	struct campaign *c = started_campaign(1, 3);
	struct campaign_counts k;

	(void)state;
	dial(c, 0, T0);
	assert_int_equal(campaign_dial_ok(c, 0, "1234", T0), CAMPAIGN_APPLIED);
	assert_string_equal(campaign_row(c, 0)->call_id, "1234");
	assert_int_equal(campaign_row(c, 0)->status, STATUS_DIALING);
	assert_int_equal(hook(c, 0, "1234", STATUS_RINGING, T0 + 2), CAMPAIGN_APPLIED);
	assert_int_equal(campaign_row(c, 0)->status, STATUS_RINGING);
	assert_int_equal(campaign_row(c, 0)->at_ms[MARK_RINGING], T0 + 2);
	assert_int_equal(hook(c, 0, "1234", STATUS_ANSWERED, T0 + 3), CAMPAIGN_APPLIED);
	assert_int_equal(campaign_row(c, 0)->at_ms[MARK_ANSWERED], T0 + 3);
	assert_int_equal(in_flight(c), 1);
	assert_int_equal(hook(c, 0, "1234", STATUS_COMPLETED, T0 + 4), CAMPAIGN_APPLIED);
	assert_int_equal(campaign_row(c, 0)->status, STATUS_COMPLETED);
	assert_int_equal(campaign_row(c, 0)->at_ms[MARK_ENDED], T0 + 4);
	campaign_counts(c, &k);
	assert_int_equal(k.in_flight, 0);
	assert_int_equal(k.done, 1);
	campaign_free(c);
}

static void
test_each_terminal_status_frees_the_slot(void **state)
{
	static const enum status terminal[] = { STATUS_COMPLETED, STATUS_BUSY,
		STATUS_NO_ANSWER, STATUS_FAILED, STATUS_CANCELED };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(terminal) / sizeof(terminal[0]); i++) {
		struct campaign *c = started_campaign(2, 1);

		dial(c, 0, T0);
		assert_int_equal(hook(c, 0, NULL, terminal[i], T0), CAMPAIGN_APPLIED);
		assert_int_equal(campaign_row(c, 0)->status, terminal[i]);
		assert_int_equal(in_flight(c), 0);
		dial(c, 1, T0);
		campaign_free(c);
	}
}

static void
test_duplicate_terminal_frees_the_slot_once(void **state)
{
	struct campaign *c = started_campaign(5, 3);
	struct campaign_event ev[CAMPAIGN_EVENTS_MAX];
	struct campaign_counts k;
	uint64_t v;

	(void)state;
	dial(c, 0, T0);
	dial(c, 1, T0);
	dial(c, 2, T0);
	assert_int_equal(hook(c, 0, "1", STATUS_COMPLETED, T0), CAMPAIGN_APPLIED);
	v = campaign_version(c);
	assert_int_equal(hook(c, 0, "1", STATUS_COMPLETED, T0 + 1), CAMPAIGN_UNCHANGED);
	assert_int_equal(hook(c, 0, "1", STATUS_FAILED, T0 + 2), CAMPAIGN_UNCHANGED);
	/* Each duplicate is in the history, not applied: a change of the row
	 * that changed nothing else. */
	assert_int_equal(campaign_version(c), v + 2);
	assert_int_equal(campaign_events(c, 0, ev, LEN_CELLS(ev)), 3);
	assert_true(ev[0].applied);
	assert_int_equal(ev[1].status, STATUS_COMPLETED);
	assert_false(ev[1].applied);
	assert_int_equal(ev[2].status, STATUS_FAILED);
	assert_false(ev[2].applied);
	assert_int_equal(campaign_row(c, 0)->at_ms[MARK_ENDED], T0);
	campaign_counts(c, &k);
	assert_int_equal(k.in_flight, 2);
	assert_int_equal(k.done, 1);
	assert_int_equal(campaign_row(c, 0)->status, STATUS_COMPLETED);
	campaign_free(c);
}

static void
test_early_terminal_before_the_api_answer(void **state)
{
	struct campaign *c = started_campaign(5, 3);

	(void)state;
	dial(c, 0, T0);
	/* completed arrives before POST /call was answered: the row adopts the id. */
	assert_int_equal(hook(c, 0, "1234", STATUS_COMPLETED, T0 + 1), CAMPAIGN_APPLIED);
	assert_string_equal(campaign_row(c, 0)->call_id, "1234");
	assert_int_equal(in_flight(c), 0);
	/* Then the late ringing, then the API's answer: neither moves the row. */
	assert_int_equal(hook(c, 0, "1234", STATUS_RINGING, T0 + 2), CAMPAIGN_UNCHANGED);
	assert_int_equal(campaign_dial_ok(c, 0, "1234", T0), CAMPAIGN_UNCHANGED);
	assert_int_equal(campaign_row(c, 0)->status, STATUS_COMPLETED);
	assert_int_equal(campaign_row(c, 0)->at_ms[MARK_RINGING], 0);
	assert_int_equal(in_flight(c), 0);
	assert_int_equal(campaign_dial_ok(c, 0, "999", T0), CAMPAIGN_WRONG_ID);
	assert_string_equal(campaign_row(c, 0)->call_id, "1234");
	campaign_free(c);
}

static void
test_late_ringing_after_completed_is_ignored(void **state)
{
	struct campaign *c = started_campaign(1, 3);

	(void)state;
	dial(c, 0, T0);
	assert_int_equal(campaign_dial_ok(c, 0, "5", T0), CAMPAIGN_APPLIED);
	assert_int_equal(hook(c, 0, "5", STATUS_ANSWERED, T0), CAMPAIGN_APPLIED);
	assert_int_equal(hook(c, 0, "5", STATUS_COMPLETED, T0), CAMPAIGN_APPLIED);
	assert_int_equal(hook(c, 0, "5", STATUS_RINGING, T0), CAMPAIGN_UNCHANGED);
	assert_int_equal(hook(c, 0, "5", STATUS_ANSWERED, T0), CAMPAIGN_UNCHANGED);
	assert_int_equal(campaign_row(c, 0)->status, STATUS_COMPLETED);
	campaign_free(c);
}

static void
test_lower_status_is_ignored_in_flight(void **state)
{
	struct campaign *c = started_campaign(1, 3);

	(void)state;
	dial(c, 0, T0);
	assert_int_equal(hook(c, 0, NULL, STATUS_ANSWERED, T0), CAMPAIGN_APPLIED);
	assert_int_equal(hook(c, 0, NULL, STATUS_RINGING, T0), CAMPAIGN_UNCHANGED);
	assert_int_equal(hook(c, 0, NULL, STATUS_DIALING, T0), CAMPAIGN_UNCHANGED);
	assert_int_equal(campaign_row(c, 0)->status, STATUS_ANSWERED);
	assert_int_equal(in_flight(c), 1);
	campaign_free(c);
}

static void
test_forged_and_misdirected_webhooks_change_nothing(void **state)
{
	struct campaign *c = started_campaign(5, 3);
	unsigned char wrong[CAMPAIGN_KEY_BYTES];
	uint64_t v;

	(void)state;
	dial(c, 0, T0);
	assert_int_equal(campaign_dial_ok(c, 0, "1234", T0), CAMPAIGN_APPLIED);
	v = campaign_version(c);

	key_for(0, wrong);
	wrong[CAMPAIGN_KEY_BYTES - 1] ^= 1;
	assert_int_equal(campaign_webhook(c, 0, wrong, "1234", report(STATUS_COMPLETED), T0),
	    CAMPAIGN_BAD_KEY);
	/* Row 1 was never dialed: it has no key to match. */
	assert_int_equal(hook(c, 1, NULL, STATUS_COMPLETED, T0), CAMPAIGN_BAD_KEY);
	assert_int_equal(hook(c, 5, NULL, STATUS_COMPLETED, T0), CAMPAIGN_NO_ROW);
	assert_int_equal(hook(c, SIZE_MAX, NULL, STATUS_COMPLETED, T0), CAMPAIGN_NO_ROW);
	assert_int_equal(hook(c, 0, "4321", STATUS_COMPLETED, T0), CAMPAIGN_WRONG_ID);
	assert_int_equal(campaign_dial_ok(c, 1, "1", T0), CAMPAIGN_NO_ROW);

	assert_int_equal(campaign_version(c), v);
	assert_int_equal(campaign_row(c, 0)->status, STATUS_DIALING);
	assert_int_equal(in_flight(c), 1);
	campaign_free(c);
}

static void
test_dial_failure_frees_the_slot_with_its_reason(void **state)
{
	struct campaign *c = started_campaign(5, 1);
	char long_reason[CAMPAIGN_REASON_MAX * 2];

	(void)state;
	dial(c, 0, T0);
	campaign_dial_failed(c, 0, "api: unknown phone", T0 + 1);
	assert_int_equal(campaign_row(c, 0)->status, STATUS_FAILED);
	assert_string_equal(campaign_row(c, 0)->reason, "api: unknown phone");
	assert_int_equal(campaign_row(c, 0)->at_ms[MARK_ENDED], T0 + 1);
	assert_int_equal(in_flight(c), 0);

	/* A failure after a terminal webhook changes nothing. */
	dial(c, 1, T0);
	assert_int_equal(hook(c, 1, "9", STATUS_COMPLETED, T0), CAMPAIGN_APPLIED);
	campaign_dial_failed(c, 1, "late failure", T0);
	assert_int_equal(campaign_row(c, 1)->status, STATUS_COMPLETED);
	assert_null(campaign_row(c, 1)->reason);

	/* Reasons are cut to their bound; never-dialed rows are left alone. */
	dial(c, 2, T0);
	memset(long_reason, 'x', sizeof(long_reason) - 1);
	long_reason[sizeof(long_reason) - 1] = '\0';
	campaign_dial_failed(c, 2, long_reason, T0);
	assert_int_equal(strlen(campaign_row(c, 2)->reason), CAMPAIGN_REASON_MAX);
	campaign_dial_failed(c, 4, "never dialed", T0);
	assert_int_equal(campaign_row(c, 4)->status, STATUS_IDLE);
	campaign_free(c);
}

static void
test_timeouts_with_an_injected_clock(void **state)
{
	struct campaign *c = started_campaign(5, 3);
	const int64_t timeout = 120000;

	(void)state;
	assert_int_equal(campaign_next_deadline(c, timeout), INT64_MAX);
	dial(c, 0, T0);
	dial(c, 1, T0 + 10);
	dial(c, 2, T0 + 20);
	assert_int_equal(hook(c, 1, NULL, STATUS_RINGING, T0 + 30), CAMPAIGN_APPLIED);
	assert_int_equal(campaign_next_deadline(c, timeout), T0 + timeout);

	assert_int_equal(campaign_expire(c, T0 + timeout - 1, timeout), 0);
	assert_int_equal(campaign_expire(c, T0 + timeout + 10, timeout), 2);
	assert_int_equal(campaign_row(c, 0)->status, STATUS_FAILED);
	assert_string_equal(campaign_row(c, 0)->reason, "timeout");
	assert_int_equal(campaign_row(c, 1)->status, STATUS_FAILED);
	assert_int_equal(campaign_row(c, 2)->status, STATUS_DIALING);
	assert_int_equal(in_flight(c), 1);
	assert_int_equal(campaign_next_deadline(c, timeout), T0 + 20 + timeout);

	/* A completed that comes after the timeout changes nothing. */
	assert_int_equal(hook(c, 0, NULL, STATUS_COMPLETED, T0 + timeout + 20),
	    CAMPAIGN_UNCHANGED);
	assert_int_equal(in_flight(c), 1);
	dial(c, 3, T0 + timeout + 20);
	dial(c, 4, T0 + timeout + 20);
	campaign_free(c);
}

static void check_invariants(const struct campaign *c);

/* Two calls in flight with one id are found, so the log can say so. */
static void
test_shared_id_in_flight(void **state)
{
	struct campaign *c = started_campaign(5, 3);
	size_t other = SIZE_MAX;

	(void)state;
	dial(c, 0, T0);
	dial(c, 1, T0);
	assert_int_equal(campaign_dial_ok(c, 0, "42", T0), CAMPAIGN_APPLIED);
	assert_int_equal(campaign_id_in_flight(c, "42", 0, &other), -1);
	assert_int_equal(campaign_dial_ok(c, 1, "42", T0), CAMPAIGN_APPLIED);
	assert_int_equal(campaign_id_in_flight(c, "42", 1, &other), 0);
	assert_int_equal(other, 0);
	assert_int_equal(hook(c, 0, "42", STATUS_COMPLETED, T0), CAMPAIGN_APPLIED);
	assert_int_equal(campaign_id_in_flight(c, "42", 1, &other), -1);
	campaign_free(c);
}

/* A failing API must not burn the list: after so many rows in a row whose
 * POST /call failed, no new call until the operator resumes. */
static void
test_failures_in_a_row_pause(void **state)
{
	struct campaign *c = started_campaign(5, 1);
	struct campaign_counts k;
	size_t row;

	(void)state;
	campaign_set_failure_pause(c, 2);
	dial(c, 0, T0);
	assert_true(campaign_dial_failed(c, 0, "api answered HTTP 404", T0));
	dial(c, 1, T0);
	/* A placed call between failures starts the count again. */
	assert_int_equal(campaign_dial_ok(c, 1, "7", T0), CAMPAIGN_APPLIED);
	assert_int_equal(hook(c, 1, "7", STATUS_COMPLETED, T0), CAMPAIGN_APPLIED);
	dial(c, 2, T0);
	assert_true(campaign_dial_failed(c, 2, "api answered HTTP 404", T0));
	assert_null(campaign_pause_reason(c));
	dial(c, 3, T0);
	assert_true(campaign_dial_failed(c, 3, "api answered HTTP 404", T0));
	assert_string_equal(campaign_pause_reason(c), "2 calls in a row could "
	    "not be placed; the last: api answered HTTP 404");
	campaign_counts(c, &k);
	assert_true(k.paused);
	assert_int_equal(campaign_next_dial(c, key_a, T0, &row), -1);
	/* The rows failed keep their reason. */
	assert_string_equal(campaign_row(c, 3)->reason, "api answered HTTP 404");
	assert_int_equal(campaign_resume(c), 0);
	assert_int_equal(campaign_resume(c), -1);
	dial(c, 4, T0);
	check_invariants(c);
	campaign_free(c);

	/* 0, the default, never pauses. */
	c = started_campaign(5, 1);
	for (size_t i = 0; i < 5; i++) {
		dial(c, i, T0);
		assert_true(campaign_dial_failed(c, i, "no", T0));
	}
	assert_null(campaign_pause_reason(c));
	campaign_free(c);
}

/* A webhook shows the API has the call: a POST /call that fails afterwards
 * (its answer lost, an error) does not end the row or free its slot. */
static void
test_webhook_evidence_wins(void **state)
{
	struct campaign *c = started_campaign(5, 1);
	size_t row;

	(void)state;
	dial(c, 0, T0);
	assert_int_equal(hook(c, 0, "CA9", STATUS_RINGING, T0 + 1), CAMPAIGN_APPLIED);
	assert_true(campaign_row(c, 0)->hooked);
	assert_false(campaign_dial_failed(c, 0, "api answer lost: x", T0 + 2));
	assert_int_equal(campaign_row(c, 0)->status, STATUS_RINGING);
	assert_string_equal(campaign_row(c, 0)->reason, "api answer lost: x");
	assert_int_equal(in_flight(c), 1);
	assert_int_equal(campaign_next_dial(c, key_a, T0 + 2, &row), -1);
	/* A retry is refused too: the call exists. */
	assert_int_equal(campaign_dial_wait(c, 0, T0), -1);
	assert_int_equal(campaign_dial_retry(c, 0, T0 + 3), -1);
	/* It goes on by its webhooks. */
	assert_int_equal(hook(c, 0, "CA9", STATUS_COMPLETED, T0 + 4), CAMPAIGN_APPLIED);
	assert_int_equal(in_flight(c), 0);
	dial(c, 1, T0 + 5);

	/* Without a webhook the failure ends the row. */
	assert_true(campaign_dial_failed(c, 1, "api: no", T0 + 6));
	assert_int_equal(campaign_row(c, 1)->status, STATUS_FAILED);
	check_invariants(c);
	campaign_free(c);
}

/* An answer lost after the request went out: the row keeps its slot until
 * a webhook names the call (adopted) or the call timeout ends it. */
static void
test_unknown_keeps_the_slot(void **state)
{
	struct campaign *c = started_campaign(5, 1);
	size_t row;

	(void)state;
	dial(c, 0, T0);
	campaign_dial_unknown(c, 0, "api answer lost: closed", T0);
	assert_int_equal(campaign_row(c, 0)->status, STATUS_DIALING);
	assert_int_equal(in_flight(c), 1);
	assert_int_equal(campaign_next_dial(c, key_a, T0 + 1, &row), -1);
	assert_int_equal(hook(c, 0, "55", STATUS_RINGING, T0 + 2), CAMPAIGN_APPLIED);
	assert_string_equal(campaign_row(c, 0)->call_id, "55");
	assert_int_equal(hook(c, 0, "55", STATUS_COMPLETED, T0 + 3), CAMPAIGN_APPLIED);
	dial(c, 1, T0 + 4);
	campaign_dial_unknown(c, 1, "api answer lost: timeout", T0);
	assert_int_equal(campaign_expire(c, T0 + 4 + 100, 100), 1);
	assert_int_equal(campaign_row(c, 1)->status, STATUS_FAILED);
	assert_string_equal(campaign_row(c, 1)->reason, "timeout");
	check_invariants(c);
	campaign_free(c);
}

/* A row waiting for its retry is no call yet: no timeout ends it, and a
 * restored campaign names it to be sent again. */
static void
test_waiting_row(void **state)
{
	struct campaign *c = started_campaign(5, 1);
	struct campaign *back;
	unsigned char key[CAMPAIGN_KEY_BYTES];
	size_t row = SIZE_MAX;

	(void)state;
	dial(c, 0, T0);
	assert_int_equal(campaign_waiting_row(c, &row), -1);
	assert_int_equal(campaign_dial_wait(c, 0, T0), 0);
	assert_true(campaign_row(c, 0)->waiting);
	assert_int_equal(campaign_waiting_row(c, &row), 0);
	assert_int_equal(row, 0);
	assert_int_equal(campaign_expire(c, T0 + 10000, 100), 0);
	assert_int_equal(campaign_next_deadline(c, 100), INT64_MAX);

	back = campaign_new(five, 5, 1, 64);
	assert_non_null(back);
	key_for(0, key);
	assert_int_equal(campaign_restore_row(back, 0, campaign_row(c, 0), key), 0);
	assert_int_equal(campaign_restore_finish(back, true), 0);
	row = SIZE_MAX;
	assert_int_equal(campaign_waiting_row(back, &row), 0);
	assert_int_equal(row, 0);
	assert_int_equal(campaign_expire(back, T0 + 10000, 100), 0);
	assert_int_equal(campaign_dial_retry(back, 0, T0 + 10000), 0);
	assert_false(campaign_row(back, 0)->waiting);
	assert_int_equal(campaign_row(back, 0)->attempts, 2);
	assert_int_equal(campaign_expire(back, T0 + 10100, 100), 1);
	campaign_free(back);
	campaign_free(c);
}

static void
test_retry_keeps_the_slot_and_the_order(void **state)
{
	struct campaign *c = started_campaign(5, 1);
	unsigned char key[CAMPAIGN_KEY_BYTES];
	size_t row;

	(void)state;
	dial(c, 0, T0);
	assert_int_equal(campaign_dial_retry(c, 0, T0 + 1), 0);
	assert_int_equal(campaign_dial_retry(c, 0, T0 + 2), 0);
	assert_int_equal(campaign_row(c, 0)->attempts, 3);
	/* The call timeout counts from the last attempt. */
	assert_int_equal(campaign_row(c, 0)->at_ms[MARK_DIALED], T0 + 2);
	assert_int_equal(campaign_next_deadline(c, 100), T0 + 2 + 100);
	assert_int_equal(campaign_row(c, 0)->status, STATUS_DIALING);
	assert_int_equal(campaign_next_dial(c, key_a, T0, &row), -1);
	/* Its key is unchanged: webhooks of the placed call still match. */
	key_for(0, key);
	assert_int_equal(campaign_check_key(c, 0, key), CAMPAIGN_KEY_OK);

	/* Once the API named the call, or the row ended, no retry. */
	assert_int_equal(campaign_dial_ok(c, 0, "77", T0), CAMPAIGN_APPLIED);
	assert_int_equal(campaign_dial_retry(c, 0, T0 + 4), -1);
	assert_int_equal(hook(c, 0, "77", STATUS_COMPLETED, T0 + 5), CAMPAIGN_APPLIED);
	assert_int_equal(campaign_dial_retry(c, 0, T0 + 6), -1);
	assert_int_equal(campaign_dial_retry(c, 3, T0 + 6), -1);  /* never dialed */
	dial(c, 1, T0 + 7);
	campaign_expire(c, T0 + 1000, 10);
	assert_int_equal(campaign_dial_retry(c, 1, T0 + 1000), -1);  /* timed out */
	campaign_free(c);
}

static void
test_check_key_changes_nothing(void **state)
{
	struct campaign *c = started_campaign(5, 3);
	unsigned char key[CAMPAIGN_KEY_BYTES];
	uint64_t v;

	(void)state;
	dial(c, 0, T0);
	v = campaign_version(c);
	key_for(0, key);
	assert_int_equal(campaign_check_key(c, 0, key), CAMPAIGN_KEY_OK);
	assert_int_equal(campaign_check_key(c, 1, key), CAMPAIGN_BAD_KEY);
	assert_int_equal(campaign_check_key(c, 5, key), CAMPAIGN_NO_ROW);
	key[3] ^= 0x80;
	assert_int_equal(campaign_check_key(c, 0, key), CAMPAIGN_BAD_KEY);
	assert_int_equal(campaign_version(c), v);
	campaign_free(c);
}

static void
test_restore_rebuilds_a_campaign(void **state)
{
	struct campaign *c = started_campaign(5, 3);
	struct campaign *copy = campaign_new(five, 5, 3, 64);
	struct campaign_counts k;
	unsigned char key[CAMPAIGN_KEY_BYTES];
	size_t i, row;

	(void)state;
	assert_non_null(copy);
	dial(c, 0, T0);
	dial(c, 1, T0);
	dial(c, 2, T0);
	assert_int_equal(campaign_dial_ok(c, 1, "88", T0), CAMPAIGN_APPLIED);
	assert_int_equal(hook(c, 1, "88", STATUS_COMPLETED, T0), CAMPAIGN_APPLIED);
	campaign_dial_failed(c, 2, "api: unknown phone", T0);
	dial(c, 3, T0);

	for (i = 0; i < 5; i++)
		assert_int_equal(campaign_restore_row(copy, i, campaign_row(c, i),
		    campaign_key(c, i)), 0);
	assert_int_equal(campaign_restore_finish(copy, true), 0);
	campaign_counts(copy, &k);
	assert_true(k.started);
	assert_int_equal(k.dialed, 4);
	assert_int_equal(k.in_flight, 2);
	assert_int_equal(k.done, 2);
	assert_string_equal(campaign_row(copy, 1)->call_id, "88");
	assert_string_equal(campaign_row(copy, 2)->reason, "api: unknown phone");
	check_invariants(copy);

	/* The restored calls take their webhooks; the next row is row 4. */
	key_for(0, key);
	assert_int_equal(campaign_webhook(copy, 0, key, "5", report(STATUS_COMPLETED), T0),
	    CAMPAIGN_APPLIED);
	dial(copy, 4, T0);
	assert_int_equal(campaign_next_dial(copy, key_a, T0, &row), -1);
	campaign_free(copy);

	/* A dialed row after an idle one is fine (an earlier row may wait for
	 * its calling hours), but calls before the start are not. */
	copy = campaign_new(five, 5, 3, 64);
	assert_non_null(copy);
	assert_int_equal(campaign_restore_row(copy, 2, campaign_row(c, 2),
	    campaign_key(c, 2)), 0);
	assert_int_equal(campaign_restore_finish(copy, false), -1);
	assert_int_equal(campaign_restore_finish(copy, true), 0);
	assert_int_equal(campaign_restore_row(copy, 9, campaign_row(c, 2),
	    campaign_key(c, 2)), -1);
	campaign_free(copy);
	campaign_free(c);
}

struct seen {
	size_t rows[64];
	size_t count;
};

static void
collect(size_t row, void *arg)
{
	struct seen *s = arg;

	s->rows[s->count++] = row;
}

static void
test_changes_since_sends_each_row_once(void **state)
{
	struct campaign *c = started_campaign(5, 3);
	struct seen s = { .count = 0 };
	uint64_t v0 = campaign_version(c), v1;

	(void)state;
	assert_int_equal(campaign_changes_since(c, v0, collect, &s), 0);
	assert_int_equal(s.count, 0);

	dial(c, 0, T0);
	dial(c, 1, T0);
	v1 = campaign_version(c);
	assert_int_equal(hook(c, 0, NULL, STATUS_RINGING, T0), CAMPAIGN_APPLIED);
	assert_int_equal(hook(c, 0, NULL, STATUS_ANSWERED, T0), CAMPAIGN_APPLIED);

	assert_int_equal(campaign_changes_since(c, v0, collect, &s), 0);
	assert_int_equal(s.count, 2);
	assert_int_equal(s.rows[0], 1);  /* in the order of their last change */
	assert_int_equal(s.rows[1], 0);

	s.count = 0;
	assert_int_equal(campaign_changes_since(c, v1, collect, &s), 0);
	assert_int_equal(s.count, 1);
	assert_int_equal(s.rows[0], 0);

	s.count = 0;
	assert_int_equal(campaign_changes_since(c, campaign_version(c) + 1, collect, &s), -1);
	assert_int_equal(s.count, 0);
	campaign_free(c);
}

static void
test_changes_since_beyond_the_log_asks_for_everything(void **state)
{
	struct campaign *c = campaign_new(five, 5, 3, 2);
	struct seen s = { .count = 0 };
	uint64_t v0;

	(void)state;
	assert_non_null(c);
	campaign_start(c);
	v0 = campaign_version(c);
	dial(c, 0, T0);
	dial(c, 1, T0);
	assert_int_equal(campaign_changes_since(c, v0, collect, &s), 0);
	assert_int_equal(s.count, 2);
	dial(c, 2, T0);  /* the log holds 2: the change of row 0 is gone */
	s.count = 0;
	assert_int_equal(campaign_changes_since(c, v0, collect, &s), -1);
	assert_int_equal(s.count, 0);
	assert_int_equal(campaign_changes_since(c, v0 + 1, collect, &s), 0);
	assert_int_equal(s.count, 2);
	campaign_free(c);
}

/* Rows are packed: marks keep 48 bits, the view is a copy, and ids and
 * reasons survive being spread over many blocks of the text store. */
static void
test_packed_rows_keep_what_they_are_given(void **state)
{
	enum { ROWS = 3000 };
	const char *phones[ROWS];
	struct campaign *c;
	struct campaign_row saved;
	const struct campaign_row *r;
	char id[CAMPAIGN_ID_MAX + 1], reason[CAMPAIGN_REASON_MAX + 1];
	size_t i, row;
	int64_t late = CAMPAIGN_MS_MAX - 5;

	(void)state;
	for (i = 0; i < ROWS; i++)
		phones[i] = five[i % 5];
	c = campaign_new(phones, ROWS, ROWS > CAMPAIGN_LIMIT_MAX ?
	    CAMPAIGN_LIMIT_MAX : ROWS, 64);
	assert_non_null(c);
	assert_int_equal(campaign_start(c), 0);
	for (i = 0; i < ROWS; i++) {
		unsigned char key[CAMPAIGN_KEY_BYTES];

		key_for(i, key);
		assert_int_equal(campaign_next_dial(c, key, late, &row), 0);
		assert_int_equal(row, i);
		memset(id, 'a' + (int)(i % 26), CAMPAIGN_ID_MAX);
		snprintf(id, sizeof(id), "%zu", i);
		id[strlen(id)] = '-';
		id[CAMPAIGN_ID_MAX] = '\0';
		assert_int_equal(campaign_dial_ok(c, i, id, T0), CAMPAIGN_APPLIED);
		snprintf(reason, sizeof(reason), "reason of row %zu", i);
		campaign_dial_failed(c, i, reason, late + 1);
	}
	for (i = 0; i < ROWS; i++) {
		r = campaign_row(c, i);
		assert_int_equal(strlen(r->call_id), CAMPAIGN_ID_MAX);
		assert_int_equal(strtoul(r->call_id, NULL, 10), i);
		snprintf(reason, sizeof(reason), "reason of row %zu", i);
		assert_string_equal(r->reason, reason);
		assert_int_equal(r->at_ms[MARK_DIALED], late);
		assert_int_equal(r->at_ms[MARK_ENDED], late + 1);
		assert_string_equal(r->phone, five[i % 5]);
	}

	/* The view is a picture of the moment: read again after a change. */
	campaign_free(c);
	c = started_campaign(5, 3);
	r = campaign_row(c, 0);
	assert_int_equal(r->status, STATUS_IDLE);
	dial(c, 0, T0);
	assert_int_equal(r->status, STATUS_IDLE);
	assert_int_equal(campaign_row(c, 0)->status, STATUS_DIALING);
	assert_int_equal(campaign_row(c, 0)->version, campaign_version(c));

	/* A clock past the marks' range is held to it; a restore past it, or
	 * with more attempts than are counted, is refused. */
	dial(c, 1, CAMPAIGN_MS_MAX + 1000);
	assert_int_equal(campaign_row(c, 1)->at_ms[MARK_DIALED], CAMPAIGN_MS_MAX);
	saved = *campaign_row(c, 0);
	saved.at_ms[MARK_RINGING] = -1;
	assert_int_equal(campaign_restore_row(c, 0, &saved, key_a), -1);
	saved.at_ms[MARK_RINGING] = CAMPAIGN_MS_MAX + 1;
	assert_int_equal(campaign_restore_row(c, 0, &saved, key_a), -1);
	saved.at_ms[MARK_RINGING] = 0;
	saved.attempts = CAMPAIGN_ATTEMPTS_MAX + 1;
	assert_int_equal(campaign_restore_row(c, 0, &saved, key_a), -1);
	saved.attempts = CAMPAIGN_ATTEMPTS_MAX;
	assert_int_equal(campaign_restore_row(c, 0, &saved, key_a), 0);
	assert_int_equal(campaign_row(c, 0)->attempts, CAMPAIGN_ATTEMPTS_MAX);

	/* Every field at its widest at once: none spills into another. */
	saved.calls = CAMPAIGN_CALLS_MAX;
	saved.hooked = true;
	saved.answered_by = ANSWERED_BY_COUNT - 1;
	saved.duration_s = CAMPAIGN_DURATION_MAX;
	assert_int_equal(campaign_restore_row(c, 0, &saved, key_a), 0);
	for (i = 0; i < CAMPAIGN_EVENTS_MAX; i++) {
		struct campaign_event ev = { .at_ms = late, .status = STATUS_CANCELED,
		    .source = EVENT_PROVIDER_QUERY, .seq = CAMPAIGN_SEQ_MAX,
		    .provider_s = late / 1000, .applied = true };

		assert_int_equal(campaign_restore_event(c, 0, &ev), 0);
	}
	r = campaign_row(c, 0);
	assert_int_equal(r->attempts, CAMPAIGN_ATTEMPTS_MAX);
	assert_int_equal(r->calls, CAMPAIGN_CALLS_MAX);
	assert_true(r->hooked);
	assert_false(r->waiting);
	assert_int_equal(r->status, STATUS_DIALING);
	assert_int_equal(r->answered_by, ANSWERED_BY_COUNT - 1);
	assert_int_equal(r->duration_s, CAMPAIGN_DURATION_MAX);
	assert_int_equal(r->events, CAMPAIGN_EVENTS_MAX);
	campaign_free(c);
}

/* Log entries and rows keep the low 32 bits of versions: a log that wraps
 * many times over still finds exactly the rows changed since a version. */
static void
test_changes_since_after_the_log_wraps(void **state)
{
	struct campaign *c = started_campaign(5, 5);
	struct seen s = { .count = 0 };
	uint64_t v;
	size_t i;

	(void)state;
	for (i = 0; i < 5; i++)
		dial(c, i, T0);
	for (i = 0; i < 1000; i++)
		assert_int_equal(campaign_dial_retry(c, i % 3, T0), 0);
	v = campaign_version(c);
	assert_int_equal(campaign_dial_retry(c, 4, T0), 0);
	assert_int_equal(campaign_dial_retry(c, 1, T0), 0);
	assert_int_equal(campaign_changes_since(c, v, collect, &s), 0);
	assert_int_equal(s.count, 2);
	assert_int_equal(s.rows[0], 4);
	assert_int_equal(s.rows[1], 1);
	/* The log holds 64: 66 changes back is out of its reach. */
	s.count = 0;
	assert_int_equal(campaign_changes_since(c, v - 64, collect, &s), -1);
	assert_int_equal(campaign_changes_since(c, v - 62, collect, &s), 0);
	assert_int_equal(s.count, 4);
	campaign_free(c);
}

/* Checks the invariants campaign.h states, from the rows themselves. */
static void
check_invariants(const struct campaign *c)
{
	struct campaign_counts k;
	size_t i, flying = 0, done = 0, dialed = 0, redials = 0;
	size_t by[STATUS_COUNT] = { 0 };

	campaign_counts(c, &k);
	for (i = 0; i < k.total; i++) {
		const struct campaign_row *r = campaign_row(c, i);

		by[r->status]++;
		if (status_in_flight(r->status))
			flying++;
		if (r->redial)
			redials++;
		else if (status_is_terminal(r->status))
			done++;
		if (r->calls > 0)
			dialed++;
		if (r->status == STATUS_IDLE)
			assert_int_equal(r->calls, 0);
		else if (r->status != STATUS_SKIPPED)
			assert_true(r->attempts >= 1 && r->calls >= 1);
	}
	assert_int_equal(flying, k.in_flight);
	assert_true(k.in_flight <= k.limit);
	assert_int_equal(done, k.done);
	assert_int_equal(redials, k.redials);
	assert_int_equal(dialed, k.dialed);
	for (i = 0; i < STATUS_COUNT; i++)
		assert_int_equal(by[i], k.rows[i]);
}

/* Dials until the campaign says no, each row under its own key. */
static void
fill_slots(struct campaign *c, int64_t now)
{
	unsigned char key[CAMPAIGN_KEY_BYTES];
	struct campaign_counts k;
	size_t row;

	for (;;) {
		campaign_counts(c, &k);
		key_for(k.dialed, key);
		if (campaign_next_dial(c, key, now, &row) != 0)
			break;
		assert_int_equal(row, k.dialed);
	}
}

static void
test_random_webhooks_keep_the_invariants(void **state)
{
	enum { ROWS = 200, STEPS = 20000 };
	const char *phones[ROWS];
	unsigned seed;
	size_t i;

	(void)state;
	for (i = 0; i < ROWS; i++)
		phones[i] = five[i % 5];
	for (seed = 1; seed <= 5; seed++) {
		struct campaign *c = campaign_new(phones, ROWS, 3, 32);
		struct campaign_counts k;

		assert_non_null(c);
		srand(seed);
		campaign_start(c);
		for (i = 0; i < STEPS; i++) {
			unsigned char key[CAMPAIGN_KEY_BYTES];
			size_t target = (size_t)rand() % (ROWS + 2);
			enum status s = (enum status)(rand() % STATUS_COUNT);
			int64_t now = T0 + (int64_t)i;

			fill_slots(c, now);
			campaign_counts(c, &k);
			/* While rows remain, every slot is taken. */
			if (k.dialed < k.total)
				assert_int_equal(k.in_flight, k.limit);

			key_for(target, key);
			if (rand() % 7 == 0)
				key[1] ^= 1;  /* a forged one now and then */
			campaign_webhook(c, target, key, NULL, report(s), now);
			if (rand() % 50 == 0)
				campaign_expire(c, now, 100);
			check_invariants(c);
		}
		campaign_free(c);
	}
}

/* The command a state allows (0) or refuses (-1), one table cell each. */
struct command_cell {
	enum campaign_state state;
	int start, pause, resume, stop;
};

/* Brings a fresh five-row campaign (limit 2) to state s. */
static struct campaign *
campaign_in(enum campaign_state s)
{
	struct campaign *c = campaign_new(five, 5, 2, 64);
	size_t i, row;

	assert_non_null(c);
	if (s == CAMPAIGN_READY)
		return c;
	if (s == CAMPAIGN_STOPPED) {
		assert_int_equal(campaign_stop(c, T0), 0);
		return c;
	}
	assert_int_equal(campaign_start(c), 0);
	if (s == CAMPAIGN_PAUSED)
		assert_int_equal(campaign_pause(c, "by hand"), 0);
	if (s == CAMPAIGN_WAITING) {
		campaign_zone_hours(c, 0, false, T0 + 3600000, "08:00 UTC");
		assert_int_equal(campaign_next_dial(c, key_a, T0, &row), -1);
	}
	if (s == CAMPAIGN_FINISHED) {
		for (i = 0; i < 5; i++) {
			dial(c, i, T0);
			assert_int_equal(hook(c, i, NULL, STATUS_BUSY, T0),
			    CAMPAIGN_APPLIED);
		}
	}
	assert_int_equal(campaign_state(c), s);
	return c;
}

static int
command(struct campaign *c, int which)
{
	switch (which) {
	case 0: return campaign_start(c);
	case 1: return campaign_pause(c, "by hand");
	case 2: return campaign_resume(c);
	default: return campaign_stop(c, T0);
	}
}

static void
test_every_command_in_every_state(void **state)
{
	static const struct command_cell cells[] = {
		{ CAMPAIGN_READY,    0, -1, -1, 0 },
		{ CAMPAIGN_DIALING, -1,  0, -1, 0 },
		{ CAMPAIGN_WAITING, -1,  0, -1, 0 },
		{ CAMPAIGN_PAUSED,  -1, -1,  0, 0 },
		{ CAMPAIGN_STOPPED, -1, -1, -1, -1 },
		{ CAMPAIGN_FINISHED, -1, -1, -1, -1 },
	};
	static const enum campaign_state after[][4] = {
		/* start, pause, resume, stop, from each state */
		{ CAMPAIGN_DIALING, CAMPAIGN_READY, CAMPAIGN_READY, CAMPAIGN_STOPPED },
		{ CAMPAIGN_DIALING, CAMPAIGN_PAUSED, CAMPAIGN_DIALING, CAMPAIGN_STOPPED },
		{ CAMPAIGN_WAITING, CAMPAIGN_PAUSED, CAMPAIGN_WAITING, CAMPAIGN_STOPPED },
		{ CAMPAIGN_PAUSED, CAMPAIGN_PAUSED, CAMPAIGN_DIALING, CAMPAIGN_STOPPED },
		{ CAMPAIGN_STOPPED, CAMPAIGN_STOPPED, CAMPAIGN_STOPPED, CAMPAIGN_STOPPED },
		{ CAMPAIGN_FINISHED, CAMPAIGN_FINISHED, CAMPAIGN_FINISHED, CAMPAIGN_FINISHED },
	};
	size_t i;
	int which;

	(void)state;
	for (i = 0; i < LEN_CELLS(cells); i++) {
		const int want[4] = { cells[i].start, cells[i].pause,
		    cells[i].resume, cells[i].stop };

		for (which = 0; which < 4; which++) {
			struct campaign *c = campaign_in(cells[i].state);
			uint64_t v = campaign_version(c);

			assert_int_equal(command(c, which), want[which]);
			if (want[which] != 0)
				assert_int_equal(campaign_version(c), v);
			assert_int_equal(campaign_state(c), after[i][which]);
			check_invariants(c);
			campaign_free(c);
		}
	}
	assert_string_equal(campaign_state_name(CAMPAIGN_WAITING), "waiting");
	assert_string_equal(campaign_state_name(CAMPAIGN_FINISHED), "finished");
}

static void
test_pause_holds_new_calls_and_resume_refills_in_order(void **state)
{
	struct campaign *c = started_campaign(5, 3);
	size_t row;

	(void)state;
	dial(c, 0, T0);
	dial(c, 1, T0);
	assert_int_equal(campaign_pause(c, "by hand"), 0);
	assert_string_equal(campaign_pause_reason(c), "by hand");
	assert_int_equal(campaign_next_dial(c, key_a, T0, &row), -1);
	/* Calls in flight go on to their end. */
	assert_int_equal(hook(c, 0, "1", STATUS_COMPLETED, T0), CAMPAIGN_APPLIED);
	assert_int_equal(campaign_next_dial(c, key_a, T0, &row), -1);
	assert_int_equal(campaign_resume(c), 0);
	assert_null(campaign_pause_reason(c));
	dial(c, 2, T0);
	dial(c, 3, T0);
	assert_int_equal(campaign_next_dial(c, key_a, T0, &row), -1);
	check_invariants(c);
	campaign_free(c);
}

static void
test_stop_skips_what_was_never_dialed(void **state)
{
	struct campaign *c = started_campaign(5, 3);
	struct campaign_counts k;
	size_t row;

	(void)state;
	dial(c, 0, T0);
	dial(c, 1, T0);
	dial(c, 2, T0);
	/* Row 2's POST /call waits to be sent again: nothing placed yet. */
	assert_int_equal(campaign_dial_wait(c, 2, T0), 0);
	assert_int_equal(campaign_stop(c, T0 + 7), 0);
	assert_int_equal(campaign_state(c), CAMPAIGN_STOPPED);
	assert_int_equal(campaign_row(c, 2)->status, STATUS_SKIPPED);
	assert_int_equal(campaign_dial_retry(c, 2, T0), -1);
	assert_int_equal(campaign_row(c, 3)->status, STATUS_SKIPPED);
	assert_string_equal(campaign_row(c, 4)->reason, "stopped by the operator");
	assert_int_equal(campaign_row(c, 4)->at_ms[MARK_ENDED], T0 + 7);
	assert_int_equal(campaign_row(c, 4)->calls, 0);
	assert_int_equal(campaign_next_dial(c, key_a, T0, &row), -1);
	/* Calls in flight go on, and end as they do. */
	assert_int_equal(in_flight(c), 2);
	assert_int_equal(hook(c, 1, "2", STATUS_RINGING, T0), CAMPAIGN_APPLIED);
	assert_int_equal(hook(c, 1, "2", STATUS_NO_ANSWER, T0), CAMPAIGN_APPLIED);
	assert_int_equal(campaign_state(c), CAMPAIGN_STOPPED);
	assert_int_equal(campaign_start(c), -1);
	assert_int_equal(campaign_resume(c), -1);
	campaign_counts(c, &k);
	assert_true(k.stopped);
	assert_int_equal(k.rows[STATUS_SKIPPED], 3);
	assert_int_equal(k.ended[STATUS_SKIPPED], 1);  /* row 2's call */
	check_invariants(c);
	campaign_free(c);

	/* A POST out when the stop came, answered "send again": the API did
	 * not take the call, and none is placed now. */
	c = started_campaign(5, 3);
	dial(c, 0, T0);
	assert_int_equal(campaign_stop(c, T0 + 1), 0);
	assert_int_equal(campaign_dial_wait(c, 0, T0 + 2), -1);
	assert_int_equal(campaign_row(c, 0)->status, STATUS_SKIPPED);
	assert_string_equal(campaign_row(c, 0)->reason, "stopped by the operator");
	assert_int_equal(campaign_waiting_row(c, &row), -1);
	assert_int_equal(in_flight(c), 0);
	assert_int_equal(campaign_state(c), CAMPAIGN_STOPPED);
	check_invariants(c);
	campaign_free(c);

	/* Before Call: everything skipped, nothing dialed. */
	c = campaign_new(five, 5, 3, 64);
	assert_non_null(c);
	assert_int_equal(campaign_stop(c, T0), 0);
	campaign_counts(c, &k);
	assert_int_equal(k.rows[STATUS_SKIPPED], 5);
	assert_int_equal(k.dialed, 0);
	assert_int_equal(campaign_start(c), -1);
	check_invariants(c);
	campaign_free(c);
}

/* Blocks the phone arg points to. */
static bool
blocked_phone(const char *phone, void *arg)
{
	return strcmp(phone, arg) == 0;
}

static void
test_do_not_call_is_never_dialed(void **state)
{
	struct campaign *c = campaign_new(five, 5, 3, 64);
	char dnc[] = "13018040009";   /* rows 0 and 3 */
	size_t row;

	(void)state;
	assert_non_null(c);
	/* At load: shown skipped from the start, without taking a slot. */
	assert_int_equal(campaign_skip(c, 0, "do not call", T0), 0);
	assert_int_equal(campaign_row(c, 0)->status, STATUS_SKIPPED);
	assert_int_equal(campaign_skip(c, 0, "do not call", T0), -1);
	assert_int_equal(campaign_start(c), 0);
	dial(c, 1, T0);
	/* Added during dialing: checked just before each row is dialed. */
	campaign_set_blocked(c, blocked_phone, dnc);
	dial(c, 2, T0);
	dial(c, 4, T0);
	assert_int_equal(campaign_row(c, 3)->status, STATUS_SKIPPED);
	assert_string_equal(campaign_row(c, 3)->reason, "do not call");
	assert_int_equal(campaign_next_dial(c, key_a, T0, &row), -1);
	assert_int_equal(in_flight(c), 3);
	check_invariants(c);
	campaign_free(c);
}

static const char *const six[] = {
	"13018040009", "19842068287", "15512459377", "13018040001",
	"18582210308", "18582210309",
};

static void
test_calling_hours_hold_only_their_zone(void **state)
{
	/* Rows 1 and 3 are in zone 1, whose hours are closed. */
	static const unsigned char zones[] = { 0, 1, 0, 1, 0, 0 };
	static const char *const chicago[] = { NULL, "America/Chicago" };
	struct campaign *c = campaign_new(six, 6, 2, 64);
	int64_t until = 0;
	size_t row;

	(void)state;
	assert_non_null(c);
	assert_int_equal(campaign_set_zones(c, zones, 2, chicago), 0);
	assert_string_equal(campaign_zone_name(c, 1), "America/Chicago");
	assert_null(campaign_zone_name(c, 0));
	assert_int_equal(campaign_zone(c, 3), 1);
	assert_int_equal(campaign_start(c), 0);
	campaign_zone_hours(c, 1, false, T0 + 60000, "08:00 America/Chicago");
	dial(c, 0, T0);
	dial(c, 2, T0);
	assert_int_equal(campaign_next_dial(c, key_a, T0, &row), -1);
	assert_null(campaign_waiting(c, &until));  /* no slot: dialing */
	assert_int_equal(hook(c, 0, "1", STATUS_COMPLETED, T0), CAMPAIGN_APPLIED);
	dial(c, 4, T0);
	assert_int_equal(hook(c, 2, "2", STATUS_COMPLETED, T0), CAMPAIGN_APPLIED);
	dial(c, 5, T0);
	assert_int_equal(hook(c, 4, "3", STATUS_COMPLETED, T0), CAMPAIGN_APPLIED);
	assert_int_equal(hook(c, 5, "4", STATUS_COMPLETED, T0), CAMPAIGN_APPLIED);
	/* Only zone 1's rows remain: the campaign waits for its hours. */
	assert_int_equal(campaign_next_dial(c, key_a, T0, &row), -1);
	assert_int_equal(campaign_state(c), CAMPAIGN_WAITING);
	assert_string_equal(campaign_waiting(c, &until),
	    "waiting for calling hours (08:00 America/Chicago)");
	assert_int_equal(until, T0 + 60000);
	/* The zone opens: its rows go, in list order. */
	campaign_zone_hours(c, 1, true, 0, NULL);
	dial(c, 1, T0 + 60000);
	assert_int_equal(campaign_state(c), CAMPAIGN_DIALING);
	dial(c, 3, T0 + 60000);
	check_invariants(c);
	assert_int_equal(campaign_set_zones(c, zones, 2, NULL), -1);  /* started */
	campaign_free(c);

	c = campaign_new(six, 6, 2, 64);
	assert_non_null(c);
	assert_int_equal(campaign_set_zones(c, zones, 1, NULL), -1);  /* zone 1 >= 1 */
	assert_int_equal(campaign_set_zones(c, NULL, 0, NULL), -1);
	campaign_free(c);
}

/* Ends row's call with status at now. */
static void
end_call(struct campaign *c, size_t row, enum status s, int64_t now)
{
	assert_int_equal(hook(c, row, NULL, s, now), CAMPAIGN_APPLIED);
}

static void
test_redials_come_in_order_with_the_delay_and_the_cap(void **state)
{
	struct campaign *c = campaign_new(six, 6, 2, 64);
	unsigned char key[CAMPAIGN_KEY_BYTES];
	int64_t until = 0;
	size_t row;

	(void)state;
	assert_non_null(c);
	campaign_set_redial(c, 1u << STATUS_BUSY | 1u << STATUS_NO_ANSWER, 2,
	    1000);
	assert_int_equal(campaign_start(c), 0);
	dial(c, 0, T0);
	dial(c, 1, T0);
	end_call(c, 1, STATUS_BUSY, T0 + 10);       /* due at T0 + 1010 */
	assert_true(campaign_row(c, 1)->redial);
	dial(c, 2, T0 + 10);
	end_call(c, 0, STATUS_FAILED, T0 + 20);     /* never redialed */
	assert_false(campaign_row(c, 0)->redial);
	dial(c, 3, T0 + 20);
	end_call(c, 2, STATUS_COMPLETED, T0 + 30);
	/* Not due yet: the next row in the list goes first. */
	dial(c, 4, T0 + 30);
	end_call(c, 3, STATUS_NO_ANSWER, T0 + 40);  /* due at T0 + 1040 */
	end_call(c, 4, STATUS_COMPLETED, T0 + 50);
	/* Due now: row 1 comes before row 5, a later row. */
	dial(c, 1, T0 + 1010);
	assert_int_equal(campaign_row(c, 1)->calls, 2);
	assert_int_equal(campaign_row(c, 1)->attempts, 1);
	assert_int_equal(campaign_row(c, 1)->status, STATUS_DIALING);
	assert_int_equal(campaign_row(c, 1)->at_ms[MARK_ENDED], 0);
	/* The first call's key no longer opens the row. */
	memcpy(key, key_a, CAMPAIGN_KEY_BYTES);
	key[0] = 99;
	assert_int_equal(campaign_webhook(c, 1, key, NULL,
	    report(STATUS_COMPLETED), T0), CAMPAIGN_BAD_KEY);
	dial(c, 5, T0 + 1010);
	end_call(c, 5, STATUS_COMPLETED, T0 + 1020);
	/* Row 3's redial is not due until T0 + 1040: the campaign waits. */
	assert_int_equal(campaign_next_dial(c, key_a, T0 + 1020, &row), -1);
	assert_string_equal(campaign_waiting(c, &until), "waiting for a redial");
	assert_int_equal(until, T0 + 1040);
	dial(c, 3, T0 + 1040);
	/* The cap: two calls in all, so a second busy ends the row. */
	end_call(c, 1, STATUS_BUSY, T0 + 1100);
	assert_false(campaign_row(c, 1)->redial);
	assert_int_equal(campaign_row(c, 1)->status, STATUS_BUSY);
	end_call(c, 3, STATUS_BUSY, T0 + 1100);
	assert_int_equal(campaign_state(c), CAMPAIGN_FINISHED);
	check_invariants(c);
	campaign_free(c);
}

static void
test_stop_and_do_not_call_end_a_pending_redial(void **state)
{
	struct campaign *c = campaign_new(six, 6, 2, 64);
	struct campaign *copy;
	size_t i;

	(void)state;
	assert_non_null(c);
	campaign_set_redial(c, 1u << STATUS_BUSY, 3, 1000);
	assert_int_equal(campaign_start(c), 0);
	dial(c, 0, T0);
	dial(c, 1, T0);
	end_call(c, 0, STATUS_BUSY, T0);
	end_call(c, 1, STATUS_BUSY, T0);
	/* A restart keeps both redials pending. */
	copy = campaign_new(six, 6, 2, 64);
	assert_non_null(copy);
	campaign_set_redial(copy, 1u << STATUS_BUSY, 3, 1000);
	for (i = 0; i < 6; i++)
		assert_int_equal(campaign_restore_row(copy, i, campaign_row(c, i),
		    campaign_key(c, i)), 0);
	assert_int_equal(campaign_restore_finish(copy, true), 0);
	check_invariants(copy);
	assert_true(campaign_row(copy, 1)->redial);
	assert_int_equal(campaign_skip(copy, 1, "do not call", T0), 0);
	assert_false(campaign_row(copy, 1)->redial);
	assert_int_equal(campaign_row(copy, 1)->status, STATUS_BUSY);
	dial(copy, 2, T0);
	dial(copy, 3, T0);
	assert_int_equal(campaign_stop(copy, T0), 0);
	assert_false(campaign_row(copy, 0)->redial);
	assert_int_equal(campaign_row(copy, 0)->status, STATUS_BUSY);
	assert_int_equal(campaign_row(copy, 4)->status, STATUS_SKIPPED);
	check_invariants(copy);
	/* Stopped rows do not wait for a redial either. */
	end_call(copy, 2, STATUS_BUSY, T0);
	assert_false(campaign_row(copy, 2)->redial);
	check_invariants(copy);
	campaign_free(copy);
	campaign_free(c);
}

/* Row's last event, checked against what it should say. */
static void
assert_last_event(const struct campaign *c, size_t row, size_t count,
    enum status s, enum event_source src, bool applied, int64_t at)
{
	struct campaign_event ev[CAMPAIGN_EVENTS_MAX];

	assert_int_equal(campaign_events(c, row, ev, LEN_CELLS(ev)), count);
	assert_int_equal(campaign_row(c, row)->events, count);
	assert_int_equal(ev[count - 1].status, s);
	assert_int_equal(ev[count - 1].source, src);
	assert_int_equal(ev[count - 1].applied, applied);
	assert_int_equal(ev[count - 1].at_ms, at);
}

/* The API's answers and the retries, each recorded with what it did: the
 * id recorded or not, the wait begun or not, the row failed or not. */
static void
test_dial_answers_record_their_events(void **state)
{
	struct campaign *c = started_campaign(5, 5);
	uint64_t v;

	(void)state;
	dial(c, 0, T0);
	assert_int_equal(campaign_row(c, 0)->events, 0);
	assert_int_equal(campaign_dial_ok(c, 0, "7", T0 + 1), CAMPAIGN_APPLIED);
	assert_last_event(c, 0, 1, STATUS_DIALING, EVENT_API, true, T0 + 1);
	assert_int_equal(campaign_dial_ok(c, 0, "7", T0 + 2), CAMPAIGN_UNCHANGED);
	assert_last_event(c, 0, 2, STATUS_DIALING, EVENT_API, false, T0 + 2);
	/* Another id than the row's is refused: nothing recorded. */
	v = campaign_version(c);
	assert_int_equal(campaign_dial_ok(c, 0, "8", T0 + 3), CAMPAIGN_WRONG_ID);
	assert_int_equal(campaign_version(c), v);
	assert_int_equal(campaign_row(c, 0)->events, 2);

	/* Row 1: sent again after a wait, then placed. */
	dial(c, 1, T0);
	assert_int_equal(campaign_dial_wait(c, 1, T0 + 10), 0);
	assert_last_event(c, 1, 1, STATUS_DIALING, EVENT_RETRY, true, T0 + 10);
	assert_int_equal(campaign_dial_wait(c, 1, T0 + 11), 0);
	assert_last_event(c, 1, 2, STATUS_DIALING, EVENT_RETRY, false, T0 + 11);
	assert_int_equal(campaign_dial_retry(c, 1, T0 + 20), 0);
	assert_last_event(c, 1, 3, STATUS_DIALING, EVENT_RETRY, true, T0 + 20);
	assert_int_equal(campaign_dial_failed(c, 1, "api said no", T0 + 21), true);
	assert_last_event(c, 1, 4, STATUS_FAILED, EVENT_API, true, T0 + 21);
	/* A retry for a row that no longer waits records nothing. */
	v = campaign_version(c);
	assert_int_equal(campaign_dial_retry(c, 1, T0 + 22), -1);
	assert_int_equal(campaign_version(c), v);

	/* Row 2: a webhook first; the failure after it applies nothing. */
	dial(c, 2, T0);
	assert_int_equal(hook(c, 2, NULL, STATUS_RINGING, T0 + 30),
	    CAMPAIGN_APPLIED);
	assert_last_event(c, 2, 1, STATUS_RINGING, EVENT_WEBHOOK, true, T0 + 30);
	assert_false(campaign_dial_failed(c, 2, "lost", T0 + 31));
	assert_last_event(c, 2, 2, STATUS_FAILED, EVENT_API, false, T0 + 31);
	assert_int_equal(campaign_dial_wait(c, 2, T0 + 32), -1);
	assert_last_event(c, 2, 3, STATUS_DIALING, EVENT_RETRY, false, T0 + 32);
	campaign_dial_unknown(c, 2, "answer lost", T0 + 33);
	assert_last_event(c, 2, 4, STATUS_RINGING, EVENT_API, false, T0 + 33);
	assert_int_equal(campaign_row(c, 2)->status, STATUS_RINGING);
	/* Rows never dialed record nothing. */
	assert_int_equal(campaign_dial_wait(c, 4, T0), -1);
	campaign_dial_unknown(c, 4, "x", T0);
	assert_false(campaign_dial_failed(c, 4, "x", T0));
	assert_int_equal(campaign_row(c, 4)->events, 0);
	check_invariants(c);
	campaign_free(c);
}

/* Webhooks: applied when the status moves, each duplicate and late one
 * recorded unapplied, with the provider's sequence number and time; who
 * answered taken once; the length, the last given; a forged one nothing. */
static void
test_webhooks_record_their_events(void **state)
{
	struct campaign *c = started_campaign(2, 3);
	struct campaign_event ev[CAMPAIGN_EVENTS_MAX];
	struct campaign_report r = campaign_report_of(STATUS_RINGING);
	unsigned char key[CAMPAIGN_KEY_BYTES];
	uint64_t v;

	(void)state;
	dial(c, 0, T0);
	key_for(0, key);
	r.seq = 1;
	r.provider_s = T0 / 1000;
	assert_int_equal(campaign_webhook(c, 0, key, "9", &r, T0 + 5),
	    CAMPAIGN_APPLIED);
	assert_last_event(c, 0, 1, STATUS_RINGING, EVENT_WEBHOOK, true, T0 + 5);
	/* Answering-machine detection: no status, who answered. */
	r = campaign_report_of(STATUS_IDLE);
	r.answered_by = ANSWERED_BY_HUMAN;
	assert_int_equal(campaign_webhook(c, 0, key, "9", &r, T0 + 6),
	    CAMPAIGN_UNCHANGED);
	assert_last_event(c, 0, 2, STATUS_RINGING, EVENT_WEBHOOK, true, T0 + 6);
	assert_int_equal(campaign_row(c, 0)->answered_by, ANSWERED_BY_HUMAN);
	r.answered_by = ANSWERED_BY_MACHINE_START;
	campaign_webhook(c, 0, key, "9", &r, T0 + 7);
	assert_last_event(c, 0, 3, STATUS_RINGING, EVENT_WEBHOOK, false, T0 + 7);
	assert_int_equal(campaign_row(c, 0)->answered_by, ANSWERED_BY_HUMAN);
	assert_int_equal(campaign_row(c, 0)->status, STATUS_RINGING);

	r = campaign_report_of(STATUS_COMPLETED);
	r.seq = 3;
	r.duration_s = 42;
	assert_int_equal(campaign_webhook(c, 0, key, "9", &r, T0 + 8),
	    CAMPAIGN_APPLIED);
	assert_int_equal(campaign_row(c, 0)->duration_s, 42);
	r.duration_s = 43;
	assert_int_equal(campaign_webhook(c, 0, key, "9", &r, T0 + 9),
	    CAMPAIGN_UNCHANGED);
	assert_last_event(c, 0, 5, STATUS_COMPLETED, EVENT_WEBHOOK, false, T0 + 9);
	assert_int_equal(campaign_row(c, 0)->duration_s, 43);
	assert_int_equal(campaign_events(c, 0, ev, LEN_CELLS(ev)), 5);
	assert_int_equal(ev[0].seq, 1);
	assert_int_equal(ev[0].provider_s, T0 / 1000);
	assert_int_equal(ev[1].seq, -1);
	assert_int_equal(ev[4].seq, 3);

	/* Refused webhooks record nothing: a forged key, another id. */
	v = campaign_version(c);
	key[2] ^= 1;
	assert_int_equal(campaign_webhook(c, 0, key, "9", &r, T0 + 10),
	    CAMPAIGN_BAD_KEY);
	key[2] ^= 1;
	assert_int_equal(campaign_webhook(c, 0, key, "10", &r, T0 + 10),
	    CAMPAIGN_WRONG_ID);
	assert_int_equal(campaign_version(c), v);
	assert_int_equal(campaign_row(c, 0)->events, 5);
	assert_int_equal(campaign_events(c, 1, ev, LEN_CELLS(ev)), 0);
	campaign_free(c);
}

/* The call timeout, and a provider asked about a call past it. */
static void
test_timeouts_and_provider_queries_record_their_events(void **state)
{
	struct campaign *c = started_campaign(4, 4);
	struct campaign_report r = campaign_report_of(STATUS_NO_ANSWER);
	size_t rows[4];

	(void)state;
	dial(c, 0, T0);
	dial(c, 1, T0);
	dial(c, 2, T0 + 50);
	dial(c, 3, T0);
	assert_int_equal(campaign_dial_wait(c, 3, T0), 0);
	/* Rows 0 and 1 are past a 100 ms timeout at T0 + 100; row 3 waits. */
	assert_int_equal(campaign_overdue(c, T0 + 100, 100, rows, 4), 2);
	assert_true((rows[0] == 0 && rows[1] == 1) ||
	    (rows[0] == 1 && rows[1] == 0));
	assert_int_equal(campaign_overdue(c, T0 + 100, 100, rows, 1), 1);
	assert_int_equal(in_flight(c), 4);
	assert_int_equal(campaign_row(c, 0)->events, 0);

	r.duration_s = 0;
	r.answered_by = ANSWERED_BY_MACHINE_END_BEEP;
	assert_int_equal(campaign_provider_status(c, 0, &r, T0 + 101),
	    CAMPAIGN_APPLIED);
	assert_last_event(c, 0, 1, STATUS_NO_ANSWER, EVENT_PROVIDER_QUERY, true,
	    T0 + 101);
	assert_int_equal(campaign_row(c, 0)->duration_s, 0);
	assert_int_equal(campaign_row(c, 0)->answered_by,
	    ANSWERED_BY_MACHINE_END_BEEP);
	assert_int_equal(in_flight(c), 3);
	assert_int_equal(campaign_provider_status(c, 0, &r, T0 + 102),
	    CAMPAIGN_UNCHANGED);
	assert_last_event(c, 0, 2, STATUS_NO_ANSWER, EVENT_PROVIDER_QUERY, false,
	    T0 + 102);
	/* Still in progress, says the provider: recorded, the call goes on. */
	r = campaign_report_of(STATUS_ANSWERED);
	assert_int_equal(campaign_provider_status(c, 1, &r, T0 + 103),
	    CAMPAIGN_APPLIED);
	assert_int_equal(campaign_row(c, 1)->status, STATUS_ANSWERED);
	assert_int_equal(campaign_provider_status(c, 3, &r, T0), CAMPAIGN_APPLIED);
	r = campaign_report_of(STATUS_COMPLETED);

	/* Failing one row, then all that are due. */
	assert_false(campaign_expire_row(c, 0, T0 + 104));   /* ended */
	assert_true(campaign_expire_row(c, 1, T0 + 104));
	assert_last_event(c, 1, 2, STATUS_FAILED, EVENT_TIMEOUT, true, T0 + 104);
	assert_string_equal(campaign_row(c, 1)->reason, "timeout");
	assert_false(campaign_expire_row(c, 1, T0 + 105));
	assert_int_equal(campaign_expire(c, T0 + 150, 100), 2);
	assert_last_event(c, 2, 1, STATUS_FAILED, EVENT_TIMEOUT, true, T0 + 150);
	assert_int_equal(campaign_provider_status(c, 4, &r, T0), CAMPAIGN_NO_ROW);
	assert_int_equal(in_flight(c), 0);
	check_invariants(c);
	campaign_free(c);
}

/* A redial clears who answered and the length, as every field of the last
 * call; the history keeps both calls' events. */
static void
test_redial_keeps_the_history(void **state)
{
	struct campaign *c = started_campaign(1, 3);
	struct campaign_report r = campaign_report_of(STATUS_BUSY);
	unsigned char key[CAMPAIGN_KEY_BYTES];

	(void)state;
	campaign_set_redial(c, 1u << STATUS_BUSY, 2, 10);
	dial(c, 0, T0);
	assert_int_equal(campaign_dial_ok(c, 0, "1", T0 + 1), CAMPAIGN_APPLIED);
	key_for(0, key);
	r.duration_s = 3;
	r.answered_by = ANSWERED_BY_FAX;
	assert_int_equal(campaign_webhook(c, 0, key, "1", &r, T0 + 2),
	    CAMPAIGN_APPLIED);
	assert_int_equal(campaign_row(c, 0)->answered_by, ANSWERED_BY_FAX);
	dial(c, 0, T0 + 20);
	assert_int_equal(campaign_row(c, 0)->calls, 2);
	assert_int_equal(campaign_row(c, 0)->answered_by, ANSWERED_BY_NONE);
	assert_int_equal(campaign_row(c, 0)->duration_s, -1);
	assert_int_equal(campaign_dial_ok(c, 0, "2", T0 + 21), CAMPAIGN_APPLIED);
	assert_last_event(c, 0, 3, STATUS_DIALING, EVENT_API, true, T0 + 21);
	campaign_free(c);
}

/* A restored row starts with no events; restored ones come back as they
 * were, bad ones are refused. */
static void
test_restore_events(void **state)
{
	struct campaign *c = started_campaign(2, 3);
	struct campaign_event ev = { .at_ms = T0, .status = STATUS_RINGING,
	    .source = EVENT_WEBHOOK, .seq = 4, .provider_s = T0 / 1000,
	    .applied = true }, got[CAMPAIGN_EVENTS_MAX];
	struct campaign_row saved;
	size_t i;

	(void)state;
	dial(c, 0, T0);
	assert_int_equal(hook(c, 0, "5", STATUS_RINGING, T0), CAMPAIGN_APPLIED);
	saved = *campaign_row(c, 0);
	saved.answered_by = ANSWERED_BY_UNKNOWN;
	saved.duration_s = 12;
	assert_int_equal(campaign_restore_row(c, 0, &saved, key_a), 0);
	assert_int_equal(campaign_row(c, 0)->events, 0);
	assert_int_equal(campaign_events(c, 0, got, LEN_CELLS(got)), 0);
	assert_int_equal(campaign_row(c, 0)->answered_by, ANSWERED_BY_UNKNOWN);
	assert_int_equal(campaign_row(c, 0)->duration_s, 12);
	for (i = 0; i < CAMPAIGN_EVENTS_MAX + 2; i++) {
		ev.at_ms = T0 + (int64_t)i;
		assert_int_equal(campaign_restore_event(c, 0, &ev), 0);
	}
	assert_int_equal(campaign_row(c, 0)->events, CAMPAIGN_EVENTS_MAX);
	assert_int_equal(campaign_events(c, 0, got, LEN_CELLS(got)),
	    CAMPAIGN_EVENTS_MAX);
	assert_int_equal(got[0].at_ms, T0 + 2);
	assert_int_equal(got[0].seq, 4);
	assert_int_equal(got[0].provider_s, T0 / 1000);

	ev.status = STATUS_COUNT;
	assert_int_equal(campaign_restore_event(c, 0, &ev), -1);
	ev.status = STATUS_RINGING;
	ev.source = EVENT_SOURCE_COUNT;
	assert_int_equal(campaign_restore_event(c, 0, &ev), -1);
	ev.source = EVENT_API;
	ev.seq = CAMPAIGN_SEQ_MAX + 1;
	assert_int_equal(campaign_restore_event(c, 0, &ev), -1);
	ev.seq = -1;
	ev.at_ms = -1;
	assert_int_equal(campaign_restore_event(c, 0, &ev), -1);
	ev.at_ms = T0;
	assert_int_equal(campaign_restore_event(c, 2, &ev), -1);
	saved.duration_s = CAMPAIGN_DURATION_MAX + 1;
	assert_int_equal(campaign_restore_row(c, 0, &saved, key_a), -1);
	saved.duration_s = -1;
	saved.answered_by = ANSWERED_BY_COUNT;
	assert_int_equal(campaign_restore_row(c, 0, &saved, key_a), -1);
	campaign_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_table),
		cmocka_unit_test(test_new_rejects_bad_arguments),
		cmocka_unit_test(test_rows_start_idle_and_nothing_dials_before_start),
		cmocka_unit_test(test_dials_in_order_up_to_the_limit),
		cmocka_unit_test(test_every_transition_up_the_ranks),
		cmocka_unit_test(test_each_terminal_status_frees_the_slot),
		cmocka_unit_test(test_duplicate_terminal_frees_the_slot_once),
		cmocka_unit_test(test_early_terminal_before_the_api_answer),
		cmocka_unit_test(test_late_ringing_after_completed_is_ignored),
		cmocka_unit_test(test_lower_status_is_ignored_in_flight),
		cmocka_unit_test(test_forged_and_misdirected_webhooks_change_nothing),
		cmocka_unit_test(test_dial_failure_frees_the_slot_with_its_reason),
		cmocka_unit_test(test_timeouts_with_an_injected_clock),
		cmocka_unit_test(test_retry_keeps_the_slot_and_the_order),
		cmocka_unit_test(test_check_key_changes_nothing),
		cmocka_unit_test(test_restore_rebuilds_a_campaign),
		cmocka_unit_test(test_changes_since_sends_each_row_once),
		cmocka_unit_test(test_changes_since_beyond_the_log_asks_for_everything),
		cmocka_unit_test(test_random_webhooks_keep_the_invariants),
		cmocka_unit_test(test_packed_rows_keep_what_they_are_given),
		cmocka_unit_test(test_changes_since_after_the_log_wraps),
		cmocka_unit_test(test_webhook_evidence_wins),
		cmocka_unit_test(test_unknown_keeps_the_slot),
		cmocka_unit_test(test_waiting_row),
		cmocka_unit_test(test_failures_in_a_row_pause),
		cmocka_unit_test(test_shared_id_in_flight),
		cmocka_unit_test(test_every_command_in_every_state),
		cmocka_unit_test(test_pause_holds_new_calls_and_resume_refills_in_order),
		cmocka_unit_test(test_stop_skips_what_was_never_dialed),
		cmocka_unit_test(test_do_not_call_is_never_dialed),
		cmocka_unit_test(test_calling_hours_hold_only_their_zone),
		cmocka_unit_test(test_redials_come_in_order_with_the_delay_and_the_cap),
		cmocka_unit_test(test_stop_and_do_not_call_end_a_pending_redial),
		cmocka_unit_test(test_dial_answers_record_their_events),
		cmocka_unit_test(test_webhooks_record_their_events),
		cmocka_unit_test(test_timeouts_and_provider_queries_record_their_events),
		cmocka_unit_test(test_redial_keeps_the_history),
		cmocka_unit_test(test_restore_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
