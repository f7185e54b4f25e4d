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

/* Renders and parses; the caller puts the result. */
static struct json_object *
render(const struct campaign *c, const uint64_t *since)
{
	struct json_object *obj;
	size_t len = 0;
	char *text = render_events(c, INSTANCE, since, &len);

	assert_non_null(text);
	assert_int_equal(len, strlen(text));
	obj = json_tokener_parse(text);
	assert_non_null(obj);
	free(text);
	return obj;
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
	assert_int_equal(campaign_start(c, T0), 0);
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
	uint64_t since;
	size_t row = 99;

	(void)state;
	assert_int_equal(campaign_start(c, T0), 0);
	since = campaign_version(c);
	assert_int_equal(campaign_next_dial(c, key0, T0 + 1, &row), 0);
	assert_int_equal(row, 0);
	assert_int_equal(campaign_dial_ok(c, 0, "1234", T0 + 2), CAMPAIGN_APPLIED);
	assert_int_equal(campaign_webhook(c, 0, key0, "1234", STATUS_RINGING,
	    T0 + 3), CAMPAIGN_APPLIED);

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
	assert_int_equal(campaign_start(c, T0), 0);
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
	assert_int_equal(campaign_start(c, T0), 0);
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
	char *text = render_events(c, INSTANCE, NULL, &len);

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(full_list_of_a_new_campaign),
		cmocka_unit_test(since_the_current_version_is_empty),
		cmocka_unit_test(a_row_changed_twice_appears_once_with_what_is_known),
		cmocka_unit_test(only_rows_changed_after_since),
		cmocka_unit_test(a_since_too_old_or_too_new_gives_the_full_list),
		cmocka_unit_test(text_is_plain_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
