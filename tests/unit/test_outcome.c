/*
 * test_outcome: every way one POST /call can end, judged: placed, retried
 * after a wait, or failed with a reason; and the call id read the same way
 * as a webhook's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "outcome.h"
#include "webhook.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define ERR_MAX 256
#define SENT 140  /* request bytes of a POST /call that went out */

/* A policy of 4 tries in all, 500 ms first wait: the settings' defaults. */
static struct outcome_policy
policy(unsigned attempt)
{
	struct outcome_policy p = { attempt, 4, 500 };

	return p;
}

/* A transfer that reached the API and got an answer. */
static struct outcome_report
answered(long status, const char *body)
{
	struct outcome_report r = { 0 };

	r.code = CURLE_OK;
	r.request_bytes = SENT;
	r.connected = true;
	r.http_status = status;
	r.body = body;
	r.body_len = body != NULL ? strlen(body) : 0;
	return r;
}

/* A transfer libcurl ended with code, connected or not, bytes sent. */
static struct outcome_report
broken(CURLcode code, bool connected, long sent, const char *error)
{
	struct outcome_report r = { 0 };

	r.code = code;
	r.connected = connected;
	r.request_bytes = sent;
	r.error = error;
	return r;
}

static void
judge(const struct outcome_report *r, unsigned attempt, struct outcome *o)
{
	struct outcome_policy p = policy(attempt);

	outcome_judge(r, &p, o);
}

static void
test_placed(void **state)
{
	static const struct {
		long status;
		const char *body, *id;
	} cases[] = {
		{ 200, "{\"id\": 1234}", "1234" },
		{ 200, "{\"id\":0}", "0" },
		{ 201, "{\"id\": \"CA1234abcd\"}", "CA1234abcd" },
		{ 200, " \r\n{\"id\": 18446744073709551614, \"extra\": [1, {}]} \n",
		    "18446744073709551614" },
		{ 202, "{\"status\": \"queued\", \"id\": \"a b-c_d\"}", "a b-c_d" },
	};

	(void)state;
	for (size_t i = 0; i < LEN(cases); i++) {
		struct outcome_report r = answered(cases[i].status, cases[i].body);
		struct outcome o;

		judge(&r, 1, &o);
		assert_int_equal(o.kind, OUTCOME_PLACED);
		assert_string_equal(o.id, cases[i].id);
		assert_string_equal(o.reason, "");
	}
}

/* A 2xx answer that is not a good {"id"}: failed at once, whatever the
 * attempts left, since the API may have placed the call. */
static void
test_bad_answer(void **state)
{
	static const struct {
		const char *body, *reason;
	} cases[] = {
		{ "{\"error\": \"unknown phone\"}", "api: unknown phone" },
		{ "{\"error\": {\"code\": 7}}", "api: { \"code\": 7 }" },
		{ "{\"id\": null}", "api answer has no id" },
		{ "{}", "api answer has no id" },
		{ "{\"ID\": 12}", "api answer has no id" },
		{ "{\"id\": -1}", "api answer has a bad id: id is negative" },
		{ "{\"id\": 18446744073709551615}",
		    "api answer has a bad id: id too large" },
		{ "{\"id\": 1.5}", "api answer has a bad id: id is not an integer" },
		{ "{\"id\": \"\"}", "api answer has a bad id: id is empty" },
		{ "{\"id\": true}",
		    "api answer has a bad id: id must be a number or a string" },
		{ "{\"id\": [1]}",
		    "api answer has a bad id: id must be a number or a string" },
		{ "{\"id\": \"a\\u0001\"}", "api answer has a bad id: "
		    "id has characters other than printable ASCII" },
		{ "{\"id\": \"\\u00e9t\\u00e9\"}", "api answer has a bad id: "
		    "id has characters other than printable ASCII" },
		{ "{\"id\": \"0123456789012345678901234567890123456789"
		    "01234567890123456789012345\"}",
		    "api answer has a bad id: id too long" },
		{ "", "api answer not JSON" },
		{ "   ", "api answer not JSON" },
		{ "ok", "api answer not JSON" },
		{ "null", "api answer not JSON" },
		{ "[{\"id\": 1}]", "api answer not JSON" },
		{ "1234", "api answer not JSON" },
		{ "{\"id\": 1", "api answer not JSON" },
		{ "{\"id\": 1,}", "api answer not JSON" },
		{ "{\"id\": 01}", "api answer not JSON" },
		{ "{\"id\": 1} x", "api answer not JSON" },
		{ "{\"id\": 1}{\"id\": 2}", "api answer not JSON" },
		{ "{\"id\": \"\xff\"}", "api answer not JSON" },
	};

	(void)state;
	for (size_t i = 0; i < LEN(cases); i++) {
		struct outcome_report r = answered(200, cases[i].body);
		struct outcome o;

		judge(&r, 1, &o);
		assert_int_equal(o.kind, OUTCOME_FAILED);
		assert_string_equal(o.reason, cases[i].reason);
		assert_string_equal(o.id, "");
		assert_int_equal(o.wait_ms, 0);
	}
}

