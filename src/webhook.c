/*
 * webhook: turns a webhook body into a call id and a status. The content
 * type picks the reader from a table: JSON, or a Twilio-style form.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "hex.h"
#include "util.h"
#include "webhook.h"

#define WEBHOOK_JSON_DEPTH 8  /* a webhook body is a flat object */

/* A reader is handed a body (never NULL) of at most WEBHOOK_BODY_MAX
 * bytes: webhook_parse checks both once for every type. */
typedef int reader_fn(const char *body, size_t len, struct webhook *out,
    char *err, size_t errlen);

static reader_fn read_json;
static reader_fn read_form;

/* The media types read, each with its reader. */
static const struct {
	const char *type;
	reader_fn *read;
} readers[] = {
	{ "application/json", read_json },
	{ "application/x-www-form-urlencoded", read_form },
};

/*
 * Finds the reader for ctype: its media type compared without case, then
 * nothing but blanks or ";parameters". NULL when none reads it.
 */
static reader_fn *
reader_for(const char *ctype)
{
	if (ctype == NULL)
		return NULL;
	while (util_is_blank(*ctype))
		ctype++;
	for (size_t i = 0; i < LEN(readers); i++) {
		size_t n = strlen(readers[i].type);
		const char *rest = ctype + n;

		if (strncasecmp(ctype, readers[i].type, n) != 0)
			continue;
		while (util_is_blank(*rest))
			rest++;
		if (*rest == '\0' || *rest == ';')
			return readers[i].read;
	}
	return NULL;
}

/*
 * Copies a textual id of len bytes into out: 0, or 400 with err when it is
 * empty, longer than CAMPAIGN_ID_MAX or not printable ASCII.
 */
static int
copy_text_id(const char *s, size_t len, char out[CAMPAIGN_ID_MAX + 1],
    char *err, size_t errlen)
{
	if (len == 0) {
		util_err(err, errlen, "id is empty");
		return 400;
	}
	if (len > CAMPAIGN_ID_MAX) {
		util_err(err, errlen, "id too long");
		return 400;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch >= 0x7f) {
			util_err(err, errlen,
			    "id has characters other than printable ASCII");
			return 400;
		}
	}
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

int
webhook_read_id(struct json_object *id, char out[CAMPAIGN_ID_MAX + 1],
    char *err, size_t errlen)
{
	out[0] = '\0';
	switch (json_object_get_type(id)) {
	case json_type_null:
		return 0;
	case json_type_int:
		if (json_object_get_int64(id) < 0) {
			util_err(err, errlen, "id is negative");
			return 400;
		}
		/* json-c saturates larger numbers to UINT64_MAX. */
		if (json_object_get_uint64(id) == UINT64_MAX) {
			util_err(err, errlen, "id too large");
			return 400;
		}
		snprintf(out, CAMPAIGN_ID_MAX + 1, "%" PRIu64,
		    json_object_get_uint64(id));
		return 0;
	case json_type_string:
		return copy_text_id(json_object_get_string(id),
		    (size_t)json_object_get_string_len(id), out, err, errlen);
	case json_type_double:
		util_err(err, errlen, "id is not an integer");
		return 400;
	default:
		util_err(err, errlen, "id must be a number or a string");
		return 400;
	}
}

static int
read_json(const char *body, size_t len, struct webhook *out, char *err,
    size_t errlen)
{
	static const char *const why[] = {
		[UTIL_JSON_NO_MEMORY] = "out of memory",
		[UTIL_JSON_MALFORMED] = "malformed JSON",
		[UTIL_JSON_TRAILING] = "text after the JSON value",
		[UTIL_JSON_NOT_OBJECT] = "body is not a JSON object",
	};
	struct json_object *root = NULL, *id, *status;
	enum util_json parsed;
	int rc = 400;

	parsed = util_json_object(body, len, WEBHOOK_JSON_DEPTH, &root);
	if (parsed != UTIL_JSON_OK) {
		util_err(err, errlen, "%s", why[parsed]);
		rc = parsed == UTIL_JSON_NO_MEMORY ? 500 : 400;
		goto done;
	}
	if (json_object_object_get_ex(root, "id", &id)) {
		rc = webhook_read_id(id, out->id, err, errlen);
		if (rc != 0)
			goto done;
	}
	if (!json_object_object_get_ex(root, "status", &status) ||
	    !json_object_is_type(status, json_type_string)) {
		util_err(err, errlen, "status missing or not a string");
		rc = 422;
		goto done;
	}
	if (status_parse(json_object_get_string(status),
	    (size_t)json_object_get_string_len(status), &out->report.status) == -1) {
		util_err(err, errlen, "status not a known word");
		rc = 422;
		goto done;
	}
	rc = 0;

done:
	json_object_put(root);
	return rc;
}

