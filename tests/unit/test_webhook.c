/*
 * test_webhook: webhook bodies, JSON and Twilio-style forms, good and bad,
 * what Twilio adds beside the status (sequence, time, length, who
 * answered), and their content types.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "webhook.h"

#define ERR_MAX 256
#define JSON "application/json"
#define FORM "application/x-www-form-urlencoded"
#define BAD_TYPE \
	"content type must be application/json or application/x-www-form-urlencoded"

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
		assert_int_equal(w.report.status, cases[i].status);
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
		assert_int_equal(w.report.status, words[i].status);
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
		"multipart/form-data",
		"application/x-www-form-urlencodedx",
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
		assert_int_equal(w.report.status, STATUS_RINGING);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct webhook w;
		char err[ERR_MAX] = "";

		assert_int_equal(parse(bad[i], body, &w, err), 415);
		assert_string_equal(err, BAD_TYPE);
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

/* Twilio-style forms: the two fields read wherever they are, decoded. */
static void
test_form_good(void **state)
{
	static const struct {
		const char *body, *id;
		enum status status;
	} cases[] = {
		{ "CallSid=CA0123456789abcdef&CallStatus=ringing",
		    "CA0123456789abcdef", STATUS_RINGING },
		/* Twilio's other fields are ignored, in any order. */
		{ "AccountSid=AC1&ApiVersion=2010-04-01&CallStatus=completed"
		    "&Called=%2B13018040009&CallDuration=12&CallSid=CA9"
		    "&Direction=outbound-api&From=%2B15550001111&SequenceNumber=3",
		    "CA9", STATUS_COMPLETED },
		/* Percent escapes, in the values and in the names. */
		{ "CallSid=CA%41%62&CallStatus=in%2Dprogress", "CAAb",
		    STATUS_ANSWERED },
		{ "Call%53id=CA1&%43all%53tatus=busy", "CA1", STATUS_BUSY },
		{ "CallSid=ca%2bplus&CallStatus=no-answer", "ca+plus",
		    STATUS_NO_ANSWER },
		/* '+' is a space; %2B is a plus. */
		{ "CallSid=a+b+c&CallStatus=queued", "a b c", STATUS_DIALING },
		{ "CallSid=%2B1+2&CallStatus=initiated", "+1 2", STATUS_DIALING },
		/* No CallSid: no id. */
		{ "CallStatus=canceled", "", STATUS_CANCELED },
		{ "CallStatus=failed&From=", "", STATUS_FAILED },
		/* Empty pairs and a field without '=' are skipped over. */
		{ "&&CallStatus=ringing&&Flag&CallSid=7&", "7", STATUS_RINGING },
		/* Another field given twice is nobody's business. */
		{ "To=1&To=2&CallStatus=ringing", "", STATUS_RINGING },
		/* Names are matched exactly: these are other fields. */
		{ "callsid=X&CallSid2=Y&CallStatus=ringing&callstatus=bogus", "",
		    STATUS_RINGING },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct webhook w;
		char err[ERR_MAX] = "";

		assert_int_equal(parse(FORM, cases[i].body, &w, err), 0);
		assert_string_equal(err, "");
		assert_string_equal(w.id, cases[i].id);
		assert_int_equal(w.report.status, cases[i].status);
	}
}

