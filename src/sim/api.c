/* api: the route table, the POST /call and GET /stats handlers, the hand-over
 * to Twilio mode, the replies. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <microhttpd.h>

#include "answer.h"
#include "api.h"
#include "util.h"

#define API_JSON_DEPTH 16  /* nesting accepted in a request body */
#define API_RETRY_AFTER_MAX 16  /* bytes of a Retry-After value */

struct api {
	struct api_deps deps;
	struct MHD_Daemon *daemon;
	pthread_mutex_t lock;  /* guards stopping */
	pthread_cond_t stop;   /* signalled once stopping is set */
	int stopping;          /* slow answers stop waiting */
};

/* One request, between its first and last call of the access handler. */
struct request {
	char *body;   /* NUL-terminated; owned */
	size_t len;
	int too_big;  /* more than API_BODY_MAX bytes came */
};

typedef int (*api_handler)(struct api *a, const struct request *rq,
    struct answer *ans);

static int api_call(struct api *a, const struct request *rq,
    struct answer *ans);
static int api_stats(struct api *a, const struct request *rq,
    struct answer *ans);
static int api_stats_calls(struct api *a, const struct request *rq,
    struct answer *ans);

/* Which API a route belongs to. */
enum api_mode {
	API_DEFAULT = 1,  /* the simulator's own POST /call */
	API_TWILIO = 2,   /* Twilio mode */
};

static const struct {
	const char *path;
	const char *method;
	api_handler handle;
	unsigned modes;
} routes[] = {
	{"/call", MHD_HTTP_METHOD_POST, api_call, API_DEFAULT},
	{"/stats", MHD_HTTP_METHOD_GET, api_stats, API_DEFAULT | API_TWILIO},
	{"/stats/calls", MHD_HTTP_METHOD_GET, api_stats_calls, API_TWILIO},
};

/* Reads a string member of obj into *out and *len: 0, or -1 when missing,
 * not a string, empty or longer than max. */
static int
api_string(struct json_object *obj, const char *key, size_t max,
    const char **out, size_t *len)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return -1;
	*out = json_object_get_string(v);
	*len = (size_t)json_object_get_string_len(v);
	if (*len == 0 || *len > max || strlen(*out) != *len)
		return -1;
	return 0;
}

int
api_url_ok(const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL;
	int ok = 0;

	if (u == NULL)
		goto fail;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK)
		goto fail;
	ok = strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0;
fail:
	curl_free(scheme);
	curl_url_cleanup(u);
	return ok;
}

/* Parses the whole body as one JSON object, or NULL. Caller puts it. */
static struct json_object *
api_parse(const struct request *rq)
{
	struct json_tokener *tok = json_tokener_new_ex(API_JSON_DEPTH);
	struct json_object *o = NULL;
	size_t end;

	if (tok == NULL || rq->len == 0)
		goto fail;
	o = json_tokener_parse_ex(tok, rq->body, (int)rq->len);
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success)
		goto fail;
	for (end = json_tokener_get_parse_end(tok); end < rq->len; end++)
		if (strchr(" \t\r\n", rq->body[end]) == NULL)
			goto fail;
	if (!json_object_is_type(o, json_type_object))
		goto fail;
	json_tokener_free(tok);
	return o;
fail:
	json_object_put(o);
	if (tok != NULL)
		json_tokener_free(tok);
	return NULL;
}

/* {key: value} (value NULL: a JSON null, which util_json_put does not
 * take), or NULL when out of memory (answered with no body). */
