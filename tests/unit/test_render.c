/*
 * Unit tests for render: the JSON of GET /events, full and since a version.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "campaign.h"
#include "render.h"
#include "status.h"

#define T0 1763700000000LL   /* an arbitrary clock, in ms */
#define INSTANCE "0123456789abcdef"
#define LOG_SIZE 64

static const char *const phones[] = {
	"13018040009", "19842068287", "15512459377", "18582210308",
};
#define PHONES (sizeof(phones) / sizeof(phones[0]))

static const unsigned char key0[CAMPAIGN_KEY_BYTES] = { 7 };
static const struct render_process process = { INSTANCE, false, NULL };

/* Parses a render of len bytes and frees it; the caller puts the result. */
static struct json_object *
parsed(char *text, size_t len)
{
	struct json_object *obj;

	assert_non_null(text);
	assert_int_equal(len, strlen(text));
	obj = json_tokener_parse(text);
	assert_non_null(obj);
	free(text);
	return obj;
}

/* Renders and parses; the caller puts the result. */
static struct json_object *
render(const struct campaign *c, const uint64_t *since)
{
	size_t len = 0;
	char *text = render_events(c, &process, since, &len);

	return parsed(text, len);
}

static void
says_whether_the_state_is_journaled(void **state)
{
	struct campaign *c = campaign_new(phones, PHONES, 3, LOG_SIZE);
	const struct render_process journaled = { INSTANCE, true, NULL };
	struct json_object *obj, *val;
	size_t len = 0;
	char *text;

	(void)state;
	assert_non_null(c);
	text = render_events(c, &journaled, NULL, &len);
	assert_non_null(text);
	obj = json_tokener_parse(text);
	assert_true(json_object_object_get_ex(obj, "journal", &val));
	assert_true(json_object_get_boolean(val));
	assert_true(json_object_object_get_ex(obj, "instance", &val));
	assert_string_equal(json_object_get_string(val), INSTANCE);
	json_object_put(obj);
	free(text);

	text = render_events(c, &process, NULL, &len);
	obj = json_tokener_parse(text);
	assert_true(json_object_object_get_ex(obj, "journal", &val));
	assert_false(json_object_get_boolean(val));
	json_object_put(obj);
	free(text);
	campaign_free(c);
}

static void
names_the_program_version_when_given_one(void **state)
{
	struct campaign *c = campaign_new(phones, PHONES, 3, LOG_SIZE);
	const struct render_process versioned = { INSTANCE, false, "1.2.3" };
	struct json_object *obj, *val;
	uint64_t since = 0;
	size_t len = 0;
	char *text;

	(void)state;
	assert_non_null(c);
	/* On the full list and on a long-poll's answer alike. */
	for (int i = 0; i < 2; i++) {
		text = render_events(c, &versioned, i == 0 ? NULL : &since, &len);
		assert_non_null(text);
		obj = json_tokener_parse(text);
		assert_true(json_object_object_get_ex(obj, "program_version", &val));
		assert_string_equal(json_object_get_string(val), "1.2.3");
		/* "version" stays the campaign's change counter. */
		assert_true(json_object_object_get_ex(obj, "version", &val));
		assert_true(json_object_is_type(val, json_type_int));
		json_object_put(obj);
		free(text);
	}

	text = render_events(c, &process, NULL, &len);
	obj = json_tokener_parse(text);
	assert_false(json_object_object_get_ex(obj, "program_version", &val));
	json_object_put(obj);
	free(text);
	campaign_free(c);
}

static struct json_object *
member(struct json_object *obj, const char *key)
{
	struct json_object *val = NULL;

	assert_true(json_object_object_get_ex(obj, key, &val));
	return val;
}

static void
assert_absent(struct json_object *obj, const char *key)
{
	assert_false(json_object_object_get_ex(obj, key, NULL));
}