/* Every word a provider may send, in a form, and the words it must not. */
static void
test_form_words(void **state)
{
	static const struct {
		const char *word;
		enum status status;
	} words[] = {
		{ "queued", STATUS_DIALING },
		{ "initiated", STATUS_DIALING },
		{ "ringing", STATUS_RINGING },
		{ "in-progress", STATUS_ANSWERED },
		{ "answered", STATUS_ANSWERED },
		{ "completed", STATUS_COMPLETED },
		{ "busy", STATUS_BUSY },
		{ "no-answer", STATUS_NO_ANSWER },
		{ "failed", STATUS_FAILED },
		{ "canceled", STATUS_CANCELED },
	};
	static const char *const unknown[] = {
		"exploded", "idle", "dialing", "RINGING", "Ringing",
		"in+progress", "in%20progress", "ringing+", "ringing%00",
		"%72inging%", "cancelled", "no_answer",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		char body[128];
		struct webhook w;
		char err[ERR_MAX] = "";

		snprintf(body, sizeof(body), "CallSid=CA7&CallStatus=%s",
		    words[i].word);
		assert_int_equal(parse(FORM, body, &w, err), 0);
		assert_int_equal(w.report.status, words[i].status);
		assert_string_equal(w.id, "CA7");
	}
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		char body[128];
		struct webhook w;
		char err[ERR_MAX] = "";

		snprintf(body, sizeof(body), "CallSid=CA7&CallStatus=%s",
		    unknown[i]);
		assert_int_equal(parse(FORM, body, &w, err), 422);
		assert_string_equal(err, "CallStatus not a known word");
		assert_string_equal(w.id, "");
	}
}

/* The Timestamp of Twilio's example callback, 2026-11-30 02:31:40 UTC. */
#define STAMP 1796005900

/* A report as a webhook gave it, and as it is wanted. */
static void
assert_report(const struct campaign_report *r, enum status status,
    int64_t seq, int64_t provider_s, int64_t duration_s,
    enum answered_by answered_by)
{
	assert_int_equal(r->status, status);
	assert_int_equal(r->seq, seq);
	assert_int_equal(r->provider_s, provider_s);
	assert_int_equal(r->duration_s, duration_s);
	assert_int_equal(r->answered_by, answered_by);
}

