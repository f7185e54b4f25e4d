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

/*
 * Decodes one name or value of a form (len <= WEBHOOK_BODY_MAX): '+' is a
 * space, then libcurl undoes the %XX escapes. Returns a string to free with
 * curl_free and its length in *outlen (it may hold NUL bytes), or NULL when
 * out of memory.
 */
static char *
form_decode(const char *s, size_t len, size_t *outlen)
{
	char plain[WEBHOOK_BODY_MAX + 1];
	char *text;
	int n = 0;

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
	char *value;          /* from form_decode; NULL while absent */
	size_t len;
};

/*
 * Reads name=value pairs split on '&' (a pair without '=' has an empty
 * value, empty pairs are skipped) into the fields named in fields: 0, or
 * 400 for a field given twice, 500 when out of memory.
 */
static int
form_fields(const char *body, size_t len, struct form_field *fields,
    size_t nfields, char *err, size_t errlen)
{
	const char *p = body, *end = body + len;

	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *pend = amp != NULL ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(pend - p));
		const char *nend = eq != NULL ? eq : pend;
		const char *val = eq != NULL ? eq + 1 : pend;
		struct form_field *f = NULL;
		size_t nlen;
		char *name;

		if (pend == p) {
			p = pend + 1;
			continue;
		}
		name = form_decode(p, (size_t)(nend - p), &nlen);
		if (name == NULL) {
			util_err(err, errlen, "out of memory");
			return 500;
		}
		for (size_t i = 0; i < nfields && f == NULL; i++)
			if (strlen(fields[i].name) == nlen &&
			    memcmp(fields[i].name, name, nlen) == 0)
				f = &fields[i];
		curl_free(name);
		if (f != NULL && f->value != NULL) {
			util_err(err, errlen, "%s given twice", f->name);
			return 400;
		}
		if (f != NULL) {
			f->value = form_decode(val, (size_t)(pend - val), &f->len);
			if (f->value == NULL) {
				util_err(err, errlen, "out of memory");
				return 500;
			}
		}
		p = pend + 1;
	}
	return 0;
}

/* A Twilio-style form: CallSid=...&CallStatus=...&(anything else). */
static int
read_form(const char *body, size_t len, struct webhook *out, char *err,
    size_t errlen)
{
	struct form_field fields[] = {
		{ WEBHOOK_FORM_ID, NULL, 0 },
		{ WEBHOOK_FORM_STATUS, NULL, 0 },
	};
	struct form_field *sid = &fields[0], *status = &fields[1];
	int rc;

	rc = form_fields(body, len, fields, LEN(fields), err, errlen);
	if (rc != 0)
		goto done;
	if (sid->value != NULL) {
		rc = copy_text_id(sid->value, sid->len, out->id, err, errlen);
		if (rc != 0)
			goto done;
	}
	if (status->value == NULL) {
		util_err(err, errlen, WEBHOOK_FORM_STATUS " missing");
		rc = 422;
		goto done;
	}
	if (status_parse(status->value, status->len, &out->report.status) == -1) {
		util_err(err, errlen, WEBHOOK_FORM_STATUS " not a known word");
		rc = 422;
		goto done;
	}
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
