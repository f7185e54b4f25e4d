/*
 * paths: the ways a simulated call can go (the webhooks it sends, in order)
 * and the plan that picks one for each call: paths in turn, or pinned to a
 * phone. Pure: no I/O.
 */
#ifndef NUMDIALER_SIM_PATHS_H
#define NUMDIALER_SIM_PATHS_H

#include <stddef.h>
#include <stdint.h>

#include "phones.h"

#define PATHS_STEPS_MAX 3   /* webhooks one call sends */
#define PATHS_TURNS_MAX 64  /* entries of --paths */
#define PATHS_PINS_MAX 64   /* --path-for flags */

/* The names of every path, for messages. */
#define PATHS_NAMES "answer, noanswer, early, busy, unanswered, long, " \
    "lost-end, failed"

struct path_step {
	const char *status; /* the webhook's status word */
	int terminal;       /* the call ends for the dialer when this is sent */
	int quiet;          /* the call moves on, but nothing is sent */
	int lasts;          /* it waits --long-call-ms, not a random delay */
};

struct path {
	const char *name;
	struct path_step steps[PATHS_STEPS_MAX];
	size_t nsteps;
	/* The first webhook goes at once, and POST /call is answered only after
	 * it has been answered (or has failed). */
	int first_before_answer;
};

struct paths_pin {
	char phone[PHONES_LEN_MAX + 1];
	const struct path *path;
};

/* Which path each call takes. Zero it, then fill it with the functions
 * below; an empty turn list means every path in turn. */
struct paths_plan {
	const struct path *turns[PATHS_TURNS_MAX];
	size_t nturns;
	struct paths_pin pins[PATHS_PINS_MAX];
	size_t npins;
};

/* The path named by len bytes of name, or NULL. Paths are static. */
const struct path *paths_find(const char *name, size_t len);

/* Replaces the plan's turns with the comma-separated path names of list.
 * Returns 0, or -1 with a reason in err (errlen bytes, always terminated). */
int paths_plan_turns(struct paths_plan *plan, const char *list, char *err,
    size_t errlen);

/* Adds a pin from "PHONE=PATH"; a later pin of the same phone wins.
 * Returns 0, or -1 with a reason in err. */
int paths_plan_pin(struct paths_plan *plan, const char *spec, char *err,
    size_t errlen);

/* The path pinned to phone (NUL-terminated), or NULL. */
const struct path *paths_pinned(const struct paths_plan *plan,
    const char *phone);

/* The path of the call with 0-based index among accepted calls, to phone
 * (NUL-terminated): its pin if it has one, else the index's turn. */
const struct path *paths_choose(const struct paths_plan *plan,
    const char *phone, uint64_t index);

#endif
