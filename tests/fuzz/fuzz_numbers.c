/* fuzz_numbers: libFuzzer target for numbers_parse, the number-list parser. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
	for (i = 0; i < n.count; i++)
		if (!fuzz_phone_ok(n.phones[i]))
			abort();
	numbers_free(&n);
	return 0;
}
