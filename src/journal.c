/*
 * journal: the campaign's JSON-lines file, its replay and its appends (see
 * journal.h for the contracts and docs/ARCHITECTURE.md for the format).
 */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "hex.h"
#include "hours.h"
#include "status.h"
#include "util.h"

#define JOURNAL_JSON_DEPTH 4         /* every line is one object, its
                                        events a list of lists */
#define JOURNAL_CHUNK ((size_t)1 << 20)  /* a snapshot is written in pieces
                                        of about this size */
#define JOURNAL_PATH_MAX 4096
#define JOURNAL_HASH_HEX 16          /* FNV-1a, 64 bits, in hex */
#define JOURNAL_ENTRY_MAX (NUMBERS_PHONE_MAX + 1 + HOURS_ZONE_MAX) /* a
                                        phone, a blank, its time zone */
#define JOURNAL_KEY_HEX (CAMPAIGN_KEY_BYTES * 2)
#define JOURNAL_WORD_MAX 32          /* longest status, source or who
                                        answered word */

/* The places of an event's fields in its list in a row's line. */
enum journal_event_field {
	JOURNAL_EVENT_AT,          /* epoch ms */
	JOURNAL_EVENT_STATUS,      /* status word */
	JOURNAL_EVENT_SOURCE,      /* source word */
	JOURNAL_EVENT_SEQ,         /* number, or null */
	JOURNAL_EVENT_PROVIDER,    /* epoch s, or null */
	JOURNAL_EVENT_APPLIED,     /* boolean */
	JOURNAL_EVENT_FIELDS
};
#define JOURNAL_LIST_PER_LINE 32     /* list entries in one line: under
                                        JOURNAL_LINE_MAX with room */
#define JOURNAL_FNV_OFFSET UINT64_C(14695981039346656037)
#define JOURNAL_FNV_PRIME UINT64_C(1099511628211)

/* Lines on their way to the file: gathered, then written in one call. */
struct journal_out {
	int fd;
	char *buf;
	size_t len, cap;
	size_t written;      /* bytes this output has put in the file */
	int error;           /* errno of the first failure; 0 while none */
};

struct journal {
	char *path;
	int fd;              /* the journal, O_APPEND */
	int lock_fd;         /* path.lock, flock'ed for the process's life */
	off_t size;          /* the file up to its last whole line */
	bool started_written;
	bool paused_written; /* the pause state the file ends with */
	bool stopped_written;
	bool healthy;        /* the last append reached the kernel */
	struct journal_out out;   /* its buffer is kept between appends */
};

/* The list's identity: its length and a hash of its phones in order. */
struct journal_list_id {
	size_t count;
	char hash[JOURNAL_HASH_HEX + 1];
};

/* A list entry as the journal keeps it: the phone, and its time zone
 * after a blank when the list names one (the list file's own form). */
static void
journal_entry(char buf[JOURNAL_ENTRY_MAX + 1], const char *phone,
    const char *zone)
{
	snprintf(buf, JOURNAL_ENTRY_MAX + 1, "%s%s%s", phone,
	    zone != NULL ? " " : "", zone != NULL ? zone : "");
}

/* The list hash moved on by the bytes of s. */
static uint64_t
journal_hash_text(uint64_t h, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p != '\0'; p++)
		h = (h ^ *p) * JOURNAL_FNV_PRIME;
	return h;
}

/* The list hash moved on by one entry (as journal_entry writes it) and
 * its line end. */
static uint64_t
journal_hash_entry(uint64_t h, const char *phone, const char *zone)
{
	h = journal_hash_text(h, phone);
	if (zone != NULL)
		h = journal_hash_text(journal_hash_text(h, " "), zone);
	return (h ^ '\n') * JOURNAL_FNV_PRIME;
}

static void
journal_list_id(const struct campaign *c, struct journal_list_id *id)
{
	uint64_t h = JOURNAL_FNV_OFFSET;
	size_t i;

	id->count = campaign_size(c);
	for (i = 0; i < id->count; i++)
		h = journal_hash_entry(h, campaign_row(c, i)->phone,
		    campaign_zone_name(c, campaign_zone(c, i)));
	snprintf(id->hash, sizeof(id->hash), "%016" PRIx64, h);
}

static void
journal_numbers_id(const struct numbers *n, struct journal_list_id *id)
{
	uint64_t h = JOURNAL_FNV_OFFSET;
	size_t i;

	id->count = n->count;
	for (i = 0; i < n->count; i++)
		h = journal_hash_entry(h, n->phones[i], numbers_zone(n, i));
	snprintf(id->hash, sizeof(id->hash), "%016" PRIx64, h);
}

/* ---- writing ---- */

static int
journal_out_flush(struct journal_out *o)
{
	size_t done = 0;

	while (o->error == 0 && done < o->len) {
		ssize_t n = write(o->fd, o->buf + done, o->len - done);

		if (n < 0) {
			if (errno != EINTR)
				o->error = errno;
			continue;
		}
		done += (size_t)n;
		o->written += (size_t)n;
	}
	o->len = 0;
	return o->error == 0 ? 0 : -1;
}

/* Adds obj's text and a newline; takes obj in every case. Flushes past
 * JOURNAL_CHUNK so a snapshot of a long list needs no buffer of its size. */
