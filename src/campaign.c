/*
 * campaign: the dialing state machine (see campaign.h for the contracts).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign.h"
#include "history.h"
#include "util.h"

/*
 * A row as the campaign keeps it: a million of them is the case to fit.
 * Strings are offsets (phones into phone_text, ids and reasons into the
 * text store, only when present), marks are 48-bit epoch milliseconds, and
 * versions keep their low 32 bits (full_version says why that is enough).
 * Its events are in the history store, which it only counts.
 */
struct packed_row {
	uint32_t phone;                 /* offset in phone_text */
	uint32_t call_id;               /* text reference; 0 = none */
	uint32_t reason;                /* text reference; 0 = none */
	uint32_t version;               /* low bits of its last change's version */
	uint32_t mark_lo[MARK_COUNT];   /* each mark's low 32 bits... */
	uint16_t mark_hi[MARK_COUNT];   /* ...and high 16; all 0: not reached */
	unsigned attempts : 22;         /* POST /call tries of its call */
	unsigned hooked : 1;            /* a webhook (or the provider asked)
	                                   spoke of its call */
	unsigned waiting : 1;           /* its POST /call waits for a retry */
	unsigned status : 4;
	unsigned answered_by : 3;       /* enum answered_by of its call */
	unsigned calls : 7;             /* calls placed for it */
	unsigned redial : 1;            /* it waits for its next call */
	unsigned events : 5;            /* in its history */
	unsigned duration : 19;         /* its call's CallDuration + 1; 0: none */
};

_Static_assert(sizeof(struct packed_row) == 48, "a row stays 48 bytes");
_Static_assert(STATUS_COUNT <= 16, "a status fits its 4 bits");
_Static_assert(ANSWERED_BY_COUNT <= 8, "who answered fits its 3 bits");
_Static_assert(CAMPAIGN_EVENTS_MAX < 32, "the event count fits its 5 bits");
_Static_assert(CAMPAIGN_DURATION_MAX + 1 < (1 << 19),
    "a duration fits its 19 bits");

/*
 * What the campaign knows of a time zone: whether it is inside its calling
 * hours, its earliest row never dialed (a cursor that only moves forward:
 * rows before it in the zone were all dialed or skipped), and its rows
 * whose redial is due, a min-heap of row numbers.
 */
struct zone {
	char *name;                     /* NULL: the default zone */
	size_t next;
	bool open;
	int64_t opens_ms;               /* when closed: when it opens */
	char label[CAMPAIGN_LABEL_MAX + 1];
	uint32_t *due;
	size_t due_len;
	size_t due_cap;
};

/* One entry of the change log: row changed, making the campaign version
 * (its low 32 bits, like a packed row's). */
struct change {
	uint32_t version;
	uint32_t row;
};

/*
 * Ids and reasons, copied into blocks that never move, so the pointers
 * campaign_row hands out stay good. A reference is block * CAMPAIGN_TEXT_BLOCK
 * + offset; the first byte of block 0 is never used, so 0 means none.
 * Text replaced (a restored row) is not reused: it is bounded by the changes.
 */
#define CAMPAIGN_TEXT_BLOCK 65536
#define CAMPAIGN_TEXT_BLOCKS_MAX (((size_t)UINT32_MAX + 1) / CAMPAIGN_TEXT_BLOCK)
#define CAMPAIGN_TEXT_FIRST_BLOCKS 16

struct campaign {
	struct packed_row *rows;
	unsigned char (*keys)[CAMPAIGN_KEY_BYTES]; /* per row, set when dialed */
	char *phone_text;        /* every phone, NUL-separated */
	size_t size;

	size_t *flight;          /* rows in flight, limit entries, unordered */
	size_t in_flight;
	size_t done;
	size_t dialed;
	size_t rows_by[STATUS_COUNT];
	uint64_t calls;
	uint64_t ended[STATUS_COUNT];
	unsigned limit;
	bool started;
	bool paused;
	bool stopped;
	char pause_reason[CAMPAIGN_REASON_MAX + 1];

	unsigned char *zone_of;  /* per row; NULL: all in zone 0 */
	struct zone *zones;
	unsigned zone_count;
	bool (*blocked)(const char *phone, void *arg);
	void *blocked_arg;

	unsigned redial_mask;    /* end statuses redialed, bit 1 << status */
	unsigned redial_calls;   /* calls per row in all */
	int64_t redial_delay_ms;
	uint32_t *pending;       /* rows waiting for a redial, in the order
	                            they ended: their due times grow along it */
	size_t pending_first;
	size_t pending_len;      /* entries, from pending_first */
	size_t pending_cap;
	size_t redials;          /* rows with the redial bit */

	bool waiting;            /* the last look found no row ready */
	int64_t waiting_until;
	char waiting_reason[CAMPAIGN_REASON_MAX + 1];
	unsigned failure_pause;  /* failed rows in a row that pause; 0: never */
	unsigned failures;       /* rows failed in a row, none placed between */

	uint64_t version;
	struct change *log;      /* ring of the last log_size changes */
	size_t log_size;
	size_t log_first;        /* index of the oldest entry */
	size_t log_len;
	uint64_t log_floor;      /* changes at or below it may have been dropped */

	char **text;             /* the text store's blocks */
	size_t text_blocks;
	size_t text_cap;         /* room in text[] */
	size_t text_used;        /* bytes taken in the last block */

	struct history *history; /* every row's events */
};

/* The row campaign_row last unpacked on this thread. */
static _Thread_local struct campaign_row campaign_view;

static int64_t
mark_get(const struct packed_row *r, enum mark m)
{
	return (int64_t)r->mark_hi[m] << 32 | r->mark_lo[m];
}

/* A clock outside the marks' range is held to it. */
static int64_t
clamp_ms(int64_t ms)
{
	return ms < 0 ? 0 : ms > CAMPAIGN_MS_MAX ? CAMPAIGN_MS_MAX : ms;
}

/* ms must be in 0..CAMPAIGN_MS_MAX. */
static void
mark_set(struct packed_row *r, enum mark m, int64_t ms)
{
	r->mark_lo[m] = (uint32_t)ms;
	r->mark_hi[m] = (uint16_t)(ms >> 32);
}

/*
 * The full version of a change whose low 32 bits are low. Every change
 * still referred to (a log entry, a row's last change) is less than 2^32
 * versions old: the log holds under 2^32 entries, and a pass makes a few
 * changes per row, far fewer than 2^32 in all.
 */
