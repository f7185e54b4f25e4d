/*
 * Unit tests for the text of GET /metrics (exposition.c): Prometheus's text
 * format 0.0.4, each metric's HELP and TYPE before its samples, the naming
 * rules, the values, the histograms' cumulative buckets, and a buffer too
 * small.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "exposition.h"
#include "status.h"

#define TEXT_MAX EXPOSITION_SIZE
#define START_MS 1763700000123LL

/* A picture of a campaign part way: 10 rows, 4 calls begun. */
static void
sample(struct exposition *m)
{
	memset(m, 0, sizeof(*m));
	m->campaign = true;
	m->state = "dialing";
	m->counts.total = 10;
	m->counts.limit = 3;
	m->counts.in_flight = 2;
	m->counts.redials = 1;
	m->counts.calls = 4;
	m->counts.rows[STATUS_IDLE] = 6;
	m->counts.rows[STATUS_RINGING] = 2;
	m->counts.rows[STATUS_COMPLETED] = 1;
	m->counts.rows[STATUS_BUSY] = 1;
	m->counts.ended[STATUS_COMPLETED] = 1;
	m->counts.ended[STATUS_BUSY] = 1;
	m->api[OUTCOME_PLACED] = 4;
	m->api[OUTCOME_RETRY] = 2;
	m->webhooks[exposition_code(200)] = 7;
	m->webhooks[exposition_code(403)] = 1;
	m->api_latency.counts[exposition_bucket(300)] = 5;
	m->api_latency.counts[exposition_bucket(20000000)] = 1;
	m->api_latency.sum_us = 5 * 300 + 20000000;
	m->refill_latency.counts[exposition_bucket(250)] = 3;
	m->refill_latency.sum_us = 750;
	m->watchers = 5;
	m->full_renders = 3;
	m->full_answers = 30;
	m->connections = 9;
	m->requests = 40;
	m->kept = 3;
	m->journal_writes = 12;
	m->journal_failures = 1;
	m->start_ms = START_MS;
}

static char *
format(const struct exposition *m)
{
	char *text = malloc(TEXT_MAX);
	size_t n;

	assert_non_null(text);
	n = exposition_format(m, text, TEXT_MAX);
	assert_true(n < TEXT_MAX);
	assert_int_equal(n, strlen(text));
	return text;
}

/* Whether text has line, whole. */
static bool
has_line(const char *text, const char *line)
{
	size_t len = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[len] == '\n')
			return true;
		p++;
	}
	return false;
}

static bool
name_char(char ch, bool first)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    ch == '_' || ch == ':' || (!first && ch >= '0' && ch <= '9');
}

/* The length of the metric name at p (0: none). */
static size_t
name_len(const char *p)
{
	size_t n = 0;

	while (name_char(p[n], n == 0))
		n++;
	return n;
}

static bool
ends_with(const char *s, size_t len, const char *suffix)
{
	size_t k = strlen(suffix);

	return len >= k && memcmp(s + len - k, suffix, k) == 0;
}

/*
 * Walks the text line by line: a "# HELP name text" then "# TYPE name type"
 * opens each metric, once per name; every sample belongs to the metric
 * opened last (a histogram's by its _bucket, _sum and _count), carries
 * well-formed labels, and a value that is a plain decimal. Counters end in
 * _total; every name starts numdialer_. Returns the metrics seen.
 */
