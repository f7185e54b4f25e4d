/*
 * test_numbers: the phone list parser, good lists and each kind of bad line,
 * the time zones after numbers, and the ways a list is read (an empty list
 * taken, zones looked up, numbers checked).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "numbers.h"

#define ERR_MAX 256

static int
parse(const char *text, struct numbers *n, char *err)
{
	return numbers_parse(text, strlen(text), "list.txt", n, err, ERR_MAX);
}

static void
test_good_list(void **state)
{
	const char *text =
	    "# the list\n"
	    "\n"
	    "13018040009\r\n"
	    "  +442071838750  \n"
	    "\t1234567\t# seven digits, the least\n"
	    "123456789012345   # fifteen, the most\r\n"
	    "   # an indented comment\n"
	    "   \r\n"
	    "13018040009\n"
	    "+13018040010";
	struct numbers n;
	char err[ERR_MAX];

	(void)state;
	assert_int_equal(parse(text, &n, err), 0);
	assert_int_equal(n.count, 6);
	assert_string_equal(n.phones[0], "13018040009");
	assert_string_equal(n.phones[1], "+442071838750");
	assert_string_equal(n.phones[2], "1234567");
	assert_string_equal(n.phones[3], "123456789012345");
	assert_string_equal(n.phones[4], "13018040009");
	assert_string_equal(n.phones[5], "+13018040010");
	numbers_free(&n);
	assert_null(n.phones);
	assert_int_equal(n.count, 0);
}

/* Each bad line, with the line number and reason it must be reported by. */
/* A list saved with a UTF-8 byte order mark reads as without one; a mark
 * anywhere else is no digit. */
static void
test_byte_order_mark(void **state)
{
	struct numbers n;
	char err[ERR_MAX];

	(void)state;
	assert_int_equal(parse("\xef\xbb\xbf" "13018040009\n1234567\n", &n, err), 0);
	assert_int_equal(n.count, 2);
	assert_string_equal(n.phones[0], "13018040009");
	numbers_free(&n);
	assert_int_equal(parse("\xef\xbb\xbf# a comment first\n1234567\n", &n, err), 0);
	assert_int_equal(n.count, 1);
	numbers_free(&n);
	assert_int_equal(parse("1234567\n\xef\xbb\xbf" "13018040009\n", &n, err), -1);
	assert_non_null(strstr(err, ":2: not a digit"));
}

