/* calls: the Twilio call records, their sids, statuses, resource and callbacks. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calls.h"
#include "util.h"

#define CALLS_FIRST 1024           /* records first made room for */
#define CALLS_TIME_MAX 40          /* bytes of an RFC 2822 date */
#define CALLS_URI_MAX 128          /* bytes of a call's uri */
#define CALLS_NUMBER_TEXT 24       /* bytes of a number as text */
#define CALLS_SID_MIX 0x9e3779b97f4a7c15ULL /* odd: a bijection on 64 bits */

/* A call's record. The fields above the mark do not change once made. */
struct calls_call {
	struct calls *reg;
	uint64_t index;
	char sid[CALLS_SID_LEN + 1];
	char to[CALLS_NUMBER_MAX + 1];
	char from[CALLS_NUMBER_MAX + 1];
	char *url;                 /* owned; NULL: Twiml */
	char *status_callback;     /* owned; NULL: none */
	char *amd_callback;        /* owned; NULL: none */
	int callback_get, amd_callback_get, async_amd;
	unsigned events;
	enum calls_amd amd;
	unsigned time_limit_s, timeout_s;
	struct calls_path path;
	int64_t slot_us;           /* its turn to leave the queue */
	int queued;                /* it waited there */
	time_t created;
	/* --- under reg->lock --- */
	int initiated;             /* it left the queue */
	enum calls_status status;
	const char *answered_by;   /* static; NULL: not known */
	unsigned seq;              /* the next SequenceNumber */
	time_t updated, started, ended;  /* 0: not yet */
	int64_t ringing_ms, answered_ms, ended_ms; /* CLOCK_MONOTONIC; -1 */
	int64_t amd_ms;            /* MachineDetectionDuration; -1: not yet */
};

struct calls {
	pthread_mutex_t lock;      /* guards the records' mutable fields, all */
	char account[CALLS_SID_LEN + 1];
	char *token;               /* owned */
	const char *answered_by;
	struct stats *stats;       /* borrowed */
	uint64_t tag;              /* the first half of every sid */
	uint64_t mask, unmix;      /* index <-> the second half */
	struct calls_call **all;   /* owned; each at its index, NULL for an
	                              index whose record was never made */
	size_t n, cap;             /* n: the highest index made, plus one */
};

static const char *const calls_status_words[] = {
	[CALLS_QUEUED] = "queued",
	[CALLS_RINGING] = "ringing",
	[CALLS_IN_PROGRESS] = "in-progress",
	[CALLS_COMPLETED] = "completed",
	[CALLS_BUSY] = "busy",
	[CALLS_NO_ANSWER] = "no-answer",
	[CALLS_FAILED] = "failed",
	[CALLS_CANCELED] = "canceled",
};

static const char *const calls_answered_words[] = {
	"human", "machine_start", "machine_end_beep", "machine_end_silence",
	"machine_end_other", "fax", "unknown",
};

static const char *const calls_event_words[] = {
	"initiated", "ringing", "answered", "completed",
};

static const char *const calls_amd_words[] = {
	[CALLS_AMD_NONE] = NULL,
	[CALLS_AMD_ENABLE] = "Enable",
	[CALLS_AMD_MESSAGE_END] = "DetectMessageEnd",
};

int
calls_answered_by_known(const char *word)
{
	size_t i;

	for (i = 0; i < LEN(calls_answered_words); i++)
		if (strcmp(calls_answered_words[i], word) == 0)
			return 1;
	return 0;
}

/* The inverse of an odd number modulo 2^64 (Newton's iteration: each step
 * doubles the bits that are right, and an odd a is its own inverse to 3). */
static uint64_t
calls_inverse(uint64_t a)
{
	uint64_t x = a;
	int i;

	for (i = 0; i < 5; i++)
		x *= 2 - a * x;
	return x;
}

struct calls *
calls_new(const char *account, const char *token, const char *answered_by,
    struct stats *st, uint64_t seed)
{
	struct calls *reg = calloc(1, sizeof *reg);
	uint64_t mix = seed;