/* Text after a NUL byte is still text after the JSON. */
static void
test_nul_in_answer(void **state)
{
	static const char body[] = "{\"id\": 5}\0{\"id\": 6}";
	struct outcome_report r = answered(200, NULL);
	struct outcome o;

	(void)state;
	r.body = body;
	r.body_len = sizeof(body) - 1;
	judge(&r, 1, &o);
	assert_int_equal(o.kind, OUTCOME_FAILED);
	assert_string_equal(o.reason, "api answer has text after the JSON");

	r.body_len = strlen(body);
	judge(&r, 1, &o);
	assert_int_equal(o.kind, OUTCOME_PLACED);
	assert_string_equal(o.id, "5");
}

static void
test_answer_too_large(void **state)
{
	struct outcome_report r = answered(200, "{\"id\": 1");
	struct outcome o;

	(void)state;
	r.code = CURLE_WRITE_ERROR;
	r.body_overflow = true;
	judge(&r, 1, &o);
	assert_int_equal(o.kind, OUTCOME_FAILED);
	assert_string_equal(o.reason, "api answer too large");
}

/* HTTP errors other than 429 and 503: failed at once. */
static void
test_http_errors(void **state)
{
	static const long statuses[] = { 100, 204, 301, 400, 401, 404, 409, 422,
	    500, 501, 502, 504, 599 };

	(void)state;
	for (size_t i = 0; i < LEN(statuses); i++) {
		struct outcome_report r = answered(statuses[i], "{\"id\": 1}");
		struct outcome o;
		char want[64];

		if (statuses[i] == 204)
			continue;
		r.retry_after_s = 1;
		judge(&r, 1, &o);
		snprintf(want, sizeof(want), "api answered HTTP %ld", statuses[i]);
		assert_int_equal(o.kind, OUTCOME_FAILED);
		assert_string_equal(o.reason, want);
	}
	/* A 2xx with no body is not an id either. */
	{
		struct outcome_report r = answered(204, NULL);
		struct outcome o;

		judge(&r, 1, &o);
		assert_int_equal(o.kind, OUTCOME_FAILED);
		assert_string_equal(o.reason, "api answer not JSON");
	}
}

/* The request may have reached the API: failed at once, never resent. */
static void
test_answer_lost(void **state)
{
	static const struct {
		CURLcode code;
		bool connected;
		long sent;
	} cases[] = {
		{ CURLE_OPERATION_TIMEDOUT, true, SENT },  /* no answer in time */
		{ CURLE_GOT_NOTHING, true, SENT },         /* closed unanswered */
		{ CURLE_RECV_ERROR, true, SENT },
		{ CURLE_SEND_ERROR, true, SENT },
		{ CURLE_SEND_FAIL_REWIND, true, SENT },    /* reused, then closed */
		{ CURLE_PARTIAL_FILE, true, SENT },
		{ CURLE_WEIRD_SERVER_REPLY, true, SENT },
		/* Connected, nothing sent yet: still not certain enough. */
		{ CURLE_OPERATION_TIMEDOUT, true, 0 },
		{ CURLE_SSL_CONNECT_ERROR, true, 0 },
		/* Claims of no connection that contradict the bytes sent. */
		{ CURLE_COULDNT_CONNECT, false, SENT },
		{ CURLE_OPERATION_TIMEDOUT, false, 1 },
		/* Nothing sent, but not for a reason that proves it. */
		{ CURLE_OUT_OF_MEMORY, false, 0 },
		{ CURLE_SEND_ERROR, false, 0 },
	};

	(void)state;
	for (size_t i = 0; i < LEN(cases); i++) {
		struct outcome_report r = broken(cases[i].code, cases[i].connected,
		    cases[i].sent, "some words");
		struct outcome o;

		judge(&r, 1, &o);
		assert_int_equal(o.kind, OUTCOME_UNKNOWN);
		assert_string_equal(o.reason, "api answer lost: some words");
		assert_string_equal(o.id, "");
	}
}

/* Only a real error is an error: null, false and "" beside a good id are
 * none, and the call is placed; a real error beside a good id may be
 * placed; a real error alone is not. */
