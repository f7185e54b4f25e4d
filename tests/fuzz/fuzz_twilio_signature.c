/* fuzz_twilio_signature: libFuzzer target for twilio_signature and
 * twilio_signature_ok, which read a webhook's form before it is trusted. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "twilio.h"
#include "webhook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_TOKEN "0123456789abcdef0123456789abcdef"
#define FUZZ_URL "https://nd.example/webhook/3/00112233445566778899aabbccddeeff"

static const char fuzz_base64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";

/* The form's pairs, last first: the same parameters in another order.
 * Its length, at most len (empty pairs are dropped); the pair count in
 * *pairs. */
static size_t
fuzz_reversed(const char *form, size_t len, char *out, size_t *pairs)
{
	struct webhook_pair all[TWILIO_SIGNED_PARAMS_MAX + 1];
	struct webhook_pair pair;
	const char *p = form;
	size_t n = 0, w = 0;

	*pairs = 0;
	while (webhook_form_next(&p, form + len, &pair)) {
		if (n < TWILIO_SIGNED_PARAMS_MAX + 1)
			all[n++] = pair;
		(*pairs)++;
	}
	while (n > 0) {
		const struct webhook_pair *q = &all[--n];
		/* The pair as it came: its name, and '=' and value if any. */
		size_t plen = (size_t)(q->value + q->value_len - q->name);

		if (w > 0)
			out[w++] = '&';
		memcpy(out + w, q->name, plen);
		w += plen;
	}
	return w;
}

/* The contract: a form within the bounds is signed with 28 Base64
 * characters, which twilio_signature_ok takes and any other header does
 * not; any order of its parameters signs the same; one past the bounds is
 * refused. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char other[WEBHOOK_BODY_MAX + 1];
	const char *form = (const char *)data;
	char sig[TWILIO_SIGNATURE_LEN + 1], again[TWILIO_SIGNATURE_LEN + 1];
	size_t pairs = 0, olen;

	olen = size <= WEBHOOK_BODY_MAX ? fuzz_reversed(form, size, other,
	    &pairs) : 0;
	if (twilio_signature(FUZZ_TOKEN, FUZZ_URL, form, size, sig) == -1) {
		if (sig[0] != '\0' || (size <= WEBHOOK_BODY_MAX &&
		    pairs <= TWILIO_SIGNED_PARAMS_MAX))
			abort();
		return 0;
	}
	if (size > WEBHOOK_BODY_MAX || pairs > TWILIO_SIGNED_PARAMS_MAX ||
	    strlen(sig) != TWILIO_SIGNATURE_LEN ||
	    strspn(sig, fuzz_base64) != TWILIO_SIGNATURE_LEN)
		abort();
	if (!twilio_signature_ok(FUZZ_TOKEN, FUZZ_URL, form, size, sig) ||
	    twilio_signature_ok(FUZZ_TOKEN, FUZZ_URL, form, size, NULL) ||
	    twilio_signature_ok(FUZZ_TOKEN, FUZZ_URL, form, size, ""))
		abort();
	memcpy(again, sig, sizeof(sig));
	again[size % TWILIO_SIGNATURE_LEN] ^= 0x20;
	if (twilio_signature_ok(FUZZ_TOKEN, FUZZ_URL, form, size, again))
		abort();
	if (twilio_signature(FUZZ_TOKEN, FUZZ_URL, other, olen, again) == -1 ||
	    strcmp(again, sig) != 0)
		abort();
	return 0;
}