	if (reg == NULL)
		return NULL;
	reg->token = strdup(token);
	if (reg->token == NULL || pthread_mutex_init(&reg->lock, NULL) != 0) {
		free(reg->token);
		free(reg);
		return NULL;
	}
	snprintf(reg->account, sizeof reg->account, "%s", account);
	reg->answered_by = answered_by;
	reg->stats = st;
	reg->tag = util_splitmix64(&mix);
	reg->mask = util_splitmix64(&mix);
	reg->unmix = calls_inverse(CALLS_SID_MIX);
	return reg;
}

/* Frees one record. */
static void
calls_call_free(struct calls_call *c)
{
	free(c->url);
	free(c->status_callback);
	free(c->amd_callback);
	free(c);
}

void
calls_free(struct calls *reg)
{
	size_t i;

	if (reg == NULL)
		return;
	for (i = 0; i < reg->n; i++)
		if (reg->all[i] != NULL)
			calls_call_free(reg->all[i]);
	free(reg->all);
	free(reg->token);
	pthread_mutex_destroy(&reg->lock);
	free(reg);
}

/* Writes t as RFC 2822 in UTC ("Mon, 30 Nov 2026 02:31:40 +0000"); the
 * program keeps the C locale, so the names are English. */
static void
calls_time(time_t t, char out[CALLS_TIME_MAX])
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, CALLS_TIME_MAX, "%a, %d %b %Y %H:%M:%S +0000",
	    &tm) == 0)
		out[0] = '\0';
}

/* The sid of the index-th call: the registry's tag, then the index mixed,
 * which calls_find undoes. */
static void
calls_make_sid(const struct calls *reg, uint64_t index,
    char out[CALLS_SID_LEN + 1])
{
	snprintf(out, CALLS_SID_LEN + 1, "CA%016llx%016llx",
	    (unsigned long long)reg->tag,
	    (unsigned long long)((index ^ reg->mask) * CALLS_SID_MIX));
}

/* A copy of s, or NULL for NULL; *bad set when out of memory. */
static char *
calls_dup(const char *s, int *bad)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*bad = 1;
	return d;
}

/* A record of ask, not yet in the registry; NULL when out of memory. */
static struct calls_call *
calls_call_new(struct calls *reg, const struct calls_ask *ask,
    uint64_t index, int64_t slot_us, int queued)
{
	struct calls_call *c = calloc(1, sizeof *c);
	int bad = 0;

	if (c == NULL)
		return NULL;
	c->reg = reg;
	c->index = index;
	calls_make_sid(reg, index, c->sid);
	snprintf(c->to, sizeof c->to, "%s", ask->to);
	snprintf(c->from, sizeof c->from, "%s", ask->from);
	c->url = calls_dup(ask->url, &bad);
	c->status_callback = calls_dup(ask->status_callback, &bad);
	c->amd_callback = calls_dup(ask->amd_callback, &bad);
	if (bad) {
		calls_call_free(c);
		return NULL;
	}
	c->callback_get = ask->callback_get;
	c->amd_callback_get = ask->amd_callback_get;
	c->async_amd = ask->async_amd;
	c->events = ask->events;
	c->amd = ask->amd;
	c->time_limit_s = ask->time_limit_s;
	c->timeout_s = ask->timeout_s;
	c->path = ask->path;
	c->slot_us = slot_us;
	c->queued = queued;
	c->created = c->updated = time(NULL);
	c->status = CALLS_QUEUED;
	c->ringing_ms = c->answered_ms = c->ended_ms = c->amd_ms = -1;
	return c;
}

struct calls_call *
calls_create(struct calls *reg, const struct calls_ask *ask, uint64_t index,
    int64_t slot_us, int queued)
{
	struct calls_call *c, **p;
	size_t cap;

	if (index >= SIZE_MAX / sizeof *p / 2)
		return NULL;
	c = calls_call_new(reg, ask, index, slot_us, queued);
	if (c == NULL)
		return NULL;
	pthread_mutex_lock(&reg->lock);
	if (index >= reg->cap) {
		cap = reg->cap != 0 ? reg->cap : CALLS_FIRST;
		while (cap <= index)
			cap *= 2;
		p = realloc(reg->all, cap * sizeof *p);
		if (p == NULL) {
			pthread_mutex_unlock(&reg->lock);
			calls_call_free(c);
			return NULL;
		}
		memset(p + reg->cap, 0, (cap - reg->cap) * sizeof *p);
		reg->all = p;
		reg->cap = cap;
	}
	reg->all[index] = c;
	if (index >= reg->n)
		reg->n = (size_t)index + 1;
	pthread_mutex_unlock(&reg->lock);
	return c;
}

