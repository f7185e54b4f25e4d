/*
 * campaign: the dialing state machine. Owns the rows (one per number, in
 * list order), the calls in flight and their limit, the operator's
 * commands (start, pause, resume, stop), the rules that hold rows back
 * (calling hours per time zone, do-not-call, redials), a version number
 * and a bounded log of which row changed at which version.
 * No I/O, no clock, no locks: callers pass the time and hold the lock.
 *
 * One rule places every call: the earliest row in the list that is ready
 * is dialed next. A row is ready when it was never dialed (or its redial
 * is due), it is not blocked (do-not-call), and its zone is inside its
 * calling hours. With nothing set every row is ready in turn: strict list
 * order.
 *
 * Its invariants: calls in flight == rows dialing, ringing or answered
 * <= limit (a replay under a smaller limit aside); done == rows in a
 * terminal status that wait for no redial.
 */
#ifndef NUMDIALER_CAMPAIGN_H
#define NUMDIALER_CAMPAIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define CAMPAIGN_KEY_BYTES 16    /* per-call webhook key, from the kernel */
#define CAMPAIGN_ID_MAX 64       /* longest call id kept, NUL excluded */
#define CAMPAIGN_REASON_MAX 200  /* longest failure reason kept */
#define CAMPAIGN_LIMIT_MAX 1000  /* most calls in flight one may ask for */
/* Rows are kept packed (a million numbers fit in tens of megabytes), which
 * bounds what a row may hold: */
#define CAMPAIGN_ROWS_MAX ((size_t)UINT32_MAX)     /* rows, and phone text bytes */
#define CAMPAIGN_LOG_MAX ((size_t)1 << 30)          /* change log entries */
#define CAMPAIGN_ATTEMPTS_MAX ((1u << 22) - 1)      /* counted per row */
#define CAMPAIGN_MS_MAX (((int64_t)1 << 48) - 1)    /* latest mark: year 10889 */
#define CAMPAIGN_CALLS_MAX 127                      /* calls per row, redials included */
#define CAMPAIGN_ZONES_MAX 256   /* time zones: 0 the default, 1..255 named */
#define CAMPAIGN_LABEL_MAX 80    /* a zone's words in a waiting reason */

#define CAMPAIGN_EVENTS_MAX 16   /* events kept per row (its history) */
#define CAMPAIGN_SEQ_MAX 65534    /* largest provider sequence number kept */
#define CAMPAIGN_DURATION_MAX 524286 /* longest call length kept (s, about
                                        6 days); a longer one is held to it */

/*
 * One report of a call's status in its row's history (campaign_events):
 * from the API's answer, a webhook, a retry, the call timeout or a query
 * of the provider. A row keeps its last CAMPAIGN_EVENTS_MAX, every call's
 * (a redial's history goes on); when full, the oldest event that is not
 * terminal gives way first, then the oldest; the new one always goes in.
 * Every event recorded is a change of its row (its version moves, the
 * journal writes it), applied or not. The history is packed (history.h):
 * a time is kept within about 397 days of the campaign's first event, a
 * sequence number above CAMPAIGN_SEQ_MAX and a provider time past the
 * year 2514 as none.
 */
struct campaign_event {
	int64_t at_ms;            /* when it arrived (epoch ms) */
	enum status status;
	enum event_source source;
	int64_t seq;              /* the provider's sequence number
	                             (0..CAMPAIGN_SEQ_MAX); -1 when none */
	int64_t provider_s;       /* the provider's time (epoch seconds);
	                             -1 when none */
	bool applied;             /* it changed the row (a duplicate, a late
	                             ringing did not) */
};

/*
 * What a webhook reports about a call, for campaign_webhook: its status
 * (STATUS_IDLE when it carries none: an answering-machine detection
 * callback, which says only who answered), and what the provider adds.
 */
struct campaign_report {
	enum status status;
	int64_t seq;                  /* -1: none */
	int64_t provider_s;           /* -1: none */
	int64_t duration_s;           /* the provider's CallDuration; -1: none */
	enum answered_by answered_by; /* ANSWERED_BY_NONE: not said */
};

/* A report of a status alone, with nothing from the provider beside it. */
static inline struct campaign_report
campaign_report_of(enum status s)
{
	return (struct campaign_report){ .status = s, .seq = -1,
	    .provider_s = -1, .duration_s = -1 };
}

