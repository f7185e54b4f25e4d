/*
 * test_twilio: the Calls API's form and URLs, every way a POST .../Calls.json
 * or a GET of one call can end, the webhook signature (Twilio's published
 * example among others) and the token file, with files the test makes in
 * /tmp.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "twilio.h"
#include "webhook.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define ERR_MAX 256
#define SENT 300  /* request bytes of a POST that went out */

#define ACCOUNT "AC0123456789abcdef0123456789abcdef"
#define CALL_SID "CAfedcba9876543210fedcba9876543210"
#define HOOK "https://nd.example/webhook/3/00112233445566778899aabbccddeeff"
#define HOOK_ESC "https%3A%2F%2Fnd.example%2Fwebhook%2F3%2F" \
	"00112233445566778899aabbccddeeff"
#define EVENTS "&StatusCallbackMethod=POST" \
	"&StatusCallbackEvent=initiated&StatusCallbackEvent=ringing" \
	"&StatusCallbackEvent=answered&StatusCallbackEvent=completed"
#define ADVICE \
	"dialing paused; check NUMDIALER_TWILIO_ACCOUNT_SID and the token file"

static struct twilio_call
call_of(const char *twiml, const char *url, enum twilio_amd amd)
{
	struct twilio_call c = {
		.to = "+13018040009", .from = "+15550001111",
		.twiml = twiml, .url = url, .timeout_s = 30,
		.time_limit_s = 3600, .status_callback = HOOK, .amd = amd,
	};

	return c;
}

/* The whole form, exactly, for inline TwiML and for a Url with each kind
 * of detection. */
static void
test_form_exact(void **state)
{
	static const struct {
		const char *twiml, *url;
		enum twilio_amd amd;
		const char *form;
	} cases[] = {
		{ "<Response><Say>Hi & bye</Say></Response>", NULL,
		    TWILIO_AMD_OFF,
		    "To=%2B13018040009&From=%2B15550001111"
		    "&Twiml=%3CResponse%3E%3CSay%3EHi%20%26%20bye%3C%2FSay%3E"
		    "%3C%2FResponse%3E&Timeout=30&TimeLimit=3600"
		    "&StatusCallback=" HOOK_ESC EVENTS },
		{ NULL, "https://x.example/t.xml?a=1&b=2", TWILIO_AMD_ENABLE,
		    "To=%2B13018040009&From=%2B15550001111"
		    "&Url=https%3A%2F%2Fx.example%2Ft.xml%3Fa%3D1%26b%3D2"
		    "&Timeout=30&TimeLimit=3600&StatusCallback=" HOOK_ESC EVENTS
		    "&MachineDetection=Enable&AsyncAmd=true"
		    "&AsyncAmdStatusCallback=" HOOK_ESC
		    "&AsyncAmdStatusCallbackMethod=POST" },
		{ "<Response/>", NULL, TWILIO_AMD_MESSAGE_END,
		    "To=%2B13018040009&From=%2B15550001111"
		    "&Twiml=%3CResponse%2F%3E&Timeout=30&TimeLimit=3600"
		    "&StatusCallback=" HOOK_ESC EVENTS
		    "&MachineDetection=DetectMessageEnd&AsyncAmd=true"
		    "&AsyncAmdStatusCallback=" HOOK_ESC
		    "&AsyncAmdStatusCallbackMethod=POST" },
	};

	(void)state;
	for (size_t i = 0; i < LEN(cases); i++) {
		struct twilio_call c = call_of(cases[i].twiml, cases[i].url,
		    cases[i].amd);
		char out[TWILIO_FORM_MAX];

		assert_int_equal(twilio_call_form(&c, out, sizeof(out)), 0);
		assert_string_equal(out, cases[i].form);
	}
}

/* Read back as a server would: each event a parameter of its own, every
 * value as it was given. */
static void
test_form_reads_back(void **state)
{
	static const char *const events[] = {
		"initiated", "ringing", "answered", "completed",
	};
	const char *twiml = "<Response><Say>caf\xc3\xa9 +1 100%</Say></Response>";
	struct twilio_call c = call_of(twiml, NULL, TWILIO_AMD_ENABLE);
	char out[TWILIO_FORM_MAX];
	const char *p = out;
	struct webhook_pair pair;
	size_t nevents = 0, ncallbacks = 0;

	(void)state;
	assert_int_equal(twilio_call_form(&c, out, sizeof(out)), 0);
	while (webhook_form_next(&p, out + strlen(out), &pair)) {
		size_t nlen, vlen;
		char *name = webhook_form_decode(pair.name, pair.name_len, &nlen);
		char *value = webhook_form_decode(pair.value, pair.value_len,
		    &vlen);

		assert_non_null(name);
		assert_non_null(value);
		if (strcmp(name, "StatusCallbackEvent") == 0) {
			assert_true(nevents < LEN(events));
			assert_string_equal(value, events[nevents]);
			nevents++;
		} else if (strcmp(name, "Twiml") == 0)
			assert_string_equal(value, twiml);
		else if (strcmp(name, "StatusCallback") == 0 ||
		    strcmp(name, "AsyncAmdStatusCallback") == 0) {
			assert_string_equal(value, HOOK);
			ncallbacks++;
		}
		curl_free(name);
		curl_free(value);
	}
	assert_int_equal(nevents, LEN(events));
	assert_int_equal(ncallbacks, 2);
}

