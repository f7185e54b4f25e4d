/*
 * twilio: the simulator as Twilio's REST API (apisim --twilio). POST
 * .../Accounts/{AccountSid}/Calls.json places a call and GET
 * .../Calls/{CallSid}.json tells where it stands, both behind HTTP basic
 * auth with the account's sid and auth token; every error in Twilio's JSON
 * shape; calls over the calls-per-second rate wait in a queue, and report
 * as Twilio's signed status callbacks (callbacks.c).
 */
#ifndef NUMDIALER_SIM_TWILIO_H
#define NUMDIALER_SIM_TWILIO_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "answer.h"
#include "faults.h"
#include "paths.h"
#include "phones.h"
#include "sender.h"
#include "stats.h"

#define TWILIO_ACCOUNT_DEFAULT "ACdeadbeefdeadbeefdeadbeefdeadbeef"
#define TWILIO_TOKEN_MAX 128         /* bytes of an auth token */
#define TWILIO_CPS_DEFAULT 1         /* Twilio's default per account */
#define TWILIO_ANSWERED_BY_DEFAULT "human"
#define TWILIO_REALM "Twilio API"

struct twilio_config {
	const char *account;     /* "AC" and 32 hex digits; copied */
	const char *token;       /* copied */
	unsigned cps;            /* 1..PACER_CPS_MAX */
	unsigned queue_ms;       /* every call's wait in the queue, besides
	                            its turn: the account's other traffic */
	unsigned long_call_ms;   /* how long a "long" call lasts */
	const char *answered_by; /* AnsweredBy of answered calls that asked
	                            for detection; static */
};

/* What the handlers use; all borrowed, and all must outlive the twilio. */
struct twilio_deps {
	const struct paths_plan *plan;
	const struct phones *phones; /* NULL: every phone is known */
	struct stats *stats;
	struct sender *sender;
	struct faults *faults;       /* NULL: none */
};

/* One request, as the HTTP side read it; all borrowed. */
struct twilio_request {
	const char *method;
	const char *url;
	const char *user;            /* basic credentials; NULL: none */
	const char *password;
	const char *content_type;    /* NULL: none */
	const char *body;            /* NUL-terminated; NULL when empty */
	size_t len;
};

struct twilio;

/* The Twilio side for cfg, its sids drawn from seed; NULL when out of
 * memory. Free it with twilio_free once no request can reach it. */
struct twilio *twilio_new(const struct twilio_config *cfg,
    const struct twilio_deps *deps, uint64_t seed);

/* Frees t and its calls; takes NULL. */
void twilio_free(struct twilio *t);

/* Whether url is the Twilio side's (under /2010-04-01/). */
int twilio_owns(const char *url);

/* Whether method and url ask to create a call (POST .../Calls.json). */
int twilio_is_create(const char *method, const char *url);

/*
 * Serves one request under /2010-04-01/: fills ans and returns the HTTP
 * status (ans->drop set: no answer at all). Safe from any thread.
 */
unsigned twilio_serve(struct twilio *t, const struct twilio_request *rq,
    struct answer *ans);

/* {"calls": [...]}, what each call's POST asked for (GET /stats/calls);
 * or NULL. Caller puts it. */
struct json_object *twilio_render_calls(struct twilio *t);

/* Whether sid is an account sid: "AC" and 32 hex digits. */
int twilio_account_valid(const char *sid);

/*
 * Reads the auth token from the file at path into out (outlen bytes, at
 * least TWILIO_TOKEN_MAX + 1), its trailing line ends dropped. Returns 0,
 * or -1 with the reason in err: the file cannot be read, is empty, is
 * longer than TWILIO_TOKEN_MAX, or holds a blank or control character.
 */
int twilio_token_read(const char *path, char *out, size_t outlen, char *err,
    size_t errlen);

#endif