/* The campaign as the operator sees it (campaign_state). */
enum campaign_state {
	CAMPAIGN_READY,     /* Call not pressed yet */
	CAMPAIGN_DIALING,
	CAMPAIGN_PAUSED,    /* by the operator, or by itself (failures) */
	CAMPAIGN_WAITING,   /* rows remain, none is ready: calling hours or
	                       a redial's delay */
	CAMPAIGN_STOPPED,   /* for good; calls in flight go on to their end */
	CAMPAIGN_FINISHED   /* every row ended, none waits for a redial */
};

/*
 * A row as the renderers and the journal see it (campaign_row), and as a
 * journal hands it back (campaign_restore_row). The campaign keeps rows
 * packed and unpacks one into this on demand.
 */
struct campaign_row {
	const char *phone;        /* owned by the campaign */
	char *call_id;            /* NULL until the API or a webhook names it;
	                             owned by the campaign, like reason */
	char *reason;             /* NULL unless the call failed, or its POST
	                             /call went wrong, for a reason */
	uint64_t version;         /* campaign version of its last change */
	int64_t at_ms[MARK_COUNT];/* when each mark was reached (epoch ms,
	                             0..CAMPAIGN_MS_MAX); 0 = not yet */
	enum status status;
	unsigned attempts;        /* POST /call attempts made for its current
	                             call (counting stops at
	                             CAMPAIGN_ATTEMPTS_MAX) */
	unsigned calls;           /* calls placed for it, redials included */
	bool redial;              /* it ended and waits for another call... */
	int64_t redial_at_ms;     /* ...due then (epoch ms); 0 when none */
	bool hooked;              /* a webhook for it came (or the provider
	                             answered a query about it): the API has
	                             the call */
	bool waiting;             /* its POST /call waits to be sent again (the
	                             API certainly did not take it); the row keeps
	                             its slot, and no call timeout ends it */
	enum answered_by answered_by; /* who answered its last call, when the
	                             provider said */
	int64_t duration_s;       /* its last call's length as the provider gave
	                             it (CallDuration, 0..CAMPAIGN_DURATION_MAX);
	                             -1 when not given */
	unsigned events;          /* events in its history (campaign_events);
	                             not read by campaign_restore_row */
};

/* What a webhook did to its row; the route turns it into an HTTP status. */
enum campaign_result {
	CAMPAIGN_KEY_OK,    /* campaign_check_key: row and key match (nothing
	                       changed) */
	CAMPAIGN_APPLIED,   /* the status moved up (200) */
	CAMPAIGN_UNCHANGED, /* a duplicate or a late, lower status (200) */
	CAMPAIGN_NO_ROW,    /* no such row (404) */
	CAMPAIGN_BAD_KEY,   /* key does not match, or the row was never dialed (403) */
	CAMPAIGN_WRONG_ID   /* the row's call has another id (409) */
};

struct campaign_counts {
	size_t total;     /* rows */
	size_t dialed;    /* rows dialed at least once (placed or not) */
	size_t in_flight; /* rows dialing, ringing or answered */
	size_t done;      /* rows in a terminal status, no redial due */
	size_t redials;   /* rows waiting for a redial */
	size_t rows[STATUS_COUNT];      /* rows by status */
	uint64_t calls;                 /* calls begun, redials included */
	uint64_t ended[STATUS_COUNT];   /* calls ended, by end status */
	unsigned limit;
	bool started;
	bool paused;      /* no new call until campaign_resume */
	bool stopped;     /* no new call ever */
};

struct campaign;

/*
 * Makes a campaign over n phones (copied; repeats allowed; n and the
 * phones' total length up to CAMPAIGN_ROWS_MAX), dialing at most limit
 * (1..CAMPAIGN_LIMIT_MAX) at once, remembering the last log_size row
 * changes (1..CAMPAIGN_LOG_MAX). Returns NULL on bad arguments or out of
 * memory. The caller frees it with campaign_free (which takes NULL).
 */
struct campaign *campaign_new(const char *const *phones, size_t n,
    unsigned limit, size_t log_size);
void campaign_free(struct campaign *c);

/*
 * Each row's time zone (zones[row] < count; NULL: every row in zone 0)
 * and the zones' names (names[z], NULL for the default zone 0; names
 * NULL: none), both copied; count 1..CAMPAIGN_ZONES_MAX. Every zone starts
 * open. 0, or -1 on a bad argument or out of memory. Call it before
 * dialing starts.
 */
int campaign_set_zones(struct campaign *c, const unsigned char *zones,
    unsigned count, const char *const *names);

/* The zones campaign_set_zones gave: how many, and row's (0..count-1). */
unsigned campaign_zone_count(const struct campaign *c);
unsigned campaign_zone(const struct campaign *c, size_t row);