static uint64_t
full_version(const struct campaign *c, uint32_t low)
{
	return c->version - (uint32_t)((uint32_t)c->version - low);
}

/* Copies s, cut to max bytes, into the text store: its reference, or 0
 * when out of memory (or the store's 4 GiB are spent). */
static uint32_t
text_add(struct campaign *c, const char *s, size_t max)
{
	size_t len = strnlen(s, max);
	size_t ref;

	if (c->text_blocks == 0 ||
	    c->text_used + len + 1 > CAMPAIGN_TEXT_BLOCK) {
		char *block;

		if (c->text_blocks == CAMPAIGN_TEXT_BLOCKS_MAX)
			return 0;
		if (c->text_blocks == c->text_cap) {
			size_t cap = c->text_cap ? c->text_cap * 2 :
			    CAMPAIGN_TEXT_FIRST_BLOCKS;
			char **grown = realloc(c->text, cap * sizeof(*grown));

			if (grown == NULL)
				return 0;
			c->text = grown;
			c->text_cap = cap;
		}
		if ((block = malloc(CAMPAIGN_TEXT_BLOCK)) == NULL)
			return 0;
		c->text[c->text_blocks++] = block;
		c->text_used = c->text_blocks == 1 ? 1 : 0;
	}
	ref = (c->text_blocks - 1) * CAMPAIGN_TEXT_BLOCK + c->text_used;
	memcpy(c->text[c->text_blocks - 1] + c->text_used, s, len);
	c->text[c->text_blocks - 1][c->text_used + len] = '\0';
	c->text_used += len + 1;
	return (uint32_t)ref;
}

static char *
text_get(const struct campaign *c, uint32_t ref)
{
	if (ref == 0)
		return NULL;
	return c->text[ref / CAMPAIGN_TEXT_BLOCK] + ref % CAMPAIGN_TEXT_BLOCK;
}

struct campaign *
campaign_new(const char *const *phones, size_t n, unsigned limit,
    size_t log_size)
{
	struct campaign *c = NULL;
	size_t i, text_len = 0;
	char *p;

	if (phones == NULL || limit < 1 || limit > CAMPAIGN_LIMIT_MAX ||
	    log_size < 1 || log_size > CAMPAIGN_LOG_MAX ||
	    n > CAMPAIGN_ROWS_MAX)
		return NULL;
	for (i = 0; i < n; i++) {
		text_len += strlen(phones[i]) + 1;
		if (text_len > CAMPAIGN_ROWS_MAX)
			return NULL;
	}

	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto fail;
	c->size = n;
	c->limit = limit;
	c->log_size = log_size;
	c->rows = calloc(n ? n : 1, sizeof(*c->rows));
	c->keys = calloc(n ? n : 1, sizeof(*c->keys));
	c->phone_text = malloc(text_len ? text_len : 1);
	c->flight = calloc(limit, sizeof(*c->flight));
	c->log = calloc(log_size, sizeof(*c->log));
	c->zones = calloc(1, sizeof(*c->zones));
	c->history = history_new(n);
	if (c->rows == NULL || c->keys == NULL || c->phone_text == NULL ||
	    c->flight == NULL || c->log == NULL || c->zones == NULL ||
	    c->history == NULL)
		goto fail;
	c->zone_count = 1;
	c->zones[0].open = true;
	c->rows_by[STATUS_IDLE] = n;

	/* calloc left every row idle (STATUS_IDLE is 0), with no marks. */
	p = c->phone_text;
	for (i = 0; i < n; i++) {
		size_t len = strlen(phones[i]) + 1;

		memcpy(p, phones[i], len);
		c->rows[i].phone = (uint32_t)(p - c->phone_text);
		p += len;
	}
	return c;
fail:
	campaign_free(c);
	return NULL;
}

/* Frees the zones' names and heaps. */
static void
zones_free(struct zone *z, size_t count)
{
	size_t i;

	for (i = 0; z != NULL && i < count; i++) {
		free(z[i].name);
		free(z[i].due);
	}
	free(z);
}

void
campaign_free(struct campaign *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->text_blocks; i++)
		free(c->text[i]);
	free(c->text);
	free(c->rows);
	free(c->keys);
	free(c->phone_text);
	free(c->flight);
	free(c->log);
	zones_free(c->zones, c->zone_count);
	free(c->zone_of);
	free(c->pending);
	history_free(c->history);
	free(c);
}

int
campaign_set_zones(struct campaign *c, const unsigned char *zones,
    unsigned count, const char *const *names)
{
	struct zone *z;
	unsigned char *zone_of = NULL;
	size_t i;

	if (count < 1 || count > CAMPAIGN_ZONES_MAX || c->started)
		return -1;
	if (zones != NULL) {
		for (i = 0; i < c->size; i++)
			if (zones[i] >= count)
				return -1;
		if ((zone_of = malloc(c->size ? c->size : 1)) == NULL)
			return -1;
		memcpy(zone_of, zones, c->size);
	}
	if ((z = calloc(count, sizeof(*z))) == NULL) {
		free(zone_of);
		return -1;
	}
	for (i = 0; i < count; i++) {
		z[i].open = true;
		if (names != NULL && names[i] != NULL &&
		    (z[i].name = strdup(names[i])) == NULL) {
			zones_free(z, count);
			free(zone_of);
			return -1;
		}
	}
	zones_free(c->zones, c->zone_count);
	free(c->zone_of);
	c->zones = z;
	c->zone_count = count;
	c->zone_of = zone_of;
	return 0;
}

static unsigned
zone_of(const struct campaign *c, size_t row)
{
	return c->zone_of != NULL ? c->zone_of[row] : 0;
}

unsigned
campaign_zone_count(const struct campaign *c)
{
	return c->zone_count;
}

unsigned
campaign_zone(const struct campaign *c, size_t row)
{
	return row < c->size ? zone_of(c, row) : 0;
}

const char *
campaign_zone_name(const struct campaign *c, unsigned z)
{
	return z < c->zone_count ? c->zones[z].name : NULL;
}

void
campaign_zone_hours(struct campaign *c, unsigned zone, bool open,
    int64_t opens_ms, const char *label)
{
	struct zone *z;

	if (zone >= c->zone_count)
		return;
	z = &c->zones[zone];
	z->open = open;
	z->opens_ms = opens_ms;
	snprintf(z->label, sizeof(z->label), "%s", label != NULL ? label : "");
}

