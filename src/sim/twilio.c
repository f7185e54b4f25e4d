/* twilio: the Calls routes, their basic auth, checks and Twilio-shaped errors. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "api.h"
#include "callbacks.h"
#include "calls.h"
#include "form.h"
#include "pacer.h"
#include "twilio.h"
#include "util.h"

#define TWILIO_PREFIX "/" CALLS_API_VERSION "/"
#define TWILIO_ACCOUNTS TWILIO_PREFIX "Accounts/"
#define TWILIO_SEGMENT_MAX 64      /* bytes of a sid in a path */
#define TWILIO_MESSAGE_MAX 320     /* bytes of an error's message */
#define TWILIO_INFO_MAX 64         /* bytes of an error's more_info */
#define TWILIO_FORM_TYPE "application/x-www-form-urlencoded"
#define TWILIO_E164_MIN 8          /* digits after the '+' */
#define TWILIO_E164_MAX 15

/* Twilio's error codes the simulator answers with. */
enum twilio_code {
	TWILIO_AUTHENTICATE = 20003,
	TWILIO_METHOD = 20004,
	TWILIO_NOT_FOUND = 20404,
	TWILIO_INTERNAL = 20500,
	TWILIO_UNAVAILABLE = 20503,
	TWILIO_CALLS = 21200,          /* a request to Calls, generally */
	TWILIO_NO_TO = 21201,
	TWILIO_URL = 21205,
	TWILIO_BAD_METHOD = 21209,
	TWILIO_BAD_TO = 21211,
	TWILIO_BAD_FROM = 21212,
	TWILIO_NO_FROM = 21213,
	TWILIO_BAD_CALLBACK = 21609,
	TWILIO_BAD_EVENT = 21626,
};

struct twilio {
	struct twilio_deps deps;
	struct calls *calls;
	struct pacer pacer;
	char account[CALLS_SID_LEN + 1];
	char token[TWILIO_TOKEN_MAX + 1];
	unsigned long_call_ms;
	unsigned queue_ms;
};

/* What a path under /2010-04-01/ names. */
enum twilio_route {
	TWILIO_ROUTE_NONE,   /* nothing the simulator serves */
	TWILIO_ROUTE_CALLS,  /* .../Accounts/{AccountSid}/Calls.json */
	TWILIO_ROUTE_CALL,   /* .../Accounts/{AccountSid}/Calls/{Sid}.json */
};

struct twilio_path {
	enum twilio_route route;
	char account[TWILIO_SEGMENT_MAX + 1];
	char call[TWILIO_SEGMENT_MAX + 1];
};

/* Copies the segment of s up to the first of stops (or the end) into out:
 * returns where it stopped, or NULL for an empty or long segment. */
static const char *
twilio_segment(const char *s, const char *stops, char *out)
{
	size_t n = strcspn(s, stops);

	if (n == 0 || n > TWILIO_SEGMENT_MAX)
		return NULL;
	memcpy(out, s, n);
	out[n] = '\0';
	return s + n;
}

/* Reads url into *p (p->route TWILIO_ROUTE_NONE for anything else). */
static void
twilio_path_parse(const char *url, struct twilio_path *p)
{
	const char *s;

	memset(p, 0, sizeof *p);
	if (strncmp(url, TWILIO_ACCOUNTS, strlen(TWILIO_ACCOUNTS)) != 0)
		return;
	s = twilio_segment(url + strlen(TWILIO_ACCOUNTS), "/", p->account);
	if (s == NULL)
		return;
	if (strcmp(s, "/Calls.json") == 0) {
		p->route = TWILIO_ROUTE_CALLS;
		return;
	}
	if (strncmp(s, "/Calls/", strlen("/Calls/")) != 0)
		return;
	s = twilio_segment(s + strlen("/Calls/"), "/.", p->call);
	if (s != NULL && strcmp(s, ".json") == 0)
		p->route = TWILIO_ROUTE_CALL;
}

int
twilio_owns(const char *url)
{
	return strncmp(url, TWILIO_PREFIX, strlen(TWILIO_PREFIX)) == 0;
}

int
twilio_is_create(const char *method, const char *url)
{
	struct twilio_path p;

	if (strcmp(method, "POST") != 0 || !twilio_owns(url))
		return 0;
	twilio_path_parse(url, &p);
	return p.route == TWILIO_ROUTE_CALLS;
}

