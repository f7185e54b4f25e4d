/*
 * render: the campaign as the JSON of GET /events. The shape is documented
 * in docs/ARCHITECTURE.md; only known fields are sent. The envelope is a
 * json-c object; the rows, a million of them in a big list, are written
 * straight into one growing buffer, with every string that needs escaping
 * escaped by json-c. (A json-c tree of a million objects took seconds and
 * over a gigabyte, which the allocator then kept.)
 */
#include "render.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "status.h"
#include "util.h"

/* The serializer's flags, for the envelope and every escaped string. */
#define RENDER_JSON_FLAGS JSON_C_TO_STRING_PLAIN
#define RENDER_FIRST_SIZE 4096    /* a diff's first buffer */
#define RENDER_ROW_GUESS 96       /* bytes per row a full list starts with */

/* The answer being written, and the json-c string that escapes for it. */
struct render_out {
	const struct campaign *campaign;
	char *buf;                   /* NUL-terminated once done */
	size_t len;
	size_t cap;
	struct json_object *escaper; /* a json-c string, reused for each field */
	bool first;                  /* no row written yet */
	bool failed;                 /* out of memory: the render fails */
};

/* Makes room for need more bytes and a NUL: false when out of memory. */
static bool
render_room(struct render_out *o, size_t need)
{
	size_t cap = o->cap;
	char *grown;

	if (o->failed)
		return false;
	if (o->len + need + 1 <= cap)
		return true;
	while (o->len + need + 1 > cap) {
		if (cap > SIZE_MAX / 2) {
			o->failed = true;
			return false;
		}
		cap *= 2;
	}
	if ((grown = realloc(o->buf, cap)) == NULL) {
		o->failed = true;
		return false;
	}
	o->buf = grown;
	o->cap = cap;
	return true;
}

static void
render_raw(struct render_out *o, const char *s, size_t len)
{
	if (!render_room(o, len))
		return;
	memcpy(o->buf + o->len, s, len);
	o->len += len;
}

static void
render_lit(struct render_out *o, const char *s)
{
	render_raw(o, s, strlen(s));
}

static void
render_u64(struct render_out *o, uint64_t v)
{
	char digits[UTIL_U64_DIGITS];
	size_t n = 0;

	do {
		digits[sizeof(digits) - ++n] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	render_raw(o, digits + sizeof(digits) - n, n);
}

/*
 * Whether JSON keeps every byte of s as it is: printable ASCII other than
 * the quote, the backslash and the slash (which json-c escapes too). Phones
 * (digits and '+'), status words and most call ids are such strings; they
 * are copied between quotes, which spares a json-c round per field.
 */
static bool
render_plain(const char *s, size_t *len)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch > 0x7e || ch == '"' || ch == '\\' || ch == '/')
			return false;
	}
	*len = i;
	return true;
}

/* Writes s as a JSON string, escaped by json-c unless it needs none. */
static void
render_string(struct render_out *o, const char *s)
{
	const char *text;
	size_t len;

	if (render_plain(s, &len)) {
		if (!render_room(o, len + 2))
			return;
		o->buf[o->len++] = '"';
		memcpy(o->buf + o->len, s, len);
		o->len += len;
		o->buf[o->len++] = '"';
		return;
	}
	if (json_object_set_string(o->escaper, s) != 1 ||
	    (text = json_object_to_json_string_length(o->escaper,
	    RENDER_JSON_FLAGS, &len)) == NULL) {
		o->failed = true;
		return;
	}
	render_raw(o, text, len);
}

/* Writes one row's object: campaign_changes_since's callback, and the loop
 * body of a full render. */
static void
render_row(size_t row, void *arg)
{
	struct render_out *o = arg;
	const struct campaign_row *r = campaign_row(o->campaign, row);
	int m;

	if (o->failed)
		return;
	render_lit(o, o->first ? "{\"row\":" : ",{\"row\":");
	o->first = false;
	render_u64(o, row);
	render_lit(o, ",\"phone\":");
	render_string(o, r->phone);
	render_lit(o, ",\"status\":");
	render_string(o, status_name(r->status));
	if (r->call_id != NULL) {
		render_lit(o, ",\"id\":");
		render_string(o, r->call_id);
	}
	if (r->reason != NULL) {
		render_lit(o, ",\"reason\":");
		render_string(o, r->reason);
	}
	render_lit(o, ",\"attempts\":");
	render_u64(o, r->attempts);
	if (r->calls > 1) {
		render_lit(o, ",\"calls\":");
		render_u64(o, r->calls);
	}
	if (r->redial) {
		render_lit(o, ",\"redial\":true,\"redial_at\":");
		render_u64(o, (uint64_t)r->redial_at_ms);
	}
	/* The campaign keeps marks in 0..CAMPAIGN_MS_MAX. */
	for (m = 0; m < MARK_COUNT; m++) {
		if (r->at_ms[m] > 0) {
			render_lit(o, ",\"");
			render_lit(o, status_mark_name((enum mark)m));
			render_lit(o, "\":");
			render_u64(o, (uint64_t)r->at_ms[m]);
		}
	}
	render_lit(o, "}");
}

