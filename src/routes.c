/*
 * routes: the route table and its handlers. A handler parses, locks the
 * campaign, changes or renders it, unlocks, and returns the HTTP status it
 * means; routes_serve alone makes the answer, after every lock is gone.
 */
#include "routes.h"
#include "twilio.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "buf.h"
#include "events.h"
#include "hex.h"
#include "exposition.h"
#include "full.h"
#include "hosts.h"
#include "http.h"
#include "metrics.h"
#include "outbox.h"
#include "render.h"
#include "report.h"
#include "status.h"
#include "util.h"
#include "webhook.h"
#include "wire.h"

#define ROUTES_PATH_MAX 512       /* longer paths match nothing we serve: 404 */
#define ROUTES_REASON_MAX 256     /* an error answer's message */
#define ROUTES_ORIGIN_MAX 512     /* scheme://host[:port] of this server */
#define ROUTES_HOST_QUOTE 100     /* of a refused Host, in its answer */
#define ROUTES_HTTP_PORT 80       /* what a Host without a port stands for */
#define ROUTES_HTTPS_PORT 443

#define ROUTES_WEBHOOK_PREFIX "/webhook/"
#define ROUTES_CALLS_PREFIX "/calls/"
#define ROUTES_HEADERS_MAX 256     /* an answer's own extra header lines */
/* A report is made a batch of rows per hold of the lock (a few hundred µs:
 * the dialer and the webhooks get in between), and sent a piece at a
 * time once that much is gathered: its memory is bounded by those, not by
 * the list. */
#define ROUTES_REPORT_BATCH 1000
#define ROUTES_REPORT_PIECE ((size_t)256 << 10)

/* One request being served. */
struct routes_ctx {
	struct hub *hub;
	FCGX_Request *req;
	const char *method;
	char path[ROUTES_PATH_MAX + 1];   /* REQUEST_URI up to '?' */
	const char *query;                /* "" when none */
	/* The answer: body for a success, reason for an error. */
	char *body;                       /* malloc'd JSON; NULL until made */
	struct http_shared *shared;       /* or the full list, shared with
	                                     other answers (full.c) */
	size_t len;
	const char *headers;              /* extra header lines, or NULL */
	char own_headers[ROUTES_HEADERS_MAX]; /* where headers may point */
	const char *type;                 /* a success's content type; NULL:
	                                     JSON */
	char reason[ROUTES_REASON_MAX];
	bool parked;                      /* req went to the events module or
	                                     the full list's */
	bool streamed;                    /* the head and the first pieces are
	                                     sent: body is the rest */
	bool dropped;                     /* a streamed answer was cut short */
	const struct routes_route *route; /* the route found; NULL: none */
};

struct routes_route {
	const char *path;
	bool prefix;            /* path is a prefix the handler parses on */
	const char *method;
	const char *allow;      /* the header sent with 405 */
	bool any_host;          /* served whatever Host the request names */
	enum http_status (*handler)(struct routes_ctx *x);
};

static enum http_status routes_events(struct routes_ctx *x);
static enum http_status routes_call(struct routes_ctx *x);
static enum http_status routes_report(struct routes_ctx *x);
static enum http_status routes_command(struct routes_ctx *x);
static enum http_status routes_webhook(struct routes_ctx *x);
static enum http_status routes_metrics(struct routes_ctx *x);

/* Webhooks alone take any Host: the telephony API may know this server by
 * a name of its own (a proxy's, a tunnel's), and each carries its key. */
static const struct routes_route routes_table[] = {
	{"/events", false, "GET", "Allow: GET\r\n", false, routes_events},
	{ROUTES_CALLS_PREFIX, true, "GET", "Allow: GET\r\n", false, routes_call},
	{"/report.csv", false, "GET", "Allow: GET\r\n", false, routes_report},
	{"/report/events.csv", false, "GET", "Allow: GET\r\n", false,
	    routes_report},
	{"/call", false, "POST", "Allow: POST\r\n", false, routes_command},
	{"/pause", false, "POST", "Allow: POST\r\n", false, routes_command},
	{"/resume", false, "POST", "Allow: POST\r\n", false, routes_command},
	{"/stop", false, "POST", "Allow: POST\r\n", false, routes_command},
	{ROUTES_WEBHOOK_PREFIX, true, "POST", "Allow: POST\r\n", true,
	    routes_webhook},
	{"/metrics", false, "GET", "Allow: GET\r\n", false, routes_metrics},
};

