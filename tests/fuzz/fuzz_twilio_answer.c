/* fuzz_twilio_answer: libFuzzer target for twilio_judge and
 * twilio_judge_query (with twilio_read_call), the readers of Twilio's
 * answers to POST .../Calls.json and GET .../Calls/{sid}.json. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "twilio.h"
#include "util.h"
#include "webhook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ADVICE \
	"dialing paused; check NUMDIALER_TWILIO_ACCOUNT_SID and the token file"

/* The first input byte picks the HTTP status (low 4 bits; 0 is an answer
 * lost), the try (next 2 bits) and a 2xx answer cut short (bit 6); the
 * rest is the answer's body. */
static const long fuzz_statuses[] = {
	201, 200, 400, 401, 403, 404, 429, 500,
	502, 503, 302, 204, 0, 422, 201, 200,
};

/* A reason: terminated in its buffer, no control character, UTF-8 that
 * is whole (no sequence cut), and not empty when nonempty is set. */
static void
fuzz_check_reason(const char *s, size_t cap, bool nonempty)
{
	const unsigned char *p = (const unsigned char *)s;

	if (memchr(s, '\0', cap) == NULL || (nonempty && s[0] == '\0'))
		abort();
	while (*p != '\0') {
		size_t need = *p >= 0xf0 ? 3 : *p >= 0xe0 ? 2 : *p >= 0xc0 ? 1 : 0;

		if (*p < 0x20 || *p == 0x7f || (*p >= 0x80 && *p < 0xc0))
			abort();
		p++;
		for (size_t i = 0; i < need; i++, p++)
			if ((*p & 0xc0) != 0x80)
				abort();
	}
}

static bool
fuzz_ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && strcmp(s + n - t, tail) == 0;
}

/* The contract of twilio_judge: one of the five kinds; PLACED with a call
 * sid, RETRY only for what was not taken and with a wait in range, PAUSE
 * only for refused credentials with its advice whole, the others with a
 * reason and no id. */
static void
fuzz_judge(const struct outcome_report *r, const struct outcome_policy *p)
{
	struct outcome o;

	twilio_judge(r, p, &o);
	fuzz_check_reason(o.reason, sizeof(o.reason), o.kind != OUTCOME_PLACED);
	if (memchr(o.id, '\0', sizeof(o.id)) == NULL)
		abort();
	if (o.kind != OUTCOME_PLACED && o.id[0] != '\0')
		abort();
	switch (o.kind) {
	case OUTCOME_PLACED:
		if (!twilio_sid_valid(o.id, "CA") || r->http_status / 100 != 2)
			abort();
		break;
	case OUTCOME_RETRY:
		if ((r->http_status != 429 && r->http_status != 503) ||
		    o.wait_ms < 0 || o.wait_ms > OUTCOME_WAIT_MAX_MS)
			abort();
		break;
	case OUTCOME_PAUSE:
		if ((r->http_status != 401 && r->http_status != 403) ||
		    !fuzz_ends_with(o.reason, FUZZ_ADVICE))
			abort();
		break;
	case OUTCOME_FAILED:
		if (r->http_status / 100 == 2 || r->http_status / 100 == 5)
			if (r->http_status != 503)
				abort();
		break;
	case OUTCOME_UNKNOWN:
		break;
	default:
		abort();
	}
}

/* The contract of twilio_judge_query: FOUND with a whole call, the others
 * with a reason and nothing read; NOT_FOUND only for a 404. */
static void
fuzz_query(const struct outcome_report *r)
{
	struct twilio_call_state st;
	char reason[CAMPAIGN_REASON_MAX + 1];
	enum twilio_query q = twilio_judge_query(r, &st, reason, sizeof(reason));

	fuzz_check_reason(reason, sizeof(reason), q != TWILIO_QUERY_FOUND);
	switch (q) {
	case TWILIO_QUERY_FOUND:
		if (r->http_status != 200 || !twilio_sid_valid(st.sid, "CA") ||
		    st.status == STATUS_IDLE || st.status >= STATUS_SKIPPED ||
		    st.duration_s < -1 || st.duration_s > WEBHOOK_DURATION_MAX ||
		    (unsigned)st.answered_by >= ANSWERED_BY_COUNT)
			abort();
		return;
	case TWILIO_QUERY_NOT_FOUND:
		if (r->http_status != 404)
			abort();
		break;
	case TWILIO_QUERY_REFUSED:
		if (!fuzz_ends_with(reason, FUZZ_ADVICE))
			abort();
		break;
	case TWILIO_QUERY_FAILED:
		break;
	default:
		abort();
	}
	if (st.sid[0] != '\0' || st.status != STATUS_IDLE ||
	    st.duration_s != -1 || st.answered_by != ANSWERED_BY_NONE)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome_report r;
	struct outcome_policy p = { .attempts_max = 4, .delay_ms = 500 };

	if (size == 0)
		return 0;
	r = (struct outcome_report){ .code = CURLE_OK, .connected = true,
	    .request_bytes = 300, .http_status = fuzz_statuses[data[0] & 0x0f],
	    .body = (const char *)data + 1, .body_len = size - 1 };
	if (r.http_status == 0)
		r.code = CURLE_GOT_NOTHING;
	if ((data[0] & 0x40) != 0 && r.http_status / 100 == 2) {
		r.code = CURLE_WRITE_ERROR;
		r.body_overflow = true;
	}
	p.attempt = 1 + ((data[0] >> 4) & 3);
	fuzz_judge(&r, &p);
	fuzz_query(&r);
	return 0;
}