/* Forms that are refused, each with its code and reason. */
static void
test_form_bad(void **state)
{
	static const struct {
		const char *body;
		int code;
		const char *err;
	} cases[] = {
		{ "", 422, "CallStatus missing" },
		{ "CallSid=CA1", 422, "CallStatus missing" },
		{ "CallSid=CA1&Status=ringing", 422, "CallStatus missing" },
		{ "{\"id\": 1, \"status\": \"ringing\"}", 422, "CallStatus missing" },
		/* An empty value is given but says nothing. */
		{ "CallSid=CA1&CallStatus=", 422, "CallStatus not a known word" },
		{ "CallSid=CA1&CallStatus", 422, "CallStatus not a known word" },
		{ "CallSid=&CallStatus=ringing", 400, "id is empty" },
		{ "CallSid&CallStatus=ringing", 400, "id is empty" },
		/* The same field twice is ambiguous, whatever the values. */
		{ "CallSid=CA1&CallStatus=ringing&CallStatus=completed", 400,
		    "CallStatus given twice" },
		{ "CallStatus=ringing&CallStatus=ringing", 400,
		    "CallStatus given twice" },
		{ "CallSid=CA1&CallSid=CA2&CallStatus=ringing", 400,
		    "CallSid given twice" },
		{ "CallSid=CA1&Call%53id=CA1&CallStatus=ringing", 400,
		    "CallSid given twice" },
		/* Ids as JSON's: printable ASCII, at most CAMPAIGN_ID_MAX. */
		{ "CallSid=CA%0A1&CallStatus=ringing", 400,
		    "id has characters other than printable ASCII" },
		{ "CallSid=CA%001&CallStatus=ringing", 400,
		    "id has characters other than printable ASCII" },
		{ "CallSid=%C3%A9t%C3%A9&CallStatus=ringing", 400,
		    "id has characters other than printable ASCII" },
		/* A bad id is refused even when the status is bad too. */
		{ "CallSid=&CallStatus=exploded", 400, "id is empty" },
		/* What Twilio adds: counts of digits only, each field once. */
		{ "CallStatus=ringing&SequenceNumber=abc", 400,
		    "SequenceNumber not a number (digits only)" },
		{ "CallStatus=ringing&SequenceNumber=-1", 400,
		    "SequenceNumber not a number (digits only)" },
		{ "CallStatus=ringing&SequenceNumber=+1", 400,
		    "SequenceNumber not a number (digits only)" },
		{ "CallStatus=ringing&SequenceNumber=", 400,
		    "SequenceNumber not a number" },
		{ "CallStatus=ringing&CallDuration=1.5", 400,
		    "CallDuration not a number (digits only)" },
		{ "CallStatus=ringing&SequenceNumber=1&SequenceNumber=2", 400,
		    "SequenceNumber given twice" },
		{ "CallStatus=ringing&CallDuration=1&CallDuration=1", 400,
		    "CallDuration given twice" },
		{ "CallStatus=ringing&Timestamp=x&Timestamp=y", 400,
		    "Timestamp given twice" },
		{ "AnsweredBy=human&AnsweredBy=human", 400,
		    "AnsweredBy given twice" },
		/* A malformed count is refused before an unknown status. */
		{ "CallStatus=exploded&SequenceNumber=x", 400,
		    "SequenceNumber not a number (digits only)" },
		/* Neither a status nor who answered. */
		{ "CallSid=CA1&SequenceNumber=2", 422, "CallStatus missing" },
		{ "CallSid=CA1&AnsweredBy=", 422, "CallStatus missing" },
		{ "CallSid=CA1&AnsweredBy=human&CallStatus=exploded", 422,
		    "CallStatus not a known word" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct webhook w;
		char err[ERR_MAX] = "";

		assert_int_equal(parse(FORM, cases[i].body, &w, err),
		    cases[i].code);
		assert_string_equal(err, cases[i].err);
		assert_string_equal(w.id, "");
		assert_report(&w.report, STATUS_IDLE, -1, -1, -1,
		    ANSWERED_BY_NONE);
	}
}

/* The form's media type with parameters and odd case; ids at the bound. */
static void
test_form_types(void **state)
{
	static const char *const types[] = {
		FORM,
		"application/x-www-form-urlencoded; charset=utf-8",
		"Application/X-WWW-Form-URLEncoded",
		" application/x-www-form-urlencoded ;charset=UTF-8",
	};
	char body[3 * CAMPAIGN_ID_MAX + 64];
	char id[CAMPAIGN_ID_MAX + 2];
	struct webhook w;
	char err[ERR_MAX] = "";
	int n;

	(void)state;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		assert_int_equal(parse(types[i], "CallStatus=busy", &w, err), 0);
		assert_int_equal(w.report.status, STATUS_BUSY);
	}
	/* The length counts decoded bytes: CAMPAIGN_ID_MAX escapes fit. */
	n = snprintf(body, sizeof(body), "CallStatus=ringing&CallSid=");
	for (size_t i = 0; i < CAMPAIGN_ID_MAX; i++)
		n += snprintf(body + n, sizeof(body) - (size_t)n, "%%41");
	assert_int_equal(parse(FORM, body, &w, err), 0);
	memset(id, 'A', CAMPAIGN_ID_MAX);
	id[CAMPAIGN_ID_MAX] = '\0';
	assert_string_equal(w.id, id);
	snprintf(body + n, sizeof(body) - (size_t)n, "A");
	assert_int_equal(parse(FORM, body, &w, err), 400);
	assert_string_equal(err, "id too long");
}

/* A form is bounded like JSON, and taken by its length, NULs and all. */
static void
test_form_too_large(void **state)
{
	static char body[WEBHOOK_BODY_MAX + 2];
	static const char nul[] = "CallStatus=ringing&From=\0&CallSid=CA1";
	const char *head = "CallStatus=ringing&Pad=";
	struct webhook w;
	char err[ERR_MAX] = "";

	(void)state;
	memset(body, 'x', sizeof(body));
	memcpy(body, head, strlen(head));
	assert_int_equal(webhook_parse(FORM, body, WEBHOOK_BODY_MAX, &w, err,
	    sizeof(err)), 0);
	assert_int_equal(w.report.status, STATUS_RINGING);
	assert_int_equal(webhook_parse(FORM, body, WEBHOOK_BODY_MAX + 1, &w,
	    err, sizeof(err)), 413);
	assert_string_equal(err, "body too large");
	/* The whole body of a huge form is one value, not a reason to read on. */
	memset(body, '+', sizeof(body));
	memcpy(body, "CallStatus=", strlen("CallStatus="));
	assert_int_equal(webhook_parse(FORM, body, WEBHOOK_BODY_MAX, &w, err,
	    sizeof(err)), 422);
	assert_int_equal(webhook_parse(FORM, nul, sizeof(nul) - 1, &w, err,
	    sizeof(err)), 0);
	assert_string_equal(w.id, "CA1");
	assert_int_equal(webhook_parse(FORM, NULL, 0, &w, err, sizeof(err)),
	    422);
}