static struct campaign *
new_campaign(size_t log_size)
{
	struct campaign *c = campaign_new(phones, PHONES, 2, log_size);

	assert_non_null(c);
	return c;
}

static void
full_list_of_a_new_campaign(void **state)
{
	struct campaign *c = new_campaign(LOG_SIZE);
	struct json_object *o = render(c, NULL), *calls, *call;
	size_t i;

	(void)state;
	assert_string_equal(json_object_get_string(member(o, "instance")),
	    INSTANCE);
	assert_int_equal(json_object_get_uint64(member(o, "version")), 0);
	assert_true(json_object_get_boolean(member(o, "full")));
	assert_false(json_object_get_boolean(member(o, "started")));
	assert_int_equal(json_object_get_int(member(o, "total")), PHONES);
	assert_int_equal(json_object_get_int(member(o, "dialed")), 0);
	assert_int_equal(json_object_get_int(member(o, "in_flight")), 0);
	assert_int_equal(json_object_get_int(member(o, "done")), 0);
	assert_int_equal(json_object_get_int(member(o, "limit")), 2);
	calls = member(o, "calls");
	assert_int_equal(json_object_array_length(calls), PHONES);
	for (i = 0; i < PHONES; i++) {
		call = json_object_array_get_idx(calls, i);
		assert_int_equal(json_object_get_int(member(call, "row")), i);
		assert_string_equal(json_object_get_string(member(call, "phone")),
		    phones[i]);
		assert_string_equal(json_object_get_string(member(call, "status")),
		    "idle");
		assert_int_equal(json_object_get_int(member(call, "attempts")), 0);
		/* Unknown things are left out, not sent as null or 0. */
		assert_absent(call, "id");
		assert_absent(call, "reason");
		assert_absent(call, "dialed_at");
		assert_absent(call, "ringing_at");
		assert_absent(call, "answered_at");
		assert_absent(call, "ended_at");
	}
	json_object_put(o);
	campaign_free(c);
}

static void
since_the_current_version_is_empty(void **state)
{
	struct campaign *c = new_campaign(LOG_SIZE);
	uint64_t since;
	struct json_object *o;

	(void)state;
	assert_int_equal(campaign_start(c), 0);
	since = campaign_version(c);
	o = render(c, &since);
	assert_false(json_object_get_boolean(member(o, "full")));
	assert_true(json_object_get_boolean(member(o, "started")));
	assert_int_equal(json_object_get_uint64(member(o, "version")), since);
	assert_int_equal(json_object_array_length(member(o, "calls")), 0);
	json_object_put(o);
	campaign_free(c);
}

static void
a_row_changed_twice_appears_once_with_what_is_known(void **state)
{
	struct campaign *c = new_campaign(LOG_SIZE);
	struct json_object *o, *calls, *call;
	struct campaign_report ringing;
	uint64_t since;
	size_t row = 99;

	(void)state;
	assert_int_equal(campaign_start(c), 0);
	since = campaign_version(c);
	assert_int_equal(campaign_next_dial(c, key0, T0 + 1, &row), 0);
	assert_int_equal(row, 0);
	assert_int_equal(campaign_dial_ok(c, 0, "1234", T0), CAMPAIGN_APPLIED);
	ringing = campaign_report_of(STATUS_RINGING);
	assert_int_equal(campaign_webhook(c, 0, key0, "1234", &ringing, T0 + 3),
	    CAMPAIGN_APPLIED);

	o = render(c, &since);
	assert_false(json_object_get_boolean(member(o, "full")));
	assert_int_equal(json_object_get_uint64(member(o, "version")),
	    campaign_version(c));
	assert_int_equal(json_object_get_int(member(o, "dialed")), 1);
	assert_int_equal(json_object_get_int(member(o, "in_flight")), 1);
	calls = member(o, "calls");
	assert_int_equal(json_object_array_length(calls), 1);
	call = json_object_array_get_idx(calls, 0);
	assert_int_equal(json_object_get_int(member(call, "row")), 0);
	assert_string_equal(json_object_get_string(member(call, "status")),
	    "ringing");
	/* The id is a string even though the API sends a number. */
	assert_true(json_object_is_type(member(call, "id"), json_type_string));
	assert_string_equal(json_object_get_string(member(call, "id")), "1234");
	assert_int_equal(json_object_get_int(member(call, "attempts")), 1);
	assert_int_equal(json_object_get_int64(member(call, "dialed_at")), T0 + 1);
	assert_int_equal(json_object_get_int64(member(call, "ringing_at")),
	    T0 + 3);
	assert_absent(call, "answered_at");
	assert_absent(call, "ended_at");
	assert_absent(call, "reason");
	json_object_put(o);
	campaign_free(c);
}

