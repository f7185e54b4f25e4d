/*
 * test_webhook: webhook bodies, good and bad, and their content types.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "webhook.h"

#define ERR_MAX 256
#define JSON "application/json"

static int
parse(const char *ctype, const char *body, struct webhook *w, char *err)
{
	return webhook_parse(ctype, body, strlen(body), w, err, ERR_MAX);
}

static void
test_good(void **state)
{
	static const struct {
		const char *body, *id;
		enum status status;
	} cases[] = {
		{ "{\"id\": 1234, \"status\": \"ringing\"}", "1234", STATUS_RINGING },
		{ "{\"status\":\"answered\",\"id\":0}", "0", STATUS_ANSWERED },
		{ "{\"id\": \"CA1234abcd\", \"status\": \"completed\"}", "CA1234abcd",
		    STATUS_COMPLETED },
		{ "{\"status\": \"completed\"}", "", STATUS_COMPLETED },
		{ "{\"id\": null, \"status\": \"ringing\"}", "", STATUS_RINGING },
		{ " \r\n{\"id\": 18446744073709551614, \"status\": \"busy\"} \n\t",
		    "18446744073709551614", STATUS_BUSY },
		{ "{\"id\": \"a b-c_d\", \"status\": \"failed\", \"extra\": [1, {}],"
		    " \"duration\": 12.5}", "a b-c_d", STATUS_FAILED },
		{ "{\"id\": \"\\u0041\\u0042\", \"status\": \"canceled\"}", "AB",
		    STATUS_CANCELED },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct webhook w;
		char err[ERR_MAX] = "";

		assert_int_equal(parse(JSON, cases[i].body, &w, err), 0);
		assert_string_equal(err, "");
		assert_string_equal(w.id, cases[i].id);
		assert_int_equal(w.status, cases[i].status);
	}
}

/* Every word a provider may send, ours and Twilio's. */
static void
test_status_words(void **state)
{
	static const struct {
		const char *word;
		enum status status;
	} words[] = {
		{ "ringing", STATUS_RINGING },
		{ "answered", STATUS_ANSWERED },
		{ "completed", STATUS_COMPLETED },
		{ "queued", STATUS_DIALING },
		{ "initiated", STATUS_DIALING },
		{ "in-progress", STATUS_ANSWERED },
		{ "busy", STATUS_BUSY },
		{ "failed", STATUS_FAILED },
		{ "no-answer", STATUS_NO_ANSWER },
		{ "canceled", STATUS_CANCELED },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		char body[128];
		struct webhook w;
		char err[ERR_MAX] = "";

		snprintf(body, sizeof(body), "{\"id\": 7, \"status\": \"%s\"}",
		    words[i].word);
		assert_int_equal(parse(JSON, body, &w, err), 0);
		assert_int_equal(w.status, words[i].status);
		assert_string_equal(w.id, "7");
	}
}

static void
test_bad_status(void **state)
{
	static const char *const bodies[] = {
		"{\"id\": 1}",
		"{\"id\": 1, \"status\": \"exploded\"}",
		"{\"id\": 1, \"status\": \"\"}",
		"{\"id\": 1, \"status\": \"RINGING\"}",
		"{\"id\": 1, \"status\": \"ringing \"}",
		"{\"id\": 1, \"status\": \"idle\"}",
		"{\"id\": 1, \"status\": \"ringing\\u0000\"}",
		"{\"id\": 1, \"status\": 2}",
		"{\"id\": 1, \"status\": null}",
		"{\"id\": 1, \"status\": [\"ringing\"]}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct webhook w;
		char err[ERR_MAX] = "";

		assert_int_equal(parse(JSON, bodies[i], &w, err), 422);
		assert_true(strncmp(err, "status ", 7) == 0);
		assert_string_equal(w.id, "");
	}
}