/* The form fields read; Twilio sends many more, all ignored. */
#define WEBHOOK_FORM_ID "CallSid"
#define WEBHOOK_FORM_STATUS "CallStatus"

int
webhook_form_next(const char **p, const char *end, struct webhook_pair *pair)
{
	while (*p < end) {
		const char *start = *p;
		const char *amp = memchr(start, '&', (size_t)(end - start));
		const char *pend = amp != NULL ? amp : end;
		const char *eq = memchr(start, '=', (size_t)(pend - start));

		*p = amp != NULL ? amp + 1 : end;
		if (pend == start)
			continue;
		pair->name = start;
		pair->name_len = (size_t)((eq != NULL ? eq : pend) - start);
		pair->value = eq != NULL ? eq + 1 : pend;
		pair->value_len = (size_t)(pend - pair->value);
		return 1;
	}
	return 0;
}

char *
webhook_form_decode(const char *s, size_t len, size_t *outlen)
{
	char plain[WEBHOOK_BODY_MAX + 1];
	char *text;
	int n = 0;

	if (len > WEBHOOK_BODY_MAX)
		return NULL;
	/* A literal '+' arrives as %2B, so this cannot turn one into a space. */
	for (size_t i = 0; i < len; i++)
		plain[i] = s[i] == '+' ? ' ' : s[i];
	plain[len] = '\0';
	/* libcurl takes a 0 length as "use strlen", which "" satisfies. */
	text = curl_easy_unescape(NULL, plain, (int)len, &n);
	if (text != NULL)
		*outlen = (size_t)n;
	return text;
}

/* One form field that is read: its name and what the body gave for it. */
struct form_field {
	const char *name;
	char *value;          /* from webhook_form_decode; NULL while absent */
	size_t len;
};

/*
 * Reads the pairs of a form into the fields named in fields: 0, or 400 for
 * a field given twice, 500 when out of memory.
 */
static int
form_fields(const char *body, size_t len, struct form_field *fields,
    size_t nfields, char *err, size_t errlen)
{
	const char *p = body;
	struct webhook_pair pair;

	while (webhook_form_next(&p, body + len, &pair)) {
		struct form_field *f = NULL;
		size_t nlen;
		char *name = webhook_form_decode(pair.name, pair.name_len, &nlen);

		if (name == NULL) {
			util_err(err, errlen, "out of memory");
			return 500;
		}
		for (size_t i = 0; i < nfields && f == NULL; i++)
			if (strlen(fields[i].name) == nlen &&
			    memcmp(fields[i].name, name, nlen) == 0)
				f = &fields[i];
		curl_free(name);
		if (f == NULL)
			continue;
		if (f->value != NULL) {
			util_err(err, errlen, "%s given twice", f->name);
			return 400;
		}
		f->value = webhook_form_decode(pair.value, pair.value_len, &f->len);
		if (f->value == NULL) {
			util_err(err, errlen, "out of memory");
			return 500;
		}
	}
	return 0;
}

/*
 * A count the provider gives (SequenceNumber, CallDuration): decimal digits
 * only. One above max, however large, is kept as none (-1); anything but
 * digits is a malformed body, 400.
 */
static int
read_count(const struct form_field *f, int64_t max, int64_t *out, char *err,
    size_t errlen)
{
	const char *errstr;
	uint64_t n;

	if (f->value == NULL)
		return 0;
	n = util_strtou64(f->value, f->len, 0, (uint64_t)max, &errstr);
	if (errstr == NULL)
		*out = (int64_t)n;
	else if (strcmp(errstr, "out of range") == 0)
		*out = -1;
	else {
		util_err(err, errlen, "%s %s", f->name, errstr);
		return 400;
	}
	return 0;
}

/* A cursor over a text that is read in order: the Timestamp's. */
struct scan {
	const char *p, *end;
};

/* Skips one or more spaces: 0, or -1 when none is there. */
static int
scan_spaces(struct scan *c)
{
	if (c->p >= c->end || *c->p != ' ')
		return -1;
	while (c->p < c->end && *c->p == ' ')
		c->p++;
	return 0;
}

static int
scan_char(struct scan *c, char ch)
{
	if (c->p >= c->end || *c->p != ch)
		return -1;
	c->p++;
	return 0;
}

/* Reads min..max digits as a number into *out: 0, or -1. */
static int
scan_digits(struct scan *c, size_t min, size_t max, int64_t *out)
{
	size_t n = 0;

	*out = 0;
	while (n < max && c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		*out = *out * 10 + (*c->p - '0');
		c->p++;
		n++;
	}
	return n >= min ? 0 : -1;
}