static void
only_rows_changed_after_since(void **state)
{
	struct campaign *c = new_campaign(LOG_SIZE);
	struct json_object *o, *calls;
	uint64_t since;
	size_t row;

	(void)state;
	assert_int_equal(campaign_start(c), 0);
	assert_int_equal(campaign_next_dial(c, key0, T0, &row), 0);
	since = campaign_version(c);
	assert_int_equal(campaign_next_dial(c, key0, T0, &row), 0);
	assert_int_equal(row, 1);
	campaign_dial_failed(c, 1, "connection refused", T0 + 5);

	o = render(c, &since);
	calls = member(o, "calls");
	assert_int_equal(json_object_array_length(calls), 1);
	assert_int_equal(json_object_get_int(member(
	    json_object_array_get_idx(calls, 0), "row")), 1);
	assert_string_equal(json_object_get_string(member(
	    json_object_array_get_idx(calls, 0), "status")), "failed");
	assert_string_equal(json_object_get_string(member(
	    json_object_array_get_idx(calls, 0), "reason")),
	    "connection refused");
	assert_int_equal(json_object_get_int64(member(
	    json_object_array_get_idx(calls, 0), "ended_at")), T0 + 5);
	json_object_put(o);
	campaign_free(c);
}

static void
a_since_too_old_or_too_new_gives_the_full_list(void **state)
{
	struct campaign *c = new_campaign(2);
	struct json_object *o;
	uint64_t since = 0, ahead;
	size_t row, i;

	(void)state;
	assert_int_equal(campaign_start(c), 0);
	/* Four changes through a log of two: version 0 is out of reach. */
	for (i = 0; i < 2; i++) {
		assert_int_equal(campaign_next_dial(c, key0, T0, &row), 0);
		campaign_dial_failed(c, row, "busy line", T0);
	}
	o = render(c, &since);
	assert_true(json_object_get_boolean(member(o, "full")));
	assert_int_equal(json_object_array_length(member(o, "calls")), PHONES);
	json_object_put(o);

	ahead = campaign_version(c) + 1;
	o = render(c, &ahead);
	assert_true(json_object_get_boolean(member(o, "full")));
	assert_int_equal(json_object_array_length(member(o, "calls")), PHONES);
	json_object_put(o);
	campaign_free(c);
}

static void
text_is_plain_json(void **state)
{
	struct campaign *c = new_campaign(LOG_SIZE);
	size_t len = 0;
	char *text = render_events(c, &process, NULL, &len);

	(void)state;
	assert_non_null(text);
	/* No pretty-printing: one line, no spaces after separators. */
	assert_null(strchr(text, '\n'));
	assert_null(strstr(text, ": "));
	assert_int_equal(strncmp(text, "{\"instance\":\"" INSTANCE "\"",
	    strlen("{\"instance\":\"" INSTANCE "\"")), 0);
	free(text);
	campaign_free(c);
}

/* The rows as json-c would build them from campaign_row: the reference the
 * written-out rows must equal. */
