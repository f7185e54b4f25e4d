/*
 * dialer: the thread that places calls through one libcurl multi handle.
 * It sends one POST /call at a time (its easy handle reused, so the
 * multi's connection stays alive), takes rows from the campaign under the
 * hub's lock, talks to the API with the lock released, and sends a POST
 * /call again, after a wait, only when the API certainly did not take it.
 * It speaks either API: NumDialer's POST /call with JSON, or Twilio's
 * Calls.json with a form under basic auth, whose calls past their timeout
 * it asks Twilio about before ending them.
 */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "dialer.h"
#include "e164.h"
#include "metrics.h"
#include "numbers.h"
#include "outcome.h"
#include "twilio.h"
#include "util.h"
#include "webhook.h"

#define DIALER_POLL_MAX_MS 1000   /* longest wait between looks at the clock */
#define DIALER_CONNECTIONS_KEPT 4 /* idle connections the multi keeps open */
#define DIALER_URL_MAX WEBHOOK_URL_MAX
#define DIALER_PHONE_MAX NUMBERS_PHONE_MAX
/* The body of one POST: Twilio's form is the larger (its TwiML); the JSON
 * of POST /call is a phone, a webhook URL and some escaping. */
#define DIALER_REQUEST_MAX TWILIO_FORM_MAX
_Static_assert(2 * DIALER_URL_MAX + DIALER_PHONE_MAX + 64 <= DIALER_REQUEST_MAX,
    "POST /call's JSON fits");
/* The public URL, "/webhook/", a row, '/', a key in hex: */
_Static_assert(SETTINGS_URL_MAX + 9 + 20 + 1 + 2 * CAMPAIGN_KEY_BYTES + 1 <=
    WEBHOOK_URL_MAX, "a webhook URL fits");
/* A Twilio call past its timeout is asked about again this often while
 * Twilio says it is live (half the timeout when that is shorter)... */
#define DIALER_QUERY_EVERY_MS 30000
/* ...and ended ("timeout") after this many asks in a row that learnt
 * nothing, or at once when Twilio does not know it. */
#define DIALER_QUERY_TRIES 5
/* NUMDIALER_MAX_CPS spaces POSTs 1000 / cps ms apart, and this much more
 * (percent, rounded up to the ms): a request's way to the API varies a
 * little, and the API counts by the time it reads them. */
#define DIALER_CPS_MARGIN_PERCENT 1

/* What one request to the API read back. */
struct reply {
	CURL *easy;
	char answer[DIALER_ANSWER_MAX + 1];
	size_t len;
	bool overflow;                  /* the answer outgrew DIALER_ANSWER_MAX */
	char error[CURL_ERROR_SIZE];     /* libcurl's words for a failure */
};

enum transfer_state {
	TRANSFER_FREE,      /* ready for the next row */
	TRANSFER_SENDING,   /* in the multi now */
	TRANSFER_WAITING    /* its row waits to be sent again; keeps the slot */
};

/* The POST /call: its easy handle, its row, what it sent and read. */
struct transfer {
	struct reply reply;
	enum transfer_state state;
	size_t row;
	unsigned attempt;               /* tries for row, this one included */
	int64_t retry_at_ms;            /* WAITING: when to send again */
	bool held;                      /* WAITING, due, and dialing paused */
	unsigned char key[CAMPAIGN_KEY_BYTES]; /* the row's webhook key */
	char phone[DIALER_PHONE_MAX + 1]; /* as the API takes it (Twilio:
	                                     E.164) */
	char request[DIALER_REQUEST_MAX]; /* the body sent */
	size_t request_len;
	size_t request_off;             /* how much of it libcurl has taken */
	bool resend_refused;            /* on_seek refused to send it again */
};

/* A Twilio call past its timeout, asked about before it is ended. */
struct late {
	size_t row;
	int64_t ask_at_ms;              /* when to ask (again) */
	unsigned failed;                /* asks in a row that learnt nothing */
	bool told;                      /* an answer is in the row's history */
};

/* Asking Twilio about one late call: GET .../Calls/{CallSid}.json. */
struct query {
	struct reply reply;
	bool busy;                      /* picked, or in the multi */
	size_t row;
	char sid[TWILIO_SID_LEN + 1];   /* the call asked about */
	char url[TWILIO_API_URL_MAX];
};

struct dialer {
	struct hub *hub;
	struct compliance *rules;       /* do-not-call and calling hours */
	CURLM *multi;
	struct curl_slist *headers;     /* the POST's header lines */
	/*
	 * One POST /call at a time: POST N+1 leaves only once the API has
	 * answered POST N. Requests sent together go over separate
	 * connections, which the API may serve in any order: the list order
	 * it sees would be left to chance. The cost is one API round trip per
	 * call placed when several slots free at once.
	 */
	struct transfer post;
	char call_url[TWILIO_API_URL_MAX];
	bool twilio;                    /* Twilio's API, else POST /call */
	const char *token;              /* Twilio's auth token (the hub's) */
	int64_t post_gap_ms;            /* NUMDIALER_MAX_CPS's spacing; 0: none */
	int64_t next_post_ms;           /* no POST leaves before it */
	struct query query;             /* Twilio: the one ask at a time */
	struct late late[CAMPAIGN_LIMIT_MAX]; /* Twilio: calls past their
	                                   timeout, asked about */
	size_t nlate;
	size_t overdue[CAMPAIGN_LIMIT_MAX]; /* late_calls' scratch */
	int64_t query_every_ms;         /* a live late call is asked again */
	int64_t timeout_ms;             /* the call timeout */
	unsigned attempts_max;          /* POST /call tries per row */
	int64_t retry_delay_ms;         /* wait before a row's first retry */
	int64_t deadline_ms;            /* next campaign_expire work, or INT64_MAX */
	int64_t waiting_until;          /* when a row is next ready, if none is */
	pthread_t thread;
	bool started;                   /* thread is running */
	atomic_bool stop;
	bool global;                    /* curl_global_init succeeded */
};