void
campaign_set_redial(struct campaign *c, unsigned status_mask, unsigned calls,
    int64_t delay_ms)
{
	c->redial_mask = status_mask;
	c->redial_calls = calls < 1 ? 1 : calls > CAMPAIGN_CALLS_MAX ?
	    CAMPAIGN_CALLS_MAX : calls;
	c->redial_delay_ms = delay_ms < 0 ? 0 : delay_ms;
}

void
campaign_set_blocked(struct campaign *c,
    bool (*blocked)(const char *phone, void *arg), void *arg)
{
	c->blocked = blocked;
	c->blocked_arg = arg;
}

/* Bumps the version for a change to row and logs it, dropping the oldest
 * entry when the ring is full. */
static void
touch(struct campaign *c, size_t row)
{
	struct change *entry;

	c->version++;
	c->rows[row].version = (uint32_t)c->version;
	if (c->log_len == c->log_size) {
		c->log_floor = full_version(c, c->log[c->log_first].version);
		c->log_first = (c->log_first + 1) % c->log_size;
		c->log_len--;
	}
	entry = &c->log[(c->log_first + c->log_len) % c->log_size];
	entry->version = (uint32_t)c->version;
	entry->row = (uint32_t)row;
	c->log_len++;
}

/*
 * Records ev in row's history. Every event is a change of the row, applied
 * or not: the journal writes it and the pages hear of it. Out of memory
 * loses the event, not the change.
 */
static void
record(struct campaign *c, size_t row, const struct campaign_event *ev)
{
	int count = history_add(c->history, row, ev);

	if (count >= 0)
		c->rows[row].events = (unsigned)count;
	touch(c, row);
}

/* Records a report of status from source that carries nothing of the
 * provider's. */
static void
record_status(struct campaign *c, size_t row, enum status status,
    enum event_source source, bool applied, int64_t now_ms)
{
	struct campaign_event ev = {
		.at_ms = now_ms, .status = status, .source = source,
		.seq = -1, .provider_s = -1, .applied = applied,
	};

	record(c, row, &ev);
}

static void
leave_flight(struct campaign *c, size_t row)
{
	size_t i;

	for (i = 0; i < c->in_flight; i++) {
		if (c->flight[i] == row) {
			c->flight[i] = c->flight[--c->in_flight];
			return;
		}
	}
}

/* Gives row status, keeping the counts by status. */
static void
set_status(struct campaign *c, size_t row, enum status status)
{
	c->rows_by[c->rows[row].status]--;
	c->rows_by[status]++;
	c->rows[row].status = status;
}

static int64_t
redial_at(const struct campaign *c, size_t row)
{
	return mark_get(&c->rows[row], MARK_ENDED) + c->redial_delay_ms;
}

/* Queues row for a redial, in the order calls end (due times grow along
 * the queue, the delay being one). false when out of memory. */
static bool
pending_push(struct campaign *c, size_t row)
{
	if (c->pending_first > 0 && c->pending_first >= c->pending_len &&
	    c->pending_first + c->pending_len == c->pending_cap) {
		memmove(c->pending, c->pending + c->pending_first,
		    c->pending_len * sizeof(*c->pending));
		c->pending_first = 0;
	}
	if (c->pending_first + c->pending_len == c->pending_cap) {
		size_t cap = c->pending_cap ? c->pending_cap * 2 : 64;
		uint32_t *grown = realloc(c->pending, cap * sizeof(*grown));

		if (grown == NULL)
			return false;
		c->pending = grown;
		c->pending_cap = cap;
	}
	c->pending[c->pending_first + c->pending_len++] = (uint32_t)row;
	return true;
}

/* A zone's due redials: a binary min-heap of row numbers. */
static bool
heap_push(struct zone *z, uint32_t row)
{
	size_t i;

	if (z->due_len == z->due_cap) {
		size_t cap = z->due_cap ? z->due_cap * 2 : 16;
		uint32_t *grown = realloc(z->due, cap * sizeof(*grown));

		if (grown == NULL)
			return false;
		z->due = grown;
		z->due_cap = cap;
	}
	for (i = z->due_len++; i > 0 && z->due[(i - 1) / 2] > row;
	    i = (i - 1) / 2)
		z->due[i] = z->due[(i - 1) / 2];
	z->due[i] = row;
	return true;
}

static void
heap_pop(struct zone *z)
{
	uint32_t last = z->due[--z->due_len];
	size_t i = 0, child;

	while ((child = 2 * i + 1) < z->due_len) {
		if (child + 1 < z->due_len && z->due[child + 1] < z->due[child])
			child++;
		if (last <= z->due[child])
			break;
		z->due[i] = z->due[child];
		i = child;
	}
	if (z->due_len > 0)
		z->due[i] = last;
}

/*
 * Row's call ended in status (its row was in old before): counts it, and
 * either the row waits for a redial or it is done.
 */
static void
call_ended(struct campaign *c, size_t row, enum status old,
    enum status status)
{
	struct packed_row *r = &c->rows[row];
	bool was_call = status_in_flight(old);

	/* A call stopped while its POST /call waited counts as ended
	 * skipped: every call begun ends once. */
	if (was_call)
		c->ended[status]++;
	if (was_call && !c->stopped && (c->redial_mask >> status & 1) &&
	    r->calls < c->redial_calls && pending_push(c, row)) {
		r->redial = 1;
		c->redials++;
		return;
	}
	c->done++;
}

/*
 * Moves row to status if it ranks higher than the row's current one. The
 * first terminal status frees the row's slot: a row leaves the flight list
 * once, because nothing ranks above terminal. Does not touch the version.
 */
static bool
raise_status(struct campaign *c, size_t row, enum status status,
    int64_t now_ms)
{
	struct packed_row *r = &c->rows[row];
	enum status old = (enum status)r->status;
	enum mark mark;

	if (status_rank(status) <= status_rank(old))
		return false;
	if (status_in_flight(old) && !status_in_flight(status))
		leave_flight(c, row);
	set_status(c, row, status);
	mark = status_mark(status);
	if (mark < MARK_COUNT && mark_get(r, mark) == 0)
		mark_set(r, mark, clamp_ms(now_ms));
	if (status_is_terminal(status))
		call_ended(c, row, old, status);
	return true;
}

