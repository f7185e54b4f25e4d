/*
 * outcome: turns what libcurl reports about one POST /call into placed,
 * retry or failed. The one place where the API's answer is read; the part
 * of the judgement no answer has a say in is shared with twilio.c.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "outcome.h"
#include "util.h"
#include "webhook.h"

/*
 * libcurl results that mean no connection was made, so nothing of the
 * request can have reached the API. A timeout counts only when no
 * connection was made (checked with the report's other fields).
 */
static const CURLcode never_connected[] = {
	CURLE_COULDNT_RESOLVE_PROXY,
	CURLE_COULDNT_RESOLVE_HOST,
	CURLE_COULDNT_CONNECT,
	CURLE_OPERATION_TIMEDOUT,
};

/* HTTP statuses by which the API says it did not take the call. */
static const long not_taken[] = { 429, 503 };

/* Whether nothing of the request can have reached the API. */
static bool
not_sent(const struct outcome_report *r)
{
	if (r->connected || r->request_bytes > 0)
		return false;
	for (size_t i = 0; i < LEN(never_connected); i++)
		if (r->code == never_connected[i])
			return true;
	return false;
}

static bool
refused_by_api(const struct outcome_report *r)
{
	for (size_t i = 0; i < LEN(not_taken); i++)
		if (r->http_status == not_taken[i])
			return true;
	return false;
}

/* libcurl's words for the failure, or its number when it gave none. */
static void
curl_words(const struct outcome_report *r, char *buf, size_t len)
{
	if (r->error != NULL && r->error[0] != '\0')
		snprintf(buf, len, "%s", r->error);
	else
		snprintf(buf, len, "libcurl error %d", (int)r->code);
}

int64_t
outcome_wait_ms(const struct outcome_policy *p, int64_t retry_after_s)
{
	int64_t wait = p->delay_ms < 0 ? 0 : p->delay_ms;

	/* Doubling stops at the bound, so no count of tries overflows it. */
	for (unsigned i = 1; i < p->attempt && wait < OUTCOME_WAIT_MAX_MS; i++)
		wait *= 2;
	if (retry_after_s > OUTCOME_WAIT_MAX_MS / 1000)
		wait = OUTCOME_WAIT_MAX_MS;
	else if (retry_after_s * 1000 > wait)
		wait = retry_after_s * 1000;
	return wait > OUTCOME_WAIT_MAX_MS ? OUTCOME_WAIT_MAX_MS : wait;
}

/*
 * The API's error in an answer, when it gives a real one: any value but
 * null, false and "" (which some APIs send beside a good id to say "none").
 * Written as "api: ..." into out->reason; false when there is none.
 */
static bool
read_error(struct json_object *root, struct outcome *out)
{
	struct json_object *f;

	if (!json_object_object_get_ex(root, "error", &f))
		return false;
	switch (json_object_get_type(f)) {
	case json_type_null:
		return false;
	case json_type_boolean:
		if (!json_object_get_boolean(f))
			return false;
		break;
	case json_type_string:
		if (json_object_get_string_len(f) == 0)
			return false;
		util_err(out->reason, sizeof(out->reason), "api: %s",
		    json_object_get_string(f));
		return true;
	default:
		break;
	}
	util_err(out->reason, sizeof(out->reason), "api: %s",
	    json_object_to_json_string(f));
	return true;
}

/*
 * Reads a 2xx answer, a JSON object, by its id and its error: a good id and
 * no real error is PLACED; a real error and no good id is FAILED (not
 * placed); a good id beside a real error is UNKNOWN (the call may be
 * placed). No id and no error, or a bad one, is FAILED.
 */
