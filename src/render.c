/*
 * render: the campaign as the JSON of GET /events and GET /calls/ROW. The
 * shapes are documented in docs/ARCHITECTURE.md; only known fields are
 * sent. The envelope is a json-c object; the rows, a million of them in a
 * big list, are written straight into one growing buffer, with every
 * string that needs escaping escaped by json-c. (A json-c tree of a
 * million objects took seconds and over a gigabyte, which the allocator
 * then kept.)
 */
#include "render.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "status.h"
#include "util.h"

/* The serializer's flags, for the envelope and every escaped string. */
#define RENDER_JSON_FLAGS JSON_C_TO_STRING_PLAIN
#define RENDER_FIRST_SIZE 4096    /* a diff's first buffer */
#define RENDER_ROW_GUESS 96       /* bytes per row a full list starts with */
#define RENDER_TAKE 1000          /* rows copied at a time, rendering a full
                                     list at once */

/* The answer being written, and the json-c string that escapes for it. */
struct render_out {
	const struct campaign *campaign;
	struct buf b;                /* failed: out of memory, the render fails */
	struct json_object *escaper; /* a json-c string, reused for each field */
	bool first;                  /* no row written yet */
};

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
		buf_char(&o->b, '"');
		buf_add(&o->b, s, len);
		buf_char(&o->b, '"');
		return;
	}
	if (json_object_set_string(o->escaper, s) != 1 ||
	    (text = json_object_to_json_string_length(o->escaper,
	    RENDER_JSON_FLAGS, &len)) == NULL) {
		o->b.failed = true;
		return;
	}
	buf_add(&o->b, text, len);
}

/* Writes ",\"name\":", a member's start. */
static void
render_key(struct render_out *o, const char *name)
{
	buf_str(&o->b, ",\"");
	buf_str(&o->b, name);
	buf_str(&o->b, "\":");
}

/* Writes the member name: s as a JSON string, or null when s is NULL. */
static void
render_member(struct render_out *o, const char *name, const char *s)
{
	render_key(o, name);
	if (s == NULL)
		buf_str(&o->b, "null");
	else
		render_string(o, s);
}

/* Writes an ISO 8601 time for ms as a JSON string, or null when ms < 0. */
static void
render_iso(struct render_out *o, int64_t ms)
{
	char iso[UTIL_ISO_MAX];

	if (ms >= 0 && util_iso_ms(ms, iso) > 0)
		render_string(o, iso);
	else
		buf_str(&o->b, "null");
}

/* Writes the member name: v, or null when v < 0. */
static void
render_maybe(struct render_out *o, const char *name, int64_t v)
{
	render_key(o, name);
	if (v < 0)
		buf_str(&o->b, "null");
	else
		buf_u64(&o->b, (uint64_t)v);
}

/* Writes the members of row's object that /events and /calls/ROW share,
 * from its opening brace on, leaving it open. */
static void
render_row_fields(struct render_out *o, size_t row,
    const struct campaign_row *r)
{
	int m;

	buf_str(&o->b, "{\"row\":");
	buf_u64(&o->b, row);
	render_member(o, "phone", r->phone);
	render_member(o, "status", status_name(r->status));
	if (r->call_id != NULL)
		render_member(o, "id", r->call_id);
	if (r->reason != NULL)
		render_member(o, "reason", r->reason);
	render_maybe(o, "attempts", r->attempts);
	if (r->calls > 1)
		render_maybe(o, "calls", r->calls);
	if (r->redial) {
		buf_str(&o->b, ",\"redial\":true,\"redial_at\":");
		buf_u64(&o->b, (uint64_t)r->redial_at_ms);
	}
	/* The campaign keeps marks in 0..CAMPAIGN_MS_MAX. */
	for (m = 0; m < MARK_COUNT; m++)
		if (r->at_ms[m] > 0)
			render_maybe(o, status_mark_name((enum mark)m),
			    r->at_ms[m]);
}

