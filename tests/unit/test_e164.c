/*
 * test_e164: each form a number comes in, with and without a country code
 * to read it by, the numbers that cannot be made E.164, and the keys.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "e164.h"

static void
test_country_codes(void **state)
{
	(void)state;
	assert_true(e164_country_code_valid("1"));
	assert_true(e164_country_code_valid("44"));
	assert_true(e164_country_code_valid("378"));
	assert_false(e164_country_code_valid(""));
	assert_false(e164_country_code_valid("0"));
	assert_false(e164_country_code_valid("044"));
	assert_false(e164_country_code_valid("1234"));
	assert_false(e164_country_code_valid("+1"));
	assert_false(e164_country_code_valid("4a"));
}

static void
test_good(void **state)
{
	static const struct {
		const char *phone, *cc, *want;
	} cases[] = {
		/* With '+': already E.164, whatever the country. */
		{ "+13125550100", "1", "+13125550100" },
		{ "+447700900123", "1", "+447700900123" },
		{ "+4930123456", "44", "+4930123456" },
		{ "+12345678", "49", "+12345678" },
		{ "+123456789012345", "1", "+123456789012345" },
		/* NANP: ten digits, or eleven with its 1. */
		{ "3125550100", "1", "+13125550100" },
		{ "13125550100", "1", "+13125550100" },
		/* Elsewhere: the trunk 0 goes. */
		{ "07700900123", "44", "+447700900123" },
		{ "030123456", "49", "+4930123456" },
		/* ... but stays where it is part of the number. */
		{ "0612345678", "39", "+390612345678" },
		{ "0549123456", "378", "+3780549123456" },
		{ "0707123456", "225", "+2250707123456" },
		/* The international prefix. */
		{ "00447700900123", "49", "+447700900123" },
		{ "0013125550100", "39", "+13125550100" },
		/* The country code already there. */
		{ "447700900123", "44", "+447700900123" },
		{ "3931234567", "39", "+3931234567" },
		/* A national number without its trunk 0. */
		{ "7700900123", "44", "+447700900123" },
		{ "30123456", "49", "+4930123456" },
		{ "1234567", "7", "+71234567" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[E164_MAX + 1];

		memset(out, 'x', sizeof(out));
		assert_int_equal(e164_normalize(cases[i].phone, cases[i].cc,
		    out), 0);
		assert_string_equal(out, cases[i].want);
	}
}

static void
test_bad(void **state)
{
	static const struct {
		const char *phone, *cc;
	} cases[] = {
		/* Too short once made E.164, or as given. */
		{ "+1234567", "1" },
		{ "1234567", "1" },
		{ "123456", "44" },
		{ "0012345", "44" },
		{ "0123456", "7" },
		/* Too long. */
		{ "+1234567890123456", "1" },
		{ "123456789012345", "44" },
		{ "0123456789012345", "44" },
		/* NANP takes ten digits, or eleven starting with 1. */
		{ "312555010", "1" },
		{ "23125550100", "1" },
		{ "003125550100", "1" },
		{ "123125550100", "1" },
		/* No country code begins with 0. */
		{ "+0123456789", "1" },
		{ "0001234567", "44" },
		/* Not a phone at all. */
		{ "", "1" },
		{ "+", "1" },
		{ "++13125550100", "1" },
		{ "1312555010x", "1" },
		{ "1312 5550100", "1" },
		/* Not a country code. */
		{ "07700900123", "" },
		{ "07700900123", "044" },
		{ "07700900123", "4444" },
		{ "07700900123", "+44" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[E164_MAX + 1];

		memset(out, 'x', sizeof(out));
		assert_int_equal(e164_normalize(cases[i].phone, cases[i].cc,
		    out), -1);
		/* Nothing written. */
		assert_int_equal(out[0], 'x');
	}
}

static void
test_key(void **state)
{
	uint64_t k = 7;

	(void)state;
	assert_int_equal(e164_key("+13125550100", &k), 0);
	assert_true(k == UINT64_C(13125550100));
	assert_int_equal(e164_key("+999999999999999", &k), 0);
	assert_true(k == UINT64_C(999999999999999));
	assert_int_equal(e164_key("+12345678", &k), 0);
	assert_true(k == UINT64_C(12345678));

	k = 7;
	assert_int_equal(e164_key("13125550100", &k), -1);
	assert_int_equal(e164_key("+03125550100", &k), -1);
	assert_int_equal(e164_key("+1234567", &k), -1);
	assert_int_equal(e164_key("+1234567890123456", &k), -1);
	assert_int_equal(e164_key("+1312555010x", &k), -1);
	assert_int_equal(e164_key("+", &k), -1);
	assert_int_equal(e164_key("", &k), -1);
	assert_true(k == 7);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_country_codes),
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
