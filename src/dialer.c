/*
 * dialer: the thread that places calls through one libcurl multi handle.
 * It keeps a small pool of transfers (easy handles reused, so the multi's
 * connections stay alive), takes rows from the campaign under the hub's
 * lock, and talks to the API with the lock released.
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

#include <curl/curl.h>
#include <json.h>

#include "dialer.h"
#include "numbers.h"

#define DIALER_POLL_MAX_MS 1000   /* longest wait between looks at the clock */
/*
 * POST /call N+1 leaves only once the API has answered POST N. Requests
 * sent together go over separate connections, which the API may serve in
 * any order: the list order it sees would be left to chance. The cost is
 * one API round trip per call placed when several slots free at once.
 */
#define DIALER_POSTS_AT_ONCE 1
#define DIALER_CONNECTIONS_KEPT 4 /* idle connections the multi keeps open */
#define DIALER_JSON_DEPTH 8       /* the API's answer is a flat object */
#define DIALER_URL_MAX (SETTINGS_URL_MAX + 64)
#define DIALER_PHONE_MAX NUMBERS_PHONE_MAX

/* One POST /call: a pooled easy handle and what it has read so far. */
struct transfer {
	CURL *easy;
	bool busy;                      /* in the multi now */
	size_t row;
	char phone[DIALER_PHONE_MAX + 1];
	char answer[DIALER_ANSWER_MAX + 1];
	size_t len;
	bool overflow;                  /* the answer outgrew DIALER_ANSWER_MAX */
	char error[CURL_ERROR_SIZE];     /* libcurl's words for a failure */
};

struct dialer {
	struct hub *hub;
	CURLM *multi;
	struct curl_slist *headers;     /* shared by every transfer */
	struct transfer *pool;
	size_t pool_len;
	char call_url[DIALER_URL_MAX];
	int64_t timeout_ms;             /* the call timeout */
	int64_t deadline_ms;            /* next campaign_expire work, or INT64_MAX */
	pthread_t thread;
	bool started;                   /* thread is running */
	atomic_bool stop;
	bool global;                    /* curl_global_init succeeded */
};

static size_t
on_answer(char *data, size_t size, size_t nmemb, void *arg)
{
	struct transfer *t = arg;
	size_t n = size * nmemb;

	/* A short count makes libcurl end the transfer: no API answer is
	 * this large, so there is no point reading on. */
	if (n > DIALER_ANSWER_MAX - t->len) {
		t->overflow = true;
		return 0;
	}
	memcpy(t->answer + t->len, data, n);
	t->len += n;
	t->answer[t->len] = '\0';
	return n;
}

/* Sets what every POST /call shares on a pooled handle: 0 or -1. */
static int
transfer_init(struct dialer *d, struct transfer *t)
{
	CURL *e = curl_easy_init();

	if (e == NULL)
		return -1;
	t->easy = e;
	if (curl_easy_setopt(e, CURLOPT_URL, d->call_url) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_HTTPHEADER, d->headers) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_POST, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
	        (long)DIALER_HTTP_TIMEOUT_MS) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_USERAGENT, "numdialer") != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_answer) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_WRITEDATA, t) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PRIVATE, t) != CURLE_OK)
		return -1;
	return 0;
}

/* Builds {"phone", "webhookURL"} for row and hands t to the multi: 0 or -1
 * (then t is left free and the caller fails the row). */
