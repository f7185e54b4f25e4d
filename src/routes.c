/*
 * routes: the route table and its handlers. A handler parses, locks the
 * campaign, changes or renders it, unlocks, and returns the HTTP status it
 * means; routes_serve alone writes the answer, after every lock is gone.
 */
#include "routes.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "events.h"
#include "hex.h"
#include "http.h"
#include "render.h"
#include "status.h"
#include "webhook.h"

#define ROUTES_PATH_MAX 512       /* longer paths match nothing we serve: 404 */
#define ROUTES_REASON_MAX 256     /* an error answer's message */
#define ROUTES_U64_DIGITS 20      /* digits of UINT64_MAX */
#define ROUTES_PARKED 0           /* a handler's status for "parked" */
#define ROUTES_ORIGIN_MAX 512     /* scheme://host[:port] of this server */

#define ROUTES_WEBHOOK_PREFIX "/webhook/"

/* One request being served. */
struct routes_ctx {
	struct hub *hub;
	FCGX_Request *req;
	const char *method;
	char path[ROUTES_PATH_MAX + 1];   /* REQUEST_URI up to '?' */
	const char *query;                /* "" when none */
	/* The answer: body for a success, reason for an error. */
	char *body;                       /* malloc'd JSON; NULL until made */
	size_t len;
	const char *headers;              /* extra header lines, or NULL */
	char reason[ROUTES_REASON_MAX];
};

struct routes_route {
	const char *path;
	bool prefix;            /* path is a prefix the handler parses on */
	const char *method;
	const char *allow;      /* the header sent with 405 */
	int (*handler)(struct routes_ctx *x);
};

static int routes_fail(struct routes_ctx *x, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int routes_events(struct routes_ctx *x);
static int routes_call(struct routes_ctx *x);
static int routes_webhook(struct routes_ctx *x);

static const struct routes_route routes_table[] = {
	{"/events", false, "GET", "Allow: GET\r\n", routes_events},
	{"/call", false, "POST", "Allow: POST\r\n", routes_call},
	{ROUTES_WEBHOOK_PREFIX, true, "POST", "Allow: POST\r\n", routes_webhook},
};

/* Sets the error message and returns status, for "return routes_fail(...)". */
static int
routes_fail(struct routes_ctx *x, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->reason, sizeof(x->reason), fmt, ap);
	va_end(ap);
	return status;
}

/* Serializes obj into the answer's body and frees obj. Returns status, or
 * 500 when out of memory. obj may be NULL (a failed allocation). */
static int
routes_json(struct routes_ctx *x, int status, struct json_object *obj)
{
	const char *text = NULL;

	if (obj != NULL)
		text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
	if (text != NULL)
		x->body = strdup(text);
	json_object_put(obj);
	if (x->body == NULL)
		return routes_fail(x, 500, "out of memory");
	x->len = strlen(x->body);
	return status;
}

/* Adds a member, freeing val if it cannot: 0 or -1 (val NULL counts). */
static int
routes_put(struct json_object *obj, const char *key, struct json_object *val)
{
	if (val == NULL || json_object_object_add(obj, key, val) != 0) {
		json_object_put(val);
		return -1;
	}
	return 0;
}

/* Strict decimal: 1 to 20 digits, nothing else, within uint64_t. */
static int
routes_parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > ROUTES_U64_DIGITS)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
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

/* GET /events[?since=V[&instance=I]]: a diff, the full list, or parked. */
static int
routes_events(struct routes_ctx *x)
{
	struct hub *hub = x->hub;
	const char *v;
	size_t vlen;
	uint64_t since = 0;
	bool diff = false;
	int parked;

	if (routes_query(x, "since", &v, &vlen)) {
		if (routes_parse_u64(v, vlen, &since) != 0)
			return routes_fail(x, 400, "since is not a version number");
		diff = true;
	}
	/* Versions of another run of the program mean nothing here. */
	if (routes_query(x, "instance", &v, &vlen) &&
	    (vlen != HUB_INSTANCE_LEN || memcmp(v, hub->instance, vlen) != 0))
		diff = false;

	hub_lock(hub);
	if (diff && since == campaign_version(hub->campaign)) {
		/* Parked under the lock: no change can slip in between the
		 * look at the version and the park. */
		parked = hub->events != NULL ?
		    events_park(hub->events, x->req, since) : -1;
		hub_unlock(hub);
		if (parked != 0)
			return routes_fail(x, 503, "too many watchers");
		return ROUTES_PARKED;
	}
	x->body = render_events(hub->campaign, &hub->process,
	    diff ? &since : NULL, &x->len);
	hub_unlock(hub);
	if (x->body == NULL)
		return routes_fail(x, 500, "out of memory");
	return 200;
}

/* The Sec-Fetch-Site values of a request from a page of this origin, or
 * one the user made (typed, bookmarked): anything else is another site's. */
static const char *const routes_own_sites[] = { "same-origin", "none" };