/* The envelope: every member but "calls", serialized by json-c; NULL when
 * out of memory. The caller puts it. */
static struct json_object *
render_envelope(const struct campaign *c, const char *instance,
    const char *program_version, bool journal, bool full)
{
	struct json_object *root = json_object_new_object();
	struct campaign_counts counts;
	const char *waiting;
	int64_t until = 0;
	int fail = 0;

	if (root == NULL)
		return NULL;
	campaign_counts(c, &counts);
	waiting = campaign_waiting(c, &until);
	fail |= util_json_put(root, "instance",
	    json_object_new_string(instance != NULL ? instance : ""));
	fail |= util_json_put(root, "journal", json_object_new_boolean(journal));
	if (program_version != NULL)
		fail |= util_json_put(root, "program_version",
		    json_object_new_string(program_version));
	fail |= util_json_put(root, "version",
	    json_object_new_uint64(campaign_version(c)));
	fail |= util_json_put(root, "full", json_object_new_boolean(full));
	fail |= util_json_put(root, "started", json_object_new_boolean(counts.started));
	fail |= util_json_put(root, "state",
	    json_object_new_string(campaign_state_name(campaign_state(c))));
	if (campaign_pause_reason(c) != NULL)
		fail |= util_json_put(root, "pause_reason",
		    json_object_new_string(campaign_pause_reason(c)));
	if (waiting != NULL) {
		fail |= util_json_put(root, "waiting_reason",
		    json_object_new_string(waiting));
		fail |= util_json_put(root, "waiting_until",
		    json_object_new_int64(until));
	}
	fail |= util_json_put(root, "total", json_object_new_uint64(counts.total));
	fail |= util_json_put(root, "dialed", json_object_new_uint64(counts.dialed));
	fail |= util_json_put(root, "in_flight",
	    json_object_new_uint64(counts.in_flight));
	fail |= util_json_put(root, "done", json_object_new_uint64(counts.done));
	fail |= util_json_put(root, "redials",
	    json_object_new_uint64(counts.redials));
	fail |= util_json_put(root, "limit", json_object_new_uint64(counts.limit));
	if (fail) {
		json_object_put(root);
		return NULL;
	}
	return root;
}

char *
render_events(const struct campaign *c, const struct render_process *p,
    const uint64_t *since, size_t *len)
{
	struct render_out o = { .campaign = c, .first = true };
	struct json_object *root = NULL;
	const char *text;
	size_t i, n = campaign_size(c), text_len;
	bool full = since == NULL || !campaign_log_reaches(c, *since);

	o.cap = RENDER_FIRST_SIZE;
	if (full && n < (SIZE_MAX - RENDER_FIRST_SIZE) / RENDER_ROW_GUESS)
		o.cap += n * RENDER_ROW_GUESS;
	o.buf = malloc(o.cap);
	o.escaper = json_object_new_string("");
	root = render_envelope(c, p->instance, p->version, p->journal, full);
	if (o.buf == NULL || o.escaper == NULL || root == NULL)
		goto fail;
	text = json_object_to_json_string_length(root, RENDER_JSON_FLAGS,
	    &text_len);
	if (text == NULL || text_len < 2 || text[text_len - 1] != '}')
		goto fail;
	/* The envelope without its closing brace, then the calls. */
	render_raw(&o, text, text_len - 1);
	render_lit(&o, ",\"calls\":[");
	if (full) {
		for (i = 0; i < n && !o.failed; i++)
			render_row(i, &o);
	} else {
		campaign_changes_since(c, *since, render_row, &o);
	}
	render_lit(&o, "]}");
	if (o.failed)
		goto fail;
	o.buf[o.len] = '\0';
	if (len != NULL)
		*len = o.len;
	json_object_put(o.escaper);
	json_object_put(root);
	return o.buf;
fail:
	json_object_put(o.escaper);
	json_object_put(root);
	free(o.buf);
	return NULL;
}