/* Whether new calls may be placed: started, neither paused nor stopped. */
static bool
dialing(const struct campaign *c)
{
	return c->started && !c->paused && !c->stopped;
}

static bool
finished(const struct campaign *c)
{
	return c->started && c->done == c->size;
}

int
campaign_start(struct campaign *c)
{
	if (c->started || c->stopped)
		return -1;
	c->started = true;
	c->version++;
	return 0;
}

void
campaign_set_failure_pause(struct campaign *c, unsigned failures)
{
	c->failure_pause = failures;
}

int
campaign_pause(struct campaign *c, const char *reason)
{
	if (!dialing(c) || finished(c))
		return -1;
	c->paused = true;
	snprintf(c->pause_reason, sizeof(c->pause_reason), "%s",
	    reason != NULL ? reason : "");
	c->version++;
	return 0;
}

int
campaign_resume(struct campaign *c)
{
	if (!c->paused || c->stopped)
		return -1;
	c->paused = false;
	c->pause_reason[0] = '\0';
	c->failures = 0;
	c->version++;
	return 0;
}

const char *
campaign_pause_reason(const struct campaign *c)
{
	return c->paused ? c->pause_reason : NULL;
}

/* A row's POST /call failed, not placed: counts it, and pauses the
 * campaign at failure_pause in a row. */
static void
count_failure(struct campaign *c, const char *reason)
{
	char why[CAMPAIGN_REASON_MAX + 1];

	c->failures++;
	if (c->failure_pause == 0 || c->failures < c->failure_pause)
		return;
	snprintf(why, sizeof(why), "%u calls in a row could not be placed; "
	    "the last: %s", c->failures, reason != NULL ? reason : "?");
	campaign_pause(c, why);
}

/* Puts reason beside row (copied; out of memory leaves none). */
static void
set_reason(struct campaign *c, size_t row, const char *reason)
{
	c->rows[row].reason = reason != NULL ?
	    text_add(c, reason, CAMPAIGN_REASON_MAX) : 0;
}

/* Calls off row's redial: it keeps its last status and is done. */
static void
cancel_redial(struct campaign *c, size_t row)
{
	c->rows[row].redial = 0;
	c->redials--;
	c->done++;
}

int
campaign_skip(struct campaign *c, size_t row, const char *reason,
    int64_t now_ms)
{
	if (row >= c->size)
		return -1;
	if (c->rows[row].status == STATUS_IDLE)
		raise_status(c, row, STATUS_SKIPPED, now_ms);
	else if (c->rows[row].redial)
		cancel_redial(c, row);
	else
		return -1;
	set_reason(c, row, reason);
	touch(c, row);
	return 0;
}

int
campaign_stop(struct campaign *c, int64_t now_ms)
{
	size_t i;

	if (c->stopped || finished(c))
		return -1;
	c->stopped = true;
	c->paused = false;
	c->pause_reason[0] = '\0';
	c->waiting = false;
	for (i = 0; i < c->size; i++) {
		struct packed_row *r = &c->rows[i];

		/* A POST /call waiting to be sent again placed nothing yet. */
		if (r->waiting) {
			r->waiting = 0;
			raise_status(c, i, STATUS_SKIPPED, now_ms);
		} else if (r->status == STATUS_IDLE) {
			raise_status(c, i, STATUS_SKIPPED, now_ms);
		} else if (r->redial) {
			cancel_redial(c, i);
			touch(c, i);
			continue;
		} else {
			continue;
		}
		set_reason(c, i, "stopped by the operator");
		touch(c, i);
	}
	c->pending_first = c->pending_len = 0;
	for (i = 0; i < c->zone_count; i++)
		c->zones[i].due_len = 0;
	c->version++;
	return 0;
}

enum campaign_state
campaign_state(const struct campaign *c)
{
	if (c->stopped)
		return CAMPAIGN_STOPPED;
	if (!c->started)
		return CAMPAIGN_READY;
	if (finished(c))
		return CAMPAIGN_FINISHED;
	if (c->paused)
		return CAMPAIGN_PAUSED;
	return c->waiting ? CAMPAIGN_WAITING : CAMPAIGN_DIALING;
}

const char *
campaign_state_name(enum campaign_state s)
{
	static const char *const names[] = {
		[CAMPAIGN_READY] = "ready",
		[CAMPAIGN_DIALING] = "dialing",
		[CAMPAIGN_PAUSED] = "paused",
		[CAMPAIGN_WAITING] = "waiting",
		[CAMPAIGN_STOPPED] = "stopped",
		[CAMPAIGN_FINISHED] = "finished",
	};

	return (unsigned)s < LEN(names) ? names[s] : "unknown";
}

const char *
campaign_waiting(const struct campaign *c, int64_t *until_ms)
{
	if (campaign_state(c) != CAMPAIGN_WAITING)
		return NULL;
	*until_ms = c->waiting_until;
	return c->waiting_reason;
}

/* The first redial of the queue into *row: false when none is left.
 * Redials called off (do-not-call) leave their entries behind; they go. */
static bool
pending_head(struct campaign *c, uint32_t *row)
{
	while (c->pending_len > 0) {
		*row = c->pending[c->pending_first];
		if (c->rows[*row].redial)
			return true;
		c->pending_first++;
		c->pending_len--;
	}
	c->pending_first = 0;
	return false;
}

/* Moves the redials now due from the queue into their zones' heaps. */
static void
move_due(struct campaign *c, int64_t now_ms)
{
	uint32_t row;

	while (pending_head(c, &row) && redial_at(c, row) <= now_ms &&
	    heap_push(&c->zones[zone_of(c, row)], row)) {
		c->pending_first++;
		c->pending_len--;
	}
}

/* The zone's earliest row that would be ready were the zone open: its
 * first row never dialed or its first due redial; SIZE_MAX for none. */
static size_t
zone_first(struct campaign *c, unsigned zi)
{
	struct zone *z = &c->zones[zi];
	size_t fresh;

	while (z->next < c->size && (c->rows[z->next].status != STATUS_IDLE ||
	    zone_of(c, z->next) != zi))
		z->next++;
	/* Redials called off (do-not-call) leave their entries behind. */
	while (z->due_len > 0 && !c->rows[z->due[0]].redial)
		heap_pop(z);
	fresh = z->next < c->size ? z->next : SIZE_MAX;
	if (z->due_len > 0 && z->due[0] < fresh)
		return z->due[0];
	return fresh;
}

