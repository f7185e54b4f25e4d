/* fuzz_numbers: libFuzzer target for numbers_parse, the number-list parser
 * (time zones after the numbers included), and for e164_normalize on every
 * phone it gives. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "e164.h"
#include "numbers.h"

#define FUZZ_ERR_MAX 256
#define FUZZ_PHONE_MIN 7   /* digits, as numbers.h says */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A phone as numbers.h promises it: an optional '+', then 7 to 15 digits. */
static int
fuzz_phone_ok(const char *p)
{
	size_t digits = 0;

	if (*p == '+')
		p++;
	for (; *p != '\0'; p++, digits++)
		if (*p < '0' || *p > '9')
			return 0;
	return digits >= FUZZ_PHONE_MIN && digits < NUMBERS_PHONE_MAX;
}

/* e164_normalize's contract: 0 with '+' and 8 to 15 digits written, or -1
 * with nothing written; the same answer twice. */
static void
fuzz_e164(const char *phone)
{
	static const char *const codes[] = { "1", "44", "39", "358" };
	char out[E164_MAX + 1];
	size_t c;

	for (c = 0; c < sizeof(codes) / sizeof(codes[0]); c++) {
		memset(out, 'x', sizeof(out));
		if (e164_normalize(phone, codes[c], out) != 0) {
			if (out[0] != 'x')
				abort();
			continue;
		}
		if (out[0] != '+' || !fuzz_phone_ok(out) || strlen(out) < 9)
			abort();
	}
}

/* The contract: 0 with at least one well-formed phone, or -1 with an empty
 * list and a terminated "name:line: reason". */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct numbers n;
	char err[FUZZ_ERR_MAX];
	size_t i;

	memset(&n, 0, sizeof(n));
	memset(err, 'x', sizeof(err));
	if (numbers_parse((const char *)data, size, "fuzz", &n, err,
	    sizeof(err)) != 0) {
		if (n.count != 0 || n.phones != NULL ||
		    memchr(err, '\0', sizeof(err)) == NULL ||
		    strncmp(err, "fuzz:", strlen("fuzz:")) != 0)
			abort();
		return 0;
	}
	if (n.count == 0 || n.phones == NULL)
		abort();
	for (i = 0; i < n.count; i++) {
		if (!fuzz_phone_ok(n.phones[i]))
			abort();
		if (n.zones != NULL && (n.zones[i] > n.zone_count ||
		    (n.zones[i] > 0) != (numbers_zone(&n, i) != NULL)))
			abort();
		fuzz_e164(n.phones[i]);
	}
	numbers_free(&n);
	return 0;
}
