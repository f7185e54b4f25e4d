/* fuzz_outcome: libFuzzer target for outcome_judge, the reader of the
 * API's answers to POST /call. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "outcome.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The first input byte picks the HTTP status (low 3 bits) and the try
 * (next 2 bits); the rest is the answer's body. */
static const long fuzz_statuses[] = { 200, 201, 200, 429, 503, 500, 404, 0 };

static void
fuzz_check_text(const char *s, size_t cap, int nonempty)
{
	const char *nul = memchr(s, '\0', cap);

	if (nul == NULL || (nonempty && nul == s))
		abort();
}

/* The contract: one of the four kinds; PLACED with an id, UNKNOWN and
 * FAILED with a reason, RETRY with a wait in range; FAILED with no id. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome_report r;
	struct outcome_policy p = { .attempts_max = 4, .delay_ms = 500 };
	struct outcome o;

	if (size == 0)
		return 0;
	memset(&r, 0, sizeof(r));
	r.code = CURLE_OK;
	r.http_status = fuzz_statuses[data[0] % LEN(fuzz_statuses)];
	if (r.http_status == 0)
		r.code = CURLE_GOT_NOTHING;
	r.connected = true;
	r.request_bytes = 100;
	r.body = (const char *)data + 1;
	r.body_len = size - 1;
	p.attempt = 1 + ((data[0] >> 3) & 3);
	outcome_judge(&r, &p, &o);
	fuzz_check_text(o.id, sizeof(o.id), 0);
	fuzz_check_text(o.reason, sizeof(o.reason), 0);
	switch (o.kind) {
	case OUTCOME_PLACED:
		fuzz_check_text(o.id, sizeof(o.id), 1);
		break;
	case OUTCOME_UNKNOWN:
		fuzz_check_text(o.reason, sizeof(o.reason), 1);
		break;
	case OUTCOME_FAILED:
		fuzz_check_text(o.reason, sizeof(o.reason), 1);
		if (o.id[0] != '\0')
			abort();
		break;
	case OUTCOME_RETRY:
		if (o.wait_ms < 0 || o.wait_ms > OUTCOME_WAIT_MAX_MS)
			abort();
		break;
	default:
		abort();
	}
	return 0;
}