static size_t
on_answer(char *data, size_t size, size_t nmemb, void *arg)
{
	struct reply *t = arg;
	size_t n = size * nmemb;

	size_t room = DIALER_ANSWER_MAX - t->len;
	long code = 0;

	if (n > room) {
		/* An error answer (a gateway's HTML 503 page) is judged by its
		 * status alone: read it to its end, keep what fits. */
		curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
		if (code < 200 || code > 299) {
			memcpy(t->answer + t->len, data, room);
			t->len += room;
			t->answer[t->len] = '\0';
			return n;
		}
		/* A short count makes libcurl end the transfer: no good API
		 * answer is this large, so there is no point reading on. */
		t->overflow = true;
		return 0;
	}
	memcpy(t->answer + t->len, data, n);
	t->len += n;
	t->answer[t->len] = '\0';
	return n;
}

/* Hands libcurl the next part of the request body. */
static size_t
on_send(char *buf, size_t size, size_t nitems, void *arg)
{
	struct transfer *t = arg;
	size_t n = t->request_len - t->request_off;

	if (n > size * nitems)
		n = size * nitems;
	memcpy(buf, t->request + t->request_off, n);
	t->request_off += n;
	return n;
}

/*
 * libcurl rewinds the body to send it again, on a new connection, when a
 * reused connection closed without an answer. The API may have read the
 * request and placed the call by then, so only a rewind before any of the
 * body was taken is allowed; otherwise the transfer fails
 * (CURLE_SEND_FAIL_REWIND) and the row with it.
 */
static int
on_seek(void *arg, curl_off_t offset, int origin)
{
	struct transfer *t = arg;

	if (origin == SEEK_SET && offset == 0 && t->request_off == 0)
		return CURL_SEEKFUNC_OK;
	t->resend_refused = true;
	return CURL_SEEKFUNC_FAIL;
}

/*
 * Makes r's easy handle, with what every request to the API shares (priv:
 * what CURLINFO_PRIVATE names, to tell the POST from a query): 0 or -1.
 */
static int
reply_init(struct dialer *d, struct reply *r, void *priv)
{
	CURL *e = curl_easy_init();

	if (e == NULL)
		return -1;
	r->easy = e;
	if (curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    /* Only the setting names a proxy: "" turns off libcurl's use of
	     * http_proxy and the like from the environment, which would send
	     * every phone and webhook key wherever it points. */
	    curl_easy_setopt(e, CURLOPT_PROXY, d->hub->settings->proxy) !=
	        CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
	        (long)DIALER_HTTP_TIMEOUT_MS) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	        (long)DIALER_CONNECT_TIMEOUT_MS) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_USERAGENT, "numdialer") != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_answer) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_WRITEDATA, r) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->error) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PRIVATE, priv) != CURLE_OK)
		return -1;
	/* Twilio: the account and its token, as HTTP basic auth. */
	if (d->twilio &&
	    (curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC) !=
	        CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_USERNAME,
	        d->hub->settings->twilio_account_sid) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PASSWORD, d->token) != CURLE_OK))
		return -1;
	return 0;
}

/* Empties r for its next request. */
static void
reply_clear(struct reply *r)
{
	r->len = 0;
	r->answer[0] = '\0';
	r->overflow = false;
	r->error[0] = '\0';
}

/* Sets what every POST shares on the reused handle: 0 or -1. */
static int
transfer_init(struct dialer *d, struct transfer *t)
{
	CURL *e;

	if (reply_init(d, &t->reply, t) == -1)
		return -1;
	e = t->reply.easy;
	if (curl_easy_setopt(e, CURLOPT_URL, d->call_url) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_HTTPHEADER, d->headers) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_POST, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_READFUNCTION, on_send) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_READDATA, t) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, on_seek) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_SEEKDATA, t) != CURLE_OK)
		return -1;
	return 0;
}