/* Every field out of its bounds is refused, and out is left "". */
static void
test_form_bad(void **state)
{
	char twiml_long[TWILIO_TWIML_MAX + 2];
	char url_long[TWILIO_URL_MAX + 2];
	struct twilio_call cases[18];
	size_t n = 0;
	char out[TWILIO_FORM_MAX];

	(void)state;
	memset(twiml_long, 'x', sizeof(twiml_long) - 1);
	twiml_long[sizeof(twiml_long) - 1] = '\0';
	memset(url_long, 'u', sizeof(url_long) - 1);
	url_long[sizeof(url_long) - 1] = '\0';
	for (size_t i = 0; i < LEN(cases); i++)
		cases[i] = call_of("<Response/>", NULL, TWILIO_AMD_OFF);
	cases[n++].to = NULL;
	cases[n++].to = "13018040009";
	cases[n++].to = "+1301";
	cases[n++].from = NULL;
	cases[n++].from = "+0123456789";
	cases[n++].twiml = NULL;                 /* neither */
	cases[n++].url = "https://x.example/";  /* both */
	cases[n++].twiml = "";
	cases[n++].twiml = twiml_long;
	cases[n].twiml = NULL;
	cases[n++].url = url_long;
	cases[n++].timeout_s = 0;
	cases[n++].timeout_s = TWILIO_TIMEOUT_MAX + 1;
	cases[n++].time_limit_s = 0;
	cases[n++].time_limit_s = TWILIO_TIME_LIMIT_MAX + 1;
	cases[n++].status_callback = NULL;
	cases[n++].status_callback = "";
	cases[n++].status_callback = url_long;
	cases[n++].amd = (enum twilio_amd)3;
	assert_int_equal(n, LEN(cases));
	for (size_t i = 0; i < n; i++) {
		strcpy(out, "untouched");
		assert_int_equal(twilio_call_form(&cases[i], out, sizeof(out)),
		    -1);
		assert_string_equal(out, "");
	}
}

/* TWILIO_FORM_MAX holds the longest form; one byte less than a form
 * needs is refused. */
static void
test_form_room(void **state)
{
	static char twiml[TWILIO_TWIML_MAX + 1], hook[TWILIO_URL_MAX + 1];
	static char out[TWILIO_FORM_MAX];
	struct twilio_call c;
	char small[64];
	size_t need;

	(void)state;
	/* Each byte of each escaped three times. */
	memset(twiml, '<', TWILIO_TWIML_MAX);
	memset(hook, '%', TWILIO_URL_MAX);
	c = call_of(twiml, NULL, TWILIO_AMD_ENABLE);
	c.status_callback = hook;
	assert_int_equal(twilio_call_form(&c, out, sizeof(out)), 0);
	assert_true(strlen(out) > 3 * (TWILIO_TWIML_MAX + 2 * TWILIO_URL_MAX));
	need = strlen(out) + 1;
	assert_int_equal(twilio_call_form(&c, out, need), 0);
	assert_int_equal(twilio_call_form(&c, out, need - 1), -1);
	assert_string_equal(out, "");
	c = call_of("<Response/>", NULL, TWILIO_AMD_OFF);
	assert_int_equal(twilio_call_form(&c, small, sizeof(small)), -1);
	assert_string_equal(small, "");
	assert_int_equal(twilio_call_form(&c, small, 0), -1);
	assert_int_equal(twilio_call_form(NULL, small, sizeof(small)), -1);
}

static void
test_urls(void **state)
{
	char out[TWILIO_API_URL_MAX];
	char tiny[40];

	(void)state;
	assert_int_equal(twilio_calls_url("https://api.twilio.com", ACCOUNT,
	    out, sizeof(out)), 0);
	assert_string_equal(out, "https://api.twilio.com/2010-04-01/Accounts/"
	    ACCOUNT "/Calls.json");
	assert_int_equal(twilio_calls_url("http://127.0.0.1:4830//", ACCOUNT,
	    out, sizeof(out)), 0);
	assert_string_equal(out, "http://127.0.0.1:4830/2010-04-01/Accounts/"
	    ACCOUNT "/Calls.json");
	assert_int_equal(twilio_call_url("https://api.twilio.com/", ACCOUNT,
	    CALL_SID, out, sizeof(out)), 0);
	assert_string_equal(out, "https://api.twilio.com/2010-04-01/Accounts/"
	    ACCOUNT "/Calls/" CALL_SID ".json");

	/* Bad sids, bases and room: -1 and "". */
	assert_int_equal(twilio_calls_url("https://api.twilio.com",
	    "AC0123456789abcdef0123456789abcde", out, sizeof(out)), -1);
	assert_string_equal(out, "");
	assert_int_equal(twilio_calls_url("https://api.twilio.com",
	    "CA0123456789abcdef0123456789abcdef", out, sizeof(out)), -1);
	assert_int_equal(twilio_calls_url("https://api.twilio.com",
	    "AC0123456789abcdef0123456789abcdeg", out, sizeof(out)), -1);
	assert_int_equal(twilio_calls_url("https://api.twilio.com",
	    "AC0123456789abcdef0123456789abcdef/", out, sizeof(out)), -1);
	assert_int_equal(twilio_calls_url("https://api.twilio.com", NULL, out,
	    sizeof(out)), -1);
	assert_int_equal(twilio_calls_url("", ACCOUNT, out, sizeof(out)), -1);
	assert_int_equal(twilio_calls_url("///", ACCOUNT, out, sizeof(out)),
	    -1);
	assert_int_equal(twilio_calls_url(NULL, ACCOUNT, out, sizeof(out)), -1);
	assert_int_equal(twilio_calls_url("https://api.twilio.com", ACCOUNT,
	    tiny, sizeof(tiny)), -1);
	assert_string_equal(tiny, "");
	assert_int_equal(twilio_call_url("https://api.twilio.com", ACCOUNT,
	    "CA1234", out, sizeof(out)), -1);
	assert_string_equal(out, "");
	assert_int_equal(twilio_call_url("https://api.twilio.com", ACCOUNT,
	    "../../../../Calls.json/../x0123456789abcd", out, sizeof(out)), -1);
	assert_int_equal(twilio_call_url("https://api.twilio.com", ACCOUNT,
	    NULL, out, sizeof(out)), -1);

	assert_true(twilio_sid_valid(CALL_SID, "CA"));
	assert_true(twilio_sid_valid("CAFEDCBA9876543210FEDCBA9876543210", "CA"));
	assert_false(twilio_sid_valid(CALL_SID, "AC"));
	assert_false(twilio_sid_valid(CALL_SID "0", "CA"));
	assert_false(twilio_sid_valid(CALL_SID, "C"));
	assert_false(twilio_sid_valid(NULL, "CA"));
}

