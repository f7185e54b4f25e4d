/*
 * status: everything known about a call's status, in one table: its name
 * (the one word the page, the journal and the logs use), its rank, whether
 * it holds a slot, and which time mark it sets; plus the provider words
 * (Twilio's among them) that map onto the statuses.
 */
#ifndef NUMDIALER_STATUS_H
#define NUMDIALER_STATUS_H

#include <stdbool.h>
#include <stddef.h>

/* In rank order: a call only ever moves to a higher rank. */
enum status {
	STATUS_IDLE,      /* not dialed yet */
	STATUS_DIALING,   /* POST /call sent (Twilio: queued, initiated) */
	STATUS_RINGING,
	STATUS_ANSWERED,  /* Twilio: in-progress */
	STATUS_COMPLETED, /* terminal from here on */
	STATUS_BUSY,
	STATUS_NO_ANSWER,
	STATUS_FAILED,
	STATUS_CANCELED,
	STATUS_SKIPPED,   /* never dialed: do-not-call, or stopped by the
	                     operator; the campaign's word, no provider's */
	STATUS_COUNT
};

/* A row's timeline: the first time it reached each stage. */
enum mark {
	MARK_DIALED,
	MARK_RINGING,
	MARK_ANSWERED,
	MARK_ENDED,
	MARK_COUNT
};

/* The word for s ("no-answer", ...), the same in /events and the journal;
 * "unknown" for a value out of range. */
const char *status_name(enum status s);

/* Reads a word status_name gives back into *out: 0, or -1 for any other. */
int status_from_name(const char *name, enum status *out);

/* Rank used to order updates; all terminal statuses share the top rank. */
int status_rank(enum status s);

bool status_is_terminal(enum status s);

/* Whether a call in s holds one of the campaign's slots: dialing, ringing
 * or answered. */
bool status_in_flight(enum status s);

/* The mark a row reaching s sets; MARK_COUNT for idle (none). */
enum mark status_mark(enum status s);

/* The key of mark m in /events and the journal ("dialed_at", ...). */
const char *status_mark_name(enum mark m);

/* Who answered, as Twilio's answering-machine detection says (AnsweredBy). */
enum answered_by {
	ANSWERED_BY_NONE,         /* not said (no detection, or not yet) */
	ANSWERED_BY_HUMAN,
	ANSWERED_BY_MACHINE_START,
	ANSWERED_BY_MACHINE_END_BEEP,
	ANSWERED_BY_MACHINE_END_SILENCE,
	ANSWERED_BY_MACHINE_END_OTHER,
	ANSWERED_BY_FAX,
	ANSWERED_BY_UNKNOWN,      /* detection ran and could not tell */
	ANSWERED_BY_COUNT
};

/* Twilio's word for a ("human", "machine_start", ...); "" for none. */
const char *answered_by_name(enum answered_by a);

/* Reads Twilio's word (len bytes, not NUL-terminated) into *out: 0, or -1
 * for a word it does not know. */
int answered_by_parse(const char *word, size_t len, enum answered_by *out);

/* Where a report of a call's status came from, in its row's history. */
enum event_source {
	EVENT_API,            /* the answer to POST /call */
	EVENT_WEBHOOK,        /* the provider's webhook (status callback) */
	EVENT_RETRY,          /* the POST /call waits to be sent again */
	EVENT_TIMEOUT,        /* the call timeout ended it */
	EVENT_PROVIDER_QUERY, /* the provider asked about a call past its timeout */
	EVENT_SOURCE_COUNT
};

/* The word for s in GET /calls/ROW, the report and the journal ("api",
 * "webhook", "retry", "timeout", "provider-query"); "unknown" out of range. */
const char *event_source_name(enum event_source s);

/* Reads a word event_source_name gives into *out: 0, or -1. */
int event_source_from_name(const char *name, enum event_source *out);

/*
 * Maps a word a provider sends (our API's ringing/answered/completed,
 * Twilio's queued/initiated/in-progress/busy/no-answer/canceled/failed...)
 * to a status. len is the word's length (it need not be NUL-terminated).
 * Returns 0 and sets *out, or -1 for a word it does not know.
 */
int status_parse(const char *word, size_t len, enum status *out);

#endif