static struct json_object *
reference_row(const struct campaign *c, size_t row)
{
	static const char *const marks[MARK_COUNT] = {
		"dialed_at", "ringing_at", "answered_at", "ended_at",
	};
	const struct campaign_row *r = campaign_row(c, row);
	struct json_object *o = json_object_new_object();
	int m;

	json_object_object_add(o, "row", json_object_new_uint64(row));
	json_object_object_add(o, "phone", json_object_new_string(r->phone));
	json_object_object_add(o, "status",
	    json_object_new_string(status_name(r->status)));
	if (r->call_id != NULL)
		json_object_object_add(o, "id", json_object_new_string(r->call_id));
	if (r->reason != NULL)
		json_object_object_add(o, "reason",
		    json_object_new_string(r->reason));
	json_object_object_add(o, "attempts", json_object_new_uint64(r->attempts));
	for (m = 0; m < MARK_COUNT; m++)
		if (r->at_ms[m] != 0)
			json_object_object_add(o, marks[m],
			    json_object_new_int64(r->at_ms[m]));
	return o;
}

/* Ids and reasons come from outside: whatever they hold reads back the
 * same, and every row equals what json-c makes of it. */
static void
strings_from_outside_are_escaped(void **state)
{
	static const char *const ids[] = {
		"12\"34", "a\\b", "x/y", "tab\there", "line\nfeed", "\x01\x1f",
		"caf\xc3\xa9", "plain-id_1.2",
	};
	enum { IDS = sizeof(ids) / sizeof(ids[0]) };
	const char *many[IDS];
	struct campaign *c;
	struct json_object *o, *calls;
	size_t i, row;

	(void)state;
	for (i = 0; i < IDS; i++)
		many[i] = phones[i % PHONES];
	c = campaign_new(many, IDS, IDS, LOG_SIZE);
	assert_non_null(c);
	assert_int_equal(campaign_start(c), 0);
	for (i = 0; i < IDS; i++) {
		assert_int_equal(campaign_next_dial(c, key0, T0 + (int64_t)i, &row),
		    0);
		assert_int_equal(campaign_dial_ok(c, row, ids[i], T0),
		    CAMPAIGN_APPLIED);
		if (i % 2 == 0)
			campaign_dial_failed(c, row, ids[IDS - 1 - i], T0 + 9);
	}
	o = render(c, NULL);
	calls = member(o, "calls");
	assert_int_equal(json_object_array_length(calls), IDS);
	for (i = 0; i < IDS; i++) {
		struct json_object *call = json_object_array_get_idx(calls, i);
		struct json_object *ref = reference_row(c, i);

		assert_string_equal(json_object_get_string(member(call, "id")),
		    ids[i]);
		assert_true(json_object_equal(call, ref));
		json_object_put(ref);
	}
	json_object_put(o);
	campaign_free(c);
}

/* Renders c's full list max rows per batch; the caller frees the text. */
static char *
render_batched(const struct campaign *c, size_t max, size_t *len)
{
	struct render_full *f = render_full_begin(c, &process);
	size_t batches = 0;

	assert_non_null(f);
	while (render_full_take(f, c, max)) {
		batches++;
		render_full_write(f);
	}
	assert_int_equal(batches, (campaign_size(c) + max - 1) / max);
	return render_full_end(f, len);
}

/* Nothing moving, a list written a batch at a time is the one written at
 * once, byte for byte, whatever the batch. */
static void
batches_write_the_same_list(void **state)
{
	struct campaign *c = new_campaign(LOG_SIZE);
	static const size_t sizes[] = { 1, 2, 3, PHONES, 1000 };
	size_t i, row, len, whole_len;
	char *whole, *text;

	(void)state;
	assert_int_equal(campaign_start(c), 0);
	assert_int_equal(campaign_next_dial(c, key0, T0, &row), 0);
	assert_int_equal(campaign_dial_ok(c, row, "call-1", T0 + 1),
	    CAMPAIGN_APPLIED);
	assert_int_equal(campaign_next_dial(c, key0, T0, &row), 0);
	campaign_dial_failed(c, row, "busy \"line\"", T0 + 2);
	whole = render_events(c, &process, NULL, &whole_len);
	assert_non_null(whole);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		text = render_batched(c, sizes[i], &len);
		assert_non_null(text);
		assert_int_equal(len, whole_len);
		assert_memory_equal(text, whole, len);
		free(text);
	}
	free(whole);
	campaign_free(c);
}