static struct json_object *
api_member(const char *key, const char *value)
{
	struct json_object *o = json_object_new_object();
	int rc;

	if (o == NULL)
		return NULL;
	if (value != NULL)
		rc = util_json_put(o, key, json_object_new_string(value));
	else
		rc = json_object_object_add(o, key, NULL);
	if (rc != 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* {"error": msg}, or NULL when out of memory. */
static struct json_object *
api_error(const char *msg)
{
	return api_member("error", msg);
}

/* What a POST /call asks for; the strings point into its parsed body. */
struct ask {
	const char *phone;
	size_t plen;
	const char *url;
};

/*
 * Draws this POST /call's fault into *fx. Returns the status of the
 * fault's answer, with ans filled (the status is moot when ans->drop is
 * set), or 0 when the call goes on (a fault that places the call all the
 * same shapes its answer later); either way ans->delay_ms is the delay.
 */
static int
api_call_fault(struct api *a, struct answer *ans, struct faults_effect *fx)
{
	faults_call(a->deps.faults, fx);
	ans->delay_ms = fx->delay_ms;
	if (fx->drop && !fx->placed) {
		ans->drop = 1;
		return 500;
	}
	if (fx->refuse) {
		ans->body = api_member(fx->key, fx->value);
		ans->retry_after = fx->retry_after;
		return (int)fx->status;
	}
	return 0;
}

/* Reads req (NULL: the body was not a JSON object) into *ask: 0, or 400
 * with the error in ans->body. */
static int
api_call_read(struct json_object *req, struct ask *ask, struct answer *ans)
{
	size_t ulen;

	if (req == NULL) {
		ans->body = api_error("body is not a JSON object");
		return 400;
	}
	if (api_string(req, "phone", PHONES_LEN_MAX, &ask->phone,
	    &ask->plen) != 0) {
		ans->body = api_error("phone: want a string of 1 to 64 "
		    "characters");
		return 400;
	}
	if (api_string(req, "webhookURL", SENDER_URL_MAX, &ask->url,
	    &ulen) != 0 || !api_url_ok(ask->url)) {
		ans->body = api_error("webhookURL: want an http or https URL");
		return 400;
	}
	return 0;
}

/* The sender's steps of path: a step that lasts waits long_call_ms. */
static void
api_steps(const struct path *path, unsigned long_call_ms,
    struct sender_call *out)
{
	size_t i;

	for (i = 0; i < path->nsteps; i++)
		out->steps[i] = (struct sender_step){path->steps[i].status,
		    path->steps[i].terminal, path->steps[i].quiet,
		    path->steps[i].lasts ? (int64_t)long_call_ms : -1};
	out->nsteps = path->nsteps;
	out->first_before_answer = path->first_before_answer;
}

/*
 * Places the call ask names, when its phone is known. Returns the status,
 * with ans->body its id (and fx's member, if any) or the error; *placed
 * says whether the sender took the call (then the status is 500 only when
 * the id could not be written). fx may drop the answer of a placed call.
 */
static int
api_call_place(struct api *a, const struct ask *ask,
    const struct faults_effect *fx, struct answer *ans, int *placed)
{
	struct sender_call sc = {0};
	char name[SENDER_NAME_MAX];
	uint64_t index;
	long long callid;

	if (a->deps.phones != NULL &&
	    !phones_has(a->deps.phones, ask->phone, ask->plen)) {
		stats_unknown(a->deps.stats);
		ans->body = api_error("unknown phone");
		return 200;
	}
	if (stats_accept(a->deps.stats, ask->phone, ask->plen, &index) != 0) {
		ans->body = api_error("out of memory");
		return 500;
	}
	callid = STATS_ID_FIRST + (long long)index;
	snprintf(name, sizeof name, "%lld", callid);
	api_steps(paths_choose(a->deps.plan, ask->phone, index),
	    a->deps.long_call_ms, &sc);
	sc.id = callid;
	sc.name = name;
	sc.url = ask->url;
	if (sender_place(a->deps.sender, &sc) != 0) {
		/* Never to end with a webhook: it leaves flight here. */
		stats_terminal(a->deps.stats, 0);
		ans->body = api_error("call dropped: stopping or out of memory");
		return 503;
	}
	*placed = 1;
	ans->body = fx->key != NULL ? api_member(fx->key, fx->value) :
	    json_object_new_object();
	if (ans->body == NULL ||
	    util_json_put(ans->body, "id", json_object_new_int64(callid)) != 0)
		return 500;
	/* Placed, and the answer lost on its way. */
	ans->drop = fx->drop;
	return 200;
}

/* A POST /call: a fault's answer, or the call placed. Every call not
 * placed, for whatever reason, counts as refused. */
static int
api_call(struct api *a, const struct request *rq, struct answer *ans)
{
	struct json_object *req = NULL;
	struct faults_effect fx;
	struct ask ask;
	int status, placed = 0;

	status = api_call_fault(a, ans, &fx);
	if (status != 0)
		goto done;
	req = api_parse(rq);
	status = api_call_read(req, &ask, ans);
	if (status != 0)
		goto done;
	status = api_call_place(a, &ask, &fx, ans, &placed);
done:
	if (!placed)
		stats_refused(a->deps.stats);
	json_object_put(req);
	return status;
}

static int
api_stats(struct api *a, const struct request *rq, struct answer *ans)
{
	(void)rq;
	ans->body = stats_render(a->deps.stats);
	if (ans->body != NULL &&
	    (faults_render(a->deps.faults, ans->body) != 0 ||
	    (a->deps.twilio != NULL &&
	    stats_render_twilio(a->deps.stats, ans->body) != 0))) {
		json_object_put(ans->body);
		ans->body = NULL;
	}
	return ans->body != NULL ? 200 : 500;
}

/* GET /stats/calls: what each Twilio call's POST asked for. */
static int
api_stats_calls(struct api *a, const struct request *rq, struct answer *ans)
{
	(void)rq;
	ans->body = twilio_render_calls(a->deps.twilio);
	return ans->body != NULL ? 200 : 500;
}

/* Waits ms, or less when the api stops. The connection has a thread of
 * its own: only this request waits. */
static void
api_wait(struct api *a, unsigned ms)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&a->lock);
	while (!a->stopping &&
	    pthread_cond_timedwait(&a->stop, &a->lock, &until) == 0)
		;
	pthread_mutex_unlock(&a->lock);
}