static size_t
check_grammar(const char *text)
{
	char family[128] = "", type[16] = "", seen[4096] = " ";
	const char *line = text;
	size_t metrics = 0;

	assert_true(strlen(text) > 0);
	assert_true(text[strlen(text) - 1] == '\n');
	while (*line != '\0') {
		const char *end = strchr(line, '\n');
		size_t len, n;

		assert_non_null(end);
		len = (size_t)(end - line);
		assert_true(len > 0);
		if (strncmp(line, "# HELP ", 7) == 0) {
			char key[140];

			n = name_len(line + 7);
			assert_true(n > 0 && n < sizeof(family));
			assert_true(line[7 + n] == ' ' && len > 8 + n);
			memcpy(family, line + 7, n);
			family[n] = '\0';
			assert_true(strncmp(family, "numdialer_", 10) == 0);
			snprintf(key, sizeof(key), " %s ", family);
			assert_null(strstr(seen, key));
			assert_true(strlen(seen) + strlen(family) + 2 < sizeof(seen));
			strcat(seen, family);
			strcat(seen, " ");
			/* TYPE follows at once, naming the same metric. */
			line = end + 1;
			end = strchr(line, '\n');
			assert_non_null(end);
			assert_true(strncmp(line, "# TYPE ", 7) == 0);
			assert_true(strncmp(line + 7, family, n) == 0);
			assert_true(line[7 + n] == ' ');
			len = (size_t)(end - line) - 8 - n;
			assert_true(len > 0 && len < sizeof(type));
			memcpy(type, line + 8 + n, len);
			type[len] = '\0';
			assert_true(strcmp(type, "counter") == 0 ||
			    strcmp(type, "gauge") == 0 ||
			    strcmp(type, "histogram") == 0);
			assert_int_equal(ends_with(family, strlen(family),
			    "_total"), strcmp(type, "counter") == 0);
			metrics++;
			line = end + 1;
			continue;
		}
		assert_true(line[0] != '#');
		assert_true(family[0] != '\0');
		n = name_len(line);
		if (strcmp(type, "histogram") == 0) {
			size_t f = strlen(family);

			assert_true(strncmp(line, family, f) == 0);
			assert_true((n == f + 7 && ends_with(line, n, "_bucket")) ||
			    (n == f + 4 && ends_with(line, n, "_sum")) ||
			    (n == f + 6 && ends_with(line, n, "_count")));
		} else {
			assert_int_equal(n, strlen(family));
			assert_true(strncmp(line, family, n) == 0);
		}
		if (line[n] == '{') {
			/* name="value"[,name="value"]...} */
			n++;
			for (;;) {
				size_t k = name_len(line + n);

				assert_true(k > 0);
				n += k;
				assert_true(line[n] == '=' && line[n + 1] == '"');
				n += 2;
				while (line[n] != '"') {
					assert_true(line[n] != '\\' &&
					    line[n] != '\n');
					n++;
				}
				n++;
				if (line[n] == '}')
					break;
				assert_true(line[n] == ',');
				n++;
			}
			n++;
		}
		assert_true(line[n] == ' ');
		n++;
		/* A decimal: digits, at most one point, digits. */
		assert_true(line[n] >= '0' && line[n] <= '9');
		while (line + n < end && ((line[n] >= '0' && line[n] <= '9') ||
		    line[n] == '.'))
			n++;
		assert_ptr_equal(line + n, end);
		line = end + 1;
	}
	return metrics;
}

static void
every_metric_has_help_and_type_and_follows_the_naming_rules(void **state)
{
	struct exposition m;
	char *text;

	(void)state;
	sample(&m);
	text = format(&m);
	assert_int_equal(check_grammar(text), 21);
	free(text);
}

static void
says_the_campaign(void **state)
{
	struct exposition m;
	char *text;

	(void)state;
	sample(&m);
	text = format(&m);
	assert_true(has_line(text,
	    "numdialer_campaign_state{state=\"dialing\"} 1"));
	assert_null(strstr(text, "state=\"ready\""));
	assert_true(has_line(text, "numdialer_list_rows 10"));
	assert_true(has_line(text, "numdialer_rows{status=\"idle\"} 6"));
	assert_true(has_line(text, "numdialer_rows{status=\"ringing\"} 2"));
	assert_true(has_line(text, "numdialer_rows{status=\"no-answer\"} 0"));
	assert_true(has_line(text, "numdialer_rows{status=\"skipped\"} 0"));
	assert_true(has_line(text, "numdialer_calls_in_flight 2"));
	assert_true(has_line(text, "numdialer_calls_in_flight_limit 3"));
	assert_true(has_line(text, "numdialer_rows_awaiting_redial 1"));
	assert_true(has_line(text, "numdialer_calls_total 4"));
	assert_true(has_line(text,
	    "numdialer_calls_ended_total{status=\"completed\"} 1"));
	assert_true(has_line(text,
	    "numdialer_calls_ended_total{status=\"busy\"} 1"));
	assert_true(has_line(text,
	    "numdialer_calls_ended_total{status=\"canceled\"} 0"));
	/* No call ends idle, dialing, ringing or answered. */
	assert_null(strstr(text, "numdialer_calls_ended_total{status=\"idle\""));
	assert_null(strstr(text,
	    "numdialer_calls_ended_total{status=\"dialing\""));
	assert_null(strstr(text,
	    "numdialer_calls_ended_total{status=\"ringing\""));
	assert_null(strstr(text,
	    "numdialer_calls_ended_total{status=\"answered\""));
	free(text);
}

static void
says_the_api_webhooks_watchers_journal_and_start(void **state)
{
	struct exposition m;
	char *text;

	(void)state;
	sample(&m);
	text = format(&m);
	assert_true(has_line(text,
	    "numdialer_api_requests_total{result=\"placed\"} 4"));
	assert_true(has_line(text,
	    "numdialer_api_requests_total{result=\"unknown\"} 0"));
	assert_true(has_line(text,
	    "numdialer_api_requests_total{result=\"retry\"} 2"));
	assert_true(has_line(text,
	    "numdialer_api_requests_total{result=\"failed\"} 0"));
	assert_true(has_line(text, "numdialer_webhooks_total{code=\"200\"} 7"));
	assert_true(has_line(text, "numdialer_webhooks_total{code=\"403\"} 1"));
	/* The webhook route's own answers are there at 0; others only once
	 * counted. */
	assert_true(has_line(text, "numdialer_webhooks_total{code=\"409\"} 0"));
	assert_null(strstr(text, "code=\"503\""));
	assert_null(strstr(text, "code=\"202\""));
	assert_true(has_line(text, "numdialer_events_watchers 5"));
	assert_true(has_line(text, "numdialer_events_full_renders_total 3"));
	assert_true(has_line(text, "numdialer_events_full_answers_total 30"));
	assert_true(has_line(text, "numdialer_fastcgi_connections_total 9"));
	assert_true(has_line(text, "numdialer_fastcgi_requests_total 40"));
	assert_true(has_line(text, "numdialer_fastcgi_connections_kept 3"));
	assert_true(has_line(text, "numdialer_journal_writes_total 12"));
	assert_true(has_line(text, "numdialer_journal_write_failures_total 1"));
	assert_true(has_line(text,
	    "numdialer_process_start_time_seconds 1763700000.123000"));
	free(text);

	m.webhooks[exposition_code(503)] = 2;
	text = format(&m);
	assert_true(has_line(text, "numdialer_webhooks_total{code=\"503\"} 2"));
	free(text);
}