static void
test_error_member(void **state)
{
	static const struct {
		const char *body;
		enum outcome_kind kind;
		const char *id, *reason;
	} cases[] = {
		{ "{\"id\": 12, \"error\": null}", OUTCOME_PLACED, "12", "" },
		{ "{\"id\": 12, \"error\": false}", OUTCOME_PLACED, "12", "" },
		{ "{\"error\": \"\", \"id\": \"CA1\"}", OUTCOME_PLACED, "CA1", "" },
		{ "{\"id\": 12, \"error\": \"busy line\"}", OUTCOME_UNKNOWN, "12",
		    "api: busy line" },
		{ "{\"id\": 12, \"error\": true}", OUTCOME_UNKNOWN, "12",
		    "api: true" },
		{ "{\"id\": null, \"error\": \"no\"}", OUTCOME_FAILED, "",
		    "api: no" },
		{ "{\"id\": -1, \"error\": \"no\"}", OUTCOME_FAILED, "",
		    "api: no" },
		{ "{\"error\": null}", OUTCOME_FAILED, "", "api answer has no id" },
		{ "{\"error\": false, \"id\": -1}", OUTCOME_FAILED, "",
		    "api answer has a bad id: id is negative" },
	};

	(void)state;
	for (size_t i = 0; i < LEN(cases); i++) {
		struct outcome_report r = answered(200, cases[i].body);
		struct outcome o;

		judge(&r, 1, &o);
		assert_int_equal(o.kind, cases[i].kind);
		assert_string_equal(o.id, cases[i].id);
		assert_string_equal(o.reason, cases[i].reason);
	}
}

/* No connection was made: retried with a doubling wait, then failed with
 * the last failure and the count. */
static void
test_unreachable(void **state)
{
	static const CURLcode codes[] = {
		CURLE_COULDNT_CONNECT,
		CURLE_COULDNT_RESOLVE_HOST,
		CURLE_COULDNT_RESOLVE_PROXY,
		CURLE_OPERATION_TIMEDOUT,
	};
	static const int64_t waits[] = { 500, 1000, 2000 };

	(void)state;
	for (size_t i = 0; i < LEN(codes); i++) {
		struct outcome_report r = broken(codes[i], false, 0, "no route");
		struct outcome o;

		for (unsigned a = 1; a <= LEN(waits); a++) {
			judge(&r, a, &o);
			assert_int_equal(o.kind, OUTCOME_RETRY);
			assert_int_equal(o.wait_ms, waits[a - 1]);
			assert_string_equal(o.reason, "api unreachable: no route");
			assert_string_equal(o.id, "");
		}
		judge(&r, 4, &o);
		assert_int_equal(o.kind, OUTCOME_FAILED);
		assert_int_equal(o.wait_ms, 0);
		assert_string_equal(o.reason,
		    "api unreachable after 4 attempts: no route");
	}
}

/* Without libcurl's words the reason still names the failure. */
static void
test_no_words(void **state)
{
	struct outcome_report r = broken(CURLE_COULDNT_CONNECT, false, 0, NULL);
	struct outcome o;
	char want[64];

	(void)state;
	judge(&r, 4, &o);
	snprintf(want, sizeof(want), "api unreachable after 4 attempts: "
	    "libcurl error %d", (int)CURLE_COULDNT_CONNECT);
	assert_string_equal(o.reason, want);
	r = broken(CURLE_GOT_NOTHING, true, SENT, "");
	judge(&r, 1, &o);
	snprintf(want, sizeof(want), "api answer lost: libcurl error %d",
	    (int)CURLE_GOT_NOTHING);
	assert_string_equal(o.reason, want);
}

/* 429 and 503 say the call was not taken, whatever the body says. */
static void
test_not_taken(void **state)
{
	static const long statuses[] = { 429, 503 };

	(void)state;
	for (size_t i = 0; i < LEN(statuses); i++) {
		struct outcome_report r = answered(statuses[i], "{\"id\": 9}");
		struct outcome o;
		char want[64];

		r.retry_after_s = 1;
		judge(&r, 1, &o);   /* Retry-After longer than 500 ms: it wins */
		assert_int_equal(o.kind, OUTCOME_RETRY);
		assert_int_equal(o.wait_ms, 1000);
		snprintf(want, sizeof(want), "api answered HTTP %ld", statuses[i]);
		assert_string_equal(o.reason, want);
		judge(&r, 3, &o);   /* the backoff, 2000 ms, is longer now */
		assert_int_equal(o.wait_ms, 2000);
		r.retry_after_s = 0;
		judge(&r, 1, &o);
		assert_int_equal(o.wait_ms, 500);
		judge(&r, 4, &o);
		assert_int_equal(o.kind, OUTCOME_FAILED);
		snprintf(want, sizeof(want), "api answered HTTP %ld after 4 attempts",
		    statuses[i]);
		assert_string_equal(o.reason, want);
	}
}

/* The wait never passes OUTCOME_WAIT_MAX_MS, however long the settings or
 * the API ask for, and never overflows. */
