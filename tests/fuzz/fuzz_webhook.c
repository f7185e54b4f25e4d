/* fuzz_webhook: libFuzzer target for webhook_parse, JSON and form bodies. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "webhook.h"

#define FUZZ_ERR_MAX 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The first input byte picks one; the rest is the body. NULL is a request
 * that names no content type. */
static const char *const fuzz_ctypes[] = {
	"application/json",
	"application/x-www-form-urlencoded",
	"application/json; charset=utf-8",
	"application/x-www-form-urlencoded; charset=UTF-8",
	NULL,
	"text/plain",
};
#define FUZZ_CTYPES (sizeof(fuzz_ctypes) / sizeof(fuzz_ctypes[0]))

/* What the provider adds is in its range, and a report with no status says
 * who answered (Twilio's answering-machine callback). */
static void
fuzz_check_report(const struct campaign_report *r)
{
	if (r->seq < -1 || r->seq > CAMPAIGN_SEQ_MAX || r->provider_s < -1 ||
	    r->duration_s < -1 || r->duration_s > WEBHOOK_DURATION_MAX ||
	    (unsigned)r->answered_by >= ANSWERED_BY_COUNT ||
	    (r->status == STATUS_IDLE && r->answered_by == ANSWERED_BY_NONE))
		abort();
}

/* The contract: 0 with a known status, a terminated id within its bound
 * and a report in range, or one of the statuses the header names, with a
 * terminated reason. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct webhook wh;
	char err[FUZZ_ERR_MAX];
	const char *ctype;
	int rc;

	if (size == 0)
		return 0;
	ctype = fuzz_ctypes[data[0] % FUZZ_CTYPES];
	memset(err, 'x', sizeof(err));
	rc = webhook_parse(ctype, (const char *)data + 1, size - 1, &wh, err,
	    sizeof(err));
	switch (rc) {
	case 0:
		if (status_name(wh.report.status) == NULL ||
		    memchr(wh.id, '\0', sizeof(wh.id)) == NULL)
			abort();
		fuzz_check_report(&wh.report);
		break;
	case 400:
	case 413:
	case 415:
	case 422:
		if (memchr(err, '\0', sizeof(err)) == NULL)
			abort();
		break;
	default:
		abort();
	}
	return 0;
}