/* Zone z's name; NULL for the default zone or a zone out of range. */
const char *campaign_zone_name(const struct campaign *c, unsigned z);

/*
 * Whether zone is inside its calling hours now; when closed, opens_ms is
 * when it opens and label (copied, e.g. "08:00 America/Chicago") says so
 * in the waiting reason. Rows of a closed zone are not ready; calls in
 * flight go on.
 */
void campaign_zone_hours(struct campaign *c, unsigned zone, bool open,
    int64_t opens_ms, const char *label);

/*
 * Redials: a call that ends in a status of status_mask (bit 1 << status)
 * is followed by another after delay_ms, up to calls calls per row in all
 * (1..CAMPAIGN_CALLS_MAX). 0 (the default mask) never redials.
 */
void campaign_set_redial(struct campaign *c, unsigned status_mask,
    unsigned calls, int64_t delay_ms);

/*
 * The do-not-call check asked about each row just before it is dialed:
 * when blocked(phone, arg) says so the row is skipped (campaign_skip) and
 * the next ready row taken. NULL: nothing is blocked.
 */
void campaign_set_blocked(struct campaign *c,
    bool (*blocked)(const char *phone, void *arg), void *arg);

/*
 * Row will never be dialed again (do-not-call): never dialed, it becomes
 * skipped with reason; waiting for a redial, it keeps its last status and
 * the redial is called off. 0 when it changed, -1 otherwise (in flight, or
 * ended for good already).
 */
int campaign_skip(struct campaign *c, size_t row, const char *reason,
    int64_t now_ms);

/* Starts dialing: 0 the first time, -1 if it had started already or was
 * stopped. */
int campaign_start(struct campaign *c);

/*
 * Stops for good: no new call is placed; every row never dialed becomes
 * skipped ("stopped by the operator"), as does a row whose POST /call
 * waits to be sent again; rows waiting for a redial keep their last
 * status; calls in flight go on to their end. Allowed before the start.
 * 0, or -1 when stopped or finished already.
 */
int campaign_stop(struct campaign *c, int64_t now_ms);

enum campaign_state campaign_state(const struct campaign *c);

/* The word for s in /events ("ready", "waiting", ...). */
const char *campaign_state_name(enum campaign_state s);

/*
 * Why no row is ready while the campaign waits (state CAMPAIGN_WAITING),
 * and until when (epoch ms) in *until_ms: "waiting for calling hours
 * (08:00 America/Chicago)" or "waiting for a redial". NULL otherwise.
 */
const char *campaign_waiting(const struct campaign *c, int64_t *until_ms);

/*
 * After failures rows in a row whose POST /call failed (the API did not
 * take the call, retries spent), the campaign pauses by itself: a failing
 * API must not burn the list. 0 (the default) never pauses.
 */
void campaign_set_failure_pause(struct campaign *c, unsigned failures);

/* Pauses dialing for reason (copied, cut to CAMPAIGN_REASON_MAX): no new
 * call is placed, no POST /call sent again; calls in flight go on. 0, or
 * -1 when the campaign is not dialing (not started, paused already, which
 * keeps its first reason, stopped or finished). */
int campaign_pause(struct campaign *c, const char *reason);

/* Goes on dialing at the next row: 0, or -1 when it was not paused. */
int campaign_resume(struct campaign *c);

/* Why the campaign is paused; NULL when it is not. */
const char *campaign_pause_reason(const struct campaign *c);

/*
 * Takes the earliest ready row when dialing (started, not paused or
 * stopped) and a slot is free: begins its next call under key (marks it
 * dialing, counts it in flight), sets *row and returns 0. Returns -1 when
 * there is nothing to dial now; when rows remain but none is ready, the
 * campaign is waiting (campaign_waiting says until when).
 */
int campaign_next_dial(struct campaign *c,
    const unsigned char key[CAMPAIGN_KEY_BYTES], int64_t now_ms, size_t *row);

/*
 * The API answered POST /call for row with id, at now_ms. Records the id
 * when the row has none; the status is left alone (a webhook may have
 * moved it already). History: {dialing, api}, applied when the id was
 * recorded. Returns CAMPAIGN_WRONG_ID, changing nothing (the history
 * included), when a webhook had named another id; CAMPAIGN_NO_ROW for a
 * row never dialed.
 */
enum campaign_result campaign_dial_ok(struct campaign *c, size_t row,
    const char *id, int64_t now_ms);

