/*
 * exposition: the program's figures as GET /metrics answers them, in
 * Prometheus's text exposition format 0.0.4. Pure: it formats the figures
 * it is handed (metrics.c reads them) and knows the histograms' buckets and
 * the statuses a webhook may be answered with. No I/O, no globals.
 */
#ifndef NUMDIALER_EXPOSITION_H
#define NUMDIALER_EXPOSITION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "campaign.h"
#include "outcome.h"

#define EXPOSITION_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define EXPOSITION_BUCKETS 16      /* bounds of a histogram, +Inf aside */
#define EXPOSITION_RESULTS 4       /* enum outcome_kind's values */
#define EXPOSITION_CODES 14        /* enum http_status's values */
#define EXPOSITION_SIZE 16384      /* more than any answer takes */

/* One histogram: counts per bucket (not cumulative), the last one past the
 * largest bound (+Inf), and the sum of what was observed. */
struct exposition_histogram {
	uint64_t counts[EXPOSITION_BUCKETS + 1];
	uint64_t sum_us;
};

/* Everything GET /metrics says, read at one moment. */
struct exposition {
	bool campaign;                      /* counts and state were read
	                                       (false: their metrics are left
	                                       out) */
	struct campaign_counts counts;      /* campaign_counts */
	const char *state;                  /* campaign_state_name */
	uint64_t api[EXPOSITION_RESULTS];   /* POST /call by enum outcome_kind */
	uint64_t webhooks[EXPOSITION_CODES];/* webhooks by exposition_code */
	struct exposition_histogram api_latency;    /* POST /call, start to
	                                               answer */
	struct exposition_histogram refill_latency; /* freed slot to POST */
	size_t watchers;                    /* parked GET /events */
	uint64_t full_renders;              /* full lists of GET /events made */
	uint64_t full_answers;              /* and answered with */
	uint64_t connections;               /* FastCGI connections accepted */
	uint64_t requests;                  /* FastCGI requests served */
	size_t kept;                        /* kept connections idle now */
	uint64_t journal_writes;            /* appends written */
	uint64_t journal_failures;          /* appends that failed */
	int64_t start_ms;                   /* process start, epoch ms */
};

/* The bucket of a histogram that us microseconds fall in:
 * 0..EXPOSITION_BUCKETS (the last: past every bound). */
size_t exposition_bucket(int64_t us);

/* The index of HTTP status code among the EXPOSITION_CODES counted, or
 * -1 for a code the program never answers with. */
int exposition_code(int code);

/*
 * Writes the text of m into buf (size bytes, NUL-terminated, cut when it
 * does not fit) and returns its whole length, as snprintf does: a return
 * of size or more means buf was too small.
 */
size_t exposition_format(const struct exposition *m, char *buf, size_t size);

#endif