/* Sends status with ans's body (taken: put here; NULL sends no body) and
 * the headers it asks for: Allow, Retry-After, or WWW-Authenticate. */
static enum MHD_Result
api_reply(struct MHD_Connection *conn, unsigned status, struct answer *ans)
{
	char retry[API_RETRY_AFTER_MAX];
	struct MHD_Response *resp;
	const char *text = "";
	size_t len = 0;
	enum MHD_Result rc;

	if (ans->body != NULL)
		text = json_object_to_json_string_length(ans->body,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
		    &len);
	resp = MHD_create_response_from_buffer(len, (void *)text,
	    MHD_RESPMEM_MUST_COPY);
	json_object_put(ans->body);
	ans->body = NULL;
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "application/json");
	if (ans->allow != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, ans->allow);
	if (ans->retry_after > 0) {
		snprintf(retry, sizeof retry, "%u", ans->retry_after);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, retry);
	}
	/* libmicrohttpd writes the 401 and its WWW-Authenticate itself. */
	if (status == MHD_HTTP_UNAUTHORIZED && ans->realm != NULL)
		rc = MHD_queue_basic_auth_fail_response(conn, ans->realm, resp);
	else
		rc = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

/* Sends status with {"error": msg}, and an Allow header when given. */
static enum MHD_Result
api_reply_error(struct MHD_Connection *conn, unsigned status,
    const char *msg, const char *allow)
{
	struct answer ans = {0};

	ans.body = api_error(msg);
	ans.allow = allow;
	return api_reply(conn, status, &ans);
}

/* Waits and answers what a handler made of a request: ans's delay, then
 * ans, or no answer at all. */
static enum MHD_Result
api_answer(struct api *a, struct MHD_Connection *conn, int status,
    struct answer *ans)
{
	if (ans->delay_ms > 0)
		api_wait(a, ans->delay_ms);
	if (ans->drop) {
		json_object_put(ans->body);
		/* MHD_NO closes the connection with nothing sent. */
		return MHD_NO;
	}
	if (ans->body == NULL && status != 200)
		ans->body = api_error("internal error");
	return api_reply(conn, (unsigned)status, ans);
}

/* A request under Twilio's paths, with its basic credentials. */
static enum MHD_Result
api_twilio(struct api *a, struct MHD_Connection *conn, const char *url,
    const char *method, const struct request *rq)
{
	struct twilio_request tr = {0};
	struct answer ans = {0};
	char *user, *password = NULL;
	int status;

	if (rq->too_big)
		return api_reply_error(conn, MHD_HTTP_CONTENT_TOO_LARGE,
		    "body too large", NULL);
	user = MHD_basic_auth_get_username_password(conn, &password);
	tr.method = method;
	tr.url = url;
	tr.user = user;
	tr.password = password;
	tr.content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	tr.body = rq->body;
	tr.len = rq->len;
	status = (int)twilio_serve(a->deps.twilio, &tr, &ans);
	if (user != NULL)
		MHD_free(user);
	if (password != NULL)
		MHD_free(password);
	return api_answer(a, conn, status, &ans);
}

/* The whole request is in: routes it and answers. */
static enum MHD_Result
api_dispatch(struct api *a, struct MHD_Connection *conn, const char *url,
    const char *method, const struct request *rq)
{
	unsigned mode = a->deps.twilio != NULL ? API_TWILIO : API_DEFAULT;
	struct answer ans = {0};
	size_t i;
	int status;

	if (mode == API_TWILIO && twilio_owns(url))
		return api_twilio(a, conn, url, method, rq);
	for (i = 0; i < LEN(routes); i++)
		if ((routes[i].modes & mode) != 0 &&
		    strcmp(routes[i].path, url) == 0)
			break;
	if (i == LEN(routes))
		return api_reply_error(conn, MHD_HTTP_NOT_FOUND,
		    "no such path", NULL);
	if (strcmp(routes[i].method, method) != 0)
		return api_reply_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "method not allowed", routes[i].method);
	if (rq->too_big)
		return api_reply_error(conn, MHD_HTTP_CONTENT_TOO_LARGE,
		    "body too large", NULL);
	status = routes[i].handle(a, rq, &ans);
	return api_answer(a, conn, status, &ans);
}