/* Reads one of the 3-letter words of table (any case): its index, or -1. */
static int
scan_word(struct scan *c, const char *const *table, int n)
{
	if (c->end - c->p < 3)
		return -1;
	for (int i = 0; i < n; i++)
		if (strncasecmp(c->p, table[i], 3) == 0) {
			c->p += 3;
			return i;
		}
	return -1;
}

static const char *const day_names[] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
};
static const char *const month_names[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

static bool
leap_year(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to the first of January of y (y >= 1970). */
static int64_t
days_to_year(int64_t y)
{
	int64_t before = y - 1;

	return 365 * (y - 1970) + (before / 4 - 1969 / 4) -
	    (before / 100 - 1969 / 100) + (before / 400 - 1969 / 400);
}

/*
 * Days from 1970-01-01 to year-month-day (month 0..11), or -1 when there
 * is no such day or the year is outside 1970..9999.
 */
static int64_t
civil_days(int64_t year, int month, int64_t day)
{
	static const int month_days[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
	};
	int64_t days;

	if (year < 1970 || year > 9999 || day < 1 ||
	    day > month_days[month] + (month == 1 && leap_year(year)))
		return -1;
	days = days_to_year(year) + day - 1;
	for (int m = 0; m < month; m++)
		days += month_days[m] + (m == 1 && leap_year(year));
	return days;
}

/* The zone at the end of a date: "+HHMM", "-HHMM" or "GMT", as seconds
 * east of UTC: 0, or -1 when it is neither. */
static int
scan_zone(struct scan *c, int64_t *east_s)
{
	int64_t hhmm;
	int sign;

	if (c->end - c->p == 3 && memcmp(c->p, "GMT", 3) == 0) {
		c->p += 3;
		*east_s = 0;
		return 0;
	}
	if (c->p >= c->end || (*c->p != '+' && *c->p != '-'))
		return -1;
	sign = *c->p++ == '-' ? -1 : 1;
	if (c->end - c->p != 4 || scan_digits(c, 4, 4, &hhmm) == -1 ||
	    hhmm / 100 > 23 || hhmm % 100 > 59)
		return -1;
	*east_s = sign * (hhmm / 100 * 3600 + hhmm % 100 * 60);
	return 0;
}

/*
 * Reads Twilio's Timestamp, an RFC 2822 date ("Mon, 30 Nov 2026 02:31:40
 * +0000"; the day's name and the seconds may be left out) into epoch
 * seconds: 0, or -1 when it is no such date (a day's name that is not the
 * date's is none). Arithmetic only: no TZ, locale or timegm.
 */
static int
read_timestamp(const char *s, size_t len, int64_t *out)
{
	struct scan c = { s, s + len };
	int64_t day, year, hour, min, sec = 0, east_s, days;
	int wday = -1, month;

	if (len > 0 && (*s < '0' || *s > '9')) {
		if ((wday = scan_word(&c, day_names, 7)) == -1 ||
		    scan_char(&c, ',') == -1 || scan_spaces(&c) == -1)
			return -1;
	}
	if (scan_digits(&c, 1, 2, &day) == -1 || scan_spaces(&c) == -1 ||
	    (month = scan_word(&c, month_names, 12)) == -1 ||
	    scan_spaces(&c) == -1 || scan_digits(&c, 4, 4, &year) == -1 ||
	    scan_spaces(&c) == -1 || scan_digits(&c, 2, 2, &hour) == -1 ||
	    scan_char(&c, ':') == -1 || scan_digits(&c, 2, 2, &min) == -1)
		return -1;
	if (scan_char(&c, ':') == 0 && scan_digits(&c, 2, 2, &sec) == -1)
		return -1;
	if (scan_spaces(&c) == -1 || scan_zone(&c, &east_s) == -1 ||
	    hour > 23 || min > 59 || sec > 60 ||
	    (days = civil_days(year, month, day)) == -1 ||
	    (wday != -1 && (days + 4) % 7 != wday))
		return -1;
	*out = days * 86400 + hour * 3600 + min * 60 + sec - east_s;
	return *out >= 0 ? 0 : -1;
}

/*
 * Who answered: Twilio's AnsweredBy word. A word it may add later is
 * "unknown" (detection ran, its verdict is not one we read) rather than a
 * refusal that would lose the status beside it; an empty one is not said.
 */
static void
read_answered_by(const struct form_field *f, enum answered_by *out)
{
	if (f->value == NULL || f->len == 0)
		return;
	if (answered_by_parse(f->value, f->len, out) == -1)
		*out = ANSWERED_BY_UNKNOWN;
}

/* The fields a form is read for, by their place in read_form's table. */
enum form_index {
	FORM_ID,
	FORM_STATUS,
	FORM_SEQ,
	FORM_TIME,
	FORM_DURATION,
	FORM_ANSWERED_BY,
	FORM_COUNT
};

/*
 * What the provider adds beside the status: sequence, time, length, who
 * answered. 0, or 400 for a malformed count. A Timestamp that is not a
 * date is left out (provider_s none): the time only dates an event in the
 * row's history, and a date written another way must not cost the status
 * it comes with.
 */
static int
read_provider_fields(const struct form_field *fields, struct webhook *out,
    char *err, size_t errlen)
{
	const struct form_field *time = &fields[FORM_TIME];
	int rc;

	rc = read_count(&fields[FORM_SEQ], CAMPAIGN_SEQ_MAX, &out->report.seq,
	    err, errlen);
	if (rc == 0)
		rc = read_count(&fields[FORM_DURATION], WEBHOOK_DURATION_MAX,
		    &out->report.duration_s, err, errlen);
	if (rc != 0)
		return rc;
	if (time->value != NULL &&
	    read_timestamp(time->value, time->len, &out->report.provider_s) == -1)
		out->report.provider_s = -1;
	read_answered_by(&fields[FORM_ANSWERED_BY], &out->report.answered_by);
	return 0;
}

/*
 * A Twilio-style form: CallSid=...&CallStatus=...&(anything else). A form
 * with AnsweredBy and no CallStatus is Twilio's answering-machine
 * detection callback: it reports who answered, no status (STATUS_IDLE).
 */
static int
read_form(const char *body, size_t len, struct webhook *out, char *err,
    size_t errlen)
{
	struct form_field fields[FORM_COUNT] = {
		[FORM_ID] = { WEBHOOK_FORM_ID, NULL, 0 },
		[FORM_STATUS] = { WEBHOOK_FORM_STATUS, NULL, 0 },
		[FORM_SEQ] = { "SequenceNumber", NULL, 0 },
		[FORM_TIME] = { "Timestamp", NULL, 0 },
		[FORM_DURATION] = { "CallDuration", NULL, 0 },
		[FORM_ANSWERED_BY] = { "AnsweredBy", NULL, 0 },
	};
	struct form_field *sid = &fields[FORM_ID], *status = &fields[FORM_STATUS];
	int rc;

	rc = form_fields(body, len, fields, LEN(fields), err, errlen);
	if (rc == 0 && sid->value != NULL)
		rc = copy_text_id(sid->value, sid->len, out->id, err, errlen);
	if (rc == 0)
		rc = read_provider_fields(fields, out, err, errlen);
	if (rc != 0)
		goto done;
	rc = 422;
	if (status->value == NULL) {
		if (out->report.answered_by != ANSWERED_BY_NONE)
			rc = 0;
		else
			util_err(err, errlen, WEBHOOK_FORM_STATUS " missing");
	} else if (status_parse(status->value, status->len,
	    &out->report.status) == -1)
		util_err(err, errlen, WEBHOOK_FORM_STATUS " not a known word");
	else
		rc = 0;

done:
	for (size_t i = 0; i < LEN(fields); i++)
		curl_free(fields[i].value);
	return rc;
}

/* No id, no status, nothing from the provider. */
static void
webhook_clear(struct webhook *out)
{
	memset(out, 0, sizeof(*out));
	out->report = campaign_report_of(STATUS_IDLE);
}

int
webhook_parse(const char *ctype, const char *body, size_t len,
    struct webhook *out, char *err, size_t errlen)
{
	reader_fn *read = reader_for(ctype);
	int rc;

	webhook_clear(out);
	util_err(err, errlen, "%s", "");
	if (read == NULL) {
		util_err(err, errlen, "content type must be application/json or "
		    "application/x-www-form-urlencoded");
		return 415;
	}
	if (body == NULL) {
		body = "";
		len = 0;
	}
	if (len > WEBHOOK_BODY_MAX) {
		util_err(err, errlen, "body too large");
		return 413;
	}
	rc = read(body, len, out, err, errlen);
	if (rc != 0)
		webhook_clear(out);
	return rc;
}

int
webhook_url(const char *public_url, size_t row,
    const unsigned char key[CAMPAIGN_KEY_BYTES], char *out, size_t outlen)
{
	char hex[CAMPAIGN_KEY_BYTES * 2 + 1];
	int n;

	hex_encode(key, CAMPAIGN_KEY_BYTES, hex);
	n = snprintf(out, outlen, "%s/webhook/%zu/%s", public_url, row, hex);
	return n >= 0 && (size_t)n < outlen ? 0 : -1;
}