/* POST /call's body for t: {"phone", "webhookURL"}. 0 or -1. */
static int
request_json(struct transfer *t, const char *hook)
{
	struct json_object *body = json_object_new_object();
	const char *text;
	int rc = -1;

	if (body == NULL ||
	    util_json_put(body, "phone", json_object_new_string(t->phone)) != 0 ||
	    util_json_put(body, "webhookURL", json_object_new_string(hook)) != 0)
		goto done;
	text = json_object_to_json_string_ext(body,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (text == NULL || strlen(text) >= sizeof(t->request))
		goto done;
	t->request_len = strlen(text);
	memcpy(t->request, text, t->request_len);
	rc = 0;
done:
	json_object_put(body);
	return rc;
}

/* Twilio's Calls.json form for t: the call, its callbacks (the row's
 * webhook URL), its TwiML and its limits. 0 or -1. */
static int
request_twilio(const struct dialer *d, struct transfer *t, const char *hook)
{
	const struct settings *s = d->hub->settings;
	const char *amd = s->twilio_machine_detection;
	struct twilio_call call = {
		.to = t->phone,
		.from = s->twilio_from,
		.twiml = s->twilio_url[0] == '\0' ? s->twilio_twiml : NULL,
		.url = s->twilio_url[0] != '\0' ? s->twilio_url : NULL,
		.timeout_s = (unsigned)s->twilio_timeout,
		.time_limit_s = (unsigned)settings_time_limit(s),
		.status_callback = hook,
		.amd = strcmp(amd, "Enable") == 0 ? TWILIO_AMD_ENABLE :
		    strcmp(amd, "DetectMessageEnd") == 0 ?
		    TWILIO_AMD_MESSAGE_END : TWILIO_AMD_OFF,
	};

	if (twilio_call_form(&call, t->request, sizeof(t->request)) != 0)
		return -1;
	t->request_len = strlen(t->request);
	return 0;
}

/* Builds the POST for t's row and key and hands t to the multi: 0 or -1
 * (then t is left free and the caller fails the row). */
static int
transfer_begin(struct dialer *d, struct transfer *t)
{
	char hook[DIALER_URL_MAX];

	if (webhook_url(d->hub->settings->public_url, t->row, t->key, hook,
	    sizeof(hook)) != 0 ||
	    (d->twilio ? request_twilio(d, t, hook) :
	    request_json(t, hook)) != 0)
		return -1;
	t->request_off = 0;
	t->resend_refused = false;
	reply_clear(&t->reply);
	if (curl_easy_setopt(t->reply.easy, CURLOPT_POSTFIELDSIZE,
	    (long)t->request_len) != CURLE_OK ||
	    curl_multi_add_handle(d->multi, t->reply.easy) != CURLM_OK)
		return -1;
	t->state = TRANSFER_SENDING;
	/* NUMDIALER_MAX_CPS: the next POST, a retry included, waits. */
	if (d->post_gap_ms > 0)
		d->next_post_ms = hub_now_ms() + d->post_gap_ms;
	return 0;
}

/* Applies a dial failure to the campaign and says so on stderr. */
static void
fail_row(struct dialer *d, size_t row, const char *phone, const char *reason)
{
	struct hub *h = d->hub;

	char pause[CAMPAIGN_REASON_MAX + 1] = "";
	bool failed, was_paused;

	hub_lock(h);
	was_paused = campaign_pause_reason(h->campaign) != NULL;
	failed = campaign_dial_failed(h->campaign, row, reason, hub_now_ms());
	if (!was_paused && campaign_pause_reason(h->campaign) != NULL)
		snprintf(pause, sizeof(pause), "%s",
		    campaign_pause_reason(h->campaign));
	hub_unlock(h);
	fprintf(stderr, "numdialer: dialer: row %zu (%s): %s%s\n", row, phone,
	    reason, failed ? "" : "; a webhook shows the API has the call: "
	    "the row goes on by its webhooks");
	if (pause[0] != '\0')
		fprintf(stderr, "numdialer: dialer: paused: %s; POST /resume "
		    "goes on\n", pause);
}

/*
 * Copies phone into t as the API takes it: as the list has it, or, for
 * Twilio, in E.164 (NUMDIALER_COUNTRY_CODE makes a national number whole).
 * 0, or -1 with t->phone "" and why in reason (the row then fails).
 */
static int
transfer_phone(const struct dialer *d, struct transfer *t, const char *phone,
    char reason[CAMPAIGN_REASON_MAX + 1])
{
	const char *cc = d->hub->settings->country_code;
	char e164[E164_MAX + 1];

	t->phone[0] = '\0';
	if (d->twilio && e164_normalize(phone, cc, e164) != 0) {
		snprintf(reason, CAMPAIGN_REASON_MAX + 1, "not a number Twilio "
		    "can call: cannot be made E.164 with country code %s", cc);
		return -1;
	}
	if (d->twilio)
		phone = e164;
	if (strlen(phone) > DIALER_PHONE_MAX) {
		snprintf(reason, CAMPAIGN_REASON_MAX + 1, "phone too long");
		return -1;
	}
	snprintf(t->phone, sizeof(t->phone), "%s", phone);
	return 0;
}

/* Takes up t->row, which a restored campaign says waits to be sent again:
 * t waits for it, due at now. Call with the hub's lock held. */
static void
resume_wait(struct dialer *d, struct transfer *t, int64_t now)
{
	char why[CAMPAIGN_REASON_MAX + 1];
	const struct campaign_row *r = campaign_row(d->hub->campaign, t->row);

	memcpy(t->key, campaign_key(d->hub->campaign, t->row),
	    CAMPAIGN_KEY_BYTES);
	t->attempt = r->attempts;
	/* Its phone went out before; should it no longer make one (the
	 * country code changed), its POST fails to start and the row with
	 * it. */
	(void)transfer_phone(d, t, r->phone, why);
	t->state = TRANSFER_WAITING;
	t->held = false;
	t->retry_at_ms = now;
}

/* Twilio: the late call of row, or NULL. */
static struct late *
late_find(struct dialer *d, size_t row)
{
	for (size_t i = 0; i < d->nlate; i++)
		if (d->late[i].row == row)
			return &d->late[i];
	return NULL;
}

static void
late_drop(struct dialer *d, struct late *l)
{
	*l = d->late[--d->nlate];
}

/*
 * Twilio: a call past its timeout is not failed at once but asked about
 * (GET .../Calls/{CallSid}.json), since Twilio may still have it live.
 * Notes the calls newly past their timeout (to be asked about now) and
 * forgets those that ended meanwhile; then, when no ask is in flight,
 * picks the first one due into d->query, or ends at once a call with no
 * id to ask about. Call with the hub's lock held. Returns how many calls
 * it ended.
 */
static size_t
late_calls(struct dialer *d, int64_t now)
{
	struct campaign *c = d->hub->campaign;
	size_t n = campaign_overdue(c, now, d->timeout_ms, d->overdue,
	    LEN(d->overdue)), ended = 0, i;
	int64_t next;

	for (i = 0; i < d->nlate; )
		if (!status_in_flight(campaign_row(c, d->late[i].row)->status))
			late_drop(d, &d->late[i]);
		else
			i++;
	for (i = 0; i < n; i++)
		if (late_find(d, d->overdue[i]) == NULL &&
		    d->nlate < LEN(d->late))
			d->late[d->nlate++] = (struct late){
			    .row = d->overdue[i], .ask_at_ms = now };
	d->deadline_ms = INT64_MAX;
	for (i = 0; i < d->nlate && !d->query.busy; ) {
		struct late *l = &d->late[i];
		const char *id = campaign_row(c, l->row)->call_id;

		if (l->ask_at_ms > now) {
			if (l->ask_at_ms < d->deadline_ms)
				d->deadline_ms = l->ask_at_ms;
			i++;
		} else if (id == NULL || !twilio_sid_valid(id, "CA")) {
			ended += campaign_expire_row(c, l->row, now);
			late_drop(d, l);
		} else {
			d->query.row = l->row;
			snprintf(d->query.sid, sizeof(d->query.sid), "%s", id);
			d->query.busy = true;  /* started once the lock is let go */
		}
	}
	/* Calls not late yet: the next to become so (the thread looks at
	 * least once a second, so a call late already is no deadline). */
	next = campaign_next_deadline(c, d->timeout_ms);
	if (next > now && next < d->deadline_ms)
		d->deadline_ms = next;
	return ended;
}

/* Starts the ask late_calls picked: 0, or -1 (then it is tried again). */
static int
query_begin(struct dialer *d)
{
	struct query *q = &d->query;

	if (twilio_call_url(d->hub->settings->twilio_api,
	    d->hub->settings->twilio_account_sid, q->sid, q->url,
	    sizeof(q->url)) != 0 ||
	    curl_easy_setopt(q->reply.easy, CURLOPT_URL, q->url) != CURLE_OK)
		return -1;
	reply_clear(&q->reply);
	if (curl_multi_add_handle(d->multi, q->reply.easy) != CURLM_OK)
		return -1;
	return 0;
}

/*
 * Takes the next row into t when the campaign has one ready: a restored
 * row waiting to be sent again first (under the key it was sent with),
 * else the earliest ready row under key. A row whose number the API cannot
 * take fails at once, its list phone copied into bad for the log. Call with
 * the hub's lock held. Returns whether t has a row to send.
 */
static bool
take_row(struct dialer *d, const unsigned char key[CAMPAIGN_KEY_BYTES],
    int64_t now, char bad[DIALER_PHONE_MAX + 1],
    char why[CAMPAIGN_REASON_MAX + 1])
{
	struct campaign *c = d->hub->campaign;
	struct transfer *t = &d->post;
	const char *phone;
	bool taken;

	if (campaign_waiting_row(c, &t->row) == 0) {
		resume_wait(d, t, now);
		return false;  /* resend_due sends it, now */
	}
	taken = campaign_next_dial(c, key, now, &t->row) == 0;
	/* The refill latency: which freed slot this row fills, if any. */
	metrics_refill_take(taken);
	if (!taken)
		return false;
	phone = campaign_row(c, t->row)->phone;
	t->attempt = 1;
	memcpy(t->key, key, CAMPAIGN_KEY_BYTES);
	if (transfer_phone(d, t, phone, why) == 0)
		return true;
	snprintf(bad, DIALER_PHONE_MAX + 1, "%s", phone);
	campaign_fail_number(c, t->row, why, now);
	return false;
}

/* Starts the ask late_calls picked; one that cannot start counts as an
 * ask that learnt nothing, and is tried again later. */
static void
ask_late(struct dialer *d)
{
	struct late *l;

	if (query_begin(d) == 0)
		return;
	fprintf(stderr, "numdialer: dialer: row %zu: could not ask Twilio "
	    "about call %s; asking again later\n", d->query.row, d->query.sid);
	d->query.busy = false;
	l = late_find(d, d->query.row);
	if (l != NULL) {
		l->failed++;
		l->ask_at_ms = hub_now_ms() + d->query_every_ms;
	}
}

/*
 * Ends timed-out calls (or, with Twilio, has them asked about), then, when
 * the POST is free, takes the next row and starts its POST. Returns
 * whether the campaign changed.
 */
static bool
fill(struct dialer *d)
{
	struct hub *h = d->hub;
	/* A row waiting for its retry goes first: no later row may be placed
	 * before it. NUMDIALER_MAX_CPS may hold the next POST a while. */
	bool want = d->post.state == TRANSFER_FREE &&
	    hub_now_ms() >= d->next_post_ms, taken = false, asking;
	unsigned char key[CAMPAIGN_KEY_BYTES];
	char why[CAMPAIGN_REASON_MAX + 1] = "", bad[DIALER_PHONE_MAX + 1] = "";
	size_t expired;
	uint64_t version;
	int64_t now;
	bool moved, ruled;

	/* The rules first: a number put on the do-not-call list a moment
	 * ago is not dialed. They take the lock only to apply a change. */
	ruled = compliance_refresh(d->rules, h, hub_now_ms());
	/* The key is drawn before the lock: no system call under it. */
	if (want && hub_random(key, CAMPAIGN_KEY_BYTES) == -1) {
		fprintf(stderr, "numdialer: dialer: no random bytes for keys\n");
		want = false;
	}

	hub_lock(h);
	now = hub_now_ms();
	version = campaign_version(h->campaign);
	asking = d->query.busy;
	if (d->twilio) {
		expired = late_calls(d, now);
	} else {
		expired = campaign_expire(h->campaign, now, d->timeout_ms);
		d->deadline_ms = campaign_next_deadline(h->campaign,
		    d->timeout_ms);
	}
	asking = d->query.busy && !asking;
	if (want)
		taken = take_row(d, key, now, bad, why);
	if (campaign_waiting(h->campaign, &d->waiting_until) == NULL)
		d->waiting_until = INT64_MAX;
	/* Whatever moved (a call, a wait for calling hours): the pages hear. */
	moved = campaign_version(h->campaign) != version;
	hub_unlock(h);

	if (taken && transfer_begin(d, &d->post) == -1)
		fail_row(d, d->post.row, d->post.phone,
		    "could not start POST /call");
	if (bad[0] != '\0')
		fprintf(stderr, "numdialer: dialer: row %zu (%s): %s\n",
		    d->post.row, bad, why);
	if (asking)
		ask_late(d);
	if (expired > 0)
		fprintf(stderr, "numdialer: dialer: %zu call(s) timed out\n",
		    expired);
	return moved || ruled;
}

/*
 * Sends the POST /call again once its row's wait is over, unless the
 * campaign says the row no longer waits for it (it timed out, or dialing
 * was stopped): then the POST is freed. A pause holds it, its row keeping
 * its slot, until the resume. Returns whether the campaign changed.
 */
static bool
resend_due(struct dialer *d)
{
	struct hub *h = d->hub;
	struct transfer *t = &d->post;
	int r;

	if (t->state != TRANSFER_WAITING || t->retry_at_ms > hub_now_ms() ||
	    d->next_post_ms > hub_now_ms())
		return false;
	hub_lock(h);
	t->held = campaign_pause_reason(h->campaign) != NULL;
	r = t->held ? 0 : campaign_dial_retry(h->campaign, t->row, hub_now_ms());
	hub_unlock(h);
	if (t->held)
		return false;
	t->state = TRANSFER_FREE;
	if (r == -1) {
		fprintf(stderr, "numdialer: dialer: row %zu (%s): no longer "
		    "waits for its POST /call, not sent again\n", t->row,
		    t->phone);
		return false;
	}
	t->attempt++;
	if (transfer_begin(d, t) == -1)
		fail_row(d, t->row, t->phone, "could not start POST /call");
	return true;
}

/* What libcurl says about t's finished request (ended with res;
 * resend_refused: on_seek refused to send it again). */
static void
report(const struct reply *t, bool resend_refused, CURLcode res,
    struct outcome_report *r)
{
	curl_off_t connect_us = 0, retry_after = 0;

	memset(r, 0, sizeof(*r));
	r->code = res;
	/* on_seek's refusal is how a kept-alive connection closed after the
	 * request went out shows: libcurl's words would name the seek. */
	if (res == CURLE_SEND_FAIL_REWIND || resend_refused)
		r->error = "connection closed after the request, no answer";
	else
		r->error = t->error[0] != '\0' ? t->error :
		    curl_easy_strerror(res);
	curl_easy_getinfo(t->easy, CURLINFO_REQUEST_SIZE, &r->request_bytes);
	/* A connection made or reused has a connect time; none is 0. */
	curl_easy_getinfo(t->easy, CURLINFO_CONNECT_TIME_T, &connect_us);
	r->connected = connect_us > 0;
	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &r->http_status);
	curl_easy_getinfo(t->easy, CURLINFO_RETRY_AFTER, &retry_after);
	r->retry_after_s = retry_after;
	r->body = t->answer;
	r->body_len = t->len;
	r->body_overflow = t->overflow;
}