static void
test_bad_body(void **state)
{
	static const struct {
		const char *body, *err;
	} cases[] = {
		{ "", "malformed JSON" },
		{ "   ", "malformed JSON" },
		{ "{", "malformed JSON" },
		{ "{\"id\": 1, \"status\": \"ringing\"", "malformed JSON" },
		{ "{\"id\": 1, \"status\": \"ringing\",}", "malformed JSON" },
		{ "{\"id\": 01, \"status\": \"ringing\"}", "malformed JSON" },
		{ "{\"id\": 1, \"status\": \"ringing\"} x", "malformed JSON" },
		{ "{\"id\": 1, \"status\": \"ringing\"}{}", "malformed JSON" },
		{ "id=1&status=ringing", "malformed JSON" },
		{ "{\"a\": [[[[[[[[[[[[1]]]]]]]]]]]], \"status\": \"ringing\"}",
		    "malformed JSON" },
		{ "{\"id\": \"\xff\xfe\", \"status\": \"ringing\"}", "malformed JSON" },
		{ "[1, 2]", "body is not a JSON object" },
		{ "\"ringing\"", "body is not a JSON object" },
		{ "null ", "body is not a JSON object" },
		/* A bare scalar at the very end is left unfinished by json-c. */
		{ "null", "malformed JSON" },
		{ "12", "malformed JSON" },
		{ "{\"id\": -1, \"status\": \"ringing\"}", "id is negative" },
		{ "{\"id\": 1.5, \"status\": \"ringing\"}", "id is not an integer" },
		{ "{\"id\": 1e3, \"status\": \"ringing\"}", "id is not an integer" },
		{ "{\"id\": true, \"status\": \"ringing\"}",
		    "id must be a number or a string" },
		{ "{\"id\": {}, \"status\": \"ringing\"}",
		    "id must be a number or a string" },
		{ "{\"id\": [1], \"status\": \"ringing\"}",
		    "id must be a number or a string" },
		{ "{\"id\": \"\", \"status\": \"ringing\"}", "id is empty" },
		{ "{\"id\": \"a\\nb\", \"status\": \"ringing\"}",
		    "id has characters other than printable ASCII" },
		{ "{\"id\": \"a\\u0000b\", \"status\": \"ringing\"}",
		    "id has characters other than printable ASCII" },
		{ "{\"id\": \"\\u00e9t\\u00e9\", \"status\": \"ringing\"}",
		    "id has characters other than printable ASCII" },
		{ "{\"id\": 99999999999999999999999999, \"status\": \"ringing\"}",
		    "id too large" },
		{ "{\"id\": 18446744073709551616, \"status\": \"ringing\"}",
		    "id too large" },
		/* A bad id is refused even when the status is bad too. */
		{ "{\"id\": -1, \"status\": \"exploded\"}", "id is negative" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct webhook w;
		char err[ERR_MAX] = "";

		assert_int_equal(parse(JSON, cases[i].body, &w, err), 400);
		assert_string_equal(err, cases[i].err);
		assert_string_equal(w.id, "");
	}
}

/* Ids at and past CAMPAIGN_ID_MAX. */
static void
test_id_length(void **state)
{
	char id[CAMPAIGN_ID_MAX + 2];
	char body[CAMPAIGN_ID_MAX + 64];
	struct webhook w;
	char err[ERR_MAX] = "";

	(void)state;
	memset(id, 'x', CAMPAIGN_ID_MAX);
	id[CAMPAIGN_ID_MAX] = '\0';
	snprintf(body, sizeof(body), "{\"id\": \"%s\", \"status\": \"ringing\"}",
	    id);
	assert_int_equal(parse(JSON, body, &w, err), 0);
	assert_string_equal(w.id, id);

	id[CAMPAIGN_ID_MAX] = 'x';
	id[CAMPAIGN_ID_MAX + 1] = '\0';
	snprintf(body, sizeof(body), "{\"id\": \"%s\", \"status\": \"ringing\"}",
	    id);
	assert_int_equal(parse(JSON, body, &w, err), 400);
	assert_string_equal(err, "id too long");
}

/* The body is taken by its length: a NUL byte inside is not its end. */
static void
test_nul_inside(void **state)
{
	static const char body[] = "{\"id\": 1, \"status\": \"ringing\"}\0junk";
	struct webhook w;
	char err[ERR_MAX] = "";

	(void)state;
	assert_int_equal(webhook_parse(JSON, body, sizeof(body) - 1, &w, err,
	    sizeof(err)), 400);
	assert_string_equal(err, "text after the JSON value");
	/* Cut before the NUL it is fine. */
	assert_int_equal(webhook_parse(JSON, body, strlen(body), &w, err,
	    sizeof(err)), 0);
	assert_int_equal(webhook_parse(JSON, NULL, 0, &w, err, sizeof(err)),
	    400);
}

static void
test_content_types(void **state)
{
	static const char *const good[] = {
		"application/json",
		"application/json; charset=utf-8",
		"application/json;charset=UTF-8",
		"Application/JSON",
		" application/json ",
	};
	static const char *const bad[] = {
		"",
		"text/plain",
		"application/x-www-form-urlencoded",
		"application/jsonx",
		"application/json-patch+json",
		"application/",
		"json",
		"application/json x",
		"text/json",
	};
	const char *body = "{\"id\": 1, \"status\": \"ringing\"}";

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct webhook w;
		char err[ERR_MAX] = "";

		assert_int_equal(parse(good[i], body, &w, err), 0);
		assert_int_equal(w.status, STATUS_RINGING);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct webhook w;
		char err[ERR_MAX] = "";

		assert_int_equal(parse(bad[i], body, &w, err), 415);
		assert_string_equal(err, "content type must be application/json");
	}
	{
		struct webhook w;
		char err[ERR_MAX] = "";

		assert_int_equal(parse(NULL, body, &w, err), 415);
	}
}

static void
test_too_large(void **state)
{
	static char body[WEBHOOK_BODY_MAX + 2];
	struct webhook w;
	char err[ERR_MAX] = "";
	const char *head = "{\"status\": \"ringing\", \"pad\": \"";
	size_t n;

	(void)state;
	/* Exactly WEBHOOK_BODY_MAX bytes is read; one more is not. */
	memset(body, 'x', sizeof(body));
	memcpy(body, head, strlen(head));
	memcpy(body + WEBHOOK_BODY_MAX - 2, "\"}", 2);
	n = WEBHOOK_BODY_MAX;
	assert_int_equal(webhook_parse(JSON, body, n, &w, err, sizeof(err)), 0);
	memcpy(body + WEBHOOK_BODY_MAX - 2, "x\"}", 3);
	assert_int_equal(webhook_parse(JSON, body, n + 1, &w, err, sizeof(err)),
	    413);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_status_words),
		cmocka_unit_test(test_bad_status),
		cmocka_unit_test(test_bad_body),
		cmocka_unit_test(test_id_length),
		cmocka_unit_test(test_nul_inside),
		cmocka_unit_test(test_content_types),
		cmocka_unit_test(test_too_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
