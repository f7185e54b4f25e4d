/*
 * webhook: turns a webhook body into a call id and a status. The content
 * type picks the reader from a table; JSON is the only one so far.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <json.h>

#include "webhook.h"

#define WEBHOOK_JSON_DEPTH 8  /* a webhook body is a flat object */

typedef int reader_fn(const char *body, size_t len, struct webhook *out,
    char *err, size_t errlen);

static reader_fn read_json;

/* The media types read, each with its reader. */
static const struct {
	const char *type;
	reader_fn *read;
} readers[] = {
	{ "application/json", read_json },
};

#define READERS_LEN (sizeof(readers) / sizeof(readers[0]))

static void
set_err(char *err, size_t errlen, const char *msg)
{
	if (errlen > 0)
		snprintf(err, errlen, "%s", msg);
}

static bool
is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/*
 * Finds the reader for ctype: its media type compared without case, then
 * nothing but blanks or ";parameters". NULL when none reads it.
 */
static reader_fn *
reader_for(const char *ctype)
{
	if (ctype == NULL)
		return NULL;
	while (is_space(*ctype))
		ctype++;
	for (size_t i = 0; i < READERS_LEN; i++) {
		size_t n = strlen(readers[i].type);
		const char *rest = ctype + n;

		if (strncasecmp(ctype, readers[i].type, n) != 0)
			continue;
		while (is_space(*rest))
			rest++;
		if (*rest == '\0' || *rest == ';')
			return readers[i].read;
	}
	return NULL;
}

/* Copies a JSON id (number or string) into out->id: 0, or 400 with err. */
static int
read_id(struct json_object *id, struct webhook *out, char *err, size_t errlen)
{
	const char *s;
	size_t len;

	switch (json_object_get_type(id)) {
	case json_type_null:
		return 0;
	case json_type_int:
		if (json_object_get_int64(id) < 0) {
			set_err(err, errlen, "id is negative");
			return 400;
		}
		/* json-c saturates larger numbers to UINT64_MAX. */
		if (json_object_get_uint64(id) == UINT64_MAX) {
			set_err(err, errlen, "id too large");
			return 400;
		}
		snprintf(out->id, sizeof(out->id), "%" PRIu64,
		    json_object_get_uint64(id));
		return 0;
	case json_type_string:
		s = json_object_get_string(id);
		len = (size_t)json_object_get_string_len(id);
		if (len == 0) {
			set_err(err, errlen, "id is empty");
			return 400;
		}
		if (len > CAMPAIGN_ID_MAX) {
			set_err(err, errlen, "id too long");
			return 400;
		}
		for (size_t i = 0; i < len; i++) {
			unsigned char ch = (unsigned char)s[i];

			if (ch < 0x20 || ch >= 0x7f) {
				set_err(err, errlen,
				    "id has characters other than printable ASCII");
				return 400;
			}
		}
		memcpy(out->id, s, len);
		out->id[len] = '\0';
		return 0;
	case json_type_double:
		set_err(err, errlen, "id is not an integer");
		return 400;
	default:
		set_err(err, errlen, "id must be a number or a string");
		return 400;
	}
}

static int
read_json(const char *body, size_t len, struct webhook *out, char *err,
    size_t errlen)
{
	struct json_tokener *tok = NULL;
	struct json_object *root = NULL, *id, *status;
	int rc = 400;

	if (body == NULL) {
		body = "";
		len = 0;
	}
	if (len > WEBHOOK_BODY_MAX) {
		set_err(err, errlen, "body too large");
		rc = 413;
		goto done;
	}
	tok = json_tokener_new_ex(WEBHOOK_JSON_DEPTH);
	if (tok == NULL) {
		set_err(err, errlen, "out of memory");
		rc = 500;
		goto done;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, body, (int)len);
	/* A bare null parses to NULL with success: checked as a non-object. */
	if (json_tokener_get_error(tok) != json_tokener_success) {
		set_err(err, errlen, "malformed JSON");
		goto done;
	}
	/* The strict tokener stops quietly at a NUL byte: look past it. */
	for (size_t i = json_tokener_get_parse_end(tok); i < len; i++)
		if (!is_space(body[i])) {
			set_err(err, errlen, "text after the JSON value");
			goto done;
		}
	if (root == NULL || !json_object_is_type(root, json_type_object)) {
		set_err(err, errlen, "body is not a JSON object");
		goto done;
	}
	if (json_object_object_get_ex(root, "id", &id)) {
		rc = read_id(id, out, err, errlen);
		if (rc != 0)
			goto done;
	}
	if (!json_object_object_get_ex(root, "status", &status) ||
	    !json_object_is_type(status, json_type_string)) {
		set_err(err, errlen, "status missing or not a string");
		rc = 422;
		goto done;
	}
	if (status_parse(json_object_get_string(status),
	    (size_t)json_object_get_string_len(status), &out->status) == -1) {
		set_err(err, errlen, "status not a known word");
		rc = 422;
		goto done;
	}
	rc = 0;

done:
	json_object_put(root);
	if (tok != NULL)
		json_tokener_free(tok);
	return rc;
}

int
webhook_parse(const char *ctype, const char *body, size_t len,
    struct webhook *out, char *err, size_t errlen)
{
	reader_fn *read = reader_for(ctype);
	int rc;

	memset(out, 0, sizeof(*out));
	if (errlen > 0)
		err[0] = '\0';
	if (read == NULL) {
		set_err(err, errlen, "content type must be application/json");
		return 415;
	}
	rc = read(body, len, out, err, errlen);
	if (rc != 0)
		memset(out, 0, sizeof(*out));
	return rc;
}