/* A transfer that reached Twilio and got an answer. */
static struct outcome_report
answered(long status, const char *body)
{
	return (struct outcome_report){ .code = CURLE_OK, .connected = true,
	    .request_bytes = SENT, .http_status = status, .body = body,
	    .body_len = body != NULL ? strlen(body) : 0 };
}

static void
judge(const struct outcome_report *r, unsigned attempt, struct outcome *o)
{
	struct outcome_policy p = { attempt, 4, 500 };

	memset(o, 'x', sizeof(*o));
	twilio_judge(r, &p, o);
}

/* What Twilio answers a good POST .../Calls.json with (cut down). */
#define CREATED "{\"account_sid\": \"" ACCOUNT "\", \"answered_by\": null," \
	" \"direction\": \"outbound-api\", \"duration\": null, \"sid\": \"" \
	CALL_SID "\", \"status\": \"queued\", \"subresource_uris\": " \
	"{\"notifications\": \"/2010-04-01/Accounts/x/Notifications.json\"}}"

static void
test_judge_answers(void **state)
{
	static const struct {
		long status;
		const char *body;
		enum outcome_kind kind;
		const char *id, *reason;
	} cases[] = {
		{ 201, CREATED, OUTCOME_PLACED, CALL_SID, "" },
		{ 200, "{\"sid\": \"CAFEDCBA9876543210FEDCBA9876543210\"}",
		    OUTCOME_PLACED, "CAFEDCBA9876543210FEDCBA9876543210", "" },
		/* A 2xx that names no good sid: the call may exist. */
		{ 201, "{\"status\": \"queued\"}", OUTCOME_UNKNOWN, "",
		    "twilio answered HTTP 201 without a good call sid: the call "
		    "may exist" },
		{ 201, "{\"sid\": \"CA1234\"}", OUTCOME_UNKNOWN, "",
		    "twilio answered HTTP 201 without a good call sid: the call "
		    "may exist" },
		{ 201, "{\"sid\": 12}", OUTCOME_UNKNOWN, "",
		    "twilio answered HTTP 201 without a good call sid: the call "
		    "may exist" },
		{ 201, "queued", OUTCOME_UNKNOWN, "",
		    "twilio answered HTTP 201, not with a JSON object: the call "
		    "may exist" },
		{ 201, NULL, OUTCOME_UNKNOWN, "",
		    "twilio answered HTTP 201, not with a JSON object: the call "
		    "may exist" },
		/* Twilio's errors: 4xx fails the row, 5xx may have placed. */
		{ 400, "{\"code\": 21211, \"message\": \"Invalid 'To' Phone "
		    "Number: +1301\", \"more_info\": \"https://www.twilio.com/"
		    "docs/errors/21211\", \"status\": 400}", OUTCOME_FAILED, "",
		    "twilio 21211: Invalid 'To' Phone Number: +1301" },
		{ 404, "<html>Not Found</html>", OUTCOME_FAILED, "",
		    "twilio HTTP 404" },
		{ 400, "{\"message\": \"Bad\"}", OUTCOME_FAILED, "",
		    "twilio HTTP 400: Bad" },
		{ 400, "{\"code\": 21212, \"message\": \"\"}", OUTCOME_FAILED, "",
		    "twilio 21212" },
		{ 400, "{\"code\": \"21212\", \"message\": 7}", OUTCOME_FAILED,
		    "", "twilio HTTP 400" },
		{ 400, "{\"code\": 21212, \"message\": \"a\\nb\\tc\\u0000d\\u007f"
		    "e\"}", OUTCOME_FAILED, "", "twilio 21212: abcde" },
		{ 302, "", OUTCOME_FAILED, "", "twilio HTTP 302" },
		{ 500, "{\"code\": 20500, \"message\": \"Internal Server Error\"}",
		    OUTCOME_UNKNOWN, "", "twilio 20500: Internal Server Error" },
		{ 502, "<html>Bad Gateway</html>", OUTCOME_UNKNOWN, "",
		    "twilio HTTP 502" },
		/* Refused credentials pause dialing, whatever the body. */
		{ 401, "{\"code\": 20003, \"detail\": \"Your AccountSid or "
		    "AuthToken was incorrect.\", \"message\": \"Authenticate\", "
		    "\"more_info\": \"https://www.twilio.com/docs/errors/20003\", "
		    "\"status\": 401}", OUTCOME_PAUSE, "",
		    "twilio refused the credentials (401, twilio 20003: "
		    "Authenticate): " ADVICE },
		{ 403, "Forbidden", OUTCOME_PAUSE, "",
		    "twilio refused the credentials (403): " ADVICE },
	};

	(void)state;
	for (size_t i = 0; i < LEN(cases); i++) {
		struct outcome_report r = answered(cases[i].status, cases[i].body);
		struct outcome o;

		judge(&r, 1, &o);
		assert_int_equal(o.kind, cases[i].kind);
		assert_string_equal(o.id, cases[i].id);
		assert_string_equal(o.reason, cases[i].reason);
		assert_int_equal(o.wait_ms, 0);
	}
}