/* This request's own origin, scheme://HTTP_HOST, into own: 0, or -1 when
 * the request names no host or it does not fit. */
static int
routes_own_origin(const struct routes_ctx *x, char *own, size_t ownlen)
{
	const char *host = FCGX_GetParam("HTTP_HOST", x->req->envp);
	const char *scheme = FCGX_GetParam("REQUEST_SCHEME", x->req->envp);
	const char *https = FCGX_GetParam("HTTPS", x->req->envp);
	int n;

	if (host == NULL || *host == '\0')
		return -1;
	if (scheme == NULL || *scheme == '\0')
		scheme = https != NULL && strcasecmp(https, "on") == 0 ?
		    "https" : "http";
	n = snprintf(own, ownlen, "%s://%s", scheme, host);
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
		for (i = 0; i < sizeof(routes_own_sites) /
		    sizeof(routes_own_sites[0]); i++)
			if (strcmp(site, routes_own_sites[i]) == 0)
				break;
		if (i == sizeof(routes_own_sites) / sizeof(routes_own_sites[0]))
			return true;
	}
	if (origin == NULL)
		return false;
	/* Scheme and host compare without case; browsers send both lowercase
	 * and leave out a default port, as they do in Host. */
	return routes_own_origin(x, own, sizeof(own)) != 0 ||
	    strcasecmp(origin, own) != 0;
}

/* POST /call: starts dialing, once. Any body is ignored. Refused when it
 * comes from another site's page: a form there must not start the calls. */
static int
routes_call(struct routes_ctx *x)
{
	struct hub *hub = x->hub;
	struct json_object *obj;
	int rc;

	if (routes_cross_origin(x))
		return routes_fail(x, 403, "POST /call from another origin");
	hub_lock(hub);
	rc = campaign_start(hub->campaign, hub_now_ms());
	hub_unlock(hub);
	if (rc != 0)
		return routes_fail(x, 409, "dialing has already started");
	hub_changed(hub);

	obj = json_object_new_object();
	if (obj != NULL &&
	    routes_put(obj, "started", json_object_new_boolean(1)) != 0) {
		json_object_put(obj);
		obj = NULL;
	}
	return routes_json(x, 202, obj);
}

/* Reads ROW and KEY from /webhook/ROW/KEY: 0, or the status to answer. */
static int
routes_webhook_path(struct routes_ctx *x, size_t *row,
    unsigned char key[CAMPAIGN_KEY_BYTES])
{
	const char *p = x->path + strlen(ROUTES_WEBHOOK_PREFIX);
	const char *slash = strchr(p, '/');
	const char *k;
	uint64_t v;

	if (slash == NULL || slash == p || slash[1] == '\0' ||
	    strchr(slash + 1, '/') != NULL)
		return routes_fail(x, 404, "no such path");
	if (routes_parse_u64(p, (size_t)(slash - p), &v) != 0)
		return routes_fail(x, 404, "no such path");
	/* The list never changes size after start-up: no lock needed. */
	if (v >= campaign_size(x->hub->campaign))
		return routes_fail(x, 404, "no such row");
	k = slash + 1;
	/* Only the dialer makes keys, always this shape: anything else is a
	 * forgery, refused like a wrong key. */
	if (hex_decode(k, key, CAMPAIGN_KEY_BYTES) != 0)
		return routes_fail(x, 403, "bad key");
	*row = (size_t)v;
	return 0;
}

/* What a webhook's campaign result answers: 200, or an error and why. */
static const struct {
	enum campaign_result res;
	int status;
	const char *reason;
} routes_webhook_results[] = {
	{CAMPAIGN_APPLIED, 200, NULL},
	{CAMPAIGN_UNCHANGED, 200, NULL},
	{CAMPAIGN_NO_ROW, 404, "no such row"},
	{CAMPAIGN_BAD_KEY, 403, "bad key"},
	{CAMPAIGN_WRONG_ID, 409, "the row's call has another id"},
};

/* The status for res, with its reason set when it is an error. */
static int
routes_webhook_status(struct routes_ctx *x, enum campaign_result res)
{
	size_t i;

	for (i = 0; i < sizeof(routes_webhook_results) /
	    sizeof(routes_webhook_results[0]); i++)
		if (routes_webhook_results[i].res == res)
			return routes_webhook_results[i].reason == NULL ?
			    routes_webhook_results[i].status :
			    routes_fail(x, routes_webhook_results[i].status, "%s",
			    routes_webhook_results[i].reason);
	return routes_fail(x, 500, "unexpected campaign result");
}

/* POST /webhook/ROW/KEY with {"id": ..., "status": ...} or a Twilio-style
 * form (CallSid, CallStatus). */
