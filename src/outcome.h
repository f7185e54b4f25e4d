/*
 * outcome: what one POST /call came to, judged from what libcurl reports
 * about it: the call was placed (with its id), may have been placed (its
 * answer was lost, or named an id beside an error), certainly was not and
 * may be tried again after a wait, or failed for a reason. Pure: no I/O, no
 * globals.
 */
#ifndef NUMDIALER_OUTCOME_H
#define NUMDIALER_OUTCOME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "campaign.h"

#define OUTCOME_WAIT_MAX_MS 30000  /* longest wait before a retry, Retry-After included */
#define OUTCOME_JSON_DEPTH 8       /* the API's answer is a flat object */
/* Room for libcurl's (or the API's) words in a reason, so the count and
 * the rest fit. */
#define OUTCOME_DETAIL_MAX (CAMPAIGN_REASON_MAX / 2)

/* What libcurl said about one finished POST /call. */
struct outcome_report {
	CURLcode code;            /* the transfer's result */
	const char *error;        /* libcurl's words for code; NULL or "" for none */
	long request_bytes;       /* CURLINFO_REQUEST_SIZE: bytes of request sent */
	bool connected;           /* a connection to the API was made (or reused) */
	long http_status;         /* CURLINFO_RESPONSE_CODE; 0 when none came */
	int64_t retry_after_s;    /* CURLINFO_RETRY_AFTER; 0 when none */
	const char *body;         /* the answer read (not NUL-terminated); may be NULL */
	size_t body_len;
	bool body_overflow;       /* the answer outgrew what the caller keeps */
};

/* When to try again: the attempts so far and the settings' bounds. */
struct outcome_policy {
	unsigned attempt;         /* tries made for this row, this one included, >= 1 */
	unsigned attempts_max;    /* tries allowed in all (settings' dial_attempts) */
	int64_t delay_ms;         /* wait before the first retry, doubled each time */
};

enum outcome_kind {
	OUTCOME_PLACED,   /* the API took the call: id is set */
	OUTCOME_UNKNOWN,  /* the call may exist: never send it again; reason
	                     is set, and id when the answer named one */
	OUTCOME_RETRY,    /* certainly not placed: send again after wait_ms */
	OUTCOME_FAILED,   /* not placed; give up on the row: reason is set */
	OUTCOME_PAUSE     /* certainly not placed, and no row will be while
	                     the provider refuses the credentials: the row
	                     waits to be sent again, dialing pauses for reason */
};

struct outcome {
	enum outcome_kind kind;
	char id[CAMPAIGN_ID_MAX + 1];         /* PLACED, UNKNOWN: the call id
	                                         ("" for none) */
	int64_t wait_ms;                      /* RETRY: 0..OUTCOME_WAIT_MAX_MS */
	char reason[CAMPAIGN_REASON_MAX + 1]; /* RETRY: this failure; UNKNOWN,
	                                         FAILED: why */
};

/*
 * Judges one POST /call. Retries only what the API certainly did not take:
 * nothing of the request was sent because no connection was made (refused,
 * name not resolved, connecting timed out), or the API answered 429 or 503.
 * A retry waits delay_ms doubled per earlier retry, or the Retry-After when
 * longer, at most OUTCOME_WAIT_MAX_MS. Once attempts_max tries are spent the
 * row fails with the last failure and the count ("api unreachable after 4
 * attempts: ..."). A 2xx JSON object with a good "id" (see webhook_read_id)
 * and no real "error" (null, false and "" are none) is placed; a good id
 * beside a real error, or an answer lost after the request went out, may
 * be: UNKNOWN. Anything else fails at once, never sent again.
 */
void outcome_judge(const struct outcome_report *r,
    const struct outcome_policy *p, struct outcome *out);

/*
 * The part of judging a try that the answer's body has no say in, the same
 * for every API (outcome_judge, twilio_judge): a try the API certainly did
 * not take (no connection made, or a 429 / 503 answer) is a RETRY after
 * outcome_wait_ms or, its attempts spent, FAILED with the count; an answer
 * lost after the request may have gone out is UNKNOWN. who names the API in
 * the reason ("api" gives "api unreachable: ...", "api answered HTTP
 * 503"); said is the API's own words for a 429 / 503 ("" for none; cut to
 * OUTCOME_DETAIL_MAX). Returns true having set out's kind, reason and
 * wait; false, out untouched, when an answer came (CURLE_OK) that is
 * neither 429 nor 503: the caller reads it.
 */
bool outcome_judge_delivery(const struct outcome_report *r,
    const struct outcome_policy *p, const char *who, const char *said,
    struct outcome *out);

/* The wait before the retry that follows try number attempt (>= 1), with a
 * Retry-After of retry_after_s (0: none): see outcome_judge. */
int64_t outcome_wait_ms(const struct outcome_policy *p, int64_t retry_after_s);

#endif