/* The earliest ready row, SIZE_MAX for none. */
static size_t
earliest_ready(struct campaign *c)
{
	size_t best = SIZE_MAX;
	unsigned zi;

	for (zi = 0; zi < c->zone_count; zi++) {
		size_t first;

		if (c->zones[zi].open && (first = zone_first(c, zi)) < best)
			best = first;
	}
	return best;
}

/* No row is ready: notes until when (the first closed zone with rows to
 * open, or the first redial to fall due), if any row remains at all. */
static void
note_waiting(struct campaign *c)
{
	const char *label = NULL;
	int64_t until = INT64_MAX;
	char why[CAMPAIGN_REASON_MAX + 1];
	uint32_t row;
	unsigned zi;

	for (zi = 0; zi < c->zone_count; zi++) {
		struct zone *z = &c->zones[zi];

		if (!z->open && zone_first(c, zi) != SIZE_MAX &&
		    z->opens_ms < until) {
			until = z->opens_ms;
			label = z->label;
		}
	}
	if (pending_head(c, &row) && redial_at(c, row) < until) {
		until = redial_at(c, row);
		label = NULL;
	}
	if (until == INT64_MAX) {
		if (c->waiting)
			c->version++;
		c->waiting = false;
		return;
	}
	if (label != NULL)
		snprintf(why, sizeof(why), "waiting for calling hours (%s)",
		    label);
	else
		snprintf(why, sizeof(why), "waiting for a redial");
	if (c->waiting && c->waiting_until == until &&
	    strcmp(c->waiting_reason, why) == 0)
		return;
	c->waiting = true;
	c->waiting_until = until;
	memcpy(c->waiting_reason, why, sizeof(why));
	c->version++;
}

/* Begins row's next call under key: dialing, in flight, one more call. A
 * redial starts afresh: no id, marks, reason, tries, length or who answered
 * of the last call; its history goes on. */
static void
begin_call(struct campaign *c, size_t row,
    const unsigned char key[CAMPAIGN_KEY_BYTES], int64_t now_ms)
{
	struct packed_row *r = &c->rows[row];

	if (r->redial) {
		r->redial = 0;
		c->redials--;
		memset(r->mark_lo, 0, sizeof(r->mark_lo));
		memset(r->mark_hi, 0, sizeof(r->mark_hi));
		r->call_id = 0;
		r->reason = 0;
		r->hooked = 0;
		r->attempts = 0;
		r->answered_by = ANSWERED_BY_NONE;
		r->duration = 0;
	}
	if (r->calls == 0)
		c->dialed++;
	if (r->calls < CAMPAIGN_CALLS_MAX)
		r->calls++;
	c->calls++;
	memcpy(c->keys[row], key, CAMPAIGN_KEY_BYTES);
	r->attempts = 1;
	set_status(c, row, STATUS_DIALING);
	mark_set(r, MARK_DIALED, clamp_ms(now_ms));
	c->flight[c->in_flight++] = row;
	touch(c, row);
}

int
campaign_next_dial(struct campaign *c,
    const unsigned char key[CAMPAIGN_KEY_BYTES], int64_t now_ms, size_t *row)
{
	size_t r;

	if (!dialing(c) || c->in_flight >= c->limit)
		return -1;
	move_due(c, now_ms);
	while ((r = earliest_ready(c)) != SIZE_MAX && c->blocked != NULL &&
	    c->blocked(c->phone_text + c->rows[r].phone, c->blocked_arg))
		campaign_skip(c, r, "do not call", now_ms);
	if (r == SIZE_MAX) {
		note_waiting(c);
		return -1;
	}
	if (c->rows[r].redial)
		heap_pop(&c->zones[zone_of(c, r)]);
	begin_call(c, r, key, now_ms);
	if (c->waiting) {
		c->waiting = false;
		c->version++;
	}
	*row = r;
	return 0;
}

static bool
was_dialed(const struct campaign *c, size_t row)
{
	return row < c->size && c->rows[row].attempts > 0;
}

/* Gives row the call id when it has none: CAMPAIGN_APPLIED when it took it,
 * CAMPAIGN_UNCHANGED when it had the same, CAMPAIGN_WRONG_ID otherwise. */
static enum campaign_result
adopt_id(struct campaign *c, size_t row, const char *id)
{
	struct packed_row *r = &c->rows[row];

	if (r->call_id != 0)
		return strncmp(text_get(c, r->call_id), id, CAMPAIGN_ID_MAX) == 0 ?
		    CAMPAIGN_UNCHANGED : CAMPAIGN_WRONG_ID;
	/* Out of memory leaves the id unknown, which a later webhook fixes. */
	r->call_id = text_add(c, id, CAMPAIGN_ID_MAX);
	return r->call_id != 0 ? CAMPAIGN_APPLIED : CAMPAIGN_UNCHANGED;
}

enum campaign_result
campaign_dial_ok(struct campaign *c, size_t row, const char *id,
    int64_t now_ms)
{
	enum campaign_result result;

	if (!was_dialed(c, row))
		return CAMPAIGN_NO_ROW;
	c->failures = 0;
	result = adopt_id(c, row, id);
	if (result != CAMPAIGN_WRONG_ID)
		record_status(c, row, STATUS_DIALING, EVENT_API,
		    result == CAMPAIGN_APPLIED, now_ms);
	return result;
}

/* Whether row still waits for its POST /call to be answered: dialed,
 * nothing heard of the call since. */
static bool
awaits_answer(const struct campaign *c, size_t row)
{
	const struct packed_row *r = &c->rows[row];

	return was_dialed(c, row) && r->status == STATUS_DIALING &&
	    r->call_id == 0 && !r->hooked;
}