static int
routes_webhook(struct routes_ctx *x)
{
	struct hub *hub = x->hub;
	unsigned char key[CAMPAIGN_KEY_BYTES];
	char body[WEBHOOK_BODY_MAX + 1];
	struct webhook wh;
	struct json_object *obj;
	const char *clen;
	enum campaign_result res;
	enum status after = STATUS_IDLE;
	uint64_t before, version;
	size_t row = 0;
	int n, rc;

	rc = routes_webhook_path(x, &row, key);
	if (rc != 0)
		return rc;

	/* Row and key first: a forged webhook gets 403 and nothing else, its
	 * body unread, whatever that body holds. campaign_webhook checks them
	 * again under the lock that applies the change. */
	hub_lock(hub);
	res = campaign_check_key(hub->campaign, row, key);
	hub_unlock(hub);
	if (res != CAMPAIGN_APPLIED)
		return routes_webhook_status(x, res);

	/* A declared size over the bound is refused unread. */
	clen = FCGX_GetParam("CONTENT_LENGTH", x->req->envp);
	if (clen != NULL && *clen != '\0') {
		uint64_t declared;

		if (routes_parse_u64(clen, strlen(clen), &declared) != 0)
			return routes_fail(x, 400, "bad Content-Length");
		if (declared > WEBHOOK_BODY_MAX)
			return routes_fail(x, 413, "body over %d bytes",
			    WEBHOOK_BODY_MAX);
	}
	/* One byte more than allowed tells an oversized body from a full one. */
	n = FCGX_GetStr(body, (int)sizeof(body), x->req->in);
	if (FCGX_GetError(x->req->in) != 0 || n < 0)
		return routes_fail(x, 400, "body could not be read");
	if ((size_t)n > WEBHOOK_BODY_MAX)
		return routes_fail(x, 413, "body over %d bytes", WEBHOOK_BODY_MAX);

	rc = webhook_parse(FCGX_GetParam("CONTENT_TYPE", x->req->envp), body,
	    (size_t)n, &wh, x->reason, sizeof(x->reason));
	if (rc != 0)
		return rc;

	hub_lock(hub);
	before = campaign_version(hub->campaign);
	res = campaign_webhook(hub->campaign, row, key,
	    wh.id[0] != '\0' ? wh.id : NULL, wh.status, hub_now_ms());
	version = campaign_version(hub->campaign);
	if (res == CAMPAIGN_APPLIED || res == CAMPAIGN_UNCHANGED)
		after = campaign_row(hub->campaign, row)->status;
	hub_unlock(hub);

	/*
	 * Wake before answering. The wake is a write to an eventfd and a
	 * condvar signal, microseconds; the answer is socket I/O through the
	 * web server. Waking first lets the dialer place the next call while
	 * the answer travels, and delays the answer by the least; answering
	 * first would hold a freed slot idle for the whole write.
	 */
	if (version != before)
		hub_changed(hub);

	rc = routes_webhook_status(x, res);
	if (rc != 200)
		return rc;

	obj = json_object_new_object();
	if (obj != NULL &&
	    (routes_put(obj, "ok", json_object_new_boolean(1)) != 0 ||
	    routes_put(obj, "applied",
	    json_object_new_boolean(res == CAMPAIGN_APPLIED)) != 0 ||
	    routes_put(obj, "status",
	    json_object_new_string(status_name(after))) != 0)) {
		json_object_put(obj);
		obj = NULL;
	}
	return routes_json(x, 200, obj);
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
routes_log(const struct routes_ctx *x, int status)
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
	    status, x->method, (int)plen, x->path, x->reason);
	if (n < 0)
		return;
	for (i = 0; line[i] != '\0'; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	fprintf(stderr, "%s\n", line);
}

/* Finds the route for the request and runs it: the handler's status. */
static int
routes_dispatch(struct routes_ctx *x)
{
	size_t i;

	for (i = 0; i < sizeof(routes_table) / sizeof(routes_table[0]); i++) {
		const struct routes_route *r = &routes_table[i];

		if (r->prefix ? strncmp(x->path, r->path, strlen(r->path)) != 0 :
		    strcmp(x->path, r->path) != 0)
			continue;
		if (strcmp(x->method, r->method) != 0) {
			x->headers = r->allow;
			return routes_fail(x, 405, "use %s", r->method);
		}
		return r->handler(x);
	}
	return routes_fail(x, 404, "no such path");
}

int
routes_serve(struct hub *hub, FCGX_Request *req)
{
	struct routes_ctx x;
	int status;

	memset(&x, 0, sizeof(x));
	x.hub = hub;
	x.req = req;
	x.method = FCGX_GetParam("REQUEST_METHOD", req->envp);
	if (x.method == NULL)
		x.method = "";
	x.query = "";

	if (routes_read_path(&x) != 0)
		status = routes_fail(&x, 404, "no such path");
	else
		status = routes_dispatch(&x);
	if (status == ROUTES_PARKED)
		return 1;    /* req belongs to the events module now */

	if (status >= 400) {
		routes_log(&x, status);
		http_reply_error(req, status, x.headers,
		    x.reason[0] != '\0' ? x.reason : http_status_text(status));
	} else {
		http_reply_json(req, status, x.headers, x.body, x.len);
	}
	free(x.body);
	return 0;
}
