/* paths: the call paths' table and the plan that gives each call one. */
#include <string.h>

#include "paths.h"
#include "util.h"

/* The first PATHS_DEFAULT_TURNS take turns when no --paths is given. */
#define PATHS_DEFAULT_TURNS 3

/* Each step: its word, terminal, quiet, lasts. */
static const struct path paths[] = {
	{"answer", {{"ringing", 0, 0, 0}, {"answered", 0, 0, 0},
	    {"completed", 1, 0, 0}}, 3, 0},
	{"noanswer", {{"ringing", 0, 0, 0}, {"completed", 1, 0, 0}}, 2, 0},
	{"early", {{"completed", 1, 0, 0}, {"ringing", 0, 0, 0}}, 2, 1},
	/* Ends a provider reports beside completed, for dialers that redial. */
	{"busy", {{"busy", 1, 0, 0}}, 1, 0},
	{"unanswered", {{"ringing", 0, 0, 0}, {"no-answer", 1, 0, 0}}, 2, 0},
	/* Answered, then as long as --long-call-ms. */
	{"long", {{"ringing", 0, 0, 0}, {"answered", 0, 0, 0},
	    {"completed", 1, 0, 1}}, 3, 0},
	/* Ends, but its end is never told: only a query can learn it. */
	{"lost-end", {{"ringing", 0, 0, 0}, {"answered", 0, 0, 0},
	    {"completed", 1, 1, 0}}, 3, 0},
	/* The number could not be reached (Twilio's end for an unknown one). */
	{"failed", {{"failed", 1, 0, 0}}, 1, 0},
};

const struct path *
paths_find(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < LEN(paths); i++)
		if (strlen(paths[i].name) == len &&
		    memcmp(paths[i].name, name, len) == 0)
			return &paths[i];
	return NULL;
}

int
paths_plan_turns(struct paths_plan *plan, const char *list, char *err,
    size_t errlen)
{
	const char *p = list, *end;
	const struct path *path;
	size_t n = 0, len;

	for (;;) {
		end = strchr(p, ',');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		path = paths_find(p, len);
		if (path == NULL)
			return util_err(err, errlen, "--paths: unknown path "
			    "'%.*s' (%s)", (int)len, p, PATHS_NAMES);
		if (n == PATHS_TURNS_MAX)
			return util_err(err, errlen, "--paths: more than %d "
			    "paths", PATHS_TURNS_MAX);
		plan->turns[n++] = path;
		if (end == NULL)
			break;
		p = end + 1;
	}
	plan->nturns = n;
	return 0;
}

int
paths_plan_pin(struct paths_plan *plan, const char *spec, char *err,
    size_t errlen)
{
	const char *eq = strchr(spec, '=');
	const struct path *path;
	size_t plen, i;

	if (eq == NULL || eq == spec)
		return util_err(err, errlen, "--path-for: want PHONE=PATH, "
		    "got '%s'", spec);
	plen = (size_t)(eq - spec);
	if (plen > PHONES_LEN_MAX)
		return util_err(err, errlen, "--path-for: phone longer than %d "
		    "characters", PHONES_LEN_MAX);
	path = paths_find(eq + 1, strlen(eq + 1));
	if (path == NULL)
		return util_err(err, errlen, "--path-for: unknown path '%s' "
		    "(%s)", eq + 1, PATHS_NAMES);
	for (i = 0; i < plan->npins; i++)
		if (strlen(plan->pins[i].phone) == plen &&
		    memcmp(plan->pins[i].phone, spec, plen) == 0)
			break;
	if (i == PATHS_PINS_MAX)
		return util_err(err, errlen, "--path-for: more than %d pins",
		    PATHS_PINS_MAX);
	memcpy(plan->pins[i].phone, spec, plen);
	plan->pins[i].phone[plen] = '\0';
	plan->pins[i].path = path;
	if (i == plan->npins)
		plan->npins++;
	return 0;
}

const struct path *
paths_pinned(const struct paths_plan *plan, const char *phone)
{
	size_t i;

	for (i = 0; i < plan->npins; i++)
		if (strcmp(plan->pins[i].phone, phone) == 0)
			return plan->pins[i].path;
	return NULL;
}

const struct path *
paths_choose(const struct paths_plan *plan, const char *phone,
    uint64_t index)
{
	const struct path *pin = paths_pinned(plan, phone);

	if (pin != NULL)
		return pin;
	if (plan->nturns == 0)
		return &paths[index % PATHS_DEFAULT_TURNS];
	return plan->turns[index % plan->nturns];
}