/* Applies an id the API gave for t's row to the campaign. */
static void
placed(struct dialer *d, struct transfer *t, const char *id)
{
	struct hub *h = d->hub;
	enum campaign_result r;
	size_t other = 0;
	bool shared;

	hub_lock(h);
	r = campaign_dial_ok(h->campaign, t->row, id, hub_now_ms());
	shared = campaign_id_in_flight(h->campaign, id, t->row, &other) == 0;
	hub_unlock(h);
	if (shared)
		fprintf(stderr, "numdialer: dialer: row %zu (%s): api id %s is "
		    "also the id of row %zu's call, in flight: their webhooks "
		    "cannot be told apart by id\n", t->row, t->phone, id, other);
	if (r == CAMPAIGN_WRONG_ID)
		fprintf(stderr, "numdialer: dialer: row %zu (%s): "
		    "api id %s differs from the webhook's\n", t->row, t->phone, id);
	else if (r == CAMPAIGN_NO_ROW)
		fprintf(stderr, "numdialer: dialer: row %zu: "
		    "not dialed, api id %s ignored\n", t->row, id);
}

/* The call of t's row may exist (outcome UNKNOWN): the row keeps its slot
 * until a webhook names the call or the call timeout ends it. */
static void
maybe_placed(struct dialer *d, struct transfer *t, const struct outcome *o)
{
	if (o->id[0] != '\0')
		placed(d, t, o->id);
	hub_lock(d->hub);
	campaign_dial_unknown(d->hub->campaign, t->row, o->reason, hub_now_ms());
	hub_unlock(d->hub);
	fprintf(stderr, "numdialer: dialer: row %zu (%s): %s; the call may "
	    "exist: never sent again, the row keeps its slot until a webhook "
	    "or the call timeout\n", t->row, t->phone, o->reason);
}