int
campaign_dial_wait(struct campaign *c, size_t row, int64_t now_ms)
{
	bool waits;

	if (!was_dialed(c, row))
		return -1;
	waits = awaits_answer(c, row);
	/* Stopped while the POST was out: the API did not take the call and
	 * none will be placed now, so the row ends as the stop left those
	 * waiting to be sent again. */
	if (waits && c->stopped) {
		c->rows[row].waiting = 0;
		raise_status(c, row, STATUS_SKIPPED, now_ms);
		set_reason(c, row, "stopped by the operator");
		record_status(c, row, STATUS_SKIPPED, EVENT_RETRY, true, now_ms);
		return -1;
	}
	/* The answer is recorded even when a webhook came first and the
	 * POST /call will not be sent again. */
	record_status(c, row, STATUS_DIALING, EVENT_RETRY,
	    waits && !c->rows[row].waiting, now_ms);
	if (!waits)
		return -1;
	c->rows[row].waiting = 1;
	return 0;
}

int
campaign_dial_retry(struct campaign *c, size_t row, int64_t now_ms)
{
	if (!awaits_answer(c, row))
		return -1;
	if (c->rows[row].attempts < CAMPAIGN_ATTEMPTS_MAX)
		c->rows[row].attempts++;
	c->rows[row].waiting = 0;
	/* The call timeout runs from the attempt that may place the call: a
	 * row that waited out refusals has not been ringing all that time. */
	mark_set(&c->rows[row], MARK_DIALED, clamp_ms(now_ms));
	record_status(c, row, STATUS_DIALING, EVENT_RETRY, true, now_ms);
	return 0;
}

int
campaign_waiting_row(const struct campaign *c, size_t *row)
{
	size_t i;

	for (i = 0; i < c->in_flight; i++) {
		if (c->rows[c->flight[i]].waiting) {
			*row = c->flight[i];
			return 0;
		}
	}
	return -1;
}

/* Fails row for reason, freeing its slot, and records it as source
 * says: whatever a webhook said, if it did not end the call. Returns
 * whether the row moved. */
static bool
fail_row(struct campaign *c, size_t row, const char *reason,
    enum event_source source, int64_t now_ms)
{
	bool moved;

	c->rows[row].waiting = 0;
	moved = raise_status(c, row, STATUS_FAILED, now_ms);
	if (moved)
		set_reason(c, row, reason);
	record_status(c, row, STATUS_FAILED, source, moved, now_ms);
	return moved;
}

bool
campaign_dial_failed(struct campaign *c, size_t row, const char *reason,
    int64_t now_ms)
{
	struct packed_row *r;

	if (!was_dialed(c, row))
		return false;
	r = &c->rows[row];
	if (r->hooked) {
		/* A webhook shows the API has the call: it keeps its slot. */
		if (!status_is_terminal((enum status)r->status))
			set_reason(c, row, reason);
		record_status(c, row, STATUS_FAILED, EVENT_API, false, now_ms);
		return false;
	}
	if (!fail_row(c, row, reason, EVENT_API, now_ms))
		return false;
	count_failure(c, reason);
	return true;
}

bool
campaign_fail_number(struct campaign *c, size_t row, const char *reason,
    int64_t now_ms)
{
	if (!was_dialed(c, row))
		return false;
	return fail_row(c, row, reason, EVENT_API, now_ms);
}

void
campaign_dial_unknown(struct campaign *c, size_t row, const char *reason,
    int64_t now_ms)
{
	if (!was_dialed(c, row))
		return;
	if (!status_is_terminal((enum status)c->rows[row].status)) {
		c->rows[row].waiting = 0;
		set_reason(c, row, reason);
	}
	record_status(c, row, (enum status)c->rows[row].status, EVENT_API,
	    false, now_ms);
}