static int
transfer_begin(struct dialer *d, struct transfer *t, const unsigned char *key)
{
	char hex[CAMPAIGN_KEY_BYTES * 2 + 1];
	char hook[DIALER_URL_MAX];
	struct json_object *body = NULL;
	const char *text;
	int rc = -1;

	hub_hex(key, CAMPAIGN_KEY_BYTES, hex);
	snprintf(hook, sizeof(hook), "%s/webhook/%zu/%s",
	    d->hub->settings->public_url, t->row, hex);
	body = json_object_new_object();
	if (body == NULL ||
	    json_object_object_add(body, "phone",
	        json_object_new_string(t->phone)) != 0 ||
	    json_object_object_add(body, "webhookURL",
	        json_object_new_string(hook)) != 0)
		goto done;
	text = json_object_to_json_string_ext(body,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (text == NULL)
		goto done;
	t->len = 0;
	t->answer[0] = '\0';
	t->overflow = false;
	t->error[0] = '\0';
	if (curl_easy_setopt(t->easy, CURLOPT_POSTFIELDSIZE,
	    (long)strlen(text)) != CURLE_OK ||
	    curl_easy_setopt(t->easy, CURLOPT_COPYPOSTFIELDS, text) != CURLE_OK ||
	    curl_multi_add_handle(d->multi, t->easy) != CURLM_OK)
		goto done;
	t->busy = true;
	rc = 0;

done:
	json_object_put(body);
	return rc;
}

/* Applies a dial failure to the campaign and says so on stderr. */
static void
fail_row(struct dialer *d, size_t row, const char *phone, const char *reason)
{
	struct hub *h = d->hub;

	fprintf(stderr, "numdialer: dialer: row %zu (%s): %s\n", row, phone,
	    reason);
	hub_lock(h);
	campaign_dial_failed(h->campaign, row, reason, hub_now_ms());
	hub_unlock(h);
}

/*
 * Fails timed-out calls, then takes rows for every free transfer and starts
 * their POST /call. Returns whether the campaign changed.
 */
static bool
fill(struct dialer *d)
{
	struct hub *h = d->hub;
	unsigned char keys[DIALER_POSTS_AT_ONCE][CAMPAIGN_KEY_BYTES];
	struct transfer *taken[DIALER_POSTS_AT_ONCE] = { NULL };
	size_t nfree = 0, ntaken = 0, expired;
	int64_t now;

	for (size_t i = 0; i < d->pool_len; i++)
		if (!d->pool[i].busy)
			taken[nfree++] = &d->pool[i];
	/* The keys are drawn before the lock: no system call under it. */
	if (nfree > 0 && hub_random(keys, nfree * CAMPAIGN_KEY_BYTES) == -1) {
		fprintf(stderr, "numdialer: dialer: no random bytes for keys\n");
		nfree = 0;
	}

	hub_lock(h);
	now = hub_now_ms();
	expired = campaign_expire(h->campaign, now, d->timeout_ms);
	while (ntaken < nfree) {
		struct transfer *t = taken[ntaken];
		const char *phone;
		size_t row;

		if (campaign_next_dial(h->campaign, keys[ntaken], now, &row) == -1)
			break;
		phone = campaign_row(h->campaign, row)->phone;
		t->row = row;
		snprintf(t->phone, sizeof(t->phone), "%s", phone);
		if (strlen(phone) > DIALER_PHONE_MAX)
			t->phone[0] = '\0';
		ntaken++;
	}
	d->deadline_ms = campaign_next_deadline(h->campaign, d->timeout_ms);
	hub_unlock(h);

	for (size_t i = 0; i < ntaken; i++) {
		struct transfer *t = taken[i];

		if (t->phone[0] == '\0')
			fail_row(d, t->row, "?", "phone too long");
		else if (transfer_begin(d, t, keys[i]) == -1)
			fail_row(d, t->row, t->phone, "could not start POST /call");
	}
	if (expired > 0)
		fprintf(stderr, "numdialer: dialer: %zu call(s) timed out\n",
		    expired);
	return expired > 0 || ntaken > 0;
}

/*
 * Reads the API's answer in t (the transfer done with res) into an id
 * (written to id) or a failure reason (written to reason). Returns 0 for an
 * id, -1 for a failure.
 */
static int
judge(struct transfer *t, CURLcode res, char *id, size_t idlen, char *reason,
    size_t reasonlen)
{
	struct json_tokener *tok = NULL;
	struct json_object *root = NULL, *field;
	long code = 0;
	int rc = -1;

	if (t->overflow) {
		snprintf(reason, reasonlen, "api answer over %d bytes",
		    DIALER_ANSWER_MAX);
		goto done;
	}
	if (res != CURLE_OK) {
		/* The campaign keeps CAMPAIGN_REASON_MAX bytes: cut here. */
		snprintf(reason, reasonlen, "api unreachable: %.*s",
		    CAMPAIGN_REASON_MAX / 2,
		    t->error[0] ? t->error : curl_easy_strerror(res));
		goto done;
	}
	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
	if (code < 200 || code > 299) {
		snprintf(reason, reasonlen, "api answered HTTP %ld", code);
		goto done;
	}
	tok = json_tokener_new_ex(DIALER_JSON_DEPTH);
	if (tok == NULL) {
		snprintf(reason, reasonlen, "out of memory");
		goto done;
	}
	root = json_tokener_parse_ex(tok, t->answer, (int)t->len);
	if (root == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(root, json_type_object)) {
		snprintf(reason, reasonlen, "api answer not JSON");
		goto done;
	}
	if (json_object_object_get_ex(root, "error", &field)) {
		snprintf(reason, reasonlen, "api: %s",
		    json_object_is_type(field, json_type_string) ?
		    json_object_get_string(field) :
		    json_object_to_json_string(field));
		goto done;
	}
	if (!json_object_object_get_ex(root, "id", &field) ||
	    json_object_is_type(field, json_type_null)) {
		snprintf(reason, reasonlen, "api answer has no id");
		goto done;
	}
	if (json_object_is_type(field, json_type_int) &&
	    json_object_get_int64(field) >= 0) {
		snprintf(id, idlen, "%" PRIu64, json_object_get_uint64(field));
	} else if (json_object_is_type(field, json_type_string) &&
	    json_object_get_string_len(field) > 0 &&
	    json_object_get_string_len(field) <= CAMPAIGN_ID_MAX) {
		snprintf(id, idlen, "%s", json_object_get_string(field));
	} else {
		snprintf(reason, reasonlen, "api answer has a bad id");
		goto done;
	}
	rc = 0;

done:
	json_object_put(root);
	if (tok != NULL)
		json_tokener_free(tok);
	return rc;
}

/* Settles every finished POST /call. Returns whether any finished. */
static bool
harvest(struct dialer *d)
{
	struct hub *h = d->hub;
	CURLMsg *msg;
	int left;
	bool any = false;

	while ((msg = curl_multi_info_read(d->multi, &left)) != NULL) {
		struct transfer *t;
		char *priv = NULL;
		char id[CAMPAIGN_ID_MAX + 1];
		char reason[CAMPAIGN_REASON_MAX + 1];
		enum campaign_result r;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		t = (struct transfer *)(void *)priv;
		if (judge(t, msg->data.result, id, sizeof(id), reason,
		    sizeof(reason)) == 0) {
			hub_lock(h);
			r = campaign_dial_ok(h->campaign, t->row, id, hub_now_ms());
			hub_unlock(h);
			if (r == CAMPAIGN_WRONG_ID)
				fprintf(stderr, "numdialer: dialer: row %zu (%s): "
				    "api id %s differs from the webhook's\n",
				    t->row, t->phone, id);
			else if (r == CAMPAIGN_NO_ROW)
				fprintf(stderr, "numdialer: dialer: row %zu: "
				    "not dialed, api id %s ignored\n", t->row, id);
		} else {
			fail_row(d, t->row, t->phone, reason);
		}
		/* The handle leaves the multi before the next fill reuses it;
		 * msg is invalid from here on. */
		curl_multi_remove_handle(d->multi, t->easy);
		t->busy = false;
		any = true;
		hub_changed(h);
	}
	return any;
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
		int64_t wait;
		bool changed = fill(d);

		/* The POST leaves first; the pages can hear of it a moment later. */
		curl_multi_perform(d->multi, &running);
		if (changed)
			hub_changed(d->hub);
		if (harvest(d))
			continue;
		wait = DIALER_POLL_MAX_MS;
		if (d->deadline_ms != INT64_MAX) {
			int64_t until = d->deadline_ms - hub_now_ms();

			if (until < wait)
				wait = until < 0 ? 0 : until;
		}
		curl_multi_poll(d->multi, NULL, 0, (int)wait, NULL);
	}
	return NULL;
}