/* The POST /call of t's row will be sent again after wait_ms: t waits,
 * unless the row no longer waits for its answer (a webhook came). */
static void
retry_later(struct dialer *d, struct transfer *t, const struct outcome *o)
{
	int r;

	hub_lock(d->hub);
	r = campaign_dial_wait(d->hub->campaign, t->row, hub_now_ms());
	hub_unlock(d->hub);
	if (r != 0) {
		fprintf(stderr, "numdialer: dialer: row %zu (%s): %s; not sent "
		    "again (a webhook shows the API has the call, or dialing "
		    "was stopped)\n", t->row, t->phone, o->reason);
		return;
	}
	t->state = TRANSFER_WAITING;
	t->held = false;
	t->retry_at_ms = hub_now_ms() + o->wait_ms;
	fprintf(stderr, "numdialer: dialer: row %zu (%s): %s; attempt %u of "
	    "%u in %" PRId64 " ms\n", t->row, t->phone, o->reason,
	    t->attempt + 1, d->attempts_max, o->wait_ms);
}

/*
 * The provider refused the credentials (outcome PAUSE): no row would be
 * placed while that lasts, so rather than fail row after row, t's row waits
 * to be sent again, held, and dialing pauses with one message until the
 * operator's resume.
 */
static void
pause_for(struct dialer *d, struct transfer *t, const struct outcome *o)
{
	int r, paused;

	hub_lock(d->hub);
	r = campaign_dial_wait(d->hub->campaign, t->row, hub_now_ms());
	paused = campaign_pause(d->hub->campaign, o->reason);
	hub_unlock(d->hub);
	if (r == 0) {
		t->state = TRANSFER_WAITING;
		t->held = true;
		t->retry_at_ms = hub_now_ms();
	}
	if (paused == 0)
		fprintf(stderr, "numdialer: dialer: paused: %s; POST /resume "
		    "goes on\n", o->reason);
}