/* Keeps the bytes of a body piece, or notes that the body is too big. */
static int
api_append(struct request *rq, const char *data, size_t size)
{
	char *p;

	if (rq->too_big || size > API_BODY_MAX - rq->len) {
		rq->too_big = 1;
		free(rq->body);
		rq->body = NULL;
		rq->len = 0;
		return 0;
	}
	p = realloc(rq->body, rq->len + size + 1);
	if (p == NULL)
		return -1;
	memcpy(p + rq->len, data, size);
	rq->body = p;
	rq->len += size;
	rq->body[rq->len] = '\0';
	return 0;
}

/*
 * Whether the request's Content-Length already says it is too big, read
 * from its leading digits (libmicrohttpd has refused one that is not all
 * digits, unless a Transfer-Encoding came with it).
 */
static int
api_declared_too_big(struct MHD_Connection *conn)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *errstr;
	size_t digits;

	if (cl == NULL)
		return 0;
	digits = strspn(cl, "0123456789");
	if (digits == 0)
		return 0;
	(void)util_strtou64(cl, digits, 0, API_BODY_MAX, &errstr);
	return errstr != NULL;
}

/* Whether method and url ask to place a call, in the API served. */
static int
api_is_create(const struct api *a, const char *method, const char *url)
{
	if (a->deps.twilio != NULL)
		return twilio_is_create(method, url);
	return strcmp(url, "/call") == 0 &&
	    strcmp(method, MHD_HTTP_METHOD_POST) == 0;
}

static enum MHD_Result
api_access(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct request *rq = *con_cls;

	(void)version;
	if (rq == NULL) {
		rq = calloc(1, sizeof *rq);
		if (rq == NULL)
			return MHD_NO;
		*con_cls = rq;
		/* Refused before its body is read; the connection then closes. */
		if (api_declared_too_big(conn))
			return api_reply_error(conn,
			    MHD_HTTP_CONTENT_TOO_LARGE, "body too large", NULL);
		/* Its headers are in: the moment a refill is measured to. */
		if (api_is_create(cls, method, url))
			stats_post_arrived(((struct api *)cls)->deps.stats);
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (api_append(rq, upload, *upload_size) != 0)
			return MHD_NO;
		*upload_size = 0;
		return MHD_YES;
	}
	return api_dispatch(cls, conn, url, method, rq);
}

static void
api_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (rq == NULL)
		return;
	free(rq->body);
	free(rq);
	*con_cls = NULL;
}

struct api *
api_start(const struct api_deps *deps, unsigned port, unsigned *bound)
{
	struct api *a = NULL;
	struct sockaddr_in sin;
	const union MHD_DaemonInfo *info;
	pthread_condattr_t attr;
	int locks = 0;

	a = calloc(1, sizeof *a);
	if (a == NULL) {
		fprintf(stderr, "apisim: out of memory\n");
		goto fail;
	}
	a->deps = *deps;
	if (pthread_mutex_init(&a->lock, NULL) != 0)
		goto fail;
	locks = 1;
	/* Slow answers wait on the monotonic clock, as every other delay. */
	if (pthread_condattr_init(&attr) != 0)
		goto fail;
	if (pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&a->stop, &attr) != 0) {
		pthread_condattr_destroy(&attr);
		goto fail;
	}
	pthread_condattr_destroy(&attr);
	locks = 2;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a->daemon = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG,
	    (uint16_t)port, NULL, NULL, api_access, a,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
	    MHD_OPTION_NOTIFY_COMPLETED, api_completed, a,
	    MHD_OPTION_END);
	if (a->daemon == NULL) {
		fprintf(stderr, "apisim: cannot listen on 127.0.0.1:%u\n", port);
		goto fail;
	}
	info = MHD_get_daemon_info(a->daemon, MHD_DAEMON_INFO_BIND_PORT);
	*bound = info != NULL && info->port != 0 ? info->port : port;
	return a;
fail:
	if (locks == 2)
		pthread_cond_destroy(&a->stop);
	if (locks >= 1)
		pthread_mutex_destroy(&a->lock);
	free(a);
	return NULL;
}

void
api_stop(struct api *a)
{
	if (a == NULL)
		return;
	pthread_mutex_lock(&a->lock);
	a->stopping = 1;
	pthread_cond_broadcast(&a->stop);
	pthread_mutex_unlock(&a->lock);
	MHD_stop_daemon(a->daemon);
	pthread_cond_destroy(&a->stop);
	pthread_mutex_destroy(&a->lock);
	free(a);
}