/* What Twilio adds beside the status: sequence, time, length, who
 * answered; and the answering-machine callback, which has no status. */
static void
test_form_report(void **state)
{
	static const struct {
		const char *body;
		enum status status;
		int64_t seq, provider_s, duration_s;
		enum answered_by answered_by;
	} cases[] = {
		{ "AccountSid=AC1&CallSid=CA1&CallStatus=completed&CallDuration=12"
		    "&SequenceNumber=3&Timestamp=Mon%2C+30+Nov+2026+02%3A31%3A40"
		    "+%2B0000&CallbackSource=call-progress-events&AnsweredBy=human",
		    STATUS_COMPLETED, 3, STAMP, 12, ANSWERED_BY_HUMAN },
		/* The answering-machine detection callback: no CallStatus. */
		{ "CallSid=CA1&AccountSid=AC1&AnsweredBy=machine_end_beep"
		    "&MachineDetectionDuration=2400", STATUS_IDLE, -1, -1, -1,
		    ANSWERED_BY_MACHINE_END_BEEP },
		{ "CallSid=CA1&AnsweredBy=fax", STATUS_IDLE, -1, -1, -1,
		    ANSWERED_BY_FAX },
		/* A word Twilio may add later: detection ran, verdict unread. */
		{ "CallSid=CA1&AnsweredBy=robot", STATUS_IDLE, -1, -1, -1,
		    ANSWERED_BY_UNKNOWN },
		{ "CallSid=CA1&CallStatus=in-progress&AnsweredBy=Human",
		    STATUS_ANSWERED, -1, -1, -1, ANSWERED_BY_UNKNOWN },
		{ "CallSid=CA1&CallStatus=in-progress&AnsweredBy=",
		    STATUS_ANSWERED, -1, -1, -1, ANSWERED_BY_NONE },
		/* Counts at and past their bounds: past is none. */
		{ "CallStatus=ringing&SequenceNumber=0&CallDuration=0",
		    STATUS_RINGING, 0, -1, 0, ANSWERED_BY_NONE },
		{ "CallStatus=ringing&SequenceNumber=65534&CallDuration=604800",
		    STATUS_RINGING, 65534, -1, 604800, ANSWERED_BY_NONE },
		{ "CallStatus=ringing&SequenceNumber=65535&CallDuration=604801",
		    STATUS_RINGING, -1, -1, -1, ANSWERED_BY_NONE },
		{ "CallStatus=ringing&SequenceNumber=123456789012345678901234567890"
		    "&CallDuration=0000000000000000000000000000000000000000001",
		    STATUS_RINGING, -1, -1, 1, ANSWERED_BY_NONE },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct webhook w;
		char err[ERR_MAX] = "";

		assert_int_equal(parse(FORM, cases[i].body, &w, err), 0);
		assert_string_equal(err, "");
		assert_report(&w.report, cases[i].status, cases[i].seq,
		    cases[i].provider_s, cases[i].duration_s,
		    cases[i].answered_by);
	}
}

/* Timestamps as RFC 2822 writes them, and texts that are no such date:
 * those are left out, the status kept. */