/*
 * POST /call for row certainly did not reach the API and will be sent
 * again after a wait: the row is marked waiting (journaled, so a restarted
 * process sends it again). It keeps its slot and its key, no later row is
 * dialed before it, and no call timeout ends it meanwhile. History:
 * {dialing, retry}, applied when the row began to wait. Returns 0, or -1
 * when the row is no longer waiting for its POST /call (a webhook moved
 * it; the answer is recorded, not applied), or when the campaign was
 * stopped while the POST was out (the row becomes skipped, "stopped by the
 * operator", its slot freed): then it must not be sent again.
 */
int campaign_dial_wait(struct campaign *c, size_t row, int64_t now_ms);

/*
 * The waiting row's POST /call is sent again now: counts the attempt and
 * ends the wait; the call timeout runs from now. History: {dialing, retry},
 * applied. Returns 0, or -1 (nothing recorded) when the row is no longer
 * waiting (see campaign_dial_wait): then it must not be sent again.
 */
int campaign_dial_retry(struct campaign *c, size_t row, int64_t now_ms);

/* The row whose POST /call waits to be sent again, if any (a restored
 * campaign may have one): 0 with *row, or -1. */
int campaign_waiting_row(const struct campaign *c, size_t *row);

/*
 * POST /call for row failed, and the API did not take the call (reason
 * copied, cut to CAMPAIGN_REASON_MAX): the row becomes failed and its slot
 * is freed. Unless a webhook for the row came already: that shows the API
 * has the call, so the row keeps its slot and goes on by its webhooks (or
 * the call timeout), the reason kept beside it. History: {failed, api},
 * applied when the row failed. Returns true when the row failed.
 */
bool campaign_dial_failed(struct campaign *c, size_t row, const char *reason,
    int64_t now_ms);

/*
 * Row's number is not one the API takes (no POST was sent for it): the row
 * fails with reason, its slot freed, history {failed, api}. The list's
 * fault, not the API's: unlike campaign_dial_failed it does not count
 * toward the failure pause. Returns whether the row failed.
 */
bool campaign_fail_number(struct campaign *c, size_t row, const char *reason,
    int64_t now_ms);

/*
 * POST /call for row may have placed the call (the request went out and
 * its answer was lost, or the answer named an id beside an error): the row
 * keeps its slot, with reason beside it, until a webhook names the call
 * (its id is adopted) or the call timeout ends it. It is never sent again.
 * History: the row's status, from the api, not applied.
 */
void campaign_dial_unknown(struct campaign *c, size_t row, const char *reason,
    int64_t now_ms);

/*
 * A webhook for row, carrying key, the call id (NULL if the body had none)
 * and its report. The status applies only if it ranks above the row's; the
 * first terminal status frees the slot, exactly once. A row still waiting
 * for its POST /call answer adopts the id. Keys are compared in constant
 * time. Who answered is taken when the row has no word of it yet, the
 * call's length whenever given (the last one wins).
 * The report goes into the row's history (source webhook, its sequence
 * number and provider time), applied when the status moved up; a report
 * of no status (STATUS_IDLE: an answering-machine detection callback) is
 * recorded with the row's status, applied when it told who answered, and
 * returns CAMPAIGN_UNCHANGED all the same: CAMPAIGN_APPLIED means the
 * status moved. A refused webhook (no row, bad key, another id) records
 * nothing.
 */
enum campaign_result campaign_webhook(struct campaign *c, size_t row,
    const unsigned char key[CAMPAIGN_KEY_BYTES], const char *id,
    const struct campaign_report *report, int64_t now_ms);

/*
 * A status the provider gave when asked about row's call (one past its
 * timeout: campaign_overdue), applied as a webhook's report is (rank
 * rules, the slot freed once at the first terminal status, who answered,
 * the length, the proof that the API has the call: hooked) and recorded
 * with source provider-query. CAMPAIGN_APPLIED
 * when the status moved, CAMPAIGN_UNCHANGED when not (still recorded), or
 * CAMPAIGN_NO_ROW for a row never dialed.
 */
enum campaign_result campaign_provider_status(struct campaign *c, size_t row,
    const struct campaign_report *report, int64_t now_ms);

/*
 * Checks a webhook's row and key without changing anything, so a forged
 * webhook is refused before its body is read: CAMPAIGN_KEY_OK when they
 * match, else CAMPAIGN_NO_ROW or CAMPAIGN_BAD_KEY as campaign_webhook.
 */
enum campaign_result campaign_check_key(const struct campaign *c, size_t row,
    const unsigned char key[CAMPAIGN_KEY_BYTES]);

/*
 * Fails (reason "timeout") every call in flight placed at or before
 * now_ms - timeout_ms, freeing its slot; a row waiting to be sent again is
 * not a call yet and is left alone. History: {failed, timeout}, applied,
 * for each. Returns how many it failed. For a provider that can be asked
 * about a call, campaign_overdue and campaign_expire_row instead.
 */
