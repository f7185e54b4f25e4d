/*
 * status: the status table and the provider words mapped onto it.
 */
#include <string.h>

#include "status.h"

#define RANK_TERMINAL 4

static const struct {
	const char *name;
	int rank;
} statuses[STATUS_COUNT] = {
	[STATUS_IDLE]      = { "idle",      0 },
	[STATUS_DIALING]   = { "dialing",   1 },
	[STATUS_RINGING]   = { "ringing",   2 },
	[STATUS_ANSWERED]  = { "answered",  3 },
	[STATUS_COMPLETED] = { "completed", RANK_TERMINAL },
	[STATUS_BUSY]      = { "busy",      RANK_TERMINAL },
	[STATUS_NO_ANSWER] = { "no-answer", RANK_TERMINAL },
	[STATUS_FAILED]    = { "failed",    RANK_TERMINAL },
	[STATUS_CANCELED]  = { "canceled",  RANK_TERMINAL },
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

const char *
status_name(enum status s)
{
	if ((unsigned)s >= STATUS_COUNT)
		return "unknown";
	return statuses[s].name;
}

int
status_rank(enum status s)
{
	if ((unsigned)s >= STATUS_COUNT)
		return -1;
	return statuses[s].rank;
}

bool
status_is_terminal(enum status s)
{
	return status_rank(s) == RANK_TERMINAL;
}

int
status_parse(const char *word, size_t len, enum status *out)
{
	size_t i;

	if (word == NULL)
		return -1;
	for (i = 0; i < sizeof(provider_words) / sizeof(provider_words[0]); i++) {
		if (strlen(provider_words[i].word) == len &&
		    memcmp(provider_words[i].word, word, len) == 0) {
			*out = provider_words[i].status;
			return 0;
		}
	}
	return -1;
}
