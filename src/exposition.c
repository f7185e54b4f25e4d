/*
 * exposition: the text of GET /metrics, Prometheus's text exposition
 * format 0.0.4. Each metric is a "# HELP" line, a "# TYPE" line and its
 * samples; counters end in _total, times are in seconds. Every label value
 * here is a word of the program's own tables (status names, the outcome
 * kinds, HTTP codes), none of which needs escaping.
 *
 * Times are kept in whole microseconds and written as decimals made from
 * integers ("0.000250"), so no float formatting or locale is involved.
 */
#include "exposition.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "status.h"
#include "util.h"

/* The histograms' upper bounds, in microseconds, with the same bound as
 * Prometheus reads it: from a tenth of a millisecond (a refill on this
 * machine takes about half of one) to 10 s (the API's time-out is 10 s). */
static const struct {
	int64_t us;
	const char *le;
} exposition_bounds[EXPOSITION_BUCKETS] = {
	{100, "0.0001"}, {250, "0.00025"}, {500, "0.0005"},
	{1000, "0.001"}, {2500, "0.0025"}, {5000, "0.005"},
	{10000, "0.01"}, {25000, "0.025"}, {50000, "0.05"},
	{100000, "0.1"}, {250000, "0.25"}, {500000, "0.5"},
	{1000000, "1"}, {2500000, "2.5"}, {5000000, "5"},
	{10000000, "10"},
};

/* Every status the program answers with (enum http_status), in the order
 * of the webhook counters. */
static const int exposition_codes[EXPOSITION_CODES] = {
	200, 202, 400, 403, 404, 405, 409, 413, 414, 415, 421, 422, 500, 503,
};

/* The codes the webhook route answers with: written even at 0, so that a
 * rate over them starts at the first webhook, not the second. Others
 * appear once counted. */
static const int exposition_webhook_codes[] = {
	200, 400, 403, 404, 405, 409, 413, 415, 422, 500,
};

/* The words of enum outcome_kind, as the result label says them. */
static const char *const exposition_results[EXPOSITION_RESULTS] = {
	[OUTCOME_PLACED] = "placed",
	[OUTCOME_UNKNOWN] = "unknown",
	[OUTCOME_RETRY] = "retry",
	[OUTCOME_FAILED] = "failed",
};

/* The text being written: buf[0..size), len counting what did not fit. */
struct exposition_out {
	char *buf;
	size_t size;
	size_t len;
};

