/*
 * test_hex: bytes to lowercase hex and back, and the texts refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hex.h"

#define BYTES 4

static void
test_round_trip(void **state)
{
	const unsigned char in[BYTES] = { 0x00, 0x9f, 0xa0, 0xff };
	unsigned char back[BYTES];
	char text[2 * BYTES + 1];

	(void)state;
	memset(text, 'x', sizeof(text));
	hex_encode(in, BYTES, text);
	assert_string_equal(text, "009fa0ff");
	assert_int_equal(hex_decode(text, back, BYTES), 0);
	assert_memory_equal(back, in, BYTES);
	hex_encode(in, 0, text);
	assert_string_equal(text, "");
}

static void
test_refused(void **state)
{
	static const char *const bad[] = {
		"",           /* empty */
		"009fa0f",    /* one digit short */
		"009fa0ff0",  /* one digit over */
		"009FA0FF",   /* uppercase */
		"009fa0fg",   /* not a digit */
		"00 9fa0f",   /* blank */
	};
	unsigned char out[BYTES];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(hex_decode(bad[i], out, BYTES), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