/* The retry rules are outcome_judge's: the same kind and wait for every
 * try the API certainly did not take, Twilio's words in the reason. */
static void
test_judge_retries(void **state)
{
	const char *busy = "{\"code\": 20429, \"message\": \"Too Many Requests\","
	    " \"status\": 429}";
	struct outcome_report reports[4];
	struct outcome o, api;

	(void)state;
	reports[0] = answered(429, busy);
	reports[1] = answered(503, "<html>unavailable</html>");
	reports[1].retry_after_s = 7;
	reports[2] = (struct outcome_report){ .code = CURLE_COULDNT_CONNECT,
	    .error = "Failed to connect" };
	reports[3] = answered(429, busy);
	reports[3].retry_after_s = 100;
	for (size_t i = 0; i < LEN(reports); i++) {
		for (unsigned attempt = 1; attempt <= 4; attempt++) {
			struct outcome_policy p = { attempt, 4, 500 };

			judge(&reports[i], attempt, &o);
			outcome_judge(&reports[i], &p, &api);
			assert_int_equal(o.kind, api.kind);
			assert_int_equal(o.wait_ms, api.wait_ms);
			assert_int_equal(o.kind, attempt < 4 ? OUTCOME_RETRY :
			    OUTCOME_FAILED);
		}
	}
	judge(&reports[0], 1, &o);
	assert_string_equal(o.reason,
	    "twilio answered HTTP 429: twilio 20429: Too Many Requests");
	assert_int_equal(o.wait_ms, 500);
	judge(&reports[0], 4, &o);
	assert_string_equal(o.reason, "twilio answered HTTP 429 after 4 "
	    "attempts: twilio 20429: Too Many Requests");
	judge(&reports[1], 1, &o);
	assert_string_equal(o.reason, "twilio answered HTTP 503");
	assert_int_equal(o.wait_ms, 7000);
	judge(&reports[2], 2, &o);
	assert_string_equal(o.reason, "twilio unreachable: Failed to connect");
	assert_int_equal(o.wait_ms, 1000);
	judge(&reports[3], 1, &o);
	assert_int_equal(o.wait_ms, OUTCOME_WAIT_MAX_MS);
}

/* An answer lost after the request went out, or cut short: the call may
 * exist, never sent again. */
static void
test_judge_lost(void **state)
{
	struct outcome_report r;
	struct outcome o;

	(void)state;
	r = (struct outcome_report){ .code = CURLE_RECV_ERROR, .connected = true,
	    .request_bytes = SENT, .error = "Connection reset by peer" };
	judge(&r, 1, &o);
	assert_int_equal(o.kind, OUTCOME_UNKNOWN);
	assert_string_equal(o.reason,
	    "twilio answer lost: Connection reset by peer");
	r = (struct outcome_report){ .code = CURLE_OPERATION_TIMEDOUT,
	    .connected = true, .request_bytes = SENT };
	judge(&r, 4, &o);
	assert_int_equal(o.kind, OUTCOME_UNKNOWN);
	assert_string_equal(o.reason, "twilio answer lost: libcurl error 28");
	r = answered(201, "{\"sid\": \"");
	r.code = CURLE_WRITE_ERROR;
	r.body_overflow = true;
	judge(&r, 1, &o);
	assert_int_equal(o.kind, OUTCOME_UNKNOWN);
	assert_string_equal(o.id, "");
	assert_string_equal(o.reason,
	    "twilio answer too large: the call may exist");
}

/* Whether s is valid UTF-8 with no control character. */
static bool
clean_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		size_t need = *p >= 0xf0 ? 3 : *p >= 0xe0 ? 2 : *p >= 0xc0 ? 1 :
		    0;

		if (*p < 0x20 || *p == 0x7f || (*p >= 0x80 && *p < 0xc0))
			return false;
		p++;
		for (size_t i = 0; i < need; i++, p++)
			if ((*p & 0xc0) != 0x80)
				return false;
	}
	return true;
}

/* A long message is cut to fit, on a character's edge; a pause's advice
 * is never cut. */
static void
test_judge_long_message(void **state)
{
	static const char *const chars[] = { "a", "\xc3\xa9", "\xe2\x82\xac",
	    "\xf0\x9f\x93\x9e" };
	static const long statuses[] = { 400, 401, 429 };

	(void)state;
	for (size_t c = 0; c < LEN(chars); c++) {
		for (size_t offset = 0; offset < 4; offset++) {
			char body[1024];
			size_t n;

			n = (size_t)snprintf(body, sizeof(body),
			    "{\"code\": 21211, \"message\": \"%.*s", (int)offset,
			    "xyz");
			while (n < 900)
				n += (size_t)snprintf(body + n, sizeof(body) - n,
				    "%s", chars[c]);
			snprintf(body + n, sizeof(body) - n, "\"}");
			for (size_t s = 0; s < LEN(statuses); s++) {
				struct outcome_report r = answered(statuses[s], body);
				struct outcome o;

				judge(&r, 1, &o);
				assert_true(strlen(o.reason) <= CAMPAIGN_REASON_MAX);
				assert_true(strlen(o.reason) > CAMPAIGN_REASON_MAX / 2 - 8);
				assert_true(clean_utf8(o.reason));
				if (statuses[s] == 401) {
					assert_non_null(strstr(o.reason, "): " ADVICE));
					assert_int_equal(strlen(strstr(o.reason, ADVICE)),
					    strlen(ADVICE));
				}
			}
		}
	}
}