static void
journal_out_put(struct journal_out *o, struct json_object *obj)
{
	const char *text;
	size_t n;

	if (obj == NULL && o->error == 0)
		o->error = ENOMEM;
	if (o->error != 0)
		goto done;
	text = json_object_to_json_string_ext(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (text == NULL) {
		o->error = ENOMEM;
		goto done;
	}
	n = strlen(text);
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		char *grown;

		while (cap < o->len + n + 1)
			cap *= 2;
		grown = realloc(o->buf, cap);
		if (grown == NULL) {
			o->error = ENOMEM;
			goto done;
		}
		o->buf = grown;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, text, n);
	o->buf[o->len + n] = '\n';
	o->len += n + 1;
	if (o->len >= JOURNAL_CHUNK)
		journal_out_flush(o);
done:
	json_object_put(obj);
}

static struct json_object *
journal_header(const struct campaign *c)
{
	struct journal_list_id id;
	struct json_object *o = json_object_new_object();
	int fail = 0;

	if (o == NULL)
		return NULL;
	journal_list_id(c, &id);
	fail |= util_json_put(o, "numdialer_journal",
	    json_object_new_int(JOURNAL_FORMAT));
	fail |= util_json_put(o, "count", json_object_new_uint64(id.count));
	fail |= util_json_put(o, "phones_fnv1a64",
	    json_object_new_string(id.hash));
	if (fail) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *
journal_started(void)
{
	struct json_object *o = json_object_new_object();

	if (o != NULL && util_json_put(o, "started",
	    json_object_new_boolean(1)) != 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* The operator's line: {"paused": true, "pause_reason": ...} or
 * {"paused": false}, with "stopped": true once stopped. */
static struct json_object *
journal_paused(const struct campaign *c)
{
	const char *reason = campaign_pause_reason(c);
	struct json_object *o = json_object_new_object();
	struct campaign_counts counts;
	int fail = 0;

	if (o == NULL)
		return NULL;
	campaign_counts(c, &counts);
	fail |= util_json_put(o, "paused", json_object_new_boolean(reason != NULL));
	if (counts.stopped)
		fail |= util_json_put(o, "stopped", json_object_new_boolean(1));
	if (reason != NULL)
		fail |= util_json_put(o, "pause_reason",
		    json_object_new_string(reason));
	if (fail) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* A number, or null for -1 (none). */
static struct json_object *
journal_maybe(int64_t v)
{
	return v < 0 ? NULL : json_object_new_int64(v);
}

/* One event: [at_ms, "status", "source", seq|null, provider_s|null,
 * applied]. NULL when out of memory. */
static struct json_object *
journal_event(const struct campaign_event *ev)
{
	struct json_object *a = json_object_new_array_ext(JOURNAL_EVENT_FIELDS);
	struct json_object *f[JOURNAL_EVENT_FIELDS];
	size_t i;

	f[JOURNAL_EVENT_AT] = json_object_new_int64(ev->at_ms);
	f[JOURNAL_EVENT_STATUS] = json_object_new_string(status_name(ev->status));
	f[JOURNAL_EVENT_SOURCE] =
	    json_object_new_string(event_source_name(ev->source));
	f[JOURNAL_EVENT_SEQ] = journal_maybe(ev->seq);
	f[JOURNAL_EVENT_PROVIDER] = journal_maybe(ev->provider_s);
	f[JOURNAL_EVENT_APPLIED] = json_object_new_boolean(ev->applied);
	for (i = 0; i < JOURNAL_EVENT_FIELDS; i++) {
		/* json-c's null is NULL: only a missing number means none. */
		bool lost = f[i] == NULL && i != JOURNAL_EVENT_SEQ &&
		    i != JOURNAL_EVENT_PROVIDER;

		if (a == NULL || lost || json_object_array_add(a, f[i]) != 0) {
			json_object_put(a);
			for (; i < JOURNAL_EVENT_FIELDS; i++)
				json_object_put(f[i]);
			return NULL;
		}
	}
	return a;
}

/* Row's history, oldest first; NULL when out of memory. */
static struct json_object *
journal_events(const struct campaign *c, size_t row)
{
	struct campaign_event ev[CAMPAIGN_EVENTS_MAX];
	struct json_object *a = json_object_new_array();
	size_t i, n = campaign_events(c, row, ev, CAMPAIGN_EVENTS_MAX);

	for (i = 0; i < n && a != NULL; i++) {
		struct json_object *e = journal_event(&ev[i]);

		if (e == NULL || json_object_array_add(a, e) != 0) {
			json_object_put(e);
			json_object_put(a);
			a = NULL;
		}
	}
	return a;
}

/* Row's line: everything campaign_restore_row and campaign_restore_event
 * need to put it back. */
static struct json_object *
journal_row(const struct campaign *c, size_t row)
{
	const struct campaign_row *r = campaign_row(c, row);
	char key[JOURNAL_KEY_HEX + 1];
	struct json_object *o = json_object_new_object();
	int fail = 0, m;

	if (o == NULL)
		return NULL;
	hex_encode(campaign_key(c, row), CAMPAIGN_KEY_BYTES, key);
	fail |= util_json_put(o, "row", json_object_new_uint64(row));
	fail |= util_json_put(o, "status",
	    json_object_new_string(status_name(r->status)));
	fail |= util_json_put(o, "attempts",
	    json_object_new_uint64(r->attempts));
	fail |= util_json_put(o, "calls", json_object_new_uint64(r->calls));
	if (r->redial)
		fail |= util_json_put(o, "redial", json_object_new_boolean(1));
	if (r->call_id != NULL)
		fail |= util_json_put(o, "id",
		    json_object_new_string(r->call_id));
	if (r->reason != NULL)
		fail |= util_json_put(o, "reason",
		    json_object_new_string(r->reason));
	for (m = 0; m < MARK_COUNT; m++)
		if (r->at_ms[m] != 0)
			fail |= util_json_put(o, status_mark_name((enum mark)m),
			    json_object_new_int64(r->at_ms[m]));
	if (r->hooked)
		fail |= util_json_put(o, "hooked", json_object_new_boolean(1));
	if (r->waiting)
		fail |= util_json_put(o, "waiting", json_object_new_boolean(1));
	if (r->answered_by != ANSWERED_BY_NONE)
		fail |= util_json_put(o, "answered_by",
		    json_object_new_string(answered_by_name(r->answered_by)));
	if (r->duration_s >= 0)
		fail |= util_json_put(o, "duration_s",
		    json_object_new_int64(r->duration_s));
	if (r->events > 0)
		fail |= util_json_put(o, "events", journal_events(c, row));
	fail |= util_json_put(o, "key", json_object_new_string(key));
	if (fail) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

struct journal_walk {
	const struct campaign *campaign;
	struct journal_out *out;
};

static void
journal_put_row(size_t row, void *arg)
{
	struct journal_walk *w = arg;

	journal_out_put(w->out, journal_row(w->campaign, row));
}

/* The list, JOURNAL_LIST_PER_LINE phones a line: {"phones": [...]}. */
static void
journal_put_list(struct journal_out *o, const struct campaign *c)
{
	size_t i = 0, n = campaign_size(c);

	while (i < n && o->error == 0) {
		struct json_object *line = json_object_new_object();
		struct json_object *phones = json_object_new_array();
		size_t end = i + JOURNAL_LIST_PER_LINE < n ?
		    i + JOURNAL_LIST_PER_LINE : n;

		for (; i < end && phones != NULL; i++) {
			char entry[JOURNAL_ENTRY_MAX + 1];

			journal_entry(entry, campaign_row(c, i)->phone,
			    campaign_zone_name(c, campaign_zone(c, i)));
			if (json_object_array_add(phones,
			    json_object_new_string(entry)) != 0) {
				json_object_put(phones);
				phones = NULL;
			}
		}
		if (line != NULL && util_json_put(line, "phones", phones) != 0) {
			json_object_put(line);
			line = NULL;
		} else if (line == NULL) {
			json_object_put(phones);
		}
		journal_out_put(o, line);
	}
}

/* Every dialed row: they form a prefix of the list (one pass, in order). */
static void
journal_put_all(struct journal_out *o, const struct campaign *c)
{
	size_t i, n = campaign_size(c);

	for (i = 0; i < n && o->error == 0; i++) {
		if (campaign_row(c, i)->status == STATUS_IDLE)
			break;
		journal_out_put(o, journal_row(c, i));
	}
}

/* ---- reading ---- */

/*
 * Opens the journal at path to read it, never through a symbolic link (the
 * program writes there: a link would have it write elsewhere). NULL with
 * errno ENOENT when there is none; NULL with err set otherwise.
 */
static FILE *
journal_fopen(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	FILE *f;

	if (fd < 0) {
		int e = errno;

		if (e == ELOOP)
			util_err(err, errlen, "%s: a symbolic link: give the "
			    "journal's real path", path);
		else if (e != ENOENT)
			util_err(err, errlen, "%s: %s", path, strerror(e));
		errno = e;
		return NULL;
	}
	f = fdopen(fd, "r");
	if (f == NULL) {
		util_err(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
	}
	return f;
}

/* The integer at key, in [min, max]: 0, -1 if missing (when required),
 * not an integer or out of range. A missing optional one leaves *v. */
static int
journal_get_int(struct json_object *o, const char *key, bool required,
    int64_t min, int64_t max, int64_t *v)
{
	struct json_object *f;
	int64_t x;

	if (!json_object_object_get_ex(o, key, &f))
		return required ? -1 : 0;
	if (!json_object_is_type(f, json_type_int))
		return -1;
	x = json_object_get_int64(f);
	/* json-c clamps numbers past int64 to its limits; max is below them. */
	if (x < min || x > max)
		return -1;
	*v = x;
	return 0;
}

/* The boolean at key: 0 (a missing one is false), -1 if not a boolean. */
static int
journal_get_bool(struct json_object *o, const char *key, bool *v)
{
	struct json_object *f;

	*v = false;
	if (!json_object_object_get_ex(o, key, &f))
		return 0;
	if (!json_object_is_type(f, json_type_boolean))
		return -1;
	*v = json_object_get_boolean(f);
	return 0;
}

/* The string at key, min..max bytes: 0 (or 0 with *s NULL when optional
 * and missing), -1 otherwise. */
static int
journal_get_str(struct json_object *o, const char *key, bool required,
    size_t min, size_t max, const char **s)
{
	struct json_object *f;
	int len;

	*s = NULL;
	if (!json_object_object_get_ex(o, key, &f))
		return required ? -1 : 0;
	if (!json_object_is_type(f, json_type_string))
		return -1;
	len = json_object_get_string_len(f);
	if ((size_t)len < min || (size_t)len > max)
		return -1;
	*s = json_object_get_string(f);
	return strlen(*s) == (size_t)len ? 0 : -1;
}

/* Checks the header line against c's list. why gets the reason; foreign
 * is set when the journal belongs to another list. */
static int
journal_check_header(struct json_object *o, const struct campaign *c,
    char *why, size_t whylen, bool *foreign)
{
	struct journal_list_id mine;
	const char *hash;
	int64_t format = 0, count = 0;

	*foreign = false;
	if (journal_get_int(o, "numdialer_journal", true, 1, INT32_MAX,
	    &format) != 0)
		return util_err(why, whylen, "not a numdialer journal "
		    "(no header)");
	if (format != JOURNAL_FORMAT && format != JOURNAL_FORMAT_NO_LIST)
		return util_err(why, whylen, "journal format %" PRId64 "; this "
		    "program reads formats %d and %d", format,
		    JOURNAL_FORMAT_NO_LIST, JOURNAL_FORMAT);
	if (journal_get_int(o, "count", true, 0, INT64_MAX - 1, &count) != 0 ||
	    journal_get_str(o, "phones_fnv1a64", true, 1, JOURNAL_HASH_HEX,
	    &hash) != 0)
		return util_err(why, whylen, "header without a valid count and "
		    "phones_fnv1a64");
	journal_list_id(c, &mine);
	if ((uint64_t)count != mine.count || strcmp(hash, mine.hash) != 0) {
		*foreign = true;
		return util_err(why, whylen, "journal of another list (%" PRId64
		    " numbers, phones hash %s), not of this one (%zu numbers, "
		    "hash %s): move it away or set NUMDIALER_JOURNAL to "
		    "another file", count, hash, mine.count, mine.hash);
	}
	return 0;
}

/* Reads a row line's time marks into saved: 0, or -1 with why. */
static int
journal_get_marks(struct json_object *o, struct campaign_row *saved,
    char *why, size_t whylen)
{
	int64_t at;
	int m;

	for (m = 0; m < MARK_COUNT; m++) {
		const char *name = status_mark_name((enum mark)m);

		at = 0;
		if (journal_get_int(o, name, false, 1, INT64_MAX - 1, &at) != 0)
			return util_err(why, whylen, "\"%s\" not a positive time "
			    "in ms", name);
		saved->at_ms[m] = at;
	}
	return 0;
}

/* Reads a row line's call fields of the provider's (who answered, the
 * length) into saved: 0, or -1 with why. */
static int
journal_get_call(struct json_object *o, struct campaign_row *saved,
    char *why, size_t whylen)
{
	const char *word;
	int64_t duration = -1;

	saved->answered_by = ANSWERED_BY_NONE;
	if (journal_get_str(o, "answered_by", false, 1, JOURNAL_WORD_MAX,
	    &word) != 0 || (word != NULL && answered_by_parse(word,
	    strlen(word), &saved->answered_by) != 0))
		return util_err(why, whylen, "\"answered_by\" not a word of "
		    "answering-machine detection");
	if (journal_get_int(o, "duration_s", false, 0, CAMPAIGN_DURATION_MAX,
	    &duration) != 0)
		return util_err(why, whylen, "\"duration_s\" not 0..%d",
		    CAMPAIGN_DURATION_MAX);
	saved->duration_s = duration;
	return 0;
}

/* The number at field i of an event's list: 0 with -1 for null, or -1
 * when it is neither null nor a number in min..max. */
static int
journal_event_int(struct json_object *a, size_t i, bool nullable,
    int64_t min, int64_t max, int64_t *v)
{
	struct json_object *f = json_object_array_get_idx(a, i);

	*v = -1;
	if (f == NULL)
		return nullable ? 0 : -1;
	if (!json_object_is_type(f, json_type_int))
		return -1;
	*v = json_object_get_int64(f);
	return *v < min || *v > max ? -1 : 0;
}

/* An event as its list in a row's line has it: 0, or -1. */
static int
journal_get_event(struct json_object *a, struct campaign_event *ev)
{
	struct json_object *status, *source, *applied;

	if (!json_object_is_type(a, json_type_array) ||
	    json_object_array_length(a) != JOURNAL_EVENT_FIELDS)
		return -1;
	status = json_object_array_get_idx(a, JOURNAL_EVENT_STATUS);
	source = json_object_array_get_idx(a, JOURNAL_EVENT_SOURCE);
	applied = json_object_array_get_idx(a, JOURNAL_EVENT_APPLIED);
	if (!json_object_is_type(status, json_type_string) ||
	    status_from_name(json_object_get_string(status), &ev->status) != 0 ||
	    !json_object_is_type(source, json_type_string) ||
	    event_source_from_name(json_object_get_string(source),
	    &ev->source) != 0 ||
	    !json_object_is_type(applied, json_type_boolean))
		return -1;
	ev->applied = json_object_get_boolean(applied);
	if (journal_event_int(a, JOURNAL_EVENT_AT, false, 0, CAMPAIGN_MS_MAX,
	    &ev->at_ms) != 0 ||
	    journal_event_int(a, JOURNAL_EVENT_SEQ, true, 0, CAMPAIGN_SEQ_MAX,
	    &ev->seq) != 0 ||
	    journal_event_int(a, JOURNAL_EVENT_PROVIDER, true, 0, INT64_MAX - 1,
	    &ev->provider_s) != 0)
		return -1;
	return 0;
}

/* Restores row's history from its line's "events" (none in a journal
 * written before histories): 0, or -1 with why. */
static int
journal_restore_events(struct json_object *o, struct campaign *c,
    size_t row, char *why, size_t whylen)
{
	struct json_object *list;
	struct campaign_event ev;
	size_t i, n;

	if (!json_object_object_get_ex(o, "events", &list))
		return 0;
	if (!json_object_is_type(list, json_type_array) ||
	    json_object_array_length(list) > CAMPAIGN_EVENTS_MAX)
		return util_err(why, whylen, "\"events\" not a list of at most "
		    "%d events", CAMPAIGN_EVENTS_MAX);
	n = json_object_array_length(list);
	for (i = 0; i < n; i++) {
		if (journal_get_event(json_object_array_get_idx(list, i),
		    &ev) != 0)
			return util_err(why, whylen, "\"events\"[%zu] not [at_ms, "
			    "status, source, seq or null, provider_s or null, "
			    "applied]", i);
		if (campaign_restore_event(c, row, &ev) != 0)
			return util_err(why, whylen, "\"events\"[%zu] cannot be "
			    "restored (out of memory)", i);
	}
	return 0;
}

/* Restores the row a record line describes. why gets the reason. */
static int
journal_restore(struct json_object *o, struct campaign *c, char *why,
    size_t whylen)
{
	struct campaign_row saved;
	unsigned char key[CAMPAIGN_KEY_BYTES];
	const char *word, *hex, *id, *reason;
	int64_t row, attempts, calls;
	enum status status;

	memset(&saved, 0, sizeof(saved));
	if (journal_get_int(o, "row", true, 0, (int64_t)campaign_size(c) - 1,
	    &row) != 0)
		return util_err(why, whylen, "\"row\" missing or not a row of "
		    "the list (0..%zu)", campaign_size(c) - 1);
	if (journal_get_str(o, "status", true, 1, JOURNAL_WORD_MAX,
	    &word) != 0 || status_from_name(word, &status) != 0 ||
	    status == STATUS_IDLE)
		return util_err(why, whylen, "\"status\" missing or not a status "
		    "of a dialed row");
	if (journal_get_int(o, "attempts", true, 0, JOURNAL_ATTEMPTS_MAX,
	    &attempts) != 0)
		return util_err(why, whylen, "\"attempts\" missing or not 0..%d",
		    JOURNAL_ATTEMPTS_MAX);
	/* A file from before redials has no count: one call, unless the row
	 * was never dialed. */
	calls = status == STATUS_SKIPPED ? 0 : 1;
	if (journal_get_int(o, "calls", false, 0, CAMPAIGN_CALLS_MAX,
	    &calls) != 0)
		return util_err(why, whylen, "\"calls\" not 0..%d",
		    CAMPAIGN_CALLS_MAX);
	if (journal_get_str(o, "key", true, 1, JOURNAL_KEY_HEX, &hex) != 0 ||
	    hex_decode(hex, key, CAMPAIGN_KEY_BYTES) != 0)
		return util_err(why, whylen, "\"key\" missing or not %d "
		    "lowercase hex digits", JOURNAL_KEY_HEX);
	if (journal_get_str(o, "id", false, 1, CAMPAIGN_ID_MAX, &id) != 0 ||
	    journal_get_str(o, "reason", false, 0, CAMPAIGN_REASON_MAX,
	    &reason) != 0)
		return util_err(why, whylen, "\"id\" or \"reason\" not a string "
		    "of the allowed length");
	if (journal_get_bool(o, "hooked", &saved.hooked) != 0 ||
	    journal_get_bool(o, "waiting", &saved.waiting) != 0 ||
	    journal_get_bool(o, "redial", &saved.redial) != 0)
		return util_err(why, whylen, "\"hooked\", \"waiting\" or "
		    "\"redial\" not a boolean");
	if (journal_get_marks(o, &saved, why, whylen) != 0 ||
	    journal_get_call(o, &saved, why, whylen) != 0)
		return -1;
	/* campaign_restore_row copies them. */
	saved.call_id = (char *)id;
	saved.reason = (char *)reason;
	saved.status = status;
	saved.attempts = (unsigned)attempts;
	saved.calls = (unsigned)calls;
	if (campaign_restore_row(c, (size_t)row, &saved, key) != 0)
		return util_err(why, whylen, "row %" PRId64 " cannot be "
		    "restored (waiting while not dialing, a redial before the "
		    "end, no call while dialed, or out of memory)", row);
	return journal_restore_events(o, c, (size_t)row, why, whylen);
}

/* Restores the pause a pause line (o, its "paused" member f) describes. */
static int
journal_restore_pause(struct json_object *o, struct json_object *f,
    struct campaign *c, char *why, size_t whylen)
{
	const char *reason = NULL;
	bool stopped = false;

	if (!json_object_is_type(f, json_type_boolean))
		return util_err(why, whylen, "\"paused\" is not a boolean");
	if (journal_get_str(o, "pause_reason", false, 0, CAMPAIGN_REASON_MAX,
	    &reason) != 0)
		return util_err(why, whylen, "\"pause_reason\" not a string of "
		    "the allowed length");
	if (journal_get_bool(o, "stopped", &stopped) != 0)
		return util_err(why, whylen, "\"stopped\" is not a boolean");
	campaign_restore_control(c, json_object_get_boolean(f), reason,
	    stopped);
	return 0;
}

/* Whether len bytes of a line (no newline) are only white space. */
static bool
journal_blank(const char *line, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!util_is_blank(line[i]))
			return false;
	return true;
}

/* Applies one whole line (no newline, len bytes) read as line number
 * lineno. why gets the reason. */
static int
journal_apply(struct json_tokener *tok, const char *text, size_t len,
    size_t lineno, struct campaign *c, struct journal_replay *out,
    char *why, size_t whylen, bool *foreign)
{
	struct json_object *o = NULL, *f;
	int rc = -1;

	if (len > JOURNAL_LINE_MAX) {
		util_err(why, whylen, "line over %d bytes", JOURNAL_LINE_MAX);
		goto done;
	}
	if (strlen(text) != len) {
		util_err(why, whylen, "a NUL byte in the line");
		goto done;
	}
	json_tokener_reset(tok);
	o = json_tokener_parse_ex(tok, text, (int)len);
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len ||
	    !json_object_is_type(o, json_type_object)) {
		util_err(why, whylen, "not one JSON object");
		goto done;
	}
	if (lineno == 1) {
		rc = journal_check_header(o, c, why, whylen, foreign);
	} else if (json_object_object_get_ex(o, "phones", &f)) {
		/* The list: journal_list reads it; c was made from it. */
		rc = 0;
	} else if (json_object_object_get_ex(o, "started", &f)) {
		if (!json_object_is_type(f, json_type_boolean) ||
		    !json_object_get_boolean(f)) {
			util_err(why, whylen, "\"started\" is not true");
			goto done;
		}
		out->started = true;
		rc = 0;
	} else if (json_object_object_get_ex(o, "paused", &f)) {
		rc = journal_restore_pause(o, f, c, why, whylen);
	} else {
		rc = journal_restore(o, c, why, whylen);
	}
done:
	json_object_put(o);
	return rc;
}

/* Counts the rows a replay restored into out. */
static void
journal_tally(const struct campaign *c, struct journal_replay *out)
{
	size_t i, n = campaign_size(c);

	for (i = 0; i < n; i++) {
		enum status s = campaign_row(c, i)->status;

		if (s == STATUS_IDLE)
			continue;
		out->rows++;
		if (status_is_terminal(s))
			out->done++;
		else
			out->in_flight++;
	}
}

/*
 * Longer than most: one pass down the file, whose line count, pending
 * blank line and "another list" flag every error it names shares; split,
 * that state would travel between the parts.
 */
int
journal_replay(const char *path, struct campaign *c,
    struct journal_replay *out, char *err, size_t errlen)
{
	char why[512];
	struct json_tokener *tok = NULL;
	FILE *f = NULL;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	bool foreign = false;
	size_t blank_at = 0;      /* the first blank line, while only blank
	                             lines follow it */
	int rc = -1;

	memset(out, 0, sizeof(*out));
	f = journal_fopen(path, err, errlen);
	if (f == NULL) {
		if (errno == ENOENT)
			return 0;
		goto done;
	}
	tok = json_tokener_new_ex(JOURNAL_JSON_DEPTH);
	if (tok == NULL) {
		util_err(err, errlen, "%s: out of memory", path);
		goto done;
	}
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] != '\n') {
			/* Only the last line can lack its newline: getline
			 * returns a partial line at the end of the file. */
			out->truncated = true;
			break;
		}
		line[--len] = '\0';
		/* Blank lines at the end (an editor's last newline) are
		 * nothing; amid the lines they are damage. */
		if (journal_blank(line, (size_t)len)) {
			if (blank_at == 0)
				blank_at = out->lines + 1;
			out->lines++;
			continue;
		}
		if (blank_at != 0) {
			util_err(err, errlen, "%s:%zu: not one JSON object (a "
			    "blank line amid the journal)", path, blank_at);
			goto done;
		}
		if (journal_apply(tok, line, (size_t)len, out->lines + 1, c, out,
		    why, sizeof(why), &foreign) != 0) {
			if (foreign)
				util_err(err, errlen, "%s: %s", path, why);
			else
				util_err(err, errlen, "%s:%zu: %s", path,
				    out->lines + 1, why);
			goto done;
		}
		out->lines++;
	}
	if (ferror(f)) {
		util_err(err, errlen, "%s: %s", path, strerror(errno));
		goto done;
	}
	if (out->lines > 0 && campaign_restore_finish(c, out->started) != 0) {
		util_err(err, errlen, "%s: its rows cannot come from one "
		    "pass down the list (a dialed row after an idle one, or a "
		    "dialed row and no start)", path);
		goto done;
	}
	journal_tally(c, out);
	rc = 0;
done:
	free(line);
	if (tok != NULL)
		json_tokener_free(tok);
	if (f != NULL)
		fclose(f);
	return rc;
}

/* Appends the phones of one list line (its "phones" member f) to the text
 * in *buf, one a line: 0, or -1 with why. */
static int
journal_list_line(struct json_object *f, char **buf, size_t *len,
    size_t *cap, char *why, size_t whylen)
{
	size_t i, n;

	if (!json_object_is_type(f, json_type_array))
		return util_err(why, whylen, "\"phones\" is not an array");
	n = json_object_array_length(f);
	for (i = 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(f, i);
		size_t plen;

		if (!json_object_is_type(p, json_type_string) ||
		    (plen = (size_t)json_object_get_string_len(p)) == 0 ||
		    plen > JOURNAL_ENTRY_MAX)
			return util_err(why, whylen, "a phone of the list is not "
			    "a string of 1 to %d characters", JOURNAL_ENTRY_MAX);
		if (*len + plen + 1 > *cap) {
			size_t grown = *cap ? *cap * 2 : JOURNAL_CHUNK;
			char *b = realloc(*buf, grown);

			if (b == NULL)
				return util_err(why, whylen, "out of memory");
			*buf = b;
			*cap = grown;
		}
		memcpy(*buf + *len, json_object_get_string(p), plen);
		(*buf)[*len + plen] = '\n';
		*len += plen + 1;
	}
	return 0;
}

/* Reads the header and the list lines of f into out: 0, 1 for a journal
 * with no list, -1 with why (line, when it names one, in *lineno). One
 * pass: the header's count and hash are checked against the list its
 * lines make, so both stay in the one function. */
static int
journal_read_list(FILE *f, struct numbers *out, size_t *lineno, char *why,
    size_t whylen)
{
	struct json_object *o = NULL, *field;
	struct journal_list_id want, got;
	char *line = NULL, *text = NULL;
	size_t cap = 0, len = 0, tcap = 0;
	const char *hash;
	int64_t format = 0, count = 0;
	ssize_t n;
	int rc = -1;

	for (*lineno = 1; (n = getline(&line, &cap, f)) > 0; (*lineno)++) {
		json_object_put(o);
		o = (size_t)n <= JOURNAL_LINE_MAX + 1 ?
		    json_tokener_parse(line) : NULL;
		if (*lineno == 1) {
			if (o == NULL || journal_get_int(o, "numdialer_journal",
			    true, 1, INT32_MAX, &format) != 0) {
				util_err(why, whylen, "not a numdialer journal "
				    "(no header)");
				goto done;
			}
			if (format == JOURNAL_FORMAT_NO_LIST) {
				rc = 1;
				goto done;
			}
			if (journal_get_int(o, "count", true, 0, INT64_MAX - 1,
			    &count) != 0 || journal_get_str(o, "phones_fnv1a64",
			    true, 1, JOURNAL_HASH_HEX, &hash) != 0) {
				util_err(why, whylen, "header without a valid "
				    "count and phones_fnv1a64");
				goto done;
			}
			want.count = (size_t)count;
			snprintf(want.hash, sizeof(want.hash), "%s", hash);
			continue;
		}
		if (o == NULL || !json_object_object_get_ex(o, "phones", &field))
			break;
		if (journal_list_line(field, &text, &len, &tcap, why,
		    whylen) != 0)
			goto done;
	}
	*lineno = 0;
	if (len == 0 || numbers_parse(text, len, "its list", out, why,
	    whylen) != 0) {
		if (len == 0)
			util_err(why, whylen, "no list after the header");
		goto done;
	}
	journal_numbers_id(out, &got);
	if (got.count != want.count || strcmp(got.hash, want.hash) != 0) {
		numbers_free(out);
		util_err(why, whylen, "its list (%zu numbers, hash %s) is not "
		    "the one its header names (%zu numbers, hash %s)",
		    got.count, got.hash, want.count, want.hash);
		goto done;
	}
	rc = 0;
done:
	json_object_put(o);
	free(line);
	free(text);
	return rc;
}

int
journal_list(const char *path, struct numbers *out, char *err,
    size_t errlen)
{
	char why[512];
	size_t lineno = 0;
	FILE *f;
	int rc;

	memset(out, 0, sizeof(*out));
	f = journal_fopen(path, err, errlen);
	if (f == NULL)
		return errno == ENOENT ? 1 : -1;
	rc = journal_read_list(f, out, &lineno, why, sizeof(why));
	fclose(f);
	if (rc < 0 && lineno > 0)
		util_err(err, errlen, "%s:%zu: %s", path, lineno, why);
	else if (rc < 0)
		util_err(err, errlen, "%s: %s", path, why);
	return rc;
}

/* ---- the open journal ---- */

/* Takes path.lock, held until the descriptor closes: -1 with err. */
static int
journal_lock(struct journal *j, char *err, size_t errlen)
{
	char lock_path[JOURNAL_PATH_MAX];

	if ((size_t)snprintf(lock_path, sizeof(lock_path), "%s.lock",
	    j->path) >= sizeof(lock_path))
		return util_err(err, errlen, "%s: path too long", j->path);
	j->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (j->lock_fd < 0)
		return util_err(err, errlen, "%s: %s", lock_path,
		    strerror(errno));
	if (flock(j->lock_fd, LOCK_EX | LOCK_NB) != 0)
		return errno == EWOULDBLOCK ? util_err(err, errlen, "%s: in use "
		    "by another running numdialer (it holds %s)", j->path,
		    lock_path) : util_err(err, errlen, "%s: %s", j->path,
		    strerror(errno));
	return 0;
}

/* Flushes the directory holding path, so a rename in it survives a crash
 * of the machine. */
static int
journal_sync_dir(const char *path)
{
	char copy[JOURNAL_PATH_MAX];
	int fd, rc;

	snprintf(copy, sizeof(copy), "%s", path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/*
 * Writes c's state to path.tmp and renames it over path, leaving j->fd on
 * it. Either the old journal or the new one is at path at every moment,
 * and the new one holds exactly what the replay restored.
 */
static int
journal_rewrite(struct journal *j, const struct campaign *c, char *err,
    size_t errlen)
{
	char tmp[JOURNAL_PATH_MAX];
	struct campaign_counts counts;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", j->path) >=
	    sizeof(tmp))
		return util_err(err, errlen, "%s: path too long", j->path);
	/* Made afresh, never opened through what stands there: a link
	 * placed at path.tmp would have the keys written to its target. */
	if (unlink(tmp) != 0 && errno != ENOENT)
		return util_err(err, errlen, "%s: %s", tmp, strerror(errno));
	j->fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_APPEND |
	    O_CLOEXEC, 0600);
	if (j->fd < 0)
		return util_err(err, errlen, "%s: %s", tmp, strerror(errno));
	if (fchmod(j->fd, 0600) != 0)
		return util_err(err, errlen, "%s: %s", tmp, strerror(errno));
	campaign_counts(c, &counts);
	j->out.fd = j->fd;
	journal_out_put(&j->out, journal_header(c));
	journal_put_list(&j->out, c);
	if (counts.started)
		journal_out_put(&j->out, journal_started());
	journal_put_all(&j->out, c);
	if (counts.paused || counts.stopped)
		journal_out_put(&j->out, journal_paused(c));
	if (journal_out_flush(&j->out) != 0 || fsync(j->fd) != 0 ||
	    rename(tmp, j->path) != 0 || journal_sync_dir(j->path) != 0) {
		int e = j->out.error != 0 ? j->out.error : errno;

		unlink(tmp);
		return util_err(err, errlen, "%s: %s", tmp, strerror(e));
	}
	j->size = (off_t)j->out.written;
	j->started_written = counts.started;
	j->paused_written = counts.paused;
	j->stopped_written = counts.stopped;
	return 0;
}

struct journal *
journal_open(const char *path, struct campaign *c,
    struct journal_replay *out, char *err, size_t errlen)
{
	struct journal *j = NULL;

	memset(out, 0, sizeof(*out));
	j = calloc(1, sizeof(*j));
	if (j == NULL || (j->path = strdup(path)) == NULL) {
		util_err(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	j->fd = -1;
	j->lock_fd = -1;
	j->out.fd = -1;
	if (strlen(path) >= JOURNAL_PATH_MAX - sizeof(".lock")) {
		util_err(err, errlen, "%s: path too long", path);
		goto fail;
	}
	if (journal_lock(j, err, errlen) != 0 ||
	    journal_replay(path, c, out, err, errlen) != 0 ||
	    journal_rewrite(j, c, err, errlen) != 0)
		goto fail;
	j->healthy = true;
	return j;
fail:
	journal_close(j);
	return NULL;
}

int
journal_append(struct journal *j, const struct campaign *c, uint64_t since,
    char *err, size_t errlen)
{
	struct journal_walk walk = { c, &j->out };
	struct campaign_counts counts;
	bool start_line, pause_line;

	/* A line cut short by a failed append would glue itself to the next
	 * one: the file goes back to its last whole line first. */
	if (!j->healthy && ftruncate(j->fd, j->size) != 0)
		return util_err(err, errlen, "%s: append failed, and cutting "
		    "back to the last whole line too: %s", j->path,
		    strerror(errno));
	j->out.len = 0;
	j->out.written = 0;
	j->out.error = 0;
	campaign_counts(c, &counts);
	/* The start goes first: a replay refuses dialed rows without it. */
	start_line = counts.started && !j->started_written;
	if (start_line)
		journal_out_put(&j->out, journal_started());
	/* After a failed append the file lacks some changes: every row again
	 * (each line holds a whole row, so repeating one is harmless). */
	if (!j->healthy || campaign_changes_since(c, since, journal_put_row,
	    &walk) != 0)
		journal_put_all(&j->out, c);
	pause_line = counts.paused != j->paused_written ||
	    counts.stopped != j->stopped_written || !j->healthy;
	if (pause_line)
		journal_out_put(&j->out, journal_paused(c));
	if (journal_out_flush(&j->out) != 0) {
		int e = j->out.error;
		/* Cut back now, so a crash finds whole lines; should that
		 * fail too, the next append tries again before writing. */
		int cut = ftruncate(j->fd, j->size);

		j->healthy = false;
		return util_err(err, errlen, "%s: append failed: %s%s", j->path,
		    strerror(e), cut != 0 ? " (the file ends in a cut line)" : "");
	}
	j->size += (off_t)j->out.written;
	j->healthy = true;
	if (start_line)
		j->started_written = true;
	if (pause_line)
		j->paused_written = counts.paused;
	j->stopped_written = counts.stopped;
	return 0;
}

int
journal_writable(const char *path, char *err, size_t errlen)
{
	char lock_path[JOURNAL_PATH_MAX];
	int fd;

	if ((size_t)snprintf(lock_path, sizeof(lock_path), "%s.lock", path) >=
	    sizeof(lock_path))
		return util_err(err, errlen, "%s: path too long", path);
	fd = open(lock_path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return util_err(err, errlen, "%s: cannot be written: %s",
		    lock_path, strerror(errno));
	close(fd);
	fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT)
		return util_err(err, errlen, "%s: cannot be written: %s", path,
		    errno == ELOOP ? "a symbolic link" : strerror(errno));
	if (fd >= 0)
		close(fd);
	return 0;
}

bool
journal_healthy(const struct journal *j)
{
	return j->healthy;
}

const char *
journal_path(const struct journal *j)
{
	return j->path;
}

void
journal_close(struct journal *j)
{
	if (j == NULL)
		return;
	if (j->fd >= 0)
		close(j->fd);
	if (j->lock_fd >= 0)
		close(j->lock_fd);
	free(j->out.buf);
	free(j->path);
	free(j);
}