/* Settles the POST that ended with res. */
static void
post_done(struct dialer *d, struct transfer *t, CURLcode res)
{
	struct outcome_policy policy = {
		.attempt = t->attempt,
		.attempts_max = d->attempts_max,
		.delay_ms = d->retry_delay_ms,
	};
	struct outcome_report rep;
	struct outcome o;

	report(&t->reply, t->resend_refused, res, &rep);
	if (d->twilio)
		twilio_judge(&rep, &policy, &o);
	else
		outcome_judge(&rep, &policy, &o);
	metrics_api(o.kind, t->reply.easy);  /* GET /metrics: result, time */
	/* The handle leaves the multi before it is sent again or reused. */
	curl_multi_remove_handle(d->multi, t->reply.easy);
	t->state = TRANSFER_FREE;
	switch (o.kind) {
	case OUTCOME_PLACED:
		placed(d, t, o.id);
		break;
	case OUTCOME_UNKNOWN:
		maybe_placed(d, t, &o);
		break;
	case OUTCOME_RETRY:
		retry_later(d, t, &o);
		break;
	case OUTCOME_FAILED:
		fail_row(d, t->row, t->phone, o.reason);
		break;
	case OUTCOME_PAUSE:
		pause_for(d, t, &o);
		break;
	}
}