#define CALL_JSON(status, duration, answered_by) \
	"{\"account_sid\": \"" ACCOUNT "\", \"annotation\": null," \
	" \"answered_by\": " answered_by ", \"api_version\": \"2010-04-01\"," \
	" \"date_created\": \"Mon, 30 Nov 2026 02:31:00 +0000\"," \
	" \"duration\": " duration ", \"price\": null, \"sid\": \"" CALL_SID \
	"\", \"status\": \"" status "\", \"subresource_uris\": " \
	"{\"recordings\": \"/2010-04-01/Accounts/x/Recordings.json\"}," \
	" \"to\": \"+13018040009\"}"

static void
test_read_call(void **state)
{
	static const struct {
		const char *body;
		enum status status;
		int64_t duration_s;
		enum answered_by answered_by;
	} cases[] = {
		{ CALL_JSON("completed", "\"15\"", "\"machine_end_beep\""),
		    STATUS_COMPLETED, 15, ANSWERED_BY_MACHINE_END_BEEP },
		{ CALL_JSON("in-progress", "null", "null"), STATUS_ANSWERED, -1,
		    ANSWERED_BY_NONE },
		{ CALL_JSON("queued", "null", "null"), STATUS_DIALING, -1,
		    ANSWERED_BY_NONE },
		{ CALL_JSON("initiated", "null", "\"\""), STATUS_DIALING, -1,
		    ANSWERED_BY_NONE },
		{ CALL_JSON("ringing", "null", "null"), STATUS_RINGING, -1,
		    ANSWERED_BY_NONE },
		{ CALL_JSON("busy", "\"0\"", "null"), STATUS_BUSY, 0,
		    ANSWERED_BY_NONE },
		{ CALL_JSON("no-answer", "\"0\"", "null"), STATUS_NO_ANSWER, 0,
		    ANSWERED_BY_NONE },
		{ CALL_JSON("failed", "\"0\"", "null"), STATUS_FAILED, 0,
		    ANSWERED_BY_NONE },
		{ CALL_JSON("canceled", "\"0\"", "\"human\""), STATUS_CANCELED, 0,
		    ANSWERED_BY_HUMAN },
		{ CALL_JSON("completed", "\"604800\"", "\"robot\""),
		    STATUS_COMPLETED, 604800, ANSWERED_BY_UNKNOWN },
		{ "{\"sid\": \"" CALL_SID "\", \"status\": \"completed\"}",
		    STATUS_COMPLETED, -1, ANSWERED_BY_NONE },
	};

	(void)state;
	for (size_t i = 0; i < LEN(cases); i++) {
		struct twilio_call_state st;
		char err[ERR_MAX] = "";

		assert_int_equal(twilio_read_call(cases[i].body,
		    strlen(cases[i].body), &st, err, sizeof(err)), 0);
		assert_string_equal(err, "");
		assert_string_equal(st.sid, CALL_SID);
		assert_int_equal(st.status, cases[i].status);
		assert_int_equal(st.duration_s, cases[i].duration_s);
		assert_int_equal(st.answered_by, cases[i].answered_by);
	}
}

static void
test_read_call_bad(void **state)
{
	static const struct {
		const char *body, *err;
	} cases[] = {
		{ "", "call answer not a JSON object" },
		{ "[1]", "call answer not a JSON object" },
		{ "{\"sid\": \"" CALL_SID "\"} x", "call answer not a JSON object" },
		{ "{\"status\": \"completed\"}", "call answer has no good sid" },
		{ "{\"sid\": \"CA12\", \"status\": \"completed\"}",
		    "call answer has no good sid" },
		{ "{\"sid\": \"" CALL_SID "\"}",
		    "call status missing or not a known word" },
		{ CALL_JSON("exploded", "null", "null"),
		    "call status missing or not a known word" },
		{ CALL_JSON("completed", "15", "null"),
		    "call duration not a string" },
		{ CALL_JSON("completed", "\"1.5\"", "null"),
		    "call duration not a number (digits only)" },
		{ CALL_JSON("completed", "\"\"", "null"),
		    "call duration not a number" },
		{ CALL_JSON("completed", "\"604801\"", "null"),
		    "call duration out of range" },
		{ CALL_JSON("completed", "\"3\"", "true"),
		    "call answered_by not a string" },
	};

	(void)state;
	for (size_t i = 0; i < LEN(cases); i++) {
		struct twilio_call_state st;
		char err[ERR_MAX] = "";

		assert_int_equal(twilio_read_call(cases[i].body,
		    strlen(cases[i].body), &st, err, sizeof(err)), -1);
		assert_string_equal(err, cases[i].err);
		assert_string_equal(st.sid, "");
		assert_int_equal(st.status, STATUS_IDLE);
		assert_int_equal(st.duration_s, -1);
		assert_int_equal(st.answered_by, ANSWERED_BY_NONE);
	}
}