static void
test_wait_bounds(void **state)
{
	struct outcome_policy p = { 1, 20, 500 };

	(void)state;
	assert_int_equal(outcome_wait_ms(&p, 3600), OUTCOME_WAIT_MAX_MS);
	assert_int_equal(outcome_wait_ms(&p, INT64_MAX), OUTCOME_WAIT_MAX_MS);
	assert_int_equal(outcome_wait_ms(&p, -5), 500);
	p.attempt = 19;
	assert_int_equal(outcome_wait_ms(&p, 0), OUTCOME_WAIT_MAX_MS);
	p.attempt = 6;
	assert_int_equal(outcome_wait_ms(&p, 0), 16000);
	p.attempt = 7;
	assert_int_equal(outcome_wait_ms(&p, 0), OUTCOME_WAIT_MAX_MS);
	p.attempt = 1;
	p.delay_ms = 60000;
	assert_int_equal(outcome_wait_ms(&p, 0), OUTCOME_WAIT_MAX_MS);
	p.attempt = 20;
	assert_int_equal(outcome_wait_ms(&p, 0), OUTCOME_WAIT_MAX_MS);
	p.delay_ms = 1;
	p.attempt = 3;
	assert_int_equal(outcome_wait_ms(&p, 0), 4);
}

/* One try allowed: a certain refusal fails at once, naming the count. */
static void
test_one_attempt(void **state)
{
	struct outcome_policy p = { 1, 1, 500 };
	struct outcome_report r = answered(503, "");
	struct outcome o;

	(void)state;
	outcome_judge(&r, &p, &o);
	assert_int_equal(o.kind, OUTCOME_FAILED);
	assert_string_equal(o.reason, "api answered HTTP 503 after 1 attempt");
}

/* libcurl's longest words are cut so the count still fits. */
static void
test_long_words(void **state)
{
	char words[CURL_ERROR_SIZE];
	struct outcome_report r;
	struct outcome o;

	(void)state;
	memset(words, 'x', sizeof(words) - 1);
	words[sizeof(words) - 1] = '\0';
	r = broken(CURLE_COULDNT_CONNECT, false, 0, words);
	judge(&r, 4, &o);
	assert_int_equal(o.kind, OUTCOME_FAILED);
	assert_true(strlen(o.reason) <= CAMPAIGN_REASON_MAX);
	assert_non_null(strstr(o.reason, "api unreachable after 4 attempts: xxx"));
	r = broken(CURLE_RECV_ERROR, true, SENT, words);
	judge(&r, 1, &o);
	assert_true(strlen(o.reason) <= CAMPAIGN_REASON_MAX);
	assert_non_null(strstr(o.reason, "api answer lost: xxx"));
}

/* The dialer and the webhooks read ids alike: an id the API's answer may
 * carry is one its webhooks may carry, and the same text comes out. */
static void
test_ids_agree(void **state)
{
	static const char *const ids[] = {
		"0", "1234", "18446744073709551614", "18446744073709551615",
		"-3", "1.0", "1e3", "\"\"", "\"CA12\"", "\"a\\u0007b\"",
		"\"\\u00e9\"", "\"0123456789012345678901234567890123456789"
		"012345678901234567890123\"", "\"0123456789012345678901234567890"
		"1234567890123456789012345678901234\"", "true", "{}", "[]",
	};

	(void)state;
	for (size_t i = 0; i < LEN(ids); i++) {
		char answer[256], hook[256], err[ERR_MAX];
		struct outcome_report r;
		struct outcome o;
		struct webhook w;
		int rc;

		snprintf(answer, sizeof(answer), "{\"id\": %s}", ids[i]);
		snprintf(hook, sizeof(hook), "{\"id\": %s, \"status\": \"ringing\"}",
		    ids[i]);
		r = answered(200, answer);
		judge(&r, 1, &o);
		rc = webhook_parse("application/json", hook, strlen(hook), &w, err,
		    sizeof(err));
		if (rc == 0) {
			assert_int_equal(o.kind, OUTCOME_PLACED);
			assert_string_equal(o.id, w.id);
		} else {
			assert_int_equal(rc, 400);
			assert_int_equal(o.kind, OUTCOME_FAILED);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_placed),
		cmocka_unit_test(test_bad_answer),
		cmocka_unit_test(test_error_member),
		cmocka_unit_test(test_nul_in_answer),
		cmocka_unit_test(test_answer_too_large),
		cmocka_unit_test(test_http_errors),
		cmocka_unit_test(test_answer_lost),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_no_words),
		cmocka_unit_test(test_not_taken),
		cmocka_unit_test(test_wait_bounds),
		cmocka_unit_test(test_one_attempt),
		cmocka_unit_test(test_long_words),
		cmocka_unit_test(test_ids_agree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