/* Sets the error's message and returns status, for
 * "return routes_fail(...)". */
static enum http_status
routes_fail(struct routes_ctx *x, enum http_status status, const char *reason)
{
	util_err(x->reason, sizeof(x->reason), "%s", reason);
	return status;
}

/* Serializes obj into the answer's body and frees obj. Returns status, or
 * 500 when out of memory. obj may be NULL (a failed allocation). */
static enum http_status
routes_json(struct routes_ctx *x, enum http_status status,
    struct json_object *obj)
{
	const char *text = NULL;

	if (obj != NULL)
		text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
	if (text != NULL)
		x->body = strdup(text);
	json_object_put(obj);
	if (x->body == NULL)
		return routes_fail(x, HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	x->len = strlen(x->body);
	return status;
}

/* An object of one boolean member, key: true. NULL when out of memory. */
static struct json_object *
routes_flag(const char *key)
{
	struct json_object *obj = json_object_new_object();

	if (obj != NULL &&
	    util_json_put(obj, key, json_object_new_boolean(1)) != 0) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

/* Finds the first name=value pair of the query string. Values are not
 * percent-decoded: the ones read here (digits, hex) never need it. */
static bool
routes_query(const struct routes_ctx *x, const char *name, const char **val,
    size_t *len)
{
	const char *p = x->query;
	size_t nlen = strlen(name);

	while (*p != '\0') {
		size_t plen = strcspn(p, "&");

		if (plen > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			*val = p + nlen + 1;
			*len = plen - nlen - 1;
			return true;
		}
		if (plen == nlen && strncmp(p, name, nlen) == 0) {
			*val = p + nlen;
			*len = 0;
			return true;
		}
		p += plen;
		if (*p == '&')
			p++;
	}
	return false;
}

/* HTTP_OK while the journal can be written. The lock is held while it
 * cannot: 503 says why rather than leave a reader waiting on it. */
static enum http_status
routes_unstuck(struct routes_ctx *x)
{
	char stuck[HUB_STUCK_MAX];

	if (!hub_stuck(x->hub, stuck, sizeof(stuck)))
		return HTTP_OK;
	util_err(x->reason, sizeof(x->reason), "the journal cannot be "
	    "written (%s): the dialer waits until it can", stuck);
	return HTTP_SERVICE_UNAVAILABLE;
}

/* Reads a row of the list from len bytes at p (decimal digits): HTTP_OK
 * with it in *row, or 404. The list never changes size after start-up: no
 * lock needed. */
static enum http_status
routes_row(struct routes_ctx *x, const char *p, size_t len, size_t *row)
{
	const char *why;
	uint64_t v = util_strtou64(p, len, 0, UINT64_MAX, &why);

	if (why != NULL)
		return routes_fail(x, HTTP_NOT_FOUND, "no such path");
	if (v >= campaign_size(x->hub->campaign))
		return routes_fail(x, HTTP_NOT_FOUND, "no such row");
	*row = (size_t)v;
	return HTTP_OK;
}

/* The full list for GET /events, hub.lock held (and let go here): one made
 * within FULL_SHARE_MS, or parked until one is made (no thread waits for
 * it). */
static enum http_status
routes_full(struct routes_ctx *x)
{
	struct hub *hub = x->hub;
	enum full_asked asked = full_ask(hub->full, x->req,
	    campaign_version(hub->campaign), &x->shared);

	hub_unlock(hub);
	switch (asked) {
	case FULL_ANSWER:
		return HTTP_OK;
	case FULL_PARKED:
		x->parked = true;
		return HTTP_OK;
	case FULL_REFUSED:
		break;
	}
	util_err(x->reason, sizeof(x->reason), "%d clients wait for the full "
	    "list: ask again", FULL_WAITERS_MAX);
	return HTTP_SERVICE_UNAVAILABLE;
}

/* GET /events[?since=V[&instance=I]]: a diff, the full list, or parked. */
static enum http_status
routes_events(struct routes_ctx *x)
{
	struct hub *hub = x->hub;
	const char *v, *why;
	size_t vlen;
	uint64_t since = 0;
	bool diff = false;
	int parked;

	if (routes_query(x, "since", &v, &vlen)) {
		since = util_strtou64(v, vlen, 0, UINT64_MAX, &why);
		if (why != NULL)
			return routes_fail(x, HTTP_BAD_REQUEST,
			    "since is not a version number");
		diff = true;
	}
	/* Versions of another run of the program mean nothing here. */
	if (routes_query(x, "instance", &v, &vlen) &&
	    (vlen != HUB_INSTANCE_LEN || memcmp(v, hub->instance, vlen) != 0))
		diff = false;

	if (routes_unstuck(x) != HTTP_OK)
		return HTTP_SERVICE_UNAVAILABLE;
	hub_lock(hub);
	if (diff && !campaign_log_reaches(hub->campaign, since))
		diff = false;
	if (!diff && hub->full != NULL) {
		/* The full list is made outside the lock, and shared. */
		return routes_full(x);
	}
	if (diff && since == campaign_version(hub->campaign)) {
		/* Parked under the lock: no change can slip in between the
		 * look at the version and the park. */
		parked = hub->events != NULL ?
		    events_park(hub->events, x->req, since) : -1;
		hub_unlock(hub);
		if (parked != 0)
			return routes_fail(x, HTTP_SERVICE_UNAVAILABLE,
			    "too many watchers");
		/* Answered 200 later, by the events module. */
		x->parked = true;
		return HTTP_OK;
	}
	x->body = render_events(hub->campaign, &hub->process,
	    diff ? &since : NULL, &x->len);
	hub_unlock(hub);
	if (x->body == NULL)
		return routes_fail(x, HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	return HTTP_OK;
}

/* GET /calls/ROW: one row with its history. */
static enum http_status
routes_call(struct routes_ctx *x)
{
	const char *p = x->path + strlen(ROUTES_CALLS_PREFIX);
	enum http_status status;
	size_t row;

	status = routes_row(x, p, strlen(p), &row);
	if (status != HTTP_OK || (status = routes_unstuck(x)) != HTTP_OK)
		return status;
	hub_lock(x->hub);
	x->body = render_call(x->hub->campaign, row, &x->len);
	hub_unlock(x->hub);
	if (x->body == NULL)
		return routes_fail(x, HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	return HTTP_OK;
}

/* The CSV reports: their paths, what they hold, and their file names'
 * ends (numdialer-INSTANCE[-events].csv). */
static const struct {
	const char *path;
	enum report_kind kind;
	const char *suffix;
} routes_reports[] = {
	{"/report.csv", REPORT_ROWS, ""},
	{"/report/events.csv", REPORT_EVENTS, "-events"},
};

/*
 * Sends what b holds as the next piece of x's answer, then empties b: 0,
 * or -1 when the web server took none of it for OUTBOX_STALL_MS or went
 * away (x is then dropped).
 */
static int
routes_send_piece(struct routes_ctx *x, struct http_answer *stream,
    struct buf *b)
{
	http_answer_piece(stream, b->data, b->len);
	if (wire_send_part(x->req->ipcFd, x->req->requestId, stream,
	    OUTBOX_STALL_MS) != WIRE_SENT) {
		util_err(x->reason, sizeof(x->reason), "dropped: the web server "
		    "took none of it for %d ms, or went away", OUTBOX_STALL_MS);
		x->dropped = true;
		return -1;
	}
	x->streamed = true;
	b->len = 0;
	return 0;
}

/*
 * Writes the report of kind: a batch of rows under the lock at a time,
 * sent as a piece once ROUTES_REPORT_PIECE is gathered, the lock released;
 * what is left is the answer's body (all of it, as an ordinary answer, for
 * a list that fits in one piece). Each line is its row as it was when its
 * batch was made.
 */
static enum http_status
routes_report_write(struct routes_ctx *x, enum report_kind kind)
{
	struct http_answer stream;
	struct buf b;
	size_t row = 0, end, n = campaign_size(x->hub->campaign);

	if (buf_init(&b, ROUTES_REPORT_PIECE) != 0)
		return routes_fail(x, HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	http_answer_stream(&stream, HTTP_OK, x->type, x->headers);
	buf_str(&b, report_header(kind));
	while (row < n && !b.failed) {
		end = n - row > ROUTES_REPORT_BATCH ? row + ROUTES_REPORT_BATCH : n;
		hub_lock(x->hub);
		for (; row < end; row++)
			report_row(&b, kind, x->hub->campaign, row);
		hub_unlock(x->hub);
		if (row < n && b.len >= ROUTES_REPORT_PIECE && !b.failed &&
		    routes_send_piece(x, &stream, &b) != 0)
			break;
	}
	x->body = x->dropped ? NULL : buf_take(&b, &x->len);
	buf_free(&b);
	if (x->body == NULL && !x->dropped) {
		/* Cut short with its head sent: only a drop says so. */
		x->dropped = x->streamed;
		return routes_fail(x, HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	}
	return HTTP_OK;
}

/* GET /report.csv and GET /report/events.csv, as a download. */
static enum http_status
routes_report(struct routes_ctx *x)
{
	struct hub *hub = x->hub;
	enum http_status status;
	size_t i;

	for (i = 0; i < LEN(routes_reports); i++)
		if (strcmp(x->path, routes_reports[i].path) == 0)
			break;
	if (i == LEN(routes_reports))
		return routes_fail(x, HTTP_NOT_FOUND, "no such path");
	if ((status = routes_unstuck(x)) != HTTP_OK)
		return status;
	if (atomic_fetch_add(&hub->reports, 1) >= ROUTES_REPORTS_MAX) {
		atomic_fetch_sub(&hub->reports, 1);
		util_err(x->reason, sizeof(x->reason), "%d reports are being "
		    "written: ask again once one is done", ROUTES_REPORTS_MAX);
		return HTTP_SERVICE_UNAVAILABLE;
	}
	/* Buffered whole by nginx (X-Accel-Buffering), as lighttpd does by
	 * itself: the thread is held while the web server reads, not while
	 * the browser does. */
	util_err(x->own_headers, sizeof(x->own_headers), "Content-Disposition: "
	    "attachment; filename=\"numdialer-%s%s.csv\"\r\n"
	    "X-Accel-Buffering: yes\r\n", hub->instance,
	    routes_reports[i].suffix);
	x->headers = x->own_headers;
	x->type = REPORT_CONTENT_TYPE;
	status = routes_report_write(x, routes_reports[i].kind);
	atomic_fetch_sub(&hub->reports, 1);
	if (status != HTTP_OK)
		x->headers = NULL;   /* an error is no download */
	return status;
}

/* The Sec-Fetch-Site values of a request from a page of this origin, or
 * one the user made (typed, bookmarked): anything else is another site's. */
static const char *const routes_own_sites[] = { "same-origin", "none" };

/* This request's scheme: REQUEST_SCHEME, else "https" when HTTPS is on,
 * else "http". */
static const char *
routes_scheme(const struct routes_ctx *x)
{
	const char *scheme = FCGX_GetParam("REQUEST_SCHEME", x->req->envp);
	const char *https = FCGX_GetParam("HTTPS", x->req->envp);

	if (scheme != NULL && *scheme != '\0')
		return scheme;
	return https != NULL && strcasecmp(https, "on") == 0 ? "https" : "http";
}

/* This request's own origin, scheme://HTTP_HOST, into own: 0, or -1 when
 * the request names no host or it does not fit. */
static int
routes_own_origin(const struct routes_ctx *x, char *own, size_t ownlen)
{
	const char *host = FCGX_GetParam("HTTP_HOST", x->req->envp);
	int n;

	if (host == NULL || *host == '\0')
		return -1;
	n = snprintf(own, ownlen, "%s://%s", routes_scheme(x), host);
	return n < 0 || (size_t)n >= ownlen ? -1 : 0;
}

/*
 * True when a browser says the request comes from a page of another origin:
 * its Sec-Fetch-Site is not one of routes_own_sites, or its Origin is not
 * this server's own. A request with neither header (curl, a script) is no
 * browser's cross-site form and passes.
 */
static bool
routes_cross_origin(const struct routes_ctx *x)
{
	const char *site = FCGX_GetParam("HTTP_SEC_FETCH_SITE", x->req->envp);
	const char *origin = FCGX_GetParam("HTTP_ORIGIN", x->req->envp);
	char own[ROUTES_ORIGIN_MAX];
	size_t i;

	if (site != NULL) {
		for (i = 0; i < LEN(routes_own_sites); i++)
			if (strcmp(site, routes_own_sites[i]) == 0)
				break;
		if (i == LEN(routes_own_sites))
			return true;
	}
	if (origin == NULL)
		return false;
	/* Scheme and host compare without case; browsers send both lowercase
	 * and leave out a default port, as they do in Host. */
	return routes_own_origin(x, own, sizeof(own)) != 0 ||
	    strcasecmp(origin, own) != 0;
}

static int
routes_start(struct campaign *c, int64_t now_ms)
{
	(void)now_ms;
	return campaign_start(c);
}

static int
routes_pause(struct campaign *c, int64_t now_ms)
{
	(void)now_ms;
	return campaign_pause(c, "paused by the operator");
}

static int
routes_resume(struct campaign *c, int64_t now_ms)
{
	(void)now_ms;
	return campaign_resume(c);
}

/* An operator's command: what it does to the campaign, the member of its
 * 202 answer, and why it may not apply (409). The table of states and
 * commands is in docs/ARCHITECTURE.md. */
static const struct {
	const char *path;
	int (*apply)(struct campaign *c, int64_t now_ms); /* 0, or -1 when it
	                                                      cannot apply */
	const char *done;
	const char *conflict;
} routes_commands[] = {
	{"/call", routes_start, "started",
	    "dialing has already started, or was stopped"},
	{"/pause", routes_pause, "paused",
	    "dialing is not going on (not started, paused, stopped or finished)"},
	{"/resume", routes_resume, "resumed", "dialing is not paused"},
	{"/stop", campaign_stop, "stopped", "dialing is stopped or finished"},
};

/*
 * POST /call (starts dialing, once), /pause, /resume (goes on at the next
 * ready row) and /stop (for good). Any body is ignored. Refused when it
 * comes from another site's page: a form there must not start the calls.
 */
static enum http_status
routes_command(struct routes_ctx *x)
{
	struct hub *hub = x->hub;
	size_t i;
	int rc;

	for (i = 0; i < LEN(routes_commands); i++)
		if (strcmp(x->path, routes_commands[i].path) == 0)
			break;
	if (i == LEN(routes_commands))
		return routes_fail(x, HTTP_NOT_FOUND, "no such path");
	if (routes_cross_origin(x)) {
		util_err(x->reason, sizeof(x->reason), "POST %s from another "
		    "origin", routes_commands[i].path);
		return HTTP_FORBIDDEN;
	}
	hub_lock(hub);
	rc = routes_commands[i].apply(hub->campaign, hub_now_ms());
	hub_unlock(hub);
	if (rc != 0)
		return routes_fail(x, HTTP_CONFLICT, routes_commands[i].conflict);
	fprintf(stderr, "numdialer: POST %s: %s\n", routes_commands[i].path,
	    routes_commands[i].done);
	hub_changed(hub);
	return routes_json(x, HTTP_ACCEPTED,
	    routes_flag(routes_commands[i].done));
}

/* A webhook as read from its request, before it touches the campaign. */
struct routes_webhook_req {
	size_t row;
	unsigned char key[CAMPAIGN_KEY_BYTES];
	struct webhook body;
};

/* Reads ROW and KEY from /webhook/ROW/KEY: HTTP_OK, or the error. */
static enum http_status
routes_webhook_path(struct routes_ctx *x, struct routes_webhook_req *w)
{
	const char *p = x->path + strlen(ROUTES_WEBHOOK_PREFIX);
	const char *slash = strchr(p, '/');
	enum http_status status;

	if (slash == NULL || slash == p || slash[1] == '\0' ||
	    strchr(slash + 1, '/') != NULL)
		return routes_fail(x, HTTP_NOT_FOUND, "no such path");
	status = routes_row(x, p, (size_t)(slash - p), &w->row);
	if (status != HTTP_OK)
		return status;
	/* Only the dialer makes keys, always this shape: anything else is a
	 * forgery, refused like a wrong key. */
	if (hex_decode(slash + 1, w->key, CAMPAIGN_KEY_BYTES) != 0)
		return routes_fail(x, HTTP_FORBIDDEN, "bad key");
	return HTTP_OK;
}

/* What a webhook's campaign result answers: 200, or an error and why. */
static const struct {
	enum campaign_result res;
	enum http_status status;
	const char *reason;
} routes_webhook_results[] = {
	{CAMPAIGN_KEY_OK, HTTP_OK, NULL},
	{CAMPAIGN_APPLIED, HTTP_OK, NULL},
	{CAMPAIGN_UNCHANGED, HTTP_OK, NULL},
	{CAMPAIGN_NO_ROW, HTTP_NOT_FOUND, "no such row"},
	{CAMPAIGN_BAD_KEY, HTTP_FORBIDDEN, "bad key"},
	{CAMPAIGN_WRONG_ID, HTTP_CONFLICT, "the row's call has another id"},
};

/* The status for res, with its reason set when it is an error. */
static enum http_status
routes_webhook_status(struct routes_ctx *x, enum campaign_result res)
{
	size_t i;

	for (i = 0; i < LEN(routes_webhook_results); i++)
		if (routes_webhook_results[i].res == res)
			return routes_webhook_results[i].reason == NULL ?
			    routes_webhook_results[i].status :
			    routes_fail(x, routes_webhook_results[i].status,
			    routes_webhook_results[i].reason);
	return routes_fail(x, HTTP_INTERNAL_SERVER_ERROR,
	    "unexpected campaign result");
}

/* Reads the request body into body (size bytes at most, one more than the
 * largest allowed), refusing an oversized one unread when its
 * Content-Length says so: HTTP_OK with its length in *len, or the error. */
static enum http_status
routes_read_body(struct routes_ctx *x, char *body, size_t size, size_t *len)
{
	const char *clen = FCGX_GetParam("CONTENT_LENGTH", x->req->envp);
	const char *why;
	uint64_t declared;
	int n;

	if (clen != NULL && *clen != '\0') {
		declared = util_strtou64(clen, strlen(clen), 0, UINT64_MAX, &why);
		if (why != NULL)
			return routes_fail(x, HTTP_BAD_REQUEST,
			    "bad Content-Length");
		if (declared > size - 1)
			goto too_large;
	}
	/* One byte more than allowed tells an oversized body from a full one. */
	n = FCGX_GetStr(body, (int)size, x->req->in);
	if (FCGX_GetError(x->req->in) != 0 || n < 0)
		return routes_fail(x, HTTP_BAD_REQUEST, "body could not be read");
	if ((size_t)n > size - 1)
		goto too_large;
	*len = (size_t)n;
	return HTTP_OK;
too_large:
	util_err(x->reason, sizeof(x->reason), "body over %zu bytes", size - 1);
	return HTTP_CONTENT_TOO_LARGE;
}

/*
 * With the Twilio provider, whether the webhook carries Twilio's signature
 * (X-Twilio-Signature) of body, made with the auth token over the URL this
 * dialer gave Twilio for the call (NUMDIALER_PUBLIC_URL and its path, so
 * that it holds behind a proxy that ends TLS) and the form's fields. Only
 * Twilio, and whoever holds the token, can make it. HTTP_OK, or 403.
 */
static enum http_status
routes_webhook_signed(struct routes_ctx *x, const struct routes_webhook_req *w,
    const char *body, size_t len)
{
	char url[WEBHOOK_URL_MAX];
	const char *sig = FCGX_GetParam("HTTP_X_TWILIO_SIGNATURE",
	    x->req->envp);

	if (x->hub->twilio_token == NULL)
		return HTTP_OK;
	if (webhook_url(x->hub->settings->public_url, w->row, w->key, url,
	    sizeof(url)) != 0 ||
	    !twilio_signature_ok(x->hub->twilio_token, url, body, len, sig))
		return routes_fail(x, HTTP_FORBIDDEN, sig == NULL ?
		    "no X-Twilio-Signature" : "bad X-Twilio-Signature");
	return HTTP_OK;
}

/* Reads a webhook's request into w: its path, then (only when its row and
 * key are good) its body, and with Twilio its signature. HTTP_OK, or the
 * error. */
static enum http_status
routes_webhook_read(struct routes_ctx *x, struct routes_webhook_req *w)
{
	char body[ROUTES_BODY_READ_MAX];
	enum campaign_result res;
	enum http_status status;
	size_t len = 0;
	int rc;

	status = routes_webhook_path(x, w);
	if (status != HTTP_OK)
		return status;
	/* Row and key first: a forged webhook gets 403 and nothing else, its
	 * body unread, whatever that body holds. campaign_webhook checks them
	 * again under the lock that applies the change. */
	hub_lock(x->hub);
	res = campaign_check_key(x->hub->campaign, w->row, w->key);
	hub_unlock(x->hub);
	if (res != CAMPAIGN_KEY_OK)
		return routes_webhook_status(x, res);
	status = routes_read_body(x, body, sizeof(body), &len);
	if (status == HTTP_OK)
		status = routes_webhook_signed(x, w, body, len);
	if (status != HTTP_OK)
		return status;
	rc = webhook_parse(FCGX_GetParam("CONTENT_TYPE", x->req->envp), body,
	    len, &w->body, x->reason, sizeof(x->reason));
	return rc == 0 ? HTTP_OK : (enum http_status)rc;
}

/* Applies a webhook read whole to the campaign, and answers
 * {"ok", "applied", "status"}. */
static enum http_status
routes_webhook_apply(struct routes_ctx *x, const struct routes_webhook_req *w)
{
	struct hub *hub = x->hub;
	struct json_object *obj;
	enum campaign_result res;
	enum http_status status;
	enum status after = STATUS_IDLE;
	uint64_t before, version;

	hub_lock(hub);
	before = campaign_version(hub->campaign);
	res = campaign_webhook(hub->campaign, w->row, w->key,
	    w->body.id[0] != '\0' ? w->body.id : NULL, &w->body.report,
	    hub_now_ms());
	version = campaign_version(hub->campaign);
	if (res == CAMPAIGN_APPLIED || res == CAMPAIGN_UNCHANGED)
		after = campaign_row(hub->campaign, w->row)->status;
	/* The first end status frees the call's slot: its time is noted in
	 * this hold of the lock, before the dialer can take the slot. */
	if (res == CAMPAIGN_APPLIED && status_is_terminal(after))
		metrics_slot_freed();
	hub_unlock(hub);

	/*
	 * Wake before answering. The wake is a write to an eventfd and a
	 * condvar signal, microseconds; the answer is socket I/O through the
	 * web server. Waking first lets the dialer place the next call while
	 * the answer travels, and delays the answer by the least; answering
	 * first would hold a freed slot idle for the whole write.
	 */
	if (version != before && res == CAMPAIGN_UNCHANGED)
		hub_noted(hub);
	else if (version != before)
		hub_changed(hub);

	status = routes_webhook_status(x, res);
	if (status != HTTP_OK)
		return status;
	obj = routes_flag("ok");
	if (obj != NULL &&
	    (util_json_put(obj, "applied",
	    json_object_new_boolean(res == CAMPAIGN_APPLIED)) != 0 ||
	    util_json_put(obj, "status",
	    json_object_new_string(status_name(after))) != 0)) {
		json_object_put(obj);
		obj = NULL;
	}
	return routes_json(x, HTTP_OK, obj);
}

/* POST /webhook/ROW/KEY with {"id": ..., "status": ...} or a Twilio-style
 * form (CallSid, CallStatus). */
static enum http_status
routes_webhook(struct routes_ctx *x)
{
	struct routes_webhook_req w;
	enum http_status status;

	memset(&w, 0, sizeof(w));
	status = routes_webhook_read(x, &w);
	if (status != HTTP_OK)
		return status;
	return routes_webhook_apply(x, &w);
}

/* GET /metrics: the counters, in Prometheus's text format. */
static enum http_status
routes_metrics(struct routes_ctx *x)
{
	if (metrics_render(x->hub, &x->body, &x->len) != 0)
		return routes_fail(x, HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	x->type = EXPOSITION_CONTENT_TYPE;
	return HTTP_OK;
}

/* Copies the path part of the request into x->path: 0, or -1 if too long. */
static int
routes_read_path(struct routes_ctx *x)
{
	const char *uri = FCGX_GetParam("REQUEST_URI", x->req->envp);
	const char *qs = FCGX_GetParam("QUERY_STRING", x->req->envp);
	size_t len;

	if (uri == NULL) {
		/* Not every FastCGI set-up passes REQUEST_URI. */
		const char *script = FCGX_GetParam("SCRIPT_NAME", x->req->envp);
		const char *info = FCGX_GetParam("PATH_INFO", x->req->envp);
		int n = snprintf(x->path, sizeof(x->path), "%s%s",
		    script != NULL ? script : "", info != NULL ? info : "");

		if (n < 0 || (size_t)n >= sizeof(x->path))
			return -1;
		x->query = qs != NULL ? qs : "";
		return 0;
	}
	len = strcspn(uri, "?");
	if (len >= sizeof(x->path))
		return -1;
	memcpy(x->path, uri, len);
	x->path[len] = '\0';
	if (qs != NULL)
		x->query = qs;
	else
		x->query = uri[len] == '?' ? uri + len + 1 : "";
	return 0;
}

/* One log line per refused request. Webhook keys are cut from the path:
 * a valid key has no business in a log. Control bytes from outside are
 * replaced so a request cannot forge log lines. */
static void
routes_log(const struct routes_ctx *x, enum http_status status)
{
	char line[ROUTES_PATH_MAX + ROUTES_REASON_MAX + 64];
	size_t plen = strlen(x->path);
	size_t i;
	int n;

	if (strncmp(x->path, ROUTES_WEBHOOK_PREFIX,
	    strlen(ROUTES_WEBHOOK_PREFIX)) == 0) {
		const char *slash = strchr(x->path + strlen(ROUTES_WEBHOOK_PREFIX),
		    '/');

		if (slash != NULL)
			plen = (size_t)(slash - x->path);
	}
	n = snprintf(line, sizeof(line), "numdialer: %d %.16s %.*s: %s",
	    (int)status, x->method, (int)plen, x->path, x->reason);
	if (n < 0)
		return;
	for (i = 0; line[i] != '\0'; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	fprintf(stderr, "%s\n", line);
}

/* The route whose path the request's is, or NULL. */
static const struct routes_route *
routes_find(const struct routes_ctx *x)
{
	size_t i;

	for (i = 0; i < LEN(routes_table); i++) {
		const struct routes_route *r = &routes_table[i];

		if (r->prefix ? strncmp(x->path, r->path, strlen(r->path)) == 0 :
		    strcmp(x->path, r->path) == 0)
			return r;
	}
	return NULL;
}

/*
 * HTTP_OK when the request's Host is a name this server is known by
 * (hosts_known), else 421 naming it. A browser always sends the name it
 * was given: a page of another site whose name now points here (DNS
 * rebinding) sends that name, and its own Origin and Sec-Fetch-Site
 * agree with it, so only the name tells it from the operator's page.
 */
static enum http_status
routes_check_host(struct routes_ctx *x)
{
	const char *host = FCGX_GetParam("HTTP_HOST", x->req->envp);
	unsigned port = strcasecmp(routes_scheme(x), "https") == 0 ?
	    ROUTES_HTTPS_PORT : ROUTES_HTTP_PORT;

	if (hosts_known(&x->hub->settings->known, host, port))
		return HTTP_OK;
	if (host == NULL)
		return routes_fail(x, HTTP_MISDIRECTED_REQUEST,
		    "no Host: this server answers only under its own names");
	util_err(x->reason, sizeof(x->reason), "Host %.*s is not a name of this "
	    "server (NUMDIALER_HOSTS)", ROUTES_HOST_QUOTE, host);
	return HTTP_MISDIRECTED_REQUEST;
}

/* Finds the route for the request and runs it: the handler's status.
 * The Host is checked first, so a misdirected request learns nothing,
 * not even which paths exist. */
static enum http_status
routes_dispatch(struct routes_ctx *x)
{
	const struct routes_route *r = routes_find(x);
	enum http_status status;

	x->route = r;

	if (r == NULL || !r->any_host) {
		status = routes_check_host(x);
		if (status != HTTP_OK)
			return status;
	}
	if (r == NULL)
		return routes_fail(x, HTTP_NOT_FOUND, "no such path");
	if (strcmp(x->method, r->method) != 0) {
		x->headers = r->allow;
		util_err(x->reason, sizeof(x->reason), "use %s", r->method);
		return HTTP_METHOD_NOT_ALLOWED;
	}
	return r->handler(x);
}

enum routes_served
routes_serve(struct hub *hub, FCGX_Request *req, struct http_answer *answer)
{
	struct routes_ctx x;
	enum http_status status;

	memset(&x, 0, sizeof(x));
	x.hub = hub;
	x.req = req;
	x.method = FCGX_GetParam("REQUEST_METHOD", req->envp);
	if (x.method == NULL)
		x.method = "";
	x.query = "";

	if (routes_read_path(&x) != 0)
		status = routes_fail(&x, HTTP_NOT_FOUND, "no such path");
	else
		status = routes_dispatch(&x);
	if (x.parked)
		return ROUTES_PARKED;
	if (x.dropped) {
		routes_log(&x, status);
		free(x.body);
		return ROUTES_DROPPED;
	}

	if (x.shared != NULL) {
		http_answer_shared(answer, x.shared);
		return ROUTES_ANSWERED;
	}
	if (status < HTTP_BAD_REQUEST && x.body == NULL)
		status = routes_fail(&x, HTTP_INTERNAL_SERVER_ERROR,
		    "no answer was made");
	/* Every webhook's answer is counted, a 405 or a 500 as much as a 200. */
	if (x.route != NULL && x.route->handler == routes_webhook)
		metrics_webhook((int)status);
	if (status >= HTTP_BAD_REQUEST) {
		routes_log(&x, status);
		http_answer_error(answer, status, x.headers,
		    x.reason[0] != '\0' ? x.reason : http_status_text(status));
		free(x.body);
	} else if (x.streamed) {
		http_answer_rest(answer, x.body, x.len);
	} else {
		http_answer_body(answer, status,
		    x.type != NULL ? x.type : HTTP_JSON, x.headers, x.body,
		    x.len);
	}
	return ROUTES_ANSWERED;
}