static void
test_judge_query(void **state)
{
	static const struct {
		struct outcome_report r;
		enum twilio_query q;
		const char *reason;
	} cases[] = {
		{ { .code = CURLE_OK, .connected = true, .http_status = 200,
		    .body = CALL_JSON("completed", "\"9\"", "null") },
		    TWILIO_QUERY_FOUND, "" },
		{ { .code = CURLE_OK, .connected = true, .http_status = 200,
		    .body = "{}" }, TWILIO_QUERY_FAILED,
		    "twilio call answer has no good sid" },
		{ { .code = CURLE_OK, .connected = true, .http_status = 404,
		    .body = "{\"code\": 20404, \"message\": \"The requested "
		    "resource was not found\", \"status\": 404}" },
		    TWILIO_QUERY_NOT_FOUND,
		    "twilio 20404: The requested resource was not found" },
		{ { .code = CURLE_OK, .connected = true, .http_status = 404,
		    .body = "<html>no</html>" }, TWILIO_QUERY_FAILED,
		    "twilio HTTP 404" },
		{ { .code = CURLE_OK, .connected = true, .http_status = 401,
		    .body = "{\"code\": 20003, \"message\": \"Authenticate\"}" },
		    TWILIO_QUERY_REFUSED, "twilio refused the credentials (401, "
		    "twilio 20003: Authenticate): " ADVICE },
		{ { .code = CURLE_OK, .connected = true, .http_status = 429,
		    .body = "{\"code\": 20429, \"message\": \"Too Many Requests\"}" },
		    TWILIO_QUERY_FAILED, "twilio answered HTTP 429 after 1 "
		    "attempt: twilio 20429: Too Many Requests" },
		{ { .code = CURLE_OK, .connected = true, .http_status = 500 },
		    TWILIO_QUERY_FAILED, "twilio HTTP 500" },
		{ { .code = CURLE_RECV_ERROR, .connected = true,
		    .request_bytes = SENT, .error = "reset" },
		    TWILIO_QUERY_FAILED, "twilio answer lost: reset" },
		{ { .code = CURLE_COULDNT_RESOLVE_HOST, .error = "no such name" },
		    TWILIO_QUERY_FAILED,
		    "twilio unreachable after 1 attempt: no such name" },
		{ { .code = CURLE_WRITE_ERROR, .connected = true,
		    .http_status = 200, .body_overflow = true },
		    TWILIO_QUERY_FAILED, "twilio answer too large" },
	};

	(void)state;
	for (size_t i = 0; i < LEN(cases); i++) {
		struct outcome_report r = cases[i].r;
		struct twilio_call_state st;
		char reason[CAMPAIGN_REASON_MAX + 1];

		r.body_len = r.body != NULL ? strlen(r.body) : 0;
		memset(reason, 'x', sizeof(reason));
		assert_int_equal(twilio_judge_query(&r, &st, reason,
		    sizeof(reason)), cases[i].q);
		assert_string_equal(reason, cases[i].reason);
		if (cases[i].q == TWILIO_QUERY_FOUND) {
			assert_string_equal(st.sid, CALL_SID);
			assert_int_equal(st.status, STATUS_COMPLETED);
			assert_int_equal(st.duration_s, 9);
		} else
			assert_string_equal(st.sid, "");
	}
}

#define EXAMPLE_URL "https://mycompany.com/myapp.php?foo=1&bar=2"
#define EXAMPLE_FORM "CallSid=CA1234567890ABCDE&Caller=%2B12349013030" \
	"&Digits=1234&From=%2B12349013030&To=%2B18005551212"
#define EXAMPLE_SIG "0/KCTR6DLpKmkAf8muzZqo1nDgQ="

static bool
sig_is(const char *token, const char *url, const char *form,
    const char *want)
{
	char sig[TWILIO_SIGNATURE_LEN + 1];

	if (twilio_signature(token, url, form, strlen(form), sig) != 0)
		return false;
	return strcmp(sig, want) == 0;
}

/* Twilio's published example, and what may and may not change it. */
static void
test_signature_example(void **state)
{
	(void)state;
	assert_true(sig_is("12345", EXAMPLE_URL, EXAMPLE_FORM, EXAMPLE_SIG));
	/* Any order of the parameters signs the same. */
	assert_true(sig_is("12345", EXAMPLE_URL, "To=%2B18005551212&Digits=1234"
	    "&From=%2B12349013030&Caller=%2B12349013030&CallSid=CA1234567890ABCDE",
	    EXAMPLE_SIG));
	/* Empty pairs are no parameters; escapes in names are undone. */
	assert_true(sig_is("12345", EXAMPLE_URL, "&Call%53id=CA1234567890ABCDE&&"
	    "Caller=%2b12349013030&Digits=1234&From=%2B12349013030"
	    "&To=%2B18005551212&", EXAMPLE_SIG));
	/* Another URL, value, token or parameter signs otherwise. */
	assert_false(sig_is("12345", "https://mycompany.com/myapp.php?foo=1&bar=3",
	    EXAMPLE_FORM, EXAMPLE_SIG));
	assert_false(sig_is("12345", "http://mycompany.com/myapp.php?foo=1&bar=2",
	    EXAMPLE_FORM, EXAMPLE_SIG));
	assert_false(sig_is("12345", EXAMPLE_URL, "CallSid=CA1234567890ABCDE"
	    "&Caller=%2B12349013030&Digits=1235&From=%2B12349013030"
	    "&To=%2B18005551212", EXAMPLE_SIG));
	assert_false(sig_is("12346", EXAMPLE_URL, EXAMPLE_FORM, EXAMPLE_SIG));
	assert_false(sig_is("12345", EXAMPLE_URL, EXAMPLE_FORM "&x=",
	    EXAMPLE_SIG));
	/* A '+' that was sent as a space is not the plus it stands for. */
	assert_false(sig_is("12345", EXAMPLE_URL, "CallSid=CA1234567890ABCDE"
	    "&Caller=+12349013030&Digits=1234&From=%2B12349013030"
	    "&To=%2B18005551212", EXAMPLE_SIG));
}