/*
 * Changes between two batches: the envelope is the campaign at the start;
 * a row taken before a change is written as it was taken, even when the
 * change comes before the writing; a row taken after it has it; and the
 * rows changed after the envelope's version bring the list to the
 * campaign's state (the page's ?since=V after a full list).
 */
static void
a_change_between_batches_is_caught_up_by_since(void **state)
{
	struct campaign *c = new_campaign(LOG_SIZE);
	struct render_full *f;
	struct json_object *o, *calls, *diff;
	uint64_t start, since;
	size_t row, len, i;
	char *text;

	(void)state;
	assert_int_equal(campaign_start(c), 0);
	start = campaign_version(c);
	f = render_full_begin(c, &process);
	assert_non_null(f);
	assert_true(render_full_take(f, c, 1));         /* row 0 as it is */
	assert_int_equal(campaign_next_dial(c, key0, T0, &row), 0);
	assert_int_equal(row, 0);
	campaign_dial_failed(c, 0, "refused", T0 + 1);  /* after the take */
	render_full_write(f);
	assert_int_equal(campaign_next_dial(c, key0, T0, &row), 0);
	assert_int_equal(row, 1);
	campaign_dial_failed(c, 1, "refused", T0 + 3);  /* row 1, not yet
	                                                   taken */
	assert_true(render_full_take(f, c, PHONES));
	render_full_write(f);
	assert_false(render_full_take(f, c, PHONES));   /* none left */
	text = render_full_end(f, &len);
	o = parsed(text, len);
	since = json_object_get_uint64(member(o, "version"));
	assert_int_equal(since, start);
	assert_int_equal(json_object_get_int(member(o, "dialed")), 0);
	calls = member(o, "calls");
	assert_int_equal(json_object_array_length(calls), PHONES);
	assert_string_equal(json_object_get_string(member(
	    json_object_array_get_idx(calls, 0), "status")), "idle");
	assert_absent(json_object_array_get_idx(calls, 0), "reason");
	assert_string_equal(json_object_get_string(member(
	    json_object_array_get_idx(calls, 1), "status")), "failed");

	/* Applying the diff to the list gives the list of now. */
	diff = render(c, &since);
	assert_false(json_object_get_boolean(member(diff, "full")));
	for (i = 0; i < json_object_array_length(member(diff, "calls")); i++) {
		struct json_object *call = json_object_array_get_idx(
		    member(diff, "calls"), i);

		json_object_array_put_idx(calls,
		    (size_t)json_object_get_int(member(call, "row")),
		    json_object_get(call));
	}
	for (i = 0; i < PHONES; i++) {
		struct json_object *ref = reference_row(c, i);

		assert_true(json_object_equal(json_object_array_get_idx(calls,
		    i), ref));
		json_object_put(ref);
	}
	json_object_put(diff);
	json_object_put(o);
	campaign_free(c);
}

/* Renders row for GET /calls/ROW and parses it; the caller puts it. */
static struct json_object *
render_one(const struct campaign *c, size_t row)
{
	size_t len = 0;
	char *text = render_call(c, row, &len);

	return parsed(text, len);
}

/* GET /calls/ROW: the row as /events has it, who answered, the length and
 * the history, oldest first, times in ISO 8601 UTC with milliseconds. */