/* Writes row's object as /events has it, from r, its state. */
static void
render_row_of(struct render_out *o, size_t row, const struct campaign_row *r)
{
	if (o->b.failed)
		return;
	if (!o->first)
		buf_char(&o->b, ',');
	o->first = false;
	render_row_fields(o, row, r);
	if (r->answered_by != ANSWERED_BY_NONE)
		render_member(o, "answered_by", answered_by_name(r->answered_by));
	buf_char(&o->b, '}');
}

/* Writes one row's object as /events has it: campaign_changes_since's
 * callback. */
static void
render_row(size_t row, void *arg)
{
	struct render_out *o = arg;

	render_row_of(o, row, campaign_row(o->campaign, row));
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

/*
 * A full list being written: the answer so far, the next row, and the
 * rows taken (render_full_take) and not yet written: their state copied,
 * their strings that may change (call id, reason) in strings. A phone
 * never changes while the campaign lives: it is pointed to.
 */
struct render_full {
	struct render_out o;
	size_t next;
	size_t first;                 /* the row of taken[0] */
	size_t count;                 /* rows in taken */
	size_t room;                  /* rows taken may hold */
	struct campaign_row *taken;
	struct buf strings;
};

/* Starts o's answer: the envelope of c as of now, without its closing
 * brace, then the calls' opening. 0, or -1 when out of memory (o's buffer
 * is then failed). */
static int
render_open(struct render_out *o, const struct campaign *c,
    const struct render_process *p, bool full)
{
	struct json_object *root;
	const char *text;
	size_t text_len;
	int ret = -1;

	o->campaign = c;
	o->first = true;
	o->escaper = json_object_new_string("");
	root = render_envelope(c, p->instance, p->version, p->journal, full);
	if (o->escaper == NULL || root == NULL)
		goto done;
	text = json_object_to_json_string_length(root, RENDER_JSON_FLAGS,
	    &text_len);
	if (text == NULL || text_len < 2 || text[text_len - 1] != '}')
		goto done;
	buf_add(&o->b, text, text_len - 1);
	buf_str(&o->b, ",\"calls\":[");
	ret = 0;
done:
	if (ret != 0)
		o->b.failed = true;
	json_object_put(root);
	return ret;
}

/* Ends o's answer and frees what it holds: the string, or NULL. */
static char *
render_close(struct render_out *o, size_t *len)
{
	char *out;

	buf_str(&o->b, "]}");
	out = buf_take(&o->b, len);
	buf_free(&o->b);
	json_object_put(o->escaper);
	o->escaper = NULL;
	return out;
}

/* Frees what f holds but its answer. */
static void
render_full_free(struct render_full *f)
{
	free(f->taken);
	buf_free(&f->strings);
	free(f);
}

struct render_full *
render_full_begin(const struct campaign *c, const struct render_process *p)
{
	struct render_full *f = calloc(1, sizeof(*f));
	size_t n = campaign_size(c), cap = RENDER_FIRST_SIZE;

	if (f == NULL)
		return NULL;
	if (n < (SIZE_MAX - RENDER_FIRST_SIZE) / RENDER_ROW_GUESS)
		cap += n * RENDER_ROW_GUESS;
	buf_init(&f->o.b, cap);
	buf_init(&f->strings, RENDER_FIRST_SIZE);
	if (render_open(&f->o, c, p, true) != 0) {
		/* Failed: render_close frees and hands over nothing. */
		(void)render_close(&f->o, &cap);
		render_full_free(f);
		return NULL;
	}
	return f;
}

/* Copies s, if any, to the end of strings: its offset there, plus one
 * (0: none). */
static size_t
render_keep(struct buf *strings, const char *s)
{
	size_t at = strings->len;

	if (s == NULL)
		return 0;
	buf_add(strings, s, strlen(s) + 1);
	return at + 1;
}

/* The string kept at offset at plus one (render_keep), or NULL. */
static char *
render_kept(struct buf *strings, uintptr_t at)
{
	return at == 0 ? NULL : strings->data + at - 1;
}

bool
render_full_take(struct render_full *f, const struct campaign *c,
    size_t max)
{
	size_t n = campaign_size(c), i, want;
	struct campaign_row *t;

	want = n - f->next < max ? n - f->next : max;
	if (want == 0 || f->o.b.failed)
		return false;
	if (want > f->room) {
		t = realloc(f->taken, want * sizeof(*t));
		if (t == NULL) {
			f->o.b.failed = true;
			return false;
		}
		f->taken = t;
		f->room = want;
	}
	f->strings.len = 0;
	f->first = f->next;
	for (i = 0; i < want; i++) {
		t = &f->taken[i];
		*t = *campaign_row(c, f->next + i);
		/* Offsets while strings may move; pointers once it is done. */
		t->call_id = (char *)(uintptr_t)render_keep(&f->strings,
		    t->call_id);
		t->reason = (char *)(uintptr_t)render_keep(&f->strings,
		    t->reason);
	}
	if (f->strings.failed) {
		f->o.b.failed = true;
		return false;
	}
	for (i = 0; i < want; i++) {
		t = &f->taken[i];
		t->call_id = render_kept(&f->strings, (uintptr_t)t->call_id);
		t->reason = render_kept(&f->strings, (uintptr_t)t->reason);
	}
	f->count = want;
	f->next += want;
	return true;
}

void
render_full_write(struct render_full *f)
{
	size_t i;

	for (i = 0; i < f->count && !f->o.b.failed; i++)
		render_row_of(&f->o, f->first + i, &f->taken[i]);
	f->count = 0;
}

char *
render_full_end(struct render_full *f, size_t *len)
{
	char *out = NULL;

	if (f->next < campaign_size(f->o.campaign) || f->count > 0)
		f->o.b.failed = true;   /* ended before its last row */
	out = render_close(&f->o, len);
	render_full_free(f);
	return out;
}

char *
render_events(const struct campaign *c, const struct render_process *p,
    const uint64_t *since, size_t *len)
{
	struct render_out o = { 0 };
	struct render_full *f;

	if (since == NULL || !campaign_log_reaches(c, *since)) {
		if ((f = render_full_begin(c, p)) == NULL)
			return NULL;
		while (render_full_take(f, c, RENDER_TAKE))
			render_full_write(f);
		return render_full_end(f, len);
	}
	buf_init(&o.b, RENDER_FIRST_SIZE);
	render_open(&o, c, p, false);
	if (!o.b.failed)
		campaign_changes_since(c, *since, render_row, &o);
	return render_close(&o, len);
}

/* Writes row's history: ,"events":[{...},...], oldest first. */
static void
render_events_of(struct render_out *o, size_t row)
{
	struct campaign_event ev[CAMPAIGN_EVENTS_MAX];
	size_t i, n = campaign_events(o->campaign, row, ev, CAMPAIGN_EVENTS_MAX);

	buf_str(&o->b, ",\"events\":[");
	for (i = 0; i < n; i++) {
		buf_str(&o->b, i == 0 ? "{\"at\":" : ",{\"at\":");
		render_iso(o, ev[i].at_ms);
		render_member(o, "status", status_name(ev[i].status));
		render_member(o, "source", event_source_name(ev[i].source));
		render_maybe(o, "seq", ev[i].seq);
		render_key(o, "provider_time");
		render_iso(o, ev[i].provider_s < 0 ? -1 : ev[i].provider_s * 1000);
		buf_str(&o->b, ev[i].applied ? ",\"applied\":true}" :
		    ",\"applied\":false}");
	}
	buf_char(&o->b, ']');
}

char *
render_call(const struct campaign *c, size_t row, size_t *len)
{
	struct render_out o = { .campaign = c };
	const struct campaign_row *r = campaign_row(c, row);
	char *out = NULL;

	if (r == NULL)
		return NULL;
	buf_init(&o.b, RENDER_FIRST_SIZE);
	if ((o.escaper = json_object_new_string("")) == NULL)
		goto done;
	render_row_fields(&o, row, r);
	render_member(&o, "answered_by", r->answered_by == ANSWERED_BY_NONE ?
	    NULL : answered_by_name(r->answered_by));
	render_maybe(&o, "duration_s", r->duration_s);
	render_events_of(&o, row);
	buf_char(&o.b, '}');
	out = buf_take(&o.b, len);
done:
	buf_free(&o.b);
	json_object_put(o.escaper);
	return out;
}