/* Signatures worked out with openssl dgst -sha1 -hmac ... | base64. */
static void
test_signature_known(void **state)
{
	(void)state;
	/* Duplicates sort by value; "a=" and a bare "a" are the same. */
	assert_true(sig_is("12345", "https://example.com/hook", "a=2&a=1",
	    "w5elJy6XA3Btc/ZGlzT/uc2A7IU="));
	assert_true(sig_is("12345", "https://example.com/hook", "a=1&a=2",
	    "w5elJy6XA3Btc/ZGlzT/uc2A7IU="));
	assert_true(sig_is("secret", "https://nd.example/hook", "a=b&a",
	    "4Vn7w7Yu+4etr6qRe+Vu8XjAYlk="));
	assert_true(sig_is("secret", "https://nd.example/hook", "a=&a=b",
	    "4Vn7w7Yu+4etr6qRe+Vu8XjAYlk="));
	/* Names sort byte by byte: 'B' before 'a'. */
	assert_true(sig_is("secret", "https://nd.example/hook", "a=1&B=2",
	    "uPkhH2TDx+C+YCft23msJv1cqnk="));
	/* No parameters: the URL alone. */
	assert_true(sig_is("12345", "https://example.com/hook", "",
	    "JuPavG0Zweu3T+LUwMO9lxmVvgY="));
	/* '+' is a space, as %20 is. */
	assert_true(sig_is("12345", "https://example.com/hook",
	    "CallSid=CA1&Body=hello+world", "zYOaATclNbxESde4rXuF29l1vmA="));
	assert_true(sig_is("12345", "https://example.com/hook",
	    "CallSid=CA1&Body=hello%20world", "zYOaATclNbxESde4rXuF29l1vmA="));
}

static void
test_signature_ok(void **state)
{
	/* Missing, cut short, one byte more, another case: refused. */
	static const char *const refused[] = {
		NULL, "", "0/KCTR6DLpKmkAf8muzZqo1nDgQ", EXAMPLE_SIG "=",
		"0/kctr6dlpkmkaf8muzzqo1ndgq=", "0/KCTR6DLpKmkAf8muzZqo1nDgq=",
		" " EXAMPLE_SIG,
	};
	const size_t len = strlen(EXAMPLE_FORM);

	(void)state;
	assert_true(twilio_signature_ok("12345", EXAMPLE_URL, EXAMPLE_FORM, len,
	    EXAMPLE_SIG));
	for (size_t i = 0; i < LEN(refused); i++)
		assert_false(twilio_signature_ok("12345", EXAMPLE_URL,
		    EXAMPLE_FORM, len, refused[i]));
	/* A good header for another request, or another token. */
	assert_false(twilio_signature_ok("12345", EXAMPLE_URL, EXAMPLE_FORM,
	    len - 1, EXAMPLE_SIG));
	assert_false(twilio_signature_ok("", EXAMPLE_URL, EXAMPLE_FORM, len,
	    EXAMPLE_SIG));
}

/* Work is bounded: at most TWILIO_SIGNED_PARAMS_MAX parameters, at most
 * WEBHOOK_BODY_MAX bytes. */
static void
test_signature_bounds(void **state)
{
	static char form[WEBHOOK_BODY_MAX + 2];
	char sig[TWILIO_SIGNATURE_LEN + 1];
	size_t n = 0;

	(void)state;
	for (int i = 0; i < TWILIO_SIGNED_PARAMS_MAX; i++)
		n += (size_t)snprintf(form + n, sizeof(form) - n, "%sp%d=%d",
		    i > 0 ? "&" : "", i, i);
	assert_int_equal(twilio_signature("t", "https://x/", form, n, sig), 0);
	assert_int_equal(strlen(sig), TWILIO_SIGNATURE_LEN);
	n += (size_t)snprintf(form + n, sizeof(form) - n, "&one=more");
	strcpy(sig, "untouched");
	assert_int_equal(twilio_signature("t", "https://x/", form, n, sig), -1);
	assert_string_equal(sig, "");
	assert_false(twilio_signature_ok("t", "https://x/", form, n,
	    EXAMPLE_SIG));

	memset(form, 'a', WEBHOOK_BODY_MAX);
	form[0] = 'x';
	form[1] = '=';
	assert_int_equal(twilio_signature("t", "https://x/", form,
	    WEBHOOK_BODY_MAX, sig), 0);
	form[WEBHOOK_BODY_MAX] = 'a';
	assert_int_equal(twilio_signature("t", "https://x/", form,
	    WEBHOOK_BODY_MAX + 1, sig), -1);
	assert_int_equal(twilio_signature(NULL, "https://x/", "a=1", 3, sig),
	    -1);
	assert_int_equal(twilio_signature("t", NULL, "a=1", 3, sig), -1);
	assert_int_equal(twilio_signature("t", "https://x/", NULL, 3, sig), -1);
	assert_int_equal(twilio_signature("t", "https://x/", NULL, 0, sig), 0);
}

/* A directory of its own in /tmp for the token files. */
static char token_dir[] = "/tmp/nd-twilio-test-XXXXXX";

static int
setup_dir(void **state)
{
	(void)state;
	return mkdtemp(token_dir) != NULL ? 0 : -1;
}

/* The files the tests make there. */
static const char *const token_names[] = {
	"good", "bad", "long", "fifo",
};

static int
teardown_dir(void **state)
{
	char path[256];

	(void)state;
	for (size_t i = 0; i < LEN(token_names); i++) {
		snprintf(path, sizeof(path), "%s/%s", token_dir, token_names[i]);
		unlink(path);
	}
	return rmdir(token_dir);
}

/* Writes text to name in the test's directory with mode; its path. */
static const char *
token_file(const char *name, const char *text, mode_t mode)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", token_dir, name);
	/* The last one may be read-only. */
	unlink(path);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static void