/*
 * Twilio's word on a late call, into its row: the first answer, and any
 * that moves the row, go into its history (one every 30 s saying "still
 * live" would push its other events out). Returns whether the call ended.
 */
static bool
query_found(struct dialer *d, struct late *l,
    const struct twilio_call_state *st, int64_t now)
{
	struct campaign *c = d->hub->campaign;
	struct campaign_report r = campaign_report_of(st->status);
	const struct campaign_row *row = campaign_row(c, l->row);

	r.duration_s = st->duration_s;
	r.answered_by = st->answered_by;
	if (!l->told || status_rank(st->status) > status_rank(row->status) ||
	    (row->answered_by == ANSWERED_BY_NONE &&
	    st->answered_by != ANSWERED_BY_NONE))
		campaign_provider_status(c, l->row, &r, now);
	l->told = true;
	l->failed = 0;
	return !status_in_flight(campaign_row(c, l->row)->status);
}

/*
 * Applies what Twilio said of a late call to its row (under the lock):
 * a live call keeps its slot and is asked about again later; an ended one
 * takes the status Twilio gives; one Twilio does not know, or could not
 * be asked about DIALER_QUERY_TRIES times in a row (refused credentials
 * included), ends "timeout". Returns what to log ("" for nothing).
 */
static const char *
query_apply(struct dialer *d, struct late *l, enum twilio_query k,
    const struct twilio_call_state *st, const char *reason, int64_t now)
{
	struct campaign *c = d->hub->campaign;

	l->ask_at_ms = now + d->query_every_ms;
	switch (k) {
	case TWILIO_QUERY_FOUND:
		if (query_found(d, l, st, now))
			late_drop(d, l);
		return "";
	case TWILIO_QUERY_NOT_FOUND:
		campaign_expire_row(c, l->row, now);
		late_drop(d, l);
		return "Twilio does not know the call: timed out";
	case TWILIO_QUERY_REFUSED:
		/* Nothing learnt of the call either. */
		campaign_pause(c, reason);
		/* FALLTHROUGH */
	case TWILIO_QUERY_FAILED:
		if (++l->failed < DIALER_QUERY_TRIES)
			return reason;
		campaign_expire_row(c, l->row, now);
		late_drop(d, l);
		return "Twilio could not be asked about the call: timed out";
	}
	return "";
}

/* Settles the ask about a late call that ended with res. */
static void
query_done(struct dialer *d, CURLcode res)
{
	struct hub *h = d->hub;
	struct query *q = &d->query;
	struct twilio_call_state st;
	struct outcome_report rep;
	char reason[CAMPAIGN_REASON_MAX + 1] = "";
	const char *said = "", *id;
	enum twilio_query k;
	struct late *l;

	report(&q->reply, false, res, &rep);
	k = twilio_judge_query(&rep, &st, reason, sizeof(reason));
	/* An answer about another call (a proxy's cache, a wrong base URL)
	 * says nothing of this one. */
	if (k == TWILIO_QUERY_FOUND && strcasecmp(st.sid, q->sid) != 0) {
		k = TWILIO_QUERY_FAILED;
		snprintf(reason, sizeof(reason), "Twilio answered about call "
		    "%s, not %s", st.sid, q->sid);
	}
	curl_multi_remove_handle(d->multi, q->reply.easy);
	q->busy = false;
	hub_lock(h);
	l = late_find(d, q->row);
	id = campaign_row(h->campaign, q->row)->call_id;
	/* Unless the call ended meanwhile (by its callback): then the row
	 * has nothing more to learn from this answer. */
	if (l != NULL && id != NULL && strcmp(id, q->sid) == 0)
		said = query_apply(d, l, k, &st, reason, hub_now_ms());
	hub_unlock(h);
	if (said[0] != '\0')
		fprintf(stderr, "numdialer: dialer: row %zu: call %s past its "
		    "timeout: %s\n", q->row, q->sid, said);
}

/* Settles every finished request. Returns whether any finished. */
static bool
harvest(struct dialer *d)
{
	CURLMsg *msg;
	int left;
	bool any = false;

	while ((msg = curl_multi_info_read(d->multi, &left)) != NULL) {
		char *priv = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		/* The handle leaves the multi in these: msg is invalid after. */
		if (priv == (char *)&d->query)
			query_done(d, msg->data.result);
		else
			post_done(d, (struct transfer *)(void *)priv,
			    msg->data.result);
		any = true;
		hub_changed(d->hub);
	}
	return any;
}

/* How long the thread may sleep: until the next call timeout or retry. */
static int
poll_wait_ms(const struct dialer *d)
{
	int64_t until = d->deadline_ms, now = hub_now_ms(), wait;

	/* A retry is due at its time, or once NUMDIALER_MAX_CPS's spacing is
	 * over, whichever is later (resend_due waits for both). */
	if (d->post.state == TRANSFER_WAITING && !d->post.held) {
		int64_t due = d->post.retry_at_ms > d->next_post_ms ?
		    d->post.retry_at_ms : d->next_post_ms;

		if (due < until)
			until = due;
	}
	if (d->next_post_ms > now && d->next_post_ms < until)
		until = d->next_post_ms;
	if (d->waiting_until < until)
		until = d->waiting_until;
	if (compliance_next_ms(d->rules) < until)
		until = compliance_next_ms(d->rules);
	wait = DIALER_POLL_MAX_MS;
	if (until != INT64_MAX && until - now < wait)
		wait = until < now ? 0 : until - now;
	return (int)wait;
}