static void
test_form_timestamp(void **state)
{
	static const struct {
		const char *stamp;
		int64_t epoch_s;
	} cases[] = {
		{ "Mon, 30 Nov 2026 02:31:40 +0000", STAMP },
		{ "30 Nov 2026 02:31:40 +0000", STAMP },
		{ "Mon,  30  Nov  2026  02:31:40  +0000", STAMP },
		{ "Mon, 30 Nov 2026 04:31:40 +0200", STAMP },
		{ "Sun, 29 Nov 2026 21:01:40 -0530", STAMP },
		{ "Mon, 30 Nov 2026 02:31:40 GMT", STAMP },
		{ "mon, 30 nov 2026 02:31:40 +0000", STAMP },
		{ "Mon, 30 Nov 2026 02:31 +0000", STAMP - 40 },
		{ "Thu, 29 Feb 2024 23:59:59 +0000", 1709251199 },
		{ "Wed, 1 Mar 2000 12:00:00 +0000", 951912000 },
		{ "Thu, 01 Jan 1970 00:00:00 +0000", 0 },
		{ "Fri, 31 Dec 9999 23:59:59 +0000", 253402300799 },
		/* Left out: */
		{ "Tue, 30 Nov 2026 02:31:40 +0000", -1 },  /* not a Tuesday */
		{ "31 Nov 2026 02:31:40 +0000", -1 },
		{ "0 Nov 2026 02:31:40 +0000", -1 },
		{ "29 Feb 2100 00:00:00 +0000", -1 },       /* not a leap year */
		{ "30 Nov 2026 24:00:00 +0000", -1 },
		{ "30 Nov 2026 02:60:00 +0000", -1 },
		{ "30 Nov 2026 02:31:61 +0000", -1 },
		{ "30 Nov 2026 02:31:40 +2400", -1 },
		{ "30 Nov 2026 02:31:40 +0060", -1 },
		{ "30 Nov 2026 02:31:40 +000", -1 },
		{ "30 Nov 2026 02:31:40", -1 },
		{ "30 Nov 2026 02:31:40 EST", -1 },
		{ "30 Nov 2026 02:31:40 +0000 ", -1 },
		{ " 30 Nov 2026 02:31:40 +0000", -1 },
		{ "Mon,30 Nov 2026 02:31:40 +0000", -1 },
		{ "Mon 30 Nov 2026 02:31:40 +0000", -1 },
		{ "30 Nov 26 02:31:40 +0000", -1 },
		{ "30 November 2026 02:31:40 +0000", -1 },
		{ "30 Nov 2026 2:31:40 +0000", -1 },
		{ "2026-11-30T02:31:40Z", -1 },
		{ "1796005900", -1 },
		{ "1 Jan 1970 00:00:00 +0100", -1 },         /* before 1970 */
		{ "31 Dec 1969 23:59:59 -0100", -1 },
		{ "", -1 },
		{ "Mon", -1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *escaped = curl_easy_escape(NULL, cases[i].stamp, 0);
		char body[256];
		struct webhook w;
		char err[ERR_MAX] = "";

		assert_non_null(escaped);
		snprintf(body, sizeof(body), "CallStatus=busy&Timestamp=%s",
		    escaped);
		curl_free(escaped);
		assert_int_equal(parse(FORM, body, &w, err), 0);
		assert_int_equal(w.report.status, STATUS_BUSY);
		assert_int_equal(w.report.provider_s, cases[i].epoch_s);
	}
}

/* JSON gives an id and a status: what the provider adds stays none, even
 * when named in it. */
static void
test_json_report_none(void **state)
{
	struct webhook w;
	char err[ERR_MAX] = "";

	(void)state;
	assert_int_equal(parse(JSON, "{\"id\": 1, \"status\": \"completed\","
	    " \"SequenceNumber\": 3, \"CallDuration\": 12, \"AnsweredBy\":"
	    " \"human\"}", &w, err), 0);
	assert_report(&w.report, STATUS_COMPLETED, -1, -1, -1,
	    ANSWERED_BY_NONE);
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
		cmocka_unit_test(test_form_good),
		cmocka_unit_test(test_form_words),
		cmocka_unit_test(test_form_bad),
		cmocka_unit_test(test_form_types),
		cmocka_unit_test(test_form_too_large),
		cmocka_unit_test(test_form_report),
		cmocka_unit_test(test_form_timestamp),
		cmocka_unit_test(test_json_report_none),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