/* Compares two keys in time that does not depend on where they differ. */
static bool
keys_equal(const unsigned char *a, const unsigned char *b)
{
	unsigned char diff = 0;
	size_t i;

	for (i = 0; i < CAMPAIGN_KEY_BYTES; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

enum campaign_result
campaign_check_key(const struct campaign *c, size_t row,
    const unsigned char key[CAMPAIGN_KEY_BYTES])
{
	if (row >= c->size)
		return CAMPAIGN_NO_ROW;
	if (!was_dialed(c, row) || !keys_equal(c->keys[row], key))
		return CAMPAIGN_BAD_KEY;
	return CAMPAIGN_KEY_OK;
}

/* Whether a report's status is one the campaign knows; STATUS_IDLE says
 * only who answered. */
static bool
report_valid(const struct campaign_report *report)
{
	return (unsigned)report->status < STATUS_COUNT &&
	    (unsigned)report->answered_by < ANSWERED_BY_COUNT;
}

/*
 * Applies what the provider's report tells of row's call, from source: its
 * status if it ranks higher, who answered if the row has no word of it
 * yet, the call's length (the last one given wins); and records it. A
 * report of no status is recorded with the row's own, applied when it
 * told who answered. Returns whether the status moved.
 */
static bool
apply_report(struct campaign *c, size_t row,
    const struct campaign_report *report, enum event_source source,
    int64_t now_ms)
{
	struct packed_row *r = &c->rows[row];
	/* The API has the call: a POST /call that fails now does not end it,
	 * and one that waits to be sent again never is. An ended row has
	 * nothing left to learn. */
	bool first_word = !r->hooked &&
	    !status_is_terminal((enum status)r->status);
	bool moved = raise_status(c, row, report->status, now_ms);
	bool told = report->answered_by != ANSWERED_BY_NONE &&
	    r->answered_by == ANSWERED_BY_NONE;
	struct campaign_event ev = {
		.at_ms = now_ms, .status = report->status, .source = source,
		.seq = report->seq, .provider_s = report->provider_s,
		.applied = moved,
	};

	if (told)
		r->answered_by = report->answered_by;
	if (report->duration_s >= 0)
		r->duration = (unsigned)(report->duration_s <
		    CAMPAIGN_DURATION_MAX ? report->duration_s :
		    CAMPAIGN_DURATION_MAX) + 1;
	if (report->status == STATUS_IDLE) {
		ev.status = (enum status)r->status;
		ev.applied = told;
	}
	if (first_word) {
		r->hooked = 1;
		r->waiting = 0;
		c->failures = 0;
	}
	record(c, row, &ev);
	return moved;
}

enum campaign_result
campaign_webhook(struct campaign *c, size_t row,
    const unsigned char key[CAMPAIGN_KEY_BYTES], const char *id,
    const struct campaign_report *report, int64_t now_ms)
{
	enum campaign_result check = campaign_check_key(c, row, key);

	if (check != CAMPAIGN_KEY_OK)
		return check;
	if (!report_valid(report))
		return CAMPAIGN_UNCHANGED;
	if (id != NULL && id[0] != '\0' &&
	    adopt_id(c, row, id) == CAMPAIGN_WRONG_ID)
		return CAMPAIGN_WRONG_ID;
	return apply_report(c, row, report, EVENT_WEBHOOK, now_ms) ?
	    CAMPAIGN_APPLIED : CAMPAIGN_UNCHANGED;
}

enum campaign_result
campaign_provider_status(struct campaign *c, size_t row,
    const struct campaign_report *report, int64_t now_ms)
{
	if (!was_dialed(c, row))
		return CAMPAIGN_NO_ROW;
	if (!report_valid(report))
		return CAMPAIGN_UNCHANGED;
	return apply_report(c, row, report, EVENT_PROVIDER_QUERY, now_ms) ?
	    CAMPAIGN_APPLIED : CAMPAIGN_UNCHANGED;
}

/* Whether row's call is in flight and past its timeout: placed at or
 * before now_ms - timeout_ms, not waiting to be sent again. */
static bool
overdue(const struct campaign *c, size_t row, int64_t now_ms,
    int64_t timeout_ms)
{
	const struct packed_row *r = &c->rows[row];

	return status_in_flight((enum status)r->status) && !r->waiting &&
	    mark_get(r, MARK_DIALED) <= now_ms - timeout_ms;
}

size_t
campaign_expire(struct campaign *c, int64_t now_ms, int64_t timeout_ms)
{
	size_t i = 0, expired = 0;

	/* Failing a row removes it from flight[], moving the last entry to i. */
	while (i < c->in_flight) {
		size_t row = c->flight[i];

		if (overdue(c, row, now_ms, timeout_ms)) {
			fail_row(c, row, "timeout", EVENT_TIMEOUT, now_ms);
			expired++;
		} else {
			i++;
		}
	}
	return expired;
}

size_t
campaign_overdue(const struct campaign *c, int64_t now_ms, int64_t timeout_ms,
    size_t *rows, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < c->in_flight && n < max; i++)
		if (overdue(c, c->flight[i], now_ms, timeout_ms))
			rows[n++] = c->flight[i];
	return n;
}

bool
campaign_expire_row(struct campaign *c, size_t row, int64_t now_ms)
{
	if (row >= c->size || c->rows[row].waiting ||
	    !status_in_flight((enum status)c->rows[row].status))
		return false;
	return fail_row(c, row, "timeout", EVENT_TIMEOUT, now_ms);
}

int64_t
campaign_next_deadline(const struct campaign *c, int64_t timeout_ms)
{
	int64_t deadline = INT64_MAX;
	size_t i;

	for (i = 0; i < c->in_flight; i++) {
		int64_t d = mark_get(&c->rows[c->flight[i]], MARK_DIALED) +
		    timeout_ms;

		if (c->rows[c->flight[i]].waiting)
			continue;
		if (d < deadline)
			deadline = d;
	}
	return deadline;
}

int
campaign_restore_row(struct campaign *c, size_t row,
    const struct campaign_row *saved,
    const unsigned char key[CAMPAIGN_KEY_BYTES])
{
	struct packed_row *r;
	uint32_t id = 0, reason = 0;
	int m;

	if (row >= c->size || (unsigned)saved->status >= STATUS_COUNT ||
	    saved->attempts > CAMPAIGN_ATTEMPTS_MAX ||
	    saved->calls > CAMPAIGN_CALLS_MAX ||
	    (unsigned)saved->answered_by >= ANSWERED_BY_COUNT ||
	    saved->duration_s < -1 || saved->duration_s > CAMPAIGN_DURATION_MAX)
		return -1;
	if (saved->waiting && (saved->status != STATUS_DIALING ||
	    saved->call_id != NULL || saved->hooked))
		return -1;
	if (saved->redial && !status_is_terminal(saved->status))
		return -1;
	/* Only rows never dialed are idle; every other but a skipped one
	 * had a call. */
	if (saved->status == STATUS_IDLE ? saved->calls > 0 ||
	    saved->attempts > 0 : saved->calls == 0 &&
	    saved->status != STATUS_SKIPPED)
		return -1;
	for (m = 0; m < MARK_COUNT; m++)
		if (saved->at_ms[m] < 0 || saved->at_ms[m] > CAMPAIGN_MS_MAX)
			return -1;
	if (saved->call_id != NULL &&
	    (id = text_add(c, saved->call_id, CAMPAIGN_ID_MAX)) == 0)
		return -1;
	if (saved->reason != NULL &&
	    (reason = text_add(c, saved->reason, CAMPAIGN_REASON_MAX)) == 0)
		return -1;
	r = &c->rows[row];
	r->call_id = id;
	r->reason = reason;
	r->status = saved->status;
	r->attempts = saved->attempts;
	r->hooked = saved->hooked;
	r->waiting = saved->waiting;
	r->calls = saved->calls;
	r->redial = saved->redial;
	r->answered_by = saved->answered_by;
	r->duration = (unsigned)(saved->duration_s + 1);
	for (m = 0; m < MARK_COUNT; m++)
		mark_set(r, (enum mark)m, saved->at_ms[m]);
	memcpy(c->keys[row], key, CAMPAIGN_KEY_BYTES);
	/* Its events follow, campaign_restore_event one by one. */
	history_clear(c->history, row);
	r->events = 0;
	touch(c, row);
	return 0;
}

/* A redial to queue again after a restore: when it is due, and its row. */
struct due_row {
	int64_t at;
	uint32_t row;
};

static int
due_row_cmp(const void *a, const void *b)
{
	const struct due_row *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->row < y->row ? -1 : x->row > y->row;
}

/* Queues the restored rows' redials again, in the order they fall due. */
static int
requeue_redials(struct campaign *c)
{
	struct due_row *due;
	size_t i, n = 0;

	if (c->redials == 0)
		return 0;
	if ((due = malloc(c->redials * sizeof(*due))) == NULL)
		return -1;
	for (i = 0; i < c->size; i++)
		if (c->rows[i].redial)
			due[n++] = (struct due_row){ redial_at(c, i), (uint32_t)i };
	qsort(due, n, sizeof(*due), due_row_cmp);
	for (i = 0; i < n; i++) {
		if (!pending_push(c, due[i].row)) {
			free(due);
			return -1;
		}
	}
	free(due);
	return 0;
}

/* Counts a restored row into the counters, the flight list and the
 * redials (calling off one the settings no longer allow). */
static void
recount_row(struct campaign *c, size_t row)
{
	struct packed_row *r = &c->rows[row];
	enum status s = (enum status)r->status;

	c->rows_by[s]++;
	if (r->calls > 0)
		c->dialed++;
	if (status_in_flight(s)) {
		c->flight[c->in_flight++] = row;
	} else if (r->redial && !c->stopped && (c->redial_mask >> s & 1) &&
	    r->calls < c->redial_calls) {
		c->redials++;
	} else if (status_is_terminal(s)) {
		r->redial = 0;
		c->done++;
	}
}

int
campaign_restore_finish(struct campaign *c, bool started)
{
	size_t i, flying = 0;
	size_t *flight;

	for (i = 0; i < c->size; i++) {
		if (c->rows[i].calls > 0 && !started)
			return -1;
		if (status_in_flight((enum status)c->rows[i].status))
			flying++;
	}
	/* A smaller limit than the journal's run: room for every call still
	 * in flight; no new one is placed until they fall below the limit. */
	if (flying > c->limit) {
		flight = realloc(c->flight, flying * sizeof(*flight));
		if (flight == NULL)
			return -1;
		c->flight = flight;
	}
	c->in_flight = c->done = c->dialed = c->redials = 0;
	memset(c->rows_by, 0, sizeof(c->rows_by));
	c->pending_first = c->pending_len = 0;
	for (i = 0; i < c->zone_count; i++) {
		c->zones[i].next = 0;
		c->zones[i].due_len = 0;
	}
	for (i = 0; i < c->size; i++)
		recount_row(c, i);
	if (requeue_redials(c) != 0)
		return -1;
	c->started = started;
	c->version++;
	return 0;
}

void
campaign_restore_control(struct campaign *c, bool paused, const char *reason,
    bool stopped)
{
	c->paused = paused && !stopped;
	snprintf(c->pause_reason, sizeof(c->pause_reason), "%s",
	    c->paused && reason != NULL ? reason : "");
	c->stopped = stopped;
	c->version++;
}

int
campaign_id_in_flight(const struct campaign *c, const char *id, size_t row,
    size_t *other)
{
	size_t i;

	for (i = 0; i < c->in_flight; i++) {
		size_t r = c->flight[i];
		uint32_t ref = c->rows[r].call_id;

		if (r != row && ref != 0 &&
		    strncmp(text_get(c, ref), id, CAMPAIGN_ID_MAX) == 0) {
			*other = r;
			return 0;
		}
	}
	return -1;
}

size_t
campaign_events(const struct campaign *c, size_t row,
    struct campaign_event *out, size_t max)
{
	return row < c->size ? history_get(c->history, row, out, max) : 0;
}

int
campaign_restore_event(struct campaign *c, size_t row,
    const struct campaign_event *ev)
{
	int count;

	if (row >= c->size || (unsigned)ev->status >= STATUS_COUNT ||
	    (unsigned)ev->source >= EVENT_SOURCE_COUNT ||
	    ev->at_ms < 0 || ev->at_ms > CAMPAIGN_MS_MAX ||
	    ev->seq < -1 || ev->seq > CAMPAIGN_SEQ_MAX || ev->provider_s < -1)
		return -1;
	if ((count = history_add(c->history, row, ev)) < 0)
		return -1;
	c->rows[row].events = (unsigned)count;
	return 0;
}

const unsigned char *
campaign_key(const struct campaign *c, size_t row)
{
	return row < c->size ? c->keys[row] : NULL;
}

size_t
campaign_size(const struct campaign *c)
{
	return c->size;
}

const struct campaign_row *
campaign_row(const struct campaign *c, size_t row)
{
	struct campaign_row *v = &campaign_view;
	const struct packed_row *r;
	int m;

	if (row >= c->size)
		return NULL;
	r = &c->rows[row];
	v->phone = c->phone_text + r->phone;
	v->call_id = text_get(c, r->call_id);
	v->reason = text_get(c, r->reason);
	/* A row never changed has version 0, which full_version would not
	 * give back once the campaign is past 2^32 versions. */
	v->version = r->version == 0 ? 0 : full_version(c, r->version);
	for (m = 0; m < MARK_COUNT; m++)
		v->at_ms[m] = mark_get(r, (enum mark)m);
	v->status = (enum status)r->status;
	v->attempts = r->attempts;
	v->hooked = r->hooked;
	v->waiting = r->waiting;
	v->calls = r->calls;
	v->redial = r->redial;
	v->redial_at_ms = r->redial ? redial_at(c, row) : 0;
	v->answered_by = (enum answered_by)r->answered_by;
	v->duration_s = (int64_t)r->duration - 1;
	v->events = r->events;
	return v;
}

uint64_t
campaign_version(const struct campaign *c)
{
	return c->version;
}

void
campaign_counts(const struct campaign *c, struct campaign_counts *out)
{
	out->total = c->size;
	out->dialed = c->dialed;
	out->in_flight = c->in_flight;
	out->done = c->done;
	out->redials = c->redials;
	memcpy(out->rows, c->rows_by, sizeof(out->rows));
	out->calls = c->calls;
	memcpy(out->ended, c->ended, sizeof(out->ended));
	out->limit = c->limit;
	out->started = c->started;
	out->paused = c->paused;
	out->stopped = c->stopped;
}

/* Index in the ring of the oldest entry newer than since (log_len if none):
 * versions grow along the ring, so a binary search finds it. */
static size_t
first_change_after(const struct campaign *c, uint64_t since)
{
	size_t lo = 0, hi = c->log_len;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (full_version(c,
		    c->log[(c->log_first + mid) % c->log_size].version) <= since)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool
campaign_log_reaches(const struct campaign *c, uint64_t since)
{
	return since <= c->version && since >= c->log_floor;
}

int
campaign_changes_since(const struct campaign *c, uint64_t since,
    void (*fn)(size_t row, void *arg), void *arg)
{
	size_t i;

	if (!campaign_log_reaches(c, since))
		return -1;
	for (i = first_change_after(c, since); i < c->log_len; i++) {
		const struct change *e = &c->log[(c->log_first + i) % c->log_size];

		/* A row changed several times is sent once, at its last change. */
		if (c->rows[e->row].version == e->version)
			fn(e->row, arg);
	}
	return 0;
}