int
twilio_account_valid(const char *sid)
{
	size_t i;

	if (strlen(sid) != CALLS_SID_LEN || strncmp(sid, "AC", 2) != 0)
		return 0;
	for (i = 2; i < CALLS_SID_LEN; i++)
		if (strchr("0123456789abcdefABCDEF", sid[i]) == NULL)
			return 0;
	return 1;
}

/*
 * Fills ans with Twilio's error {"code", "message", "more_info", "status"}
 * (no body when out of memory) and returns status.
 */
static unsigned
twilio_error(struct answer *ans, unsigned status, enum twilio_code code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static unsigned
twilio_error(struct answer *ans, unsigned status, enum twilio_code code,
    const char *fmt, ...)
{
	char msg[TWILIO_MESSAGE_MAX], info[TWILIO_INFO_MAX];
	struct json_object *o = json_object_new_object();
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(info, sizeof info, "https://www.twilio.com/docs/errors/%d",
	    (int)code);
	json_object_put(ans->body);
	ans->body = NULL;
	if (util_json_put(o, "code", json_object_new_int((int)code)) != 0 ||
	    util_json_put(o, "message", json_object_new_string(msg)) != 0 ||
	    util_json_put(o, "more_info", json_object_new_string(info)) != 0 ||
	    util_json_put(o, "status", json_object_new_int((int)status)) != 0) {
		json_object_put(o);
		return status;
	}
	ans->body = o;
	return status;
}

/* Whether the request's credentials are the account's sid and token (the
 * token compared in constant time). */
static int
twilio_credentials_ok(const struct twilio *t, const struct twilio_request *rq)
{
	size_t len = strlen(t->token);

	return rq->user != NULL && rq->password != NULL &&
	    strcmp(rq->user, t->account) == 0 &&
	    strlen(rq->password) == len &&
	    CRYPTO_memcmp(rq->password, t->token, len) == 0;
}

/* A 401 that asks for basic credentials, counted. */
static unsigned
twilio_unauthorized(struct twilio *t, struct answer *ans)
{
	stats_auth_failure(t->deps.stats);
	ans->realm = TWILIO_REALM;
	return twilio_error(ans, 401, TWILIO_AUTHENTICATE, "Authenticate");
}

/* Whether s is E.164: '+', then 8 to 15 digits, the first not 0. */
static int
twilio_e164(const char *s)
{
	size_t n;

	if (s[0] != '+' || s[1] < '1' || s[1] > '9')
		return 0;
	n = strspn(s + 1, "0123456789");
	return s[1 + n] == '\0' && n >= TWILIO_E164_MIN &&
	    n <= TWILIO_E164_MAX;
}

/* Reads To and From into ask: 0, or 400 with Twilio's error. */
static unsigned
twilio_read_numbers(const struct form *f, struct calls_ask *ask,
    struct answer *ans)
{
	ask->to = form_get(f, "To");
	ask->from = form_get(f, "From");
	if (ask->to == NULL || ask->to[0] == '\0')
		return twilio_error(ans, 400, TWILIO_NO_TO,
		    "No 'To' number is specified");
	if (!twilio_e164(ask->to))
		return twilio_error(ans, 400, TWILIO_BAD_TO, "The 'To' number "
		    "%.64s is not a valid phone number.", ask->to);
	if (ask->from == NULL || ask->from[0] == '\0')
		return twilio_error(ans, 400, TWILIO_NO_FROM,
		    "No 'From' number is specified");
	if (!twilio_e164(ask->from))
		return twilio_error(ans, 400, TWILIO_BAD_FROM, "The 'From' "
		    "number %.64s is not a valid phone number, shortcode, or "
		    "alphanumeric sender ID.", ask->from);
	return 0;
}

/* Reads the method named name (POST when absent) into *get: 0, or 400. */
static unsigned
twilio_read_method(const struct form *f, const char *name, int *get,
    struct answer *ans)
{
	const char *m = form_get(f, name);

	*get = 0;
	if (m == NULL || strcasecmp(m, "POST") == 0)
		return 0;
	if (strcasecmp(m, "GET") == 0) {
		*get = 1;
		return 0;
	}
	return twilio_error(ans, 400, TWILIO_BAD_METHOD, "%s must be either "
	    "GET or POST, got '%.32s'", name, m);
}

/* Whether url is a callback URL the sender can take. */
static int
twilio_url_ok(const char *url)
{
	return strlen(url) <= SENDER_URL_MAX && api_url_ok(url);
}

/*
 * Reads Url or Twiml (one is needed; with both, Url is used and Twiml
 * ignored, as Twilio does with its warning 32019) and Method: 0, or 400.
 */
static unsigned
twilio_read_instructions(const struct form *f, struct calls_ask *ask,
    struct answer *ans)
{
	const char *twiml = form_get(f, "Twiml");
	int get;

	ask->url = form_get(f, "Url");
	if (ask->url != NULL && ask->url[0] == '\0')
		ask->url = NULL;
	if (ask->url == NULL && (twiml == NULL || twiml[0] == '\0'))
		return twilio_error(ans, 400, TWILIO_URL,
		    "Url parameter is required.");
	if (ask->url != NULL && !twilio_url_ok(ask->url))
		return twilio_error(ans, 400, TWILIO_URL, "Url is not a valid "
		    "URL: %.200s", ask->url);
	return twilio_read_method(f, "Method", &get, ans);
}

/* Adds each space-separated word of v to *events: 0, or -1 for a word
 * that is no event. */
static int
twilio_events(const char *v, unsigned *events)
{
	static const struct {
		const char *word;
		unsigned event;
	} words[] = {
		{"initiated", CALLS_EVENT_INITIATED},
		{"ringing", CALLS_EVENT_RINGING},
		{"answered", CALLS_EVENT_ANSWERED},
		{"completed", CALLS_EVENT_COMPLETED},
	};
	size_t n, i;

	for (;;) {
		v += strspn(v, " ");
		n = strcspn(v, " ");
		if (n == 0)
			return 0;
		for (i = 0; i < LEN(words); i++)
			if (strlen(words[i].word) == n &&
			    strncmp(words[i].word, v, n) == 0)
				break;
		if (i == LEN(words))
			return -1;
		*events |= words[i].event;
		v += n;
	}
}

/* Reads StatusCallback, its method and its events (each
 * StatusCallbackEvent pair, or words in one): 0, or 400. */
static unsigned
twilio_read_callbacks(const struct form *f, struct calls_ask *ask,
    struct answer *ans)
{
	unsigned status;
	size_t i;

	ask->status_callback = form_get(f, "StatusCallback");
	if (ask->status_callback != NULL && ask->status_callback[0] == '\0')
		ask->status_callback = NULL;
	if (ask->status_callback != NULL &&
	    !twilio_url_ok(ask->status_callback))
		return twilio_error(ans, 400, TWILIO_BAD_CALLBACK,
		    "StatusCallback is not a valid URL: %.200s",
		    ask->status_callback);
	status = twilio_read_method(f, "StatusCallbackMethod",
	    &ask->callback_get, ans);
	if (status != 0)
		return status;
	ask->events = 0;
	for (i = 0; i < f->n; i++)
		if (strcmp(f->pairs[i].name, "StatusCallbackEvent") == 0 &&
		    twilio_events(f->pairs[i].value, &ask->events) != 0)
			return twilio_error(ans, 400, TWILIO_BAD_EVENT,
			    "StatusCallbackEvent has an invalid value: %.64s",
			    f->pairs[i].value);
	if (ask->events == 0)
		ask->events = CALLS_EVENT_COMPLETED;
	return 0;
}

/* Reads MachineDetection, AsyncAmd and AsyncAmdStatusCallback (with its
 * method): 0, or 400. */
static unsigned
twilio_read_amd(const struct form *f, struct calls_ask *ask,
    struct answer *ans)
{
	const char *md = form_get(f, "MachineDetection");
	const char *async = form_get(f, "AsyncAmd");

	ask->amd = CALLS_AMD_NONE;
	if (md != NULL && strcasecmp(md, "Enable") == 0)
		ask->amd = CALLS_AMD_ENABLE;
	else if (md != NULL && strcasecmp(md, "DetectMessageEnd") == 0)
		ask->amd = CALLS_AMD_MESSAGE_END;
	else if (md != NULL)
		return twilio_error(ans, 400, TWILIO_CALLS, "MachineDetection "
		    "must be Enable or DetectMessageEnd, got '%.32s'", md);
	ask->async_amd = async != NULL && strcasecmp(async, "true") == 0;
	if (async != NULL && !ask->async_amd && strcasecmp(async, "false") != 0)
		return twilio_error(ans, 400, TWILIO_CALLS, "AsyncAmd must be "
		    "true or false, got '%.32s'", async);
	ask->amd_callback = form_get(f, "AsyncAmdStatusCallback");
	if (ask->amd_callback != NULL && ask->amd_callback[0] == '\0')
		ask->amd_callback = NULL;
	if (ask->amd_callback != NULL && !twilio_url_ok(ask->amd_callback))
		return twilio_error(ans, 400, TWILIO_BAD_CALLBACK,
		    "AsyncAmdStatusCallback is not a valid URL: %.200s",
		    ask->amd_callback);
	return twilio_read_method(f, "AsyncAmdStatusCallbackMethod",
	    &ask->amd_callback_get, ans);
}

/* Reads the whole number named name into *out (def when absent), which
 * must be in 1..max: 0, or 400. */
static unsigned
twilio_read_seconds(const struct form *f, const char *name, unsigned def,
    unsigned max, unsigned *out, struct answer *ans)
{
	const char *v = form_get(f, name);
	const char *errstr;
	uint64_t n;

	*out = def;
	if (v == NULL)
		return 0;
	n = util_strtou64(v, strlen(v), 1, max, &errstr);
	if (errstr != NULL)
		return twilio_error(ans, 400, TWILIO_CALLS, "%s must be a "
		    "whole number of seconds in 1..%u, got '%.32s'", name, max,
		    v);
	*out = (unsigned)n;
	return 0;
}

/* Whether ctype is a form's content type (parameters after ';' allowed). */
static int
twilio_is_form(const char *ctype)
{
	size_t n = strlen(TWILIO_FORM_TYPE);

	return ctype != NULL && strncasecmp(ctype, TWILIO_FORM_TYPE, n) == 0 &&
	    (ctype[n] == '\0' || ctype[n] == ';' || ctype[n] == ' ');
}

/*
 * Reads the POST's form into f and what it asks into ask (pointing into
 * f): 0, or 400 with Twilio's error, counted. A body of another type is
 * read as no parameter at all, as Twilio does.
 */
static unsigned
twilio_read(struct twilio *t, const struct twilio_request *rq,
    struct form *f, struct calls_ask *ask, struct answer *ans)
{
	char err[TWILIO_MESSAGE_MAX];
	unsigned status;

	memset(ask, 0, sizeof *ask);
	if (twilio_is_form(rq->content_type) && rq->len > 0 &&
	    form_parse(f, rq->body, rq->len, err, sizeof err) != 0)
		status = twilio_error(ans, 400, TWILIO_CALLS, "Unable to read "
		    "the request's parameters: %s", err);
	else if ((status = twilio_read_numbers(f, ask, ans)) == 0 &&
	    (status = twilio_read_instructions(f, ask, ans)) == 0 &&
	    (status = twilio_read_callbacks(f, ask, ans)) == 0 &&
	    (status = twilio_read_amd(f, ask, ans)) == 0 &&
	    (status = twilio_read_seconds(f, "Timeout", CALLS_TIMEOUT_DEFAULT,
	    CALLS_TIMEOUT_MAX, &ask->timeout_s, ans)) == 0)
		status = twilio_read_seconds(f, "TimeLimit",
		    CALLS_TIME_LIMIT_DEFAULT, CALLS_TIME_LIMIT_MAX,
		    &ask->time_limit_s, ans);
	if (status != 0)
		stats_bad_request(t->deps.stats);
	return status;
}

/*
 * Draws this POST's fault into *fx. Returns the status of the fault's
 * answer, with ans filled (moot when ans->drop is set), or 0 when the call
 * goes on; either way ans->delay_ms is the delay.
 */
static unsigned
twilio_fault(struct twilio *t, struct answer *ans, struct faults_effect *fx)
{
	faults_call(t->deps.faults, fx);
	ans->delay_ms = fx->delay_ms;
	if (fx->drop && !fx->placed) {
		ans->drop = 1;
		return 500;
	}
	if (!fx->refuse)
		return 0;
	ans->retry_after = fx->retry_after;
	if (fx->twilio_code != 0)
		return twilio_error(ans, fx->twilio_status, fx->twilio_code,
		    "%s", fx->twilio_message);
	/* A call resource with no sid: nothing was placed. */
	ans->body = json_object_new_object();
	if (json_object_object_add(ans->body, "sid", NULL) != 0) {
		json_object_put(ans->body);
		ans->body = NULL;
	}
	return fx->twilio_status;
}

/* Whether the phone list knows to: as received, without its '+', or (a
 * +1 number) as its 10 national digits. */
static int
twilio_known(const struct twilio *t, const char *to)
{
	const struct phones *set = t->deps.phones;
	size_t len = strlen(to);

	if (set == NULL || phones_has(set, to, len) ||
	    phones_has(set, to + 1, len - 1))
		return 1;
	return strncmp(to, "+1", 2) == 0 && len == 12 &&
	    phones_has(set, to + 2, len - 2);
}

/* The path of the index-th call, to to: pinned to to as received or
 * without its '+', else its turn. */
static const struct path *
twilio_path_of(const struct twilio *t, const char *to, uint64_t index)
{
	const struct path *p = paths_pinned(t->deps.plan, to);

	if (p == NULL)
		p = paths_pinned(t->deps.plan, to + 1);
	return p != NULL ? p : paths_choose(t->deps.plan, to, index);
}

/*
 * Makes the record of the call ask describes, the index-th accepted,
 * taking path, and its turn in the queue; fills the sender's view of it
 * in *sc. Returns the record, or NULL when out of memory.
 */
static struct calls_call *
twilio_record(struct twilio *t, struct calls_ask *ask, uint64_t index,
    const struct path *path, struct sender_call *sc)
{
	struct calls_call *c;
	int64_t now, turn;

	if (callbacks_build(path, ask, t->long_call_ms, sc) != 0)
		return NULL;
	now = util_mono_us();
	turn = pacer_turn(&t->pacer, now) + (int64_t)t->queue_ms * 1000;
	c = calls_create(t->calls, ask, index, turn, turn > now);
	if (c == NULL)
		return NULL;
	/* Counted before the sender can take it out of the queue. */
	if (turn > now)
		stats_queued(t->deps.stats);
	sc->id = STATS_ID_FIRST + (long long)index;
	sc->name = calls_sid(c);
	sc->url = NULL;
	sc->start_ms = (turn + 999) / 1000;
	sc->voice = &callbacks_voice;
	sc->ctx = c;
	return c;
}

/*
 * Places the call ask describes: a number the list does not know is
 * placed too, and fails (as Twilio's call to an unreachable number).
 * Returns 201 with the call resource in ans->body (and fx's member, if
 * any), or the error; *placed says whether the sender took the call.
 */
static unsigned
twilio_place(struct twilio *t, struct calls_ask *ask,
    const struct faults_effect *fx, struct answer *ans, int *placed)
{
	struct sender_call sc = {0};
	const struct path *path;
	struct calls_call *c;
	uint64_t index;
	int known = twilio_known(t, ask->to);

	if (!known)
		stats_unknown(t->deps.stats);
	if (stats_accept(t->deps.stats, ask->to, strlen(ask->to), &index) != 0)
		return twilio_error(ans, 500, TWILIO_INTERNAL, "Out of memory");
	path = known ? twilio_path_of(t, ask->to, index) :
	    paths_find("failed", strlen("failed"));
	c = twilio_record(t, ask, index, path, &sc);
	if (c == NULL) {
		stats_terminal(t->deps.stats, 0);
		return twilio_error(ans, 500, TWILIO_INTERNAL, "Out of memory");
	}
	/* The resource as it is when taken: queued, like Twilio's answer. */
	ans->body = calls_render(c);
	if (sender_place(t->deps.sender, &sc) != 0) {
		calls_abort(c);
		stats_terminal(t->deps.stats, 0);
		return twilio_error(ans, 503, TWILIO_UNAVAILABLE,
		    "Call dropped: stopping or out of memory");
	}
	*placed = 1;
	stats_post_accepted(t->deps.stats);
	if (ans->body == NULL || (fx->key != NULL &&
	    json_object_object_add(ans->body, fx->key, fx->value != NULL ?
	    json_object_new_string(fx->value) : NULL) != 0))
		return 500;
	/* Placed, and the answer lost on its way. */
	ans->drop = fx->drop;
	return 201;
}

/* A POST to Calls.json: a fault's answer, a 400, or the call placed. Every
 * POST that places no call counts as refused. */
static unsigned
twilio_create(struct twilio *t, const struct twilio_request *rq,
    struct answer *ans)
{
	struct faults_effect fx;
	struct calls_ask ask;
	struct form f = {0};
	unsigned status;
	int placed = 0;

	status = twilio_fault(t, ans, &fx);
	if (status == 0)
		status = twilio_read(t, rq, &f, &ask, ans);
	if (status == 0)
		status = twilio_place(t, &ask, &fx, ans, &placed);
	if (!placed)
		stats_refused(t->deps.stats);
	form_free(&f);
	return status;
}

/* A GET of one call: its resource, or 404. */
static unsigned
twilio_fetch(struct twilio *t, const struct twilio_request *rq,
    const struct twilio_path *p, struct answer *ans)
{
	struct calls_call *c = calls_find(t->calls, p->call);

	stats_call_query(t->deps.stats);
	if (c == NULL)
		return twilio_error(ans, 404, TWILIO_NOT_FOUND, "The requested "
		    "resource %.200s was not found", rq->url);
	ans->body = calls_render(c);
	return ans->body != NULL ? 200 : 500;
}

/* A method the route does not take: 405, with the one it does. */
static unsigned
twilio_not_allowed(struct answer *ans, const char *allow)
{
	ans->allow = allow;
	return twilio_error(ans, 405, TWILIO_METHOD, "Method not allowed");
}

unsigned
twilio_serve(struct twilio *t, const struct twilio_request *rq,
    struct answer *ans)
{
	struct twilio_path p;
	int create;

	twilio_path_parse(rq->url, &p);
	create = p.route == TWILIO_ROUTE_CALLS &&
	    strcmp(rq->method, "POST") == 0;
	/* Twilio asks who calls before it looks at what is asked; a path
	 * naming another account is refused the same way. */
	if (!twilio_credentials_ok(t, rq) || (p.route != TWILIO_ROUTE_NONE &&
	    strcmp(p.account, t->account) != 0)) {
		if (create)
			stats_refused(t->deps.stats);
		return twilio_unauthorized(t, ans);
	}
	switch (p.route) {
	case TWILIO_ROUTE_CALLS:
		return create ? twilio_create(t, rq, ans) :
		    twilio_not_allowed(ans, "POST");
	case TWILIO_ROUTE_CALL:
		return strcmp(rq->method, "GET") == 0 ?
		    twilio_fetch(t, rq, &p, ans) :
		    twilio_not_allowed(ans, "GET");
	default:
		return twilio_error(ans, 404, TWILIO_NOT_FOUND, "The requested "
		    "resource %.200s was not found", rq->url);
	}
}

struct json_object *
twilio_render_calls(struct twilio *t)
{
	return calls_render_all(t->calls);
}

struct twilio *
twilio_new(const struct twilio_config *cfg, const struct twilio_deps *deps,
    uint64_t seed)
{
	struct twilio *t = calloc(1, sizeof *t);

	if (t == NULL)
		return NULL;
	if (pacer_init(&t->pacer, cfg->cps) != 0) {
		free(t);
		return NULL;
	}
	t->deps = *deps;
	snprintf(t->account, sizeof t->account, "%s", cfg->account);
	snprintf(t->token, sizeof t->token, "%s", cfg->token);
	t->long_call_ms = cfg->long_call_ms;
	t->queue_ms = cfg->queue_ms;
	t->calls = calls_new(cfg->account, cfg->token, cfg->answered_by,
	    deps->stats, seed);
	if (t->calls == NULL) {
		twilio_free(t);
		return NULL;
	}
	return t;
}

void
twilio_free(struct twilio *t)
{
	if (t == NULL)
		return;
	calls_free(t->calls);
	pacer_destroy(&t->pacer);
	OPENSSL_cleanse(t->token, sizeof t->token);
	free(t);
}

int
twilio_token_read(const char *path, char *out, size_t outlen, char *err,
    size_t errlen)
{
	FILE *f = fopen(path, "r");
	size_t n, i;

	if (f == NULL)
		return util_err(err, errlen, "--twilio-token-file %s: %s", path,
		    strerror(errno));
	n = fread(out, 1, outlen - 1, f);
	if (ferror(f) || (n == outlen - 1 && fgetc(f) != EOF)) {
		fclose(f);
		return util_err(err, errlen, "--twilio-token-file %s: cannot "
		    "be read, or longer than %d bytes", path, TWILIO_TOKEN_MAX);
	}
	fclose(f);
	out[n] = '\0';
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	if (n == 0)
		return util_err(err, errlen, "--twilio-token-file %s: the "
		    "file is empty: want the account's auth token", path);
	if (n > TWILIO_TOKEN_MAX)
		return util_err(err, errlen, "--twilio-token-file %s: longer "
		    "than %d bytes", path, TWILIO_TOKEN_MAX);
	for (i = 0; i < n; i++)
		if ((unsigned char)out[i] <= ' ' || out[i] == 0x7f)
			return util_err(err, errlen, "--twilio-token-file %s: "
			    "a blank or control character in the token", path);
	return 0;
}