static void
histograms_are_cumulative_with_their_count_at_inf(void **state)
{
	struct exposition m;
	char *text;

	(void)state;
	sample(&m);
	text = format(&m);
	/* Five at 300 µs, one past every bound (20 s). */
	assert_true(has_line(text,
	    "numdialer_api_request_duration_seconds_bucket{le=\"0.00025\"} 0"));
	assert_true(has_line(text,
	    "numdialer_api_request_duration_seconds_bucket{le=\"0.0005\"} 5"));
	assert_true(has_line(text,
	    "numdialer_api_request_duration_seconds_bucket{le=\"10\"} 5"));
	assert_true(has_line(text,
	    "numdialer_api_request_duration_seconds_bucket{le=\"+Inf\"} 6"));
	assert_true(has_line(text,
	    "numdialer_api_request_duration_seconds_count 6"));
	assert_true(has_line(text,
	    "numdialer_api_request_duration_seconds_sum 20.001500"));
	/* Three at 250 µs: the bound itself is inside its bucket. */
	assert_true(has_line(text,
	    "numdialer_refill_latency_seconds_bucket{le=\"0.0001\"} 0"));
	assert_true(has_line(text,
	    "numdialer_refill_latency_seconds_bucket{le=\"0.00025\"} 3"));
	assert_true(has_line(text,
	    "numdialer_refill_latency_seconds_bucket{le=\"+Inf\"} 3"));
	assert_true(has_line(text,
	    "numdialer_refill_latency_seconds_sum 0.000750"));
	assert_true(has_line(text, "numdialer_refill_latency_seconds_count 3"));
	free(text);
}

static void
buckets_and_codes(void **state)
{
	(void)state;
	assert_int_equal(exposition_bucket(-5), 0);
	assert_int_equal(exposition_bucket(0), 0);
	assert_int_equal(exposition_bucket(100), 0);
	assert_int_equal(exposition_bucket(101), 1);
	assert_int_equal(exposition_bucket(1000), 3);
	assert_int_equal(exposition_bucket(10000000), EXPOSITION_BUCKETS - 1);
	assert_int_equal(exposition_bucket(10000001), EXPOSITION_BUCKETS);
	assert_int_equal(exposition_bucket(INT64_MAX), EXPOSITION_BUCKETS);
	assert_int_equal(exposition_code(200), 0);
	assert_true(exposition_code(503) >= 0);
	assert_true(exposition_code(413) >= 0);
	assert_int_equal(exposition_code(302), -1);
	assert_int_equal(exposition_code(0), -1);
}

/* While the journal holds the campaign's lock, the rest still answers. */
static void
without_the_campaign_the_rest_is_said(void **state)
{
	struct exposition m;
	char *text;

	(void)state;
	sample(&m);
	m.campaign = false;
	text = format(&m);
	assert_int_equal(check_grammar(text), 13);
	assert_null(strstr(text, "numdialer_rows"));
	assert_null(strstr(text, "numdialer_calls"));
	assert_null(strstr(text, "numdialer_campaign_state"));
	assert_true(has_line(text, "numdialer_journal_write_failures_total 1"));
	free(text);
}

/* As snprintf: the whole length, and as much as fits, NUL-terminated. */
static void
a_small_buffer_gets_a_cut_text_and_the_length_needed(void **state)
{
	struct exposition m;
	char *whole, small[100];
	size_t n;

	(void)state;
	sample(&m);
	whole = format(&m);
	n = exposition_format(&m, small, sizeof(small));
	assert_int_equal(n, strlen(whole));
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_memory_equal(small, whole, sizeof(small) - 1);
	assert_int_equal(exposition_format(&m, NULL, 0), n);
	free(whole);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    every_metric_has_help_and_type_and_follows_the_naming_rules),
		cmocka_unit_test(says_the_campaign),
		cmocka_unit_test(says_the_api_webhooks_watchers_journal_and_start),
		cmocka_unit_test(histograms_are_cumulative_with_their_count_at_inf),
		cmocka_unit_test(buckets_and_codes),
		cmocka_unit_test(without_the_campaign_the_rest_is_said),
		cmocka_unit_test(
		    a_small_buffer_gets_a_cut_text_and_the_length_needed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