static void
a_call_with_its_history(void **state)
{
	struct campaign *c = new_campaign(LOG_SIZE);
	struct json_object *o, *ev, *e, *full, *row;
	struct campaign_report r;
	size_t n = 99, len;
	char *text;

	(void)state;
	assert_int_equal(campaign_start(c), 0);
	assert_int_equal(campaign_next_dial(c, key0, T0, &n), 0);
	assert_int_equal(campaign_dial_ok(c, 0, "CA1", T0 + 123), CAMPAIGN_APPLIED);
	r = campaign_report_of(STATUS_IDLE);
	r.answered_by = ANSWERED_BY_HUMAN;
	r.seq = 2;
	r.provider_s = T0 / 1000 + 1;
	assert_int_equal(campaign_webhook(c, 0, key0, "CA1", &r, T0 + 2000),
	    CAMPAIGN_UNCHANGED);

	o = render_one(c, 0);
	assert_int_equal(json_object_get_int(member(o, "row")), 0);
	assert_string_equal(json_object_get_string(member(o, "status")),
	    "dialing");
	assert_string_equal(json_object_get_string(member(o, "id")), "CA1");
	assert_string_equal(json_object_get_string(member(o, "answered_by")),
	    "human");
	assert_true(json_object_is_type(member(o, "duration_s"), json_type_null));
	ev = member(o, "events");
	assert_int_equal(json_object_array_length(ev), 2);
	e = json_object_array_get_idx(ev, 0);
	/* T0 is 2025-11-21T04:40:00.000Z. */
	assert_string_equal(json_object_get_string(member(e, "at")),
	    "2025-11-21T04:40:00.123Z");
	assert_string_equal(json_object_get_string(member(e, "status")),
	    "dialing");
	assert_string_equal(json_object_get_string(member(e, "source")), "api");
	assert_true(json_object_is_type(member(e, "seq"), json_type_null));
	assert_true(json_object_is_type(member(e, "provider_time"),
	    json_type_null));
	assert_true(json_object_get_boolean(member(e, "applied")));
	e = json_object_array_get_idx(ev, 1);
	assert_string_equal(json_object_get_string(member(e, "source")),
	    "webhook");
	assert_int_equal(json_object_get_int(member(e, "seq")), 2);
	assert_string_equal(json_object_get_string(member(e, "provider_time")),
	    "2025-11-21T04:40:01.000Z");
	assert_true(json_object_get_boolean(member(e, "applied")));

	/* The same fields as the row of /events, which names who answered
	 * once known and carries no history. */
	full = render(c, NULL);
	row = json_object_array_get_idx(member(full, "calls"), 0);
	json_object_object_foreach(row, k, v) {
		assert_string_equal(json_object_to_json_string(v),
		    json_object_to_json_string(member(o, k)));
	}
	assert_absent(row, "events");
	assert_absent(row, "duration_s");
	json_object_put(full);
	json_object_put(o);

	/* A row never dialed: nulls and no events. */
	o = render_one(c, 1);
	assert_true(json_object_is_type(member(o, "answered_by"), json_type_null));
	assert_int_equal(json_object_array_length(member(o, "events")), 0);
	json_object_put(o);
	assert_null(render_call(c, PHONES, &len));
	text = render_call(c, 0, NULL);
	assert_non_null(text);
	free(text);
	campaign_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(says_whether_the_state_is_journaled),
		cmocka_unit_test(names_the_program_version_when_given_one),
		cmocka_unit_test(full_list_of_a_new_campaign),
		cmocka_unit_test(since_the_current_version_is_empty),
		cmocka_unit_test(a_row_changed_twice_appears_once_with_what_is_known),
		cmocka_unit_test(only_rows_changed_after_since),
		cmocka_unit_test(a_since_too_old_or_too_new_gives_the_full_list),
		cmocka_unit_test(batches_write_the_same_list),
		cmocka_unit_test(a_change_between_batches_is_caught_up_by_since),
		cmocka_unit_test(text_is_plain_json),
		cmocka_unit_test(strings_from_outside_are_escaped),
		cmocka_unit_test(a_call_with_its_history),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