static void exposition_put(struct exposition_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends a formatted piece; past the buffer's end only counts it. */
static void
exposition_put(struct exposition_out *o, const char *fmt, ...)
{
	va_list ap;
	size_t room = o->len < o->size ? o->size - o->len : 0;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room > 0 ? o->buf + o->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

/* The "# HELP" and "# TYPE" lines of a metric. */
static void
exposition_head(struct exposition_out *o, const char *name, const char *type,
    const char *help)
{
	exposition_put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	    type);
}

/* A sample without labels. */
static void
exposition_value(struct exposition_out *o, const char *name, uint64_t v)
{
	exposition_put(o, "%s %" PRIu64 "\n", name, v);
}

/* A sample with one label. */
static void
exposition_labeled(struct exposition_out *o, const char *name,
    const char *label, const char *value, uint64_t v)
{
	exposition_put(o, "%s{%s=\"%s\"} %" PRIu64 "\n", name, label, value, v);
}

/* us microseconds as seconds, "S.UUUUUU", from integers. */
static void
exposition_seconds(struct exposition_out *o, const char *name, uint64_t us)
{
	exposition_put(o, "%s %" PRIu64 ".%06" PRIu64 "\n", name,
	    us / 1000000, us % 1000000);
}

/* A histogram's buckets (cumulative, as the format wants), sum and count;
 * its count is its +Inf bucket, so the two always agree. */
static void
exposition_histogram(struct exposition_out *o, const char *name,
    const char *help, const struct exposition_histogram *h)
{
	uint64_t total = 0;
	size_t i;

	exposition_head(o, name, "histogram", help);
	for (i = 0; i < EXPOSITION_BUCKETS; i++) {
		total += h->counts[i];
		exposition_put(o, "%s_bucket{le=\"%s\"} %" PRIu64 "\n", name,
		    exposition_bounds[i].le, total);
	}
	total += h->counts[EXPOSITION_BUCKETS];
	exposition_put(o, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name, total);
	exposition_put(o, "%s_sum %" PRIu64 ".%06" PRIu64 "\n", name,
	    h->sum_us / 1000000, h->sum_us % 1000000);
	exposition_put(o, "%s_count %" PRIu64 "\n", name, total);
}

/* The campaign: its state, its rows, its calls. */
static void
exposition_campaign(struct exposition_out *o, const struct exposition *m)
{
	const struct campaign_counts *c = &m->counts;
	size_t s;

	exposition_head(o, "numdialer_campaign_state", "gauge",
	    "The campaign's state (ready, dialing, paused, waiting, stopped "
	    "or finished, as GET /events says it): 1 for the one it is in.");
	exposition_labeled(o, "numdialer_campaign_state", "state", m->state, 1);

	exposition_head(o, "numdialer_list_rows", "gauge",
	    "Rows of the list being dialed, one per number.");
	exposition_value(o, "numdialer_list_rows", c->total);

	exposition_head(o, "numdialer_rows", "gauge",
	    "Rows by their status now.");
	for (s = 0; s < STATUS_COUNT; s++)
		exposition_labeled(o, "numdialer_rows", "status",
		    status_name((enum status)s), c->rows[s]);

	exposition_head(o, "numdialer_rows_awaiting_redial", "gauge",
	    "Rows whose call ended and that wait for a redial.");
	exposition_value(o, "numdialer_rows_awaiting_redial", c->redials);

	exposition_head(o, "numdialer_calls_in_flight", "gauge",
	    "Calls in flight: rows dialing, ringing or answered.");
	exposition_value(o, "numdialer_calls_in_flight", c->in_flight);

	exposition_head(o, "numdialer_calls_in_flight_limit", "gauge",
	    "Most calls in flight at once (NUMDIALER_CONCURRENCY).");
	exposition_value(o, "numdialer_calls_in_flight_limit", c->limit);

	exposition_head(o, "numdialer_calls_total", "counter",
	    "Calls begun (a row taken and its POST /call sent), redials "
	    "included.");
	exposition_value(o, "numdialer_calls_total", c->calls);

	/* Only the end statuses: idle, dialing, ringing and answered end
	 * no call. */
	exposition_head(o, "numdialer_calls_ended_total", "counter",
	    "Calls ended, by their end status.");
	for (s = 0; s < STATUS_COUNT; s++)
		if (s != STATUS_IDLE && !status_in_flight((enum status)s))
			exposition_labeled(o, "numdialer_calls_ended_total",
			    "status", status_name((enum status)s), c->ended[s]);
}

/* The telephony API: its requests and how long they took. */
static void
exposition_api(struct exposition_out *o, const struct exposition *m)
{
	size_t i;

	exposition_head(o, "numdialer_api_requests_total", "counter",
	    "POST /call requests to the telephony API by result: placed, "
	    "unknown (the call may exist: never sent again), retry (certainly "
	    "not placed: sent again after a wait) or failed.");
	for (i = 0; i < EXPOSITION_RESULTS; i++)
		exposition_labeled(o, "numdialer_api_requests_total", "result",
		    exposition_results[i], m->api[i]);

	exposition_histogram(o, "numdialer_api_request_duration_seconds",
	    "Time from a POST /call's start (connecting included) to its "
	    "answer, or to its failure when none came.", &m->api_latency);

	exposition_histogram(o, "numdialer_refill_latency_seconds",
	    "Time from the webhook that ended a call, freeing its slot, to "
	    "the next POST /call leaving for a new row. A slot freed "
	    "otherwise (a POST /call that failed, a call timeout) gives no "
	    "sample, nor one left free while nothing is to be dialed "
	    "(paused, waiting, none left).", &m->refill_latency);
}

/* The webhooks by the answer they got. */
static void
exposition_webhooks(struct exposition_out *o, const struct exposition *m)
{
	char code[8];
	size_t i, j;

	exposition_head(o, "numdialer_webhooks_total", "counter",
	    "Webhooks (POST /webhook/...) by the HTTP status the program "
	    "answered. A body over the web server's bound (64 KiB) is "
	    "refused there and never counted here.");
	for (i = 0; i < EXPOSITION_CODES; i++) {
		bool always = false;

		for (j = 0; j < LEN(exposition_webhook_codes); j++)
			always |= exposition_webhook_codes[j] ==
			    exposition_codes[i];
		if (!always && m->webhooks[i] == 0)
			continue;
		snprintf(code, sizeof(code), "%d", exposition_codes[i]);
		exposition_labeled(o, "numdialer_webhooks_total", "code", code,
		    m->webhooks[i]);
	}
}

/* A metric of one sample and no label. */
struct exposition_plain {
	const char *name;
	const char *type;
	const char *help;
	uint64_t value;
};

/* The process: its long-polls, its FastCGI connections, its journal, its
 * start. */
static void
exposition_process(struct exposition_out *o, const struct exposition *m)
{
	int64_t ms = m->start_ms > 0 ? m->start_ms : 0;
	const struct exposition_plain plain[] = {
		{ "numdialer_events_watchers", "gauge",
		    "GET /events long-polls parked, waiting for a change.",
		    m->watchers },
		{ "numdialer_events_full_renders_total", "counter",
		    "Full lists of GET /events made: one serves every client "
		    "that asks while it is made or shortly after.",
		    m->full_renders },
		{ "numdialer_events_full_answers_total", "counter",
		    "GET /events answered with the full list.",
		    m->full_answers },
		{ "numdialer_fastcgi_connections_total", "counter",
		    "Connections the web server opened to the program. Fewer "
		    "than the requests when it keeps them (nginx's "
		    "fastcgi_keep_conn).", m->connections },
		{ "numdialer_fastcgi_requests_total", "counter",
		    "FastCGI requests that came whole and were served.",
		    m->requests },
		{ "numdialer_fastcgi_connections_kept", "gauge",
		    "Kept connections idle now, waiting for their next "
		    "request.", m->kept },
		{ "numdialer_journal_writes_total", "counter",
		    "Journal appends written: the changes made under one hold "
		    "of the campaign's lock, in one write. 0 without a "
		    "journal.", m->journal_writes },
		{ "numdialer_journal_write_failures_total", "counter",
		    "Journal appends that failed (a full disk): each is tried "
		    "again every second, everything waiting, until one is "
		    "written.", m->journal_failures },
	};
	size_t i;

	for (i = 0; i < LEN(plain); i++) {
		exposition_head(o, plain[i].name, plain[i].type, plain[i].help);
		exposition_value(o, plain[i].name, plain[i].value);
	}

	exposition_head(o, "numdialer_process_start_time_seconds", "gauge",
	    "Start time of the process since the Unix epoch, in seconds.");
	exposition_seconds(o, "numdialer_process_start_time_seconds",
	    (uint64_t)ms * 1000);
}

size_t
exposition_bucket(int64_t us)
{
	size_t i;

	for (i = 0; i < EXPOSITION_BUCKETS; i++)
		if (us <= exposition_bounds[i].us)
			return i;
	return EXPOSITION_BUCKETS;
}

int
exposition_code(int code)
{
	size_t i;

	for (i = 0; i < EXPOSITION_CODES; i++)
		if (exposition_codes[i] == code)
			return (int)i;
	return -1;
}

size_t
exposition_format(const struct exposition *m, char *buf, size_t size)
{
	struct exposition_out o = { buf, size, 0 };

	if (size > 0)
		buf[0] = '\0';
	if (m->campaign)
		exposition_campaign(&o, m);
	exposition_api(&o, m);
	exposition_webhooks(&o, m);
	exposition_process(&o, m);
	return o.len;
}
