/*
 * api: the simulator's HTTP side (libmicrohttpd, a thread per connection,
 * so a POST /call may wait on its call's first webhook). Routes: POST /call
 * and GET /stats; in Twilio mode, Twilio's routes under /2010-04-01/
 * (twilio.c) and GET /stats/calls instead of POST /call. Every answer is
 * JSON.
 */
#ifndef NUMDIALER_SIM_API_H
#define NUMDIALER_SIM_API_H

#include "faults.h"
#include "paths.h"
#include "phones.h"
#include "sender.h"
#include "stats.h"
#include "twilio.h"

#define API_BODY_MAX (64 * 1024)  /* bytes of a request body; more: 413 */

/* What the handlers use; all borrowed, and all must outlive the api. */
struct api_deps {
	const struct paths_plan *plan;
	const struct phones *phones; /* NULL: every phone is known */
	struct stats *stats;
	struct sender *sender;
	struct faults *faults;       /* NULL: none */
	struct twilio *twilio;       /* NULL: the default API, not Twilio's */
	unsigned long_call_ms;       /* how long a "long" call lasts */
};

struct api;

/*
 * Listens on 127.0.0.1:port (0: a free port) and serves. Returns the server
 * (stop it with api_stop) with the port it bound in *bound, or NULL with
 * the reason on stderr.
 */
struct api *api_start(const struct api_deps *deps, unsigned port,
    unsigned *bound);

/* Cuts short every slow answer, closes every connection, waits for their
 * threads, frees; takes NULL. */
void api_stop(struct api *a);

/* Whether url is an absolute http or https URL libcurl can read. */
int api_url_ok(const char *url);

#endif
