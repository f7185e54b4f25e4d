/*
 * test_numbers: the phone list parser, good lists and each kind of bad line.
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
		{ "13018040009 x\n",
		    "list.txt:1: space inside the number: \"13018040009 x\"" },
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