static void
read_answer(const struct outcome_report *r, struct outcome *out)
{
	struct json_object *root = NULL, *field;
	const char *body = r->body != NULL ? r->body : "";
	size_t len = r->body != NULL ? r->body_len : 0;
	char err[CAMPAIGN_REASON_MAX / 2];
	bool has_error, good_id = false;

	out->kind = OUTCOME_FAILED;
	switch (util_json_object(body, len, OUTCOME_JSON_DEPTH, &root)) {
	case UTIL_JSON_OK:
		break;
	case UTIL_JSON_NO_MEMORY:
		util_err(out->reason, sizeof(out->reason), "out of memory");
		goto done;
	case UTIL_JSON_TRAILING:
		util_err(out->reason, sizeof(out->reason),
		    "api answer has text after the JSON");
		goto done;
	case UTIL_JSON_MALFORMED:
	case UTIL_JSON_NOT_OBJECT:
		util_err(out->reason, sizeof(out->reason), "api answer not JSON");
		goto done;
	}
	has_error = read_error(root, out);
	if (json_object_object_get_ex(root, "id", &field)) {
		if (webhook_read_id(field, out->id, err, sizeof(err)) == 0)
			good_id = out->id[0] != '\0';
		else if (!has_error)
			util_err(out->reason, sizeof(out->reason),
			    "api answer has a bad id: %s", err);
	}
	if (has_error) {
		if (good_id)
			out->kind = OUTCOME_UNKNOWN;
		goto done;
	}
	if (!good_id) {
		if (out->reason[0] == '\0')
			util_err(out->reason, sizeof(out->reason),
			    "api answer has no id");
		goto done;
	}
	out->kind = OUTCOME_PLACED;

done:
	if (out->kind == OUTCOME_FAILED)
		out->id[0] = '\0';
	json_object_put(root);
}

bool
outcome_judge_delivery(const struct outcome_report *r,
    const struct outcome_policy *p, const char *who, const char *said,
    struct outcome *out)
{
	/* What went wrong on a try that may be repeated: "what: detail". */
	char what[CAMPAIGN_REASON_MAX / 2];
	char detail[OUTCOME_DETAIL_MAX + 1];

	if (r->code == CURLE_OK && refused_by_api(r)) {
		snprintf(what, sizeof(what), "%s answered HTTP %ld", who,
		    r->http_status);
		snprintf(detail, sizeof(detail), "%s", said);
	} else if (not_sent(r)) {
		snprintf(what, sizeof(what), "%s unreachable", who);
		curl_words(r, detail, sizeof(detail));
	} else if (r->code != CURLE_OK) {
		/* The request may have reached the API, and its answer says
		 * nothing: the call may exist, never sent again. */
		out->kind = OUTCOME_UNKNOWN;
		curl_words(r, detail, sizeof(detail));
		util_err(out->reason, sizeof(out->reason),
		    "%s answer lost: %s", who, detail);
		return true;
	} else
		return false;
	if (p->attempt < p->attempts_max) {
		out->kind = OUTCOME_RETRY;
		out->wait_ms = outcome_wait_ms(p, r->retry_after_s);
		util_err(out->reason, sizeof(out->reason), "%s%s%s", what,
		    detail[0] != '\0' ? ": " : "", detail);
		return true;
	}
	out->kind = OUTCOME_FAILED;
	util_err(out->reason, sizeof(out->reason), "%s after %u attempt%s%s%s",
	    what, p->attempt, p->attempt == 1 ? "" : "s",
	    detail[0] != '\0' ? ": " : "", detail);
	return true;
}

void
outcome_judge(const struct outcome_report *r, const struct outcome_policy *p,
    struct outcome *out)
{
	memset(out, 0, sizeof(*out));
	if (r->body_overflow) {
		out->kind = OUTCOME_FAILED;
		util_err(out->reason, sizeof(out->reason), "api answer too large");
		return;
	}
	if (outcome_judge_delivery(r, p, "api", "", out))
		return;
	/* An answer came, and the request may have reached the API: never
	 * sent again. An error status says the API did not take the call. */
	if (r->http_status >= 200 && r->http_status <= 299) {
		read_answer(r, out);
		return;
	}
	out->kind = OUTCOME_FAILED;
	util_err(out->reason, sizeof(out->reason), "api answered HTTP %ld",
	    r->http_status);
}