static void
test_bad_lines(void **state)
{
	static const struct {
		const char *text;
		const char *err;
	} cases[] = {
		{ "13018040009\nabc1234567\n",
		    "list.txt:2: not a digit: \"abc1234567\"" },
		{ "1301804000x\n", "list.txt:1: not a digit: \"1301804000x\"" },
		{ "\n\n130 1804 0009\n",
		    "list.txt:3: space inside the number: \"130 1804 0009\"" },
		{ "123456\n", "list.txt:1: too short (7 digits at least): \"123456\"" },
		{ "+\n", "list.txt:1: too short (7 digits at least): \"+\"" },
		{ "1234567890123456\n",
		    "list.txt:1: too long (15 digits at most): \"1234567890123456\"" },
		{ "++13018040009\n",
		    "list.txt:1: '+' is allowed only first: \"++13018040009\"" },
		{ "1301+8040009\n",
		    "list.txt:1: '+' is allowed only first: \"1301+8040009\"" },
		{ "13018040009# tight\n",
		    "list.txt:1: a comment needs a space before its '#': "
		    "\"13018040009# tight\"" },
		{ "13018040009 1\n",
		    "list.txt:1: space inside the number: \"13018040009 1\"" },
		{ "13018040009 +1\n",
		    "list.txt:1: space inside the number: \"13018040009 +1\"" },
		{ "1301804000\x01\n", "list.txt:1: not a digit: \"1301804000?\"" },
		{ "this line is much too long to be quoted whole\n",
		    "list.txt:1: not a digit: \"this line is much too lo...\"" },
		{ "", "list.txt: no numbers" },
		{ "# only a comment\n\n  \r\n", "list.txt: no numbers" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct numbers n;
		char err[ERR_MAX] = "";

		assert_int_equal(parse(cases[i].text, &n, err), -1);
		assert_string_equal(err, cases[i].err);
		assert_null(n.phones);
		assert_null(n.text);
		assert_int_equal(n.count, 0);
	}
}

/* An error message is always terminated, however small the buffer. */
static void
test_small_err(void **state)
{
	struct numbers n;
	char err[8];

	(void)state;
	memset(err, 'x', sizeof(err));
	assert_int_equal(numbers_parse("abc", 3, "list.txt", &n, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "list.tx");
}

/* The text is taken by length: a NUL byte is a bad character. */
static void
test_nul_byte(void **state)
{
	static const char text[] = "13018040009\n1301\0" "8040009\n";
	struct numbers n;
	char err[ERR_MAX];

	(void)state;
	assert_int_equal(numbers_parse(text, sizeof(text) - 1, "l", &n, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "l:2: not a digit: \"1301?8040009\"");
}

#define BIG_LINES 1000000

static void
test_million(void **state)
{
	size_t cap = (size_t)BIG_LINES * 14, len = 0;
	char *text = malloc(cap);
	struct numbers n;
	char err[ERR_MAX];

	(void)state;
	assert_non_null(text);
	for (size_t i = 0; i < BIG_LINES; i++)
		len += (size_t)snprintf(text + len, cap - len, "%s1%010zu\n",
		    i % 2 ? "+" : "", i);
	assert_int_equal(numbers_parse(text, len, "big", &n, err, sizeof(err)), 0);
	assert_int_equal(n.count, BIG_LINES);
	assert_string_equal(n.phones[0], "10000000000");
	assert_string_equal(n.phones[1], "+10000000001");
	assert_string_equal(n.phones[BIG_LINES - 1], "+10000999999");
	/* No zone named: no byte per row for them. */
	assert_null(n.zones);
	assert_null(n.zone_names);
	numbers_free(&n);

	/* A bad line at the very end is still found and named. */
	len += (size_t)snprintf(text + len, cap - len, "oops\n");
	assert_int_equal(numbers_parse(text, len, "big", &n, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "big:1000001: not a digit: \"oops\"");
	free(text);
}

static void
test_load(void **state)
{
	char path[] = "/tmp/test_numbers_XXXXXX";
	int fd = mkstemp(path);
	struct numbers n;
	char err[ERR_MAX];
	const char *text = "# list\n13018040009\n+13018040010\n";

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(numbers_load(path, &n, err, sizeof(err)), 0);
	assert_int_equal(n.count, 2);
	assert_string_equal(n.phones[1], "+13018040010");
	numbers_free(&n);
	unlink(path);

	assert_int_equal(numbers_load(path, &n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file or directory"));
	assert_memory_equal(err, path, strlen(path));
	assert_null(n.phones);
}

/* Writes text to a new temporary file whose name is left in path. */
static void
write_list(char *path, const char *text)
{
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void
test_zones(void **state)
{
	const char *text =
	    "+13125550100 America/Chicago\n"
	    "13018040009\n"
	    "  +442071838750   Europe/London   # London\r\n"
	    "+13125550101\tAmerica/Chicago\n"
	    "1234567 UTC#not a comment, but no zone either\n";
	struct numbers n;
	char err[ERR_MAX];

	(void)state;
	assert_int_equal(parse(text, &n, err), -1);
	assert_string_equal(err, "list.txt:5: a comment needs a space before "
	    "its '#': \"1234567 UTC#not a commen...\"");
	assert_int_equal(numbers_parse(text, strlen(text) - 46, "list.txt",
	    &n, err, sizeof(err)), 0);
	assert_int_equal(n.count, 4);
	assert_string_equal(n.phones[0], "+13125550100");
	assert_string_equal(n.phones[2], "+442071838750");
	assert_int_equal(n.zone_count, 2);
	assert_non_null(n.zones);
	assert_string_equal(numbers_zone(&n, 0), "America/Chicago");
	assert_null(numbers_zone(&n, 1));
	assert_string_equal(numbers_zone(&n, 2), "Europe/London");
	assert_ptr_equal(numbers_zone(&n, 3), numbers_zone(&n, 0));
	assert_int_equal(n.zones[0], 1);
	assert_int_equal(n.zones[1], 0);
	assert_int_equal(n.zones[2], 2);
	assert_int_equal(n.zones[3], 1);
	assert_null(n.zone_names[0]);
	numbers_free(&n);
	assert_null(n.zones);
	assert_null(n.zone_names);
	assert_int_equal(n.zone_count, 0);

	/* A list without zones has none. */
	assert_int_equal(parse("13018040009\n", &n, err), 0);
	assert_null(n.zones);
	assert_null(numbers_zone(&n, 0));
	numbers_free(&n);
}

/* Rows before the first zone, past the first growth of the arrays, are in
 * the default zone. */
static void
test_zone_late(void **state)
{
	size_t rows = 3000, cap = rows * 32, len = 0;
	char *text = malloc(cap);
	struct numbers n;
	char err[ERR_MAX];

	(void)state;
	assert_non_null(text);
	for (size_t i = 0; i < rows; i++)
		len += (size_t)snprintf(text + len, cap - len, "1%010zu%s\n", i,
		    i == 2500 ? " Asia/Tokyo" : i > 2500 && i % 2 ?
		    " Etc/GMT+5" : "");
	assert_int_equal(numbers_parse(text, len, "l", &n, err, sizeof(err)),
	    0);
	assert_int_equal(n.count, rows);
	assert_int_equal(n.zone_count, 2);
	for (size_t i = 0; i < rows; i++) {
		const char *z = numbers_zone(&n, i);

		if (i == 2500)
			assert_string_equal(z, "Asia/Tokyo");
		else if (i > 2500 && i % 2)
			assert_string_equal(z, "Etc/GMT+5");
		else
			assert_null(z);
	}
	numbers_free(&n);
	free(text);
}

static void
test_zone_errors(void **state)
{
	static const struct {
		const char *text;
		const char *err;
	} cases[] = {
		{ "13018040009 America/Chicago extra\n",
		    "list.txt:1: text after the time zone: "
		    "\"13018040009 America/Chic...\"" },
		{ "13018040009 x!\n",
		    "list.txt:1: not a time zone name: \"13018040009 x!\"" },
		{ "13018040009 ../etc\n",
		    "list.txt:1: not a time zone name: \"13018040009 ../etc\"" },
		{ "13018040009 /UTC\n",
		    "list.txt:1: not a time zone name: \"13018040009 /UTC\"" },
		{ "1234 America/Chicago\n",
		    "list.txt:1: too short (7 digits at least): "
		    "\"1234 America/Chicago\"" },
		{ "1x34567 UTC\n", "list.txt:1: not a digit: \"1x34567 UTC\"" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct numbers n;
		char err[ERR_MAX] = "";

		assert_int_equal(parse(cases[i].text, &n, err), -1);
		assert_string_equal(err, cases[i].err);
		assert_null(n.zones);
		assert_null(n.zone_names);
	}
}

/* 255 distinct zones at most. */
static void
test_zone_count(void **state)
{
	char text[256 * 24];
	size_t len = 0;
	struct numbers n;
	char err[ERR_MAX];

	(void)state;
	for (int i = 1; i <= 255; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		    "1301804%04d Zone/Z%d\n", i, i);
	/* The first zone again is no new one. */
	len += (size_t)snprintf(text + len, sizeof(text) - len,
	    "13018040000 Zone/Z1\n");
	assert_int_equal(numbers_parse(text, len, "l", &n, err, sizeof(err)),
	    0);
	assert_int_equal(n.zone_count, 255);
	assert_int_equal(n.zones[254], 255);
	assert_int_equal(n.zones[255], 1);
	assert_string_equal(numbers_zone(&n, 254), "Zone/Z255");
	numbers_free(&n);
	len += (size_t)snprintf(text + len, sizeof(text) - len,
	    "13018040000 Zone/Z256\n");
	assert_int_equal(numbers_parse(text, len, "l", &n, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "l:257: more than 255 time zones in one list");
}

static int zone_asked;

/* Knows America/Chicago alone, counting the questions. */
static bool
chicago_only(const char *zone)
{
	zone_asked++;
	return strcmp(zone, "America/Chicago") == 0;
}

/* Wants a '+' first. */
static const char *
plus_only(void *arg, const char *phone)
{
	(*(int *)arg)++;
	return phone[0] == '+' ? NULL : "not international";
}

static void
test_opts(void **state)
{
	const char *text =
	    "+13125550100 America/Chicago\n"
	    "+13125550101 America/Chicago\n"
	    "+13125550102\n"
	    "+13125550103 America/Chicago\n";
	struct numbers_opts opts = { .zone_ok = chicago_only };
	struct numbers n;
	char err[ERR_MAX];
	int checked = 0;

	(void)state;
	zone_asked = 0;
	assert_int_equal(numbers_parse_opts(text, strlen(text), "l", &opts, &n,
	    err, sizeof(err)), 0);
	assert_int_equal(zone_asked, 1);
	numbers_free(&n);
	assert_int_equal(numbers_parse_opts("+13125550100\n\n"
	    "+13125550101 Mars/Olympus\n", 40, "l", &opts, &n, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "l:3: unknown time zone \"Mars/Olympus\"");

	/* An empty list, taken when asked to. */
	assert_int_equal(numbers_parse_opts("", 0, "l", &opts, &n, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "l: no numbers");
	opts.empty_ok = true;
	assert_int_equal(numbers_parse_opts("# none\n\n", 8, "l", &opts, &n,
	    err, sizeof(err)), 0);
	assert_int_equal(n.count, 0);
	assert_null(n.zones);
	numbers_free(&n);

	/* Each number checked, the bad one named with its line. */
	opts.phone_problem = plus_only;
	opts.arg = &checked;
	assert_int_equal(numbers_parse_opts(text, strlen(text), "l", &opts, &n,
	    err, sizeof(err)), 0);
	assert_int_equal(checked, 4);
	numbers_free(&n);
	assert_int_equal(numbers_parse_opts("+13125550100\n13125550101 "
	    "America/Chicago\n", 41, "l", &opts, &n, err, sizeof(err)), -1);
	assert_string_equal(err, "l:2: not international: \"13125550101 "
	    "America/Chic...\"");
}

/* numbers_load looks every zone up in the tz database. */
static void
test_load_zones(void **state)
{
	char path[] = "/tmp/test_numbers_XXXXXX";
	char good[] = "/tmp/test_numbers_XXXXXX";
	char want[ERR_MAX];
	struct numbers n;
	char err[ERR_MAX];

	(void)state;
	write_list(path, "+13125550100 America/Chicago\n"
	    "+13125550101 Mars/Olympus # no such place\n");
	snprintf(want, sizeof(want), "%s:2: unknown time zone "
	    "\"Mars/Olympus\"", path);
	assert_int_equal(numbers_load(path, &n, err, sizeof(err)), -1);
	assert_string_equal(err, want);
	/* Read as numbers_parse reads: no zone looked up. */
	assert_int_equal(numbers_load_opts(path, NULL, &n, err, sizeof(err)),
	    0);
	assert_string_equal(numbers_zone(&n, 1), "Mars/Olympus");
	numbers_free(&n);
	unlink(path);

	write_list(good, "+13125550100 America/Chicago\n+13125550101 UTC\n"
	    "+13125550102\n");
	assert_int_equal(numbers_load(good, &n, err, sizeof(err)), 0);
	assert_int_equal(n.zone_count, 2);
	assert_string_equal(numbers_zone(&n, 1), "UTC");
	numbers_free(&n);
	unlink(good);
}

static void
test_equal(void **state)
{
	struct numbers a, b;
	char err[ERR_MAX];

	(void)state;
	assert_int_equal(parse("1234567 UTC\n7654321\n", &a, err), 0);
	assert_int_equal(parse("1234567 UTC\n7654321\n", &b, err), 0);
	assert_true(numbers_equal(&a, &b));
	numbers_free(&b);
	/* Another zone, no zone, or the zone on another row. */
	assert_int_equal(parse("1234567 Etc/UTC\n7654321\n", &b, err), 0);
	assert_false(numbers_equal(&a, &b));
	assert_false(numbers_equal(&b, &a));
	numbers_free(&b);
	assert_int_equal(parse("1234567\n7654321\n", &b, err), 0);
	assert_false(numbers_equal(&a, &b));
	assert_false(numbers_equal(&b, &a));
	numbers_free(&b);
	assert_int_equal(parse("1234567\n7654321 UTC\n", &b, err), 0);
	assert_false(numbers_equal(&a, &b));
	numbers_free(&b);
	/* Another phone. */
	assert_int_equal(parse("1234568 UTC\n7654321\n", &b, err), 0);
	assert_false(numbers_equal(&a, &b));
	numbers_free(&b);
	numbers_free(&a);
	assert_int_equal(parse("1234567\n7654321\n", &a, err), 0);
	assert_int_equal(parse("1234567\n7654321\n", &b, err), 0);
	assert_true(numbers_equal(&a, &b));
	numbers_free(&a);
	numbers_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_list),
		cmocka_unit_test(test_byte_order_mark),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_small_err),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_million),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_zones),
		cmocka_unit_test(test_zone_late),
		cmocka_unit_test(test_zone_errors),
		cmocka_unit_test(test_zone_count),
		cmocka_unit_test(test_opts),
		cmocka_unit_test(test_load_zones),
		cmocka_unit_test(test_equal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