struct dialer *
dialer_start(struct hub *hub)
{
	struct dialer *d = NULL;

	d = calloc(1, sizeof(*d));
	if (d == NULL)
		goto fail;
	d->hub = hub;
	atomic_init(&d->stop, false);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		goto fail;
	d->global = true;

	d->pool_len = DIALER_POSTS_AT_ONCE;
	d->timeout_ms = (int64_t)hub->settings->call_timeout * 1000;
	d->deadline_ms = INT64_MAX;
	if ((size_t)snprintf(d->call_url, sizeof(d->call_url), "%s/call",
	    hub->settings->api) >= sizeof(d->call_url))
		goto fail;

	d->headers = curl_slist_append(NULL, "Content-Type: application/json");
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
	d->pool = calloc(d->pool_len, sizeof(*d->pool));
	if (d->pool == NULL)
		goto fail;
	for (size_t i = 0; i < d->pool_len; i++)
		if (transfer_init(d, &d->pool[i]) == -1)
			goto fail;
	if (pthread_create(&d->thread, NULL, run, d) != 0)
		goto fail;
	d->started = true;
	return d;

fail:
	fprintf(stderr, "numdialer: dialer: cannot start\n");
	dialer_stop(d);
	return NULL;
}

void
dialer_wake(struct dialer *d)
{
	if (d != NULL && d->multi != NULL)
		curl_multi_wakeup(d->multi);
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
	for (size_t i = 0; d->pool != NULL && i < d->pool_len; i++) {
		struct transfer *t = &d->pool[i];

		if (t->busy)
			curl_multi_remove_handle(d->multi, t->easy);
		if (t->easy != NULL)
			curl_easy_cleanup(t->easy);
	}
	free(d->pool);
	if (d->multi != NULL)
		curl_multi_cleanup(d->multi);
	curl_slist_free_all(d->headers);
	if (d->global)
		curl_global_cleanup();
	free(d);
}