size_t campaign_expire(struct campaign *c, int64_t now_ms, int64_t timeout_ms);

/*
 * The calls campaign_expire would fail now, failing none: up to max of
 * their rows into rows; returns how many. A dialer that can ask the
 * provider about them does so first (campaign_provider_status), and fails
 * the ones it learns nothing of with campaign_expire_row.
 */
size_t campaign_overdue(const struct campaign *c, int64_t now_ms,
    int64_t timeout_ms, size_t *rows, size_t max);

/*
 * Fails row's call (reason "timeout", history {failed, timeout}), freeing
 * its slot, when it is still in flight and not waiting to be sent again,
 * whatever its age: the caller has decided it timed out. Returns whether
 * it failed it.
 */
bool campaign_expire_row(struct campaign *c, size_t row, int64_t now_ms);

/* When campaign_expire will next have work: INT64_MAX if no call is in
 * flight. */
int64_t campaign_next_deadline(const struct campaign *c, int64_t timeout_ms);

/*
 * Restoring a campaign from a journal: campaign_restore_row puts a saved
 * row back as it was (status, attempts, hooked, waiting, call id, reason,
 * marks, calls, redial, who answered, length, key; the strings are
 * copied) with an empty history, which campaign_restore_event fills, then
 * campaign_restore_finish sets started and rebuilds the counters, the
 * calls in flight and the redials due from the rows (a redial the
 * settings no longer allow is called off). Both return 0, or -1 for a row
 * out of range, out of memory, a mark outside 0..CAMPAIGN_MS_MAX, more than
 * CAMPAIGN_ATTEMPTS_MAX attempts or CAMPAIGN_CALLS_MAX calls, a who answered
 * or a length out of range, a waiting row
 * that is not dialing with no id, a redial on a row that has not ended, an
 * idle row with calls, or calls while not started.
 * saved->version is not read: restoring a row is a change of its own.
 */
int campaign_restore_row(struct campaign *c, size_t row,
    const struct campaign_row *saved,
    const unsigned char key[CAMPAIGN_KEY_BYTES]);
int campaign_restore_finish(struct campaign *c, bool started);

/* Restores the operator's state a journal saved: paused (with reason) or
 * not, stopped or not. */
void campaign_restore_control(struct campaign *c, bool paused,
    const char *reason, bool stopped);

/*
 * Another call in flight that has id, besides row: 0 with its row in
 * *other, or -1. A provider that gives two live calls one id is worth a
 * word in the log: their webhooks cannot be told apart.
 */
int campaign_id_in_flight(const struct campaign *c, const char *id,
    size_t row, size_t *other);

/*
 * Row's history, oldest first: copies up to max events into out and
 * returns how many it copied (0 for a bad row).
 */
size_t campaign_events(const struct campaign *c, size_t row,
    struct campaign_event *out, size_t max);

/*
 * Restoring a journal: appends ev to row's history as it was saved (the
 * bound and its rule apply), and nothing else. 0, or -1 for a bad row or
 * event (status, source, a time outside 0..CAMPAIGN_MS_MAX, a sequence
 * number outside -1..CAMPAIGN_SEQ_MAX, a provider time below -1), or out
 * of memory.
 */
int campaign_restore_event(struct campaign *c, size_t row,
    const struct campaign_event *ev);

/* The key row was dialed under (for the journal); NULL for a bad row. */
const unsigned char *campaign_key(const struct campaign *c, size_t row);

size_t campaign_size(const struct campaign *c);

/*
 * Row unpacked into a copy that belongs to the calling thread: valid until
 * the same thread calls campaign_row again (copy it to keep two), and a
 * picture of the moment, not a live view. The strings it points to live as
 * long as the campaign. NULL for a bad row.
 */
const struct campaign_row *campaign_row(const struct campaign *c, size_t row);
uint64_t campaign_version(const struct campaign *c);
void campaign_counts(const struct campaign *c, struct campaign_counts *out);

/*
 * Whether the change log can say what changed after version since: false
 * when since is newer than the campaign or older than the log reaches
 * (then a reader needs every row).
 */
bool campaign_log_reaches(const struct campaign *c, uint64_t since);

/*
 * Calls fn once for each row changed after version since, in the order of
 * their last change. Returns 0, or -1 (calling nothing) when
 * campaign_log_reaches(c, since) is false.
 */
int campaign_changes_since(const struct campaign *c, uint64_t since,
    void (*fn)(size_t row, void *arg), void *arg);

#endif