static void *
run(void *arg)
{
	struct dialer *d = arg;
	sigset_t all;

	/* Signals are main's to handle. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);

	while (!atomic_load(&d->stop)) {
		int running = 0;
		bool changed = resend_due(d);

		changed |= fill(d);
		/* The POST leaves first; the pages can hear of it a moment later. */
		curl_multi_perform(d->multi, &running);
		metrics_refill_sent();  /* a refill's POST has left */
		if (changed)
			hub_changed(d->hub);
		if (harvest(d))
			continue;
		curl_multi_poll(d->multi, NULL, 0, poll_wait_ms(d), NULL);
	}
	return NULL;
}

/* The hub's wake-up: makes the thread look at the campaign again. */
static void
dialer_wake(void *arg)
{
	struct dialer *d = arg;

	curl_multi_wakeup(d->multi);
}

/* What the dialer takes from the settings: 0, or -1 (a URL too long). */
static int
dialer_settings(struct dialer *d, const struct settings *s)
{
	d->twilio = s->provider == SETTINGS_PROVIDER_TWILIO;
	d->token = d->hub->twilio_token;
	d->timeout_ms = (int64_t)s->call_timeout * 1000;
	d->attempts_max = (unsigned)s->dial_attempts;
	d->retry_delay_ms = s->retry_delay_ms;
	d->deadline_ms = INT64_MAX;
	d->waiting_until = INT64_MAX;
	d->post_gap_ms = s->max_cps > 0 ?
	    (1000 * (100 + DIALER_CPS_MARGIN_PERCENT) + 100 * s->max_cps - 1) /
	    (100 * s->max_cps) : 0;
	d->query_every_ms = d->timeout_ms / 2 < DIALER_QUERY_EVERY_MS ?
	    d->timeout_ms / 2 : DIALER_QUERY_EVERY_MS;
	if (d->twilio)
		return twilio_calls_url(s->twilio_api, s->twilio_account_sid,
		    d->call_url, sizeof(d->call_url));
	return (size_t)snprintf(d->call_url, sizeof(d->call_url), "%s/call",
	    s->api) < sizeof(d->call_url) ? 0 : -1;
}

struct dialer *
dialer_start(struct hub *hub, struct compliance *rules)
{
	struct dialer *d = NULL;

	d = calloc(1, sizeof(*d));
	if (d == NULL)
		goto fail;
	d->hub = hub;
	d->rules = rules;
	atomic_init(&d->stop, false);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		goto fail;
	d->global = true;

	if (dialer_settings(d, hub->settings) != 0)
		goto fail;
	d->headers = curl_slist_append(NULL, d->twilio ?
	    "Content-Type: application/x-www-form-urlencoded" :
	    "Content-Type: application/json");
	if (d->headers == NULL)
		goto fail;
	/* Small bodies never need 100-continue; it would cost a round trip. */
	if (curl_slist_append(d->headers, "Expect:") == NULL)
		goto fail;
	d->multi = curl_multi_init();
	if (d->multi == NULL ||
	    curl_multi_setopt(d->multi, CURLMOPT_MAXCONNECTS,
	        (long)DIALER_CONNECTIONS_KEPT) != CURLM_OK)
		goto fail;
	if (transfer_init(d, &d->post) == -1 ||
	    (d->twilio && reply_init(d, &d->query.reply, &d->query) == -1))
		goto fail;
	if (pthread_create(&d->thread, NULL, run, d) != 0)
		goto fail;
	d->started = true;
	/* The thread looks at the campaign first thing, so no change is
	 * missed before this. Its own changes wake it too: one more look. */
	if (hub_on_change(hub, dialer_wake, d, false) != 0)
		goto fail;
	return d;

fail:
	fprintf(stderr, "numdialer: dialer: cannot start\n");
	dialer_stop(d);
	return NULL;
}


void
dialer_stop(struct dialer *d)
{
	if (d == NULL)
		return;
	if (d->started) {
		atomic_store(&d->stop, true);
		curl_multi_wakeup(d->multi);
		pthread_join(d->thread, NULL);
	}
	if (d->post.state == TRANSFER_SENDING)
		curl_multi_remove_handle(d->multi, d->post.reply.easy);
	if (d->post.reply.easy != NULL)
		curl_easy_cleanup(d->post.reply.easy);
	/* An ask in the multi leaves it (libcurl takes a handle that is in
	 * none, too: CURLM_OK). */
	if (d->query.busy)
		curl_multi_remove_handle(d->multi, d->query.reply.easy);
	if (d->query.reply.easy != NULL)
		curl_easy_cleanup(d->query.reply.easy);
	if (d->multi != NULL)
		curl_multi_cleanup(d->multi);
	curl_slist_free_all(d->headers);
	if (d->global)
		curl_global_cleanup();
	free(d);
}
