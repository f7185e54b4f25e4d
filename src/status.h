/*
 * status: the words a call's status is written in, their ranks, and the
 * provider words (Twilio's among them) that map onto them. One table.
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
	STATUS_COUNT
};

/* The page's word for s ("no-answer", ...); never NULL for a valid s. */
const char *status_name(enum status s);

/* Rank used to order updates; all terminal statuses share the top rank. */
int status_rank(enum status s);

bool status_is_terminal(enum status s);

/*
 * Maps a word a provider sends (our API's ringing/answered/completed,
 * Twilio's queued/initiated/in-progress/busy/no-answer/canceled/failed...)
 * to a status. len is the word's length (it need not be NUL-terminated).
 * Returns 0 and sets *out, or -1 for a word it does not know.
 */
int status_parse(const char *word, size_t len, enum status *out);

#endif