const char *
calls_sid(const struct calls_call *c)
{
	return c->sid;
}

const char *
calls_token(const struct calls_call *c)
{
	return c->reg->token;
}

/* Reads 16 lowercase hex digits at s into *out: 0 or -1. */
static int
calls_hex64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 16; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			v = v << 4 | (uint64_t)(s[i] - '0');
		else if (s[i] >= 'a' && s[i] <= 'f')
			v = v << 4 | (uint64_t)(s[i] - 'a' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

struct calls_call *
calls_find(struct calls *reg, const char *sid)
{
	struct calls_call *c = NULL;
	uint64_t tag, mixed, index;

	if (strlen(sid) != CALLS_SID_LEN || strncmp(sid, "CA", 2) != 0 ||
	    calls_hex64(sid + 2, &tag) != 0 ||
	    calls_hex64(sid + 18, &mixed) != 0 || tag != reg->tag)
		return NULL;
	index = (mixed * reg->unmix) ^ reg->mask;
	pthread_mutex_lock(&reg->lock);
	if (index < reg->n)
		c = reg->all[index];
	pthread_mutex_unlock(&reg->lock);
	return c;
}

/* Whether s is an end. */
static int
calls_ended(enum calls_status s)
{
	return s >= CALLS_COMPLETED;
}

/* Moves c to s, unless it is there or past it already. Lock held. */
static void
calls_raise(struct calls_call *c, enum calls_status s)
{
	if (!calls_ended(c->status) && s > c->status)
		c->status = s;
}

/* The call ends, now, as its path says (once). Lock held. */
static void
calls_end(struct calls_call *c, enum calls_status end, time_t now,
    int64_t mono)
{
	if (calls_ended(c->status))
		return;
	c->status = end;
	c->ended = now;
	c->ended_ms = mono;
}

void
calls_reach(struct calls_call *c, size_t step)
{
	struct calls *reg = c->reg;
	time_t now = time(NULL);
	int64_t mono = util_mono_ms();
	int first;

	if (step >= c->path.nsteps)
		return;
	pthread_mutex_lock(&reg->lock);
	first = !c->initiated;
	c->initiated = 1;
	if (c->started == 0)
		c->started = now;
	switch (c->path.steps[step]) {
	case CALLS_STEP_INITIATED:
		break;
	case CALLS_STEP_RINGING:
		calls_raise(c, CALLS_RINGING);
		if (c->ringing_ms < 0)
			c->ringing_ms = mono;
		break;
	case CALLS_STEP_ANSWERED:
		if (calls_ended(c->status))
			break;
		calls_raise(c, CALLS_IN_PROGRESS);
		c->answered_ms = mono;
		if (c->amd != CALLS_AMD_NONE)
			c->answered_by = reg->answered_by;
		break;
	case CALLS_STEP_AMD:
		if (c->answered_ms >= 0)
			c->amd_ms = mono - c->answered_ms;
		break;
	case CALLS_STEP_END:
		calls_end(c, c->path.end, now, mono);
		break;
	}
	c->updated = now;
	/* The stats' lock comes after the registry's, never before. */
	if (first)
		stats_initiated(reg->stats, c->queued, c->slot_us);
	pthread_mutex_unlock(&reg->lock);
}

void
calls_abort(struct calls_call *c)
{
	struct calls *reg = c->reg;

	pthread_mutex_lock(&reg->lock);
	if (!c->initiated && c->queued)
		stats_unqueued(reg->stats);
	c->initiated = 1;
	calls_end(c, CALLS_FAILED, time(NULL), util_mono_ms());
	c->updated = time(NULL);
	pthread_mutex_unlock(&reg->lock);
}

/* ms, but no later than limit_ms from since_ms (both CLOCK_MONOTONIC). */
static int64_t
calls_cap(int64_t ms, int64_t since_ms, int64_t limit_ms, int64_t now)
{
	int64_t left = since_ms + limit_ms - now;

	if (left < 0)
		left = 0;
	return ms < left ? ms : left;
}

int64_t
calls_delay(struct calls_call *c, size_t step, int64_t ms)
{
	struct calls *reg = c->reg;
	int64_t now = util_mono_ms();
	enum calls_step kind;

	if (step >= c->path.nsteps)
		return ms;
	kind = c->path.steps[step];
	pthread_mutex_lock(&reg->lock);
	if ((kind == CALLS_STEP_END || kind == CALLS_STEP_AMD) &&
	    c->answered_ms >= 0)
		ms = calls_cap(ms, c->answered_ms,
		    (int64_t)c->time_limit_s * 1000, now);
	if (kind == CALLS_STEP_END && c->path.end == CALLS_NO_ANSWER &&
	    c->ringing_ms >= 0)
		ms = calls_cap(ms, c->ringing_ms, (int64_t)c->timeout_s * 1000,
		    now);
	pthread_mutex_unlock(&reg->lock);
	return ms;
}

/* Appends name=%llu to f: 0 or -1. */
static int
calls_add_number(struct form *f, const char *name, unsigned long long v)
{
	char text[CALLS_NUMBER_TEXT];

	snprintf(text, sizeof text, "%llu", v);
	return form_add(f, name, text);
}

/* Whole seconds from answer to end; 0 for a call never answered. Lock
 * held. */
static long long
calls_duration_s(const struct calls_call *c)
{
	if (c->answered_ms < 0 || c->ended_ms < c->answered_ms)
		return 0;
	return (c->ended_ms - c->answered_ms) / 1000;
}

/* The answering-machine detection's parameters. Lock held. */
static int
calls_amd_params(const struct calls_call *c, struct form *f)
{
	const char *by = c->answered_by != NULL ? c->answered_by : "unknown";

	if (form_add(f, "AccountSid", c->reg->account) != 0 ||
	    form_add(f, "AnsweredBy", by) != 0 ||
	    form_add(f, "CallSid", c->sid) != 0 ||
	    calls_add_number(f, "MachineDetectionDuration",
	    (unsigned long long)(c->amd_ms > 0 ? c->amd_ms : 0)) != 0)
		return -1;
	return 0;
}

/* The word a status callback of step kind carries. Lock held. */
static const char *
calls_callback_word(const struct calls_call *c, enum calls_step kind)
{
	switch (kind) {
	case CALLS_STEP_INITIATED:
		return "initiated";
	case CALLS_STEP_RINGING:
		return "ringing";
	case CALLS_STEP_ANSWERED:
		return "in-progress";
	default:
		return calls_status_words[c->path.end];
	}
}

/* A status callback's parameters, numbered. Lock held. */
static int
calls_status_params(struct calls_call *c, enum calls_step kind,
    struct form *f)
{
	char stamp[CALLS_TIME_MAX];
	long long secs;

	calls_time(time(NULL), stamp);
	if (form_add(f, "AccountSid", c->reg->account) != 0 ||
	    form_add(f, "ApiVersion", CALLS_API_VERSION) != 0 ||
	    form_add(f, "CallSid", c->sid) != 0 ||
	    form_add(f, "CallStatus", calls_callback_word(c, kind)) != 0 ||
	    form_add(f, "CallbackSource", "call-progress-events") != 0 ||
	    form_add(f, "Direction", "outbound-api") != 0 ||
	    form_add(f, "From", c->from) != 0 ||
	    form_add(f, "To", c->to) != 0 ||
	    calls_add_number(f, "SequenceNumber", c->seq) != 0 ||
	    form_add(f, "Timestamp", stamp) != 0)
		return -1;
	if (c->answered_by != NULL &&
	    form_add(f, "AnsweredBy", c->answered_by) != 0)
		return -1;
	if (kind == CALLS_STEP_END) {
		secs = calls_duration_s(c);
		if (calls_add_number(f, "CallDuration",
		    (unsigned long long)secs) != 0 ||
		    calls_add_number(f, "Duration",
		    (unsigned long long)((secs + 59) / 60)) != 0)
			return -1;
	}
	c->seq++;
	return 0;
}

int
calls_callback(struct calls_call *c, size_t step, struct form *params,
    const char **url, int *get)
{
	struct calls *reg = c->reg;
	enum calls_step kind;
	int rc = -1;

	if (step >= c->path.nsteps)
		return -1;
	kind = c->path.steps[step];
	*url = kind == CALLS_STEP_AMD ? c->amd_callback : c->status_callback;
	*get = kind == CALLS_STEP_AMD ? c->amd_callback_get : c->callback_get;
	if (*url == NULL)
		return -1;
	pthread_mutex_lock(&reg->lock);
	rc = kind == CALLS_STEP_AMD ? calls_amd_params(c, params) :
	    calls_status_params(c, kind, params);
	pthread_mutex_unlock(&reg->lock);
	return rc;
}

/* Adds key: the string s (NULL: a JSON null) to o: 0 or -1. */
static int
calls_put(struct json_object *o, const char *key, const char *s)
{
	if (s == NULL)
		return json_object_object_add(o, key, NULL);
	return util_json_put(o, key, json_object_new_string(s));
}

/* Adds key: the RFC 2822 date of t, or null for 0: 0 or -1. */
static int
calls_put_time(struct json_object *o, const char *key, time_t t)
{
	char text[CALLS_TIME_MAX];

	if (t == 0)
		return calls_put(o, key, NULL);
	calls_time(t, text);
	return calls_put(o, key, text);
}

/* The "subresource_uris" of the call at uri (".../Calls/CA....json"). */
static struct json_object *
calls_subresources(const char *uri)
{
	static const char *const names[] = {"notifications", "recordings",
	    "events", "payments", "siprec", "streams", "transcriptions"};
	static const char *const files[] = {"Notifications", "Recordings",
	    "Events", "Payments", "Siprec", "Streams", "Transcriptions"};
	struct json_object *o = json_object_new_object();
	char text[CALLS_URI_MAX + 32];
	size_t base = strlen(uri) - strlen(".json"), i;

	if (o == NULL)
		return NULL;
	for (i = 0; i < LEN(names); i++) {
		snprintf(text, sizeof text, "%.*s/%s.json", (int)base, uri,
		    files[i]);
		if (calls_put(o, names[i], text) != 0) {
			json_object_put(o);
			return NULL;
		}
	}
	return o;
}

/* The members of the resource that say what the call came to. Lock held. */
static int
calls_render_state(const struct calls_call *c, struct json_object *o)
{
	char secs[CALLS_NUMBER_TEXT];

	snprintf(secs, sizeof secs, "%lld", calls_duration_s(c));
	if (calls_put(o, "answered_by", c->answered_by) != 0 ||
	    calls_put_time(o, "date_updated", c->updated) != 0 ||
	    calls_put(o, "duration", calls_ended(c->status) ? secs :
	    NULL) != 0 ||
	    calls_put_time(o, "end_time", c->ended) != 0 ||
	    calls_put_time(o, "start_time", c->initiated ? c->started :
	    0) != 0 ||
	    calls_put(o, "status", calls_status_words[c->status]) != 0)
		return -1;
	return 0;
}

/* The members that never change. */
static int
calls_render_fixed(const struct calls_call *c, struct json_object *o)
{
	static const char *const nulls[] = {"annotation", "caller_name",
	    "forwarded_from", "group_sid", "parent_call_sid",
	    "phone_number_sid", "price", "trunk_sid"};
	char uri[CALLS_URI_MAX];
	size_t i;

	snprintf(uri, sizeof uri, "/%s/Accounts/%s/Calls/%s.json",
	    CALLS_API_VERSION, c->reg->account, c->sid);
	for (i = 0; i < LEN(nulls); i++)
		if (calls_put(o, nulls[i], NULL) != 0)
			return -1;
	if (calls_put(o, "account_sid", c->reg->account) != 0 ||
	    calls_put(o, "api_version", CALLS_API_VERSION) != 0 ||
	    calls_put_time(o, "date_created", c->created) != 0 ||
	    calls_put(o, "direction", "outbound-api") != 0 ||
	    calls_put(o, "from", c->from) != 0 ||
	    calls_put(o, "from_formatted", c->from) != 0 ||
	    calls_put(o, "price_unit", "USD") != 0 ||
	    calls_put(o, "sid", c->sid) != 0 ||
	    calls_put(o, "to", c->to) != 0 ||
	    calls_put(o, "to_formatted", c->to) != 0 ||
	    calls_put(o, "uri", uri) != 0 ||
	    util_json_put(o, "subresource_uris", calls_subresources(uri)) != 0)
		return -1;
	return 0;
}

/* The queue_time member: an estimate, in ms as a string, of the wait left
 * in the queue. */
static int
calls_render_queue(const struct calls_call *c, struct json_object *o)
{
	char text[CALLS_NUMBER_TEXT];
	int64_t left = c->initiated ? 0 : (c->slot_us - util_mono_us()) / 1000;

	snprintf(text, sizeof text, "%lld", (long long)(left > 0 ? left : 0));
	return calls_put(o, "queue_time", text);
}

struct json_object *
calls_render(struct calls_call *c)
{
	struct json_object *o = json_object_new_object();
	int rc;

	if (o == NULL)
		return NULL;
	rc = calls_render_fixed(c, o);
	pthread_mutex_lock(&c->reg->lock);
	if (rc == 0)
		rc = calls_render_state(c, o) | calls_render_queue(c, o);
	pthread_mutex_unlock(&c->reg->lock);
	if (rc != 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* The events c asked for, as words. */
static struct json_object *
calls_render_events(const struct calls_call *c)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; a != NULL && i < LEN(calls_event_words); i++)
		if ((c->events & (1u << i)) != 0 &&
		    json_object_array_add(a,
		    json_object_new_string(calls_event_words[i])) != 0) {
			json_object_put(a);
			return NULL;
		}
	return a;
}

/* What c's POST asked for, and where it stands. Lock held. */
static struct json_object *
calls_render_asked(const struct calls_call *c)
{
	struct json_object *o = json_object_new_object();

	if (o == NULL)
		return NULL;
	if (calls_put(o, "sid", c->sid) != 0 ||
	    calls_put(o, "to", c->to) != 0 ||
	    calls_put(o, "from", c->from) != 0 ||
	    calls_put(o, "status", calls_status_words[c->status]) != 0 ||
	    calls_put(o, "instructions", c->url != NULL ? "url" : "twiml") != 0 ||
	    calls_put(o, "status_callback", c->status_callback) != 0 ||
	    calls_put(o, "status_callback_method", c->callback_get ? "GET" :
	    "POST") != 0 ||
	    util_json_put(o, "events", calls_render_events(c)) != 0 ||
	    util_json_put(o, "time_limit", json_object_new_int64(
	    c->time_limit_s)) != 0 ||
	    util_json_put(o, "timeout", json_object_new_int64(
	    c->timeout_s)) != 0 ||
	    calls_put(o, "machine_detection", calls_amd_words[c->amd]) != 0 ||
	    util_json_put(o, "async_amd", json_object_new_boolean(
	    c->async_amd)) != 0 ||
	    calls_put(o, "async_amd_status_callback", c->amd_callback) != 0 ||
	    calls_put(o, "answered_by", c->answered_by) != 0 ||
	    util_json_put(o, "callbacks", json_object_new_int64(c->seq)) != 0 ||
	    util_json_put(o, "queued", json_object_new_boolean(
	    c->queued)) != 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

struct json_object *
calls_render_all(struct calls *reg)
{
	struct json_object *out = json_object_new_object();
	struct json_object *list, *one;
	size_t i;

	if (out == NULL)
		return NULL;
	pthread_mutex_lock(&reg->lock);
	list = json_object_new_array_ext((int)reg->n);
	if (util_json_put(out, "calls", list) != 0)
		goto fail;
	for (i = 0; i < reg->n; i++) {
		if (reg->all[i] == NULL)
			continue;
		one = calls_render_asked(reg->all[i]);
		if (one == NULL || json_object_array_add(list, one) != 0) {
			json_object_put(one);
			goto fail;
		}
	}
	pthread_mutex_unlock(&reg->lock);
	return out;
fail:
	pthread_mutex_unlock(&reg->lock);
	json_object_put(out);
	return NULL;
}
