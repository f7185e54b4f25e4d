/*
 * status: the status table and the provider words mapped onto it.
 */
#include <string.h>

#include "status.h"
#include "util.h"

#define RANK_TERMINAL 4

static const struct {
	const char *name;
	int rank;
	bool in_flight;
	enum mark mark;
} statuses[STATUS_COUNT] = {
	[STATUS_IDLE]      = { "idle",      0, false, MARK_COUNT },
	[STATUS_DIALING]   = { "dialing",   1, true,  MARK_DIALED },
	[STATUS_RINGING]   = { "ringing",   2, true,  MARK_RINGING },
	[STATUS_ANSWERED]  = { "answered",  3, true,  MARK_ANSWERED },
	[STATUS_COMPLETED] = { "completed", RANK_TERMINAL, false, MARK_ENDED },
	[STATUS_BUSY]      = { "busy",      RANK_TERMINAL, false, MARK_ENDED },
	[STATUS_NO_ANSWER] = { "no-answer", RANK_TERMINAL, false, MARK_ENDED },
	[STATUS_FAILED]    = { "failed",    RANK_TERMINAL, false, MARK_ENDED },
	[STATUS_CANCELED]  = { "canceled",  RANK_TERMINAL, false, MARK_ENDED },
	[STATUS_SKIPPED]   = { "skipped",   RANK_TERMINAL, false, MARK_ENDED },
};

static const char *const mark_names[MARK_COUNT] = {
	[MARK_DIALED]   = "dialed_at",
	[MARK_RINGING]  = "ringing_at",
	[MARK_ANSWERED] = "answered_at",
	[MARK_ENDED]    = "ended_at",
};

/* What a provider may send: our API's three words and Twilio's call statuses. */
static const struct {
	const char *word;
	enum status status;
} provider_words[] = {
	{ "queued",      STATUS_DIALING },
	{ "initiated",   STATUS_DIALING },
	{ "ringing",     STATUS_RINGING },
	{ "answered",    STATUS_ANSWERED },
	{ "in-progress", STATUS_ANSWERED },
	{ "completed",   STATUS_COMPLETED },
	{ "busy",        STATUS_BUSY },
	{ "no-answer",   STATUS_NO_ANSWER },
	{ "failed",      STATUS_FAILED },
	{ "canceled",    STATUS_CANCELED },
};

static bool
status_valid(enum status s)
{
	return (unsigned)s < STATUS_COUNT;
}

const char *
status_name(enum status s)
{
	return status_valid(s) ? statuses[s].name : "unknown";
}

int
status_from_name(const char *name, enum status *out)
{
	for (size_t s = 0; s < STATUS_COUNT; s++) {
		if (strcmp(statuses[s].name, name) == 0) {
			*out = (enum status)s;
			return 0;
		}
	}
	return -1;
}

int
status_rank(enum status s)
{
	return status_valid(s) ? statuses[s].rank : -1;
}

bool
status_is_terminal(enum status s)
{
	return status_rank(s) == RANK_TERMINAL;
}

bool
status_in_flight(enum status s)
{
	return status_valid(s) && statuses[s].in_flight;
}

enum mark
status_mark(enum status s)
{
	return status_valid(s) ? statuses[s].mark : MARK_COUNT;
}

const char *
status_mark_name(enum mark m)
{
	return (unsigned)m < MARK_COUNT ? mark_names[m] : "unknown";
}

int
status_parse(const char *word, size_t len, enum status *out)
{
	if (word == NULL)
		return -1;
	for (size_t i = 0; i < LEN(provider_words); i++) {
		if (strlen(provider_words[i].word) == len &&
		    memcmp(provider_words[i].word, word, len) == 0) {
			*out = provider_words[i].status;
			return 0;
		}
	}
	return -1;
}

static const char *const answered_by_words[ANSWERED_BY_COUNT] = {
	[ANSWERED_BY_NONE]                = "",
	[ANSWERED_BY_HUMAN]               = "human",
	[ANSWERED_BY_MACHINE_START]       = "machine_start",
	[ANSWERED_BY_MACHINE_END_BEEP]    = "machine_end_beep",
	[ANSWERED_BY_MACHINE_END_SILENCE] = "machine_end_silence",
	[ANSWERED_BY_MACHINE_END_OTHER]   = "machine_end_other",
	[ANSWERED_BY_FAX]                 = "fax",
	[ANSWERED_BY_UNKNOWN]             = "unknown",
};

const char *
answered_by_name(enum answered_by a)
{
	return (unsigned)a < ANSWERED_BY_COUNT ? answered_by_words[a] : "";
}

int
answered_by_parse(const char *word, size_t len, enum answered_by *out)
{
	if (word == NULL || len == 0)
		return -1;
	for (size_t a = ANSWERED_BY_HUMAN; a < ANSWERED_BY_COUNT; a++) {
		if (strlen(answered_by_words[a]) == len &&
		    memcmp(answered_by_words[a], word, len) == 0) {
			*out = (enum answered_by)a;
			return 0;
		}
	}
	return -1;
}

static const char *const source_names[EVENT_SOURCE_COUNT] = {
	[EVENT_API]            = "api",
	[EVENT_WEBHOOK]        = "webhook",
	[EVENT_RETRY]          = "retry",
	[EVENT_TIMEOUT]        = "timeout",
	[EVENT_PROVIDER_QUERY] = "provider-query",
};

const char *
event_source_name(enum event_source s)
{
	return (unsigned)s < EVENT_SOURCE_COUNT ? source_names[s] : "unknown";
}

int
event_source_from_name(const char *name, enum event_source *out)
{
	for (size_t s = 0; s < EVENT_SOURCE_COUNT; s++) {
		if (strcmp(source_names[s], name) == 0) {
			*out = (enum event_source)s;
			return 0;
		}
	}
	return -1;
}
