/* fuzz_settings: libFuzzer target for settings_parse, the conf-file parser. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "campaign.h"
#include "settings.h"

#define FUZZ_ERR_MAX 512
#define FUZZ_PORT_MAX 65535
#define FUZZ_TIMEOUT_MAX 86400

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A string member is terminated within its array. */
#define FUZZ_TERMINATED(a) (memchr((a), '\0', sizeof(a)) != NULL)

/* The contract: whatever the text, every setting stays in its range and
 * every string terminated; a refusal says "name:line: reason". */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct settings s;
	char err[FUZZ_ERR_MAX];
	int rc;

	settings_defaults(&s);
	memset(err, 'x', sizeof(err));
	rc = settings_parse(&s, (const char *)data, size, "fuzz.conf", err,
	    sizeof(err));
	if (rc != 0 && (rc != -1 || !FUZZ_TERMINATED(err) ||
	    strncmp(err, "fuzz.conf:", strlen("fuzz.conf:")) != 0))
		abort();
	if (s.port < 1 || s.port > FUZZ_PORT_MAX ||
	    s.concurrency < 1 || s.concurrency > CAMPAIGN_LIMIT_MAX ||
	    s.call_timeout < 1 || s.call_timeout > FUZZ_TIMEOUT_MAX ||
	    s.dial_attempts < 1 || s.dial_attempts > SETTINGS_DIAL_ATTEMPTS_MAX ||
	    s.retry_delay_ms < 1 ||
	    s.retry_delay_ms > SETTINGS_RETRY_DELAY_MAX_MS)
		abort();
	if (!FUZZ_TERMINATED(s.bind) || !FUZZ_TERMINATED(s.api) ||
	    !FUZZ_TERMINATED(s.public_url) || !FUZZ_TERMINATED(s.numbers) ||
	    !FUZZ_TERMINATED(s.rundir) || !FUZZ_TERMINATED(s.server) ||
	    !FUZZ_TERMINATED(s.socket) || !FUZZ_TERMINATED(s.journal))
		abort();
	return 0;
}
