/*
 * calls: Twilio mode's calls. Each one's record: its sid, what its POST
 * asked for, the steps of its path in Twilio's words, its status as the
 * steps are reached, its times; found again by sid, and written as
 * Twilio's call resource or as the parameters of its callbacks. One lock;
 * safe from any thread. Records live as long as the registry.
 */
#ifndef NUMDIALER_SIM_CALLS_H
#define NUMDIALER_SIM_CALLS_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "form.h"
#include "stats.h"

#define CALLS_SID_LEN 34          /* "CA" or "AC" and 32 lowercase hex */
#define CALLS_NUMBER_MAX 16       /* '+' and up to 15 digits */
#define CALLS_STEPS_MAX 6         /* steps of one call's path */
#define CALLS_TIME_LIMIT_DEFAULT 14400  /* Twilio's TimeLimit: 4 hours */
#define CALLS_TIME_LIMIT_MAX 86400
#define CALLS_TIMEOUT_DEFAULT 60  /* Twilio's Timeout: seconds of ringing */
#define CALLS_TIMEOUT_MAX 600
#define CALLS_API_VERSION "2010-04-01"

/* The status callback events a POST may ask for (StatusCallbackEvent). */
enum calls_event {
	CALLS_EVENT_INITIATED = 1 << 0,
	CALLS_EVENT_RINGING = 1 << 1,
	CALLS_EVENT_ANSWERED = 1 << 2,
	CALLS_EVENT_COMPLETED = 1 << 3,
};

/* What happens to a call at one step of its path. */
enum calls_step {
	CALLS_STEP_INITIATED,  /* it left the queue and is dialed */
	CALLS_STEP_RINGING,
	CALLS_STEP_ANSWERED,
	CALLS_STEP_AMD,        /* answering-machine detection is done */
	CALLS_STEP_END,        /* it ends, as its path's end says */
};

/* Twilio's statuses of a call resource; the ends last. */
enum calls_status {
	CALLS_QUEUED,
	CALLS_RINGING,
	CALLS_IN_PROGRESS,
	CALLS_COMPLETED,
	CALLS_BUSY,
	CALLS_NO_ANSWER,
	CALLS_FAILED,
	CALLS_CANCELED,
};

/* MachineDetection, as asked. */
enum calls_amd {
	CALLS_AMD_NONE,
	CALLS_AMD_ENABLE,
	CALLS_AMD_MESSAGE_END,  /* DetectMessageEnd */
};

/* A call's path in Twilio's words. */
struct calls_path {
	enum calls_step steps[CALLS_STEPS_MAX];
	size_t nsteps;
	enum calls_status end;  /* the status CALLS_STEP_END brings */
};

/* What a POST to Calls.json asked for; the strings are borrowed (copied by
 * calls_create). */
struct calls_ask {
	const char *to;              /* E.164, as received */
	const char *from;
	const char *url;             /* Url; NULL when only Twiml came */
	const char *status_callback; /* NULL: no status callbacks */
	int callback_get;            /* StatusCallbackMethod=GET */
	unsigned events;             /* CALLS_EVENT_*; completed by default */
	enum calls_amd amd;
	int async_amd;               /* AsyncAmd=true */
	const char *amd_callback;    /* AsyncAmdStatusCallback; NULL: none */
	int amd_callback_get;
	unsigned time_limit_s;
	unsigned timeout_s;
	struct calls_path path;
};

struct calls;
struct calls_call;

/*
 * A registry for account (an "AC..." sid) and token (both copied), whose
 * sids are drawn from seed, which counts into st (borrowed: it must
 * outlive the registry). answered_by is the AnsweredBy of every answered
 * call that asked for detection (a static word). NULL when out of memory.
 */
struct calls *calls_new(const char *account, const char *token,
    const char *answered_by, struct stats *st, uint64_t seed);

/* Frees the registry and every record; takes NULL. */
void calls_free(struct calls *reg);

/* Whether word is one of Twilio's AnsweredBy words (human, machine_start,
 * machine_end_beep, machine_end_silence, machine_end_other, fax,
 * unknown). */
int calls_answered_by_known(const char *word);

/*
 * A new record for the call ask describes, the index-th accepted (each
 * index once: its sid comes from it), whose turn to leave the queue is
 * slot_us (CLOCK_MONOTONIC us), after waiting there when queued is set.
 * Returns it (the registry owns it), or NULL when out of memory.
 */
struct calls_call *calls_create(struct calls *reg, const struct calls_ask *ask,
    uint64_t index, int64_t slot_us, int queued);

/* The call's sid; immutable. */
const char *calls_sid(const struct calls_call *c);

/* The account's auth token, which signs the call's callbacks. */
const char *calls_token(const struct calls_call *c);

/* The record of sid (NUL-terminated), or NULL. */
struct calls_call *calls_find(struct calls *reg, const char *sid);

/*
 * The call reached step (an index in its path): its status, times and who
 * answered move on (a status never moves back, nor past an end). The
 * first step reached takes the call out of the queue: its turn counts in
 * the stats.
 */
void calls_reach(struct calls_call *c, size_t step);

/*
 * The wait before step, given ms: shortened so that the end of an answered
 * call comes at most TimeLimit after its answer, and a no-answer at most
 * Timeout after the ringing began.
 */
int64_t calls_delay(struct calls_call *c, size_t step, int64_t ms);

/*
 * The callback of step: its parameters appended to params (a status
 * callback's, numbered by SequenceNumber in the order they are asked
 * for, or the answering-machine detection's), where it goes in *url
 * (borrowed from the record) and whether as a GET in *get. Returns 0, or
 * -1 (out of memory, or the call has no such callback).
 */
int calls_callback(struct calls_call *c, size_t step, struct form *params,
    const char **url, int *get);

/*
 * The call was never handed over (the simulator is stopping, or out of
 * memory): it ends failed now, leaving the queue without a turn.
 */
void calls_abort(struct calls_call *c);

/* Twilio's call resource for c, or NULL (out of memory). Caller puts it. */
struct json_object *calls_render(struct calls_call *c);

/* {"calls": [...]}: every record with what its POST asked for, in the
 * order the calls were accepted; or NULL. Caller puts it. */
struct json_object *calls_render_all(struct calls *reg);

#endif