test_token_good(void **state)
{
	static const struct {
		const char *text, *token;
		mode_t mode;
	} cases[] = {
		{ "0123456789abcdef0123456789abcdef\n",
		    "0123456789abcdef0123456789abcdef", 0600 },
		{ "tok123 \t\r\nsecond line\n", "tok123", 0640 },
		{ "tok123", "tok123", 0400 },
		{ "a~!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}\n",
		    "a~!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}", 0660 },
	};

	(void)state;
	for (size_t i = 0; i < LEN(cases); i++) {
		const char *path = token_file("good", cases[i].text,
		    cases[i].mode);
		char out[TWILIO_TOKEN_MAX + 1], err[ERR_MAX] = "";

		assert_int_equal(twilio_read_token(path, out, sizeof(out), err,
		    sizeof(err)), 0);
		assert_string_equal(out, cases[i].token);
		assert_string_equal(err, "");
	}
}

/* The longest token is read; one byte more is refused. */
static void
test_token_length(void **state)
{
	char text[TWILIO_TOKEN_MAX + 3], out[TWILIO_TOKEN_MAX + 1];
	char err[ERR_MAX];
	const char *path;

	(void)state;
	memset(text, 'k', TWILIO_TOKEN_MAX);
	strcpy(text + TWILIO_TOKEN_MAX, "\n");
	path = token_file("long", text, 0600);
	assert_int_equal(twilio_read_token(path, out, sizeof(out), err,
	    sizeof(err)), 0);
	assert_int_equal(strlen(out), TWILIO_TOKEN_MAX);
	/* No room for it in out. */
	assert_int_equal(twilio_read_token(path, out, TWILIO_TOKEN_MAX, err,
	    sizeof(err)), -1);
	assert_string_equal(out, "");
	assert_non_null(strstr(err, "no room"));
	memset(text, 'k', TWILIO_TOKEN_MAX + 1);
	strcpy(text + TWILIO_TOKEN_MAX + 1, "\n");
	path = token_file("long", text, 0600);
	assert_int_equal(twilio_read_token(path, out, sizeof(out), err,
	    sizeof(err)), -1);
	assert_string_equal(out, "");
	assert_non_null(strstr(err, "token longer than 128 bytes"));
	assert_null(strstr(err, "kkkk"));
}

static void
test_token_bad(void **state)
{
	static const struct {
		const char *text;
		mode_t mode;
		const char *err;
	} cases[] = {
		{ "secret-token\n", 0644, "has mode 0644: others may read it" },
		{ "secret-token\n", 0604, "has mode 0604: others may read it" },
		{ "secret-token\n", 0602, "has mode 0602: others may write it" },
		{ "secret-token\n", 0666, "has mode 0666: others may read it" },
		{ "", 0600, "no token on its first line" },
		{ "\nsecret-token\n", 0600, "no token on its first line" },
		{ "  \t\r\n", 0600, "no token on its first line" },
		{ "secret token\n", 0600, "characters other than printable ASCII" },
		{ " secret-token\n", 0600, "characters other than printable ASCII" },
		{ "secret\x01token\n", 0600,
		    "characters other than printable ASCII" },
		{ "secr\xc3\xa9t\n", 0600, "characters other than printable ASCII" },
		{ "secret-token-secret-token-secret-token-secret-token-secret-"
		    "token-secret-token-secret-token-secret-token-secret-token-"
		    "secret-token-secret-token-secret-token-secret-token-secret-"
		    "token-secret-token", 0600, "first line longer than 128 bytes" },
	};

	(void)state;
	for (size_t i = 0; i < LEN(cases); i++) {
		const char *path = token_file("bad", cases[i].text, cases[i].mode);
		char out[TWILIO_TOKEN_MAX + 1], err[ERR_MAX] = "";

		strcpy(out, "untouched");
		assert_int_equal(twilio_read_token(path, out, sizeof(out), err,
		    sizeof(err)), -1);
		assert_string_equal(out, "");
		assert_non_null(strstr(err, path));
		assert_non_null(strstr(err, cases[i].err));
		assert_null(strstr(err, "secret"));
	}
}

/* Not a regular file, or none at all: refused, and a FIFO without
 * waiting for a writer. */
static void
test_token_not_file(void **state)
{
	char path[256], out[TWILIO_TOKEN_MAX + 1], err[ERR_MAX];

	(void)state;
	assert_int_equal(twilio_read_token(token_dir, out, sizeof(out), err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "is not a regular file"));
	snprintf(path, sizeof(path), "%s/fifo", token_dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(twilio_read_token(path, out, sizeof(out), err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "is not a regular file"));
	assert_int_equal(twilio_read_token("/dev/null", out, sizeof(out), err,
	    sizeof(err)), -1);
	assert_string_equal(err, "token file /dev/null is not a regular file");
	snprintf(path, sizeof(path), "%s/missing", token_dir);
	assert_int_equal(twilio_read_token(path, out, sizeof(out), err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "No such file or directory"));
	assert_string_equal(out, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form_exact),
		cmocka_unit_test(test_form_reads_back),
		cmocka_unit_test(test_form_bad),
		cmocka_unit_test(test_form_room),
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_judge_answers),
		cmocka_unit_test(test_judge_retries),
		cmocka_unit_test(test_judge_lost),
		cmocka_unit_test(test_judge_long_message),
		cmocka_unit_test(test_read_call),
		cmocka_unit_test(test_read_call_bad),
		cmocka_unit_test(test_judge_query),
		cmocka_unit_test(test_signature_example),
		cmocka_unit_test(test_signature_known),
		cmocka_unit_test(test_signature_ok),
		cmocka_unit_test(test_signature_bounds),
		cmocka_unit_test(test_token_good),
		cmocka_unit_test(test_token_length),
		cmocka_unit_test(test_token_bad),
		cmocka_unit_test(test_token_not_file),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
