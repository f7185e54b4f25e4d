/*
 * test_dnc: the do-not-call set from its file: numbers in any form found
 * by their E.164 form, repeats counted once, an empty file, the bad lines
 * named, and the stamp that tells a changed file.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "dnc.h"

#define ERR_MAX 512
#define PATH_MAX_TEST 64

/* Writes text to a new temporary file whose name goes to path. */
static void
write_file(char *path, const char *text)
{
	int fd;

	snprintf(path, PATH_MAX_TEST, "/tmp/test_dnc_XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void
test_load(void **state)
{
	char path[PATH_MAX_TEST], err[ERR_MAX];
	struct dnc *d = NULL;

	(void)state;
	write_file(path,
	    "# do not call\n"
	    "+13125550100\n"
	    "3125550101   # ten digits\n"
	    "13125550102 America/Chicago\n"
	    "+13125550101\n"          /* the second line's again */
	    "+447700900123\n");
	assert_int_equal(dnc_load(path, "1", &d, err, sizeof(err)), 0);
	assert_non_null(d);
	assert_int_equal(dnc_size(d), 4);
	assert_true(dnc_contains(d, "+13125550100"));
	assert_true(dnc_contains(d, "+13125550101"));
	assert_true(dnc_contains(d, "+13125550102"));
	assert_true(dnc_contains(d, "+447700900123"));
	assert_false(dnc_contains(d, "+13125550103"));
	assert_false(dnc_contains(d, "+1312555010"));
	assert_false(dnc_contains(d, "+99999999999"));
	assert_false(dnc_contains(d, "+10000000"));
	/* Only E.164 asks: the caller makes a row's number so first. */
	assert_false(dnc_contains(d, "13125550100"));
	assert_false(dnc_contains(d, ""));
	dnc_free(d);
	unlink(path);
}

/* The same numbers read by another country's code. */
static void
test_country(void **state)
{
	char path[PATH_MAX_TEST], err[ERR_MAX];
	struct dnc *d = NULL;

	(void)state;
	write_file(path, "07700900123\n447700900124\n0049301234567\n"
	    "7700900125\n");
	assert_int_equal(dnc_load(path, "44", &d, err, sizeof(err)), 0);
	assert_int_equal(dnc_size(d), 4);
	assert_true(dnc_contains(d, "+447700900123"));
	assert_true(dnc_contains(d, "+447700900124"));
	assert_true(dnc_contains(d, "+49301234567"));
	assert_true(dnc_contains(d, "+447700900125"));
	dnc_free(d);

	assert_int_equal(dnc_load(path, "044", &d, err, sizeof(err)), -1);
	assert_null(d);
	assert_non_null(strstr(err, ": country code \"044\" is not 1 to 3 "
	    "digits, the first not 0"));
	unlink(path);
}

/* An empty file, or one of comments, is an empty set, not an error. */
static void
test_empty(void **state)
{
	static const char *const texts[] = { "", "# nobody yet\n\n  \n" };
	char path[PATH_MAX_TEST], err[ERR_MAX];
	struct dnc *d = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		write_file(path, texts[i]);
		assert_int_equal(dnc_load(path, "1", &d, err, sizeof(err)), 0);
		assert_non_null(d);
		assert_int_equal(dnc_size(d), 0);
		assert_false(dnc_contains(d, "+13125550100"));
		dnc_free(d);
		unlink(path);
	}
	/* No set at all. */
	assert_false(dnc_contains(NULL, "+13125550100"));
	assert_int_equal(dnc_size(NULL), 0);
	dnc_free(NULL);
}

static void
test_errors(void **state)
{
	static const struct {
		const char *text, *cc, *err;
	} cases[] = {
		{ "+13125550100\n\n12345678\n", "1",
		    ":3: cannot be made E.164 with country code 1: \"12345678\"" },
		{ "+1234567\n", "44",
		    ":1: cannot be made E.164 with country code 44: \"+1234567\"" },
		{ "+13125550100 Mars/Olympus\n", "1",
		    ":1: unknown time zone \"Mars/Olympus\"" },
		{ "+1312555010x\n", "1", ":1: not a digit: \"+1312555010x\"" },
	};
	char path[PATH_MAX_TEST], err[ERR_MAX], want[ERR_MAX];
	struct dnc *d;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_file(path, cases[i].text);
		snprintf(want, sizeof(want), "%s%s", path, cases[i].err);
		d = (struct dnc *)1;
		assert_int_equal(dnc_load(path, cases[i].cc, &d, err,
		    sizeof(err)), -1);
		assert_null(d);
		assert_string_equal(err, want);
		unlink(path);
	}
	assert_int_equal(dnc_load("/nonexistent/dnc.txt", "1", &d, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "/nonexistent/dnc.txt: No such file or "
	    "directory");
}

/* Many numbers, in no order, with repeats. */
static void
test_many(void **state)
{
	size_t rows = 200000, cap = rows * 16, len = 0;
	char *text = malloc(cap);
	char path[PATH_MAX_TEST], err[ERR_MAX], e164[24];
	struct dnc *d = NULL;

	(void)state;
	assert_non_null(text);
	for (size_t i = 0; i < rows; i++)
		len += (size_t)snprintf(text + len, cap - len, "+1%010zu\n",
		    (i * 7919) % (rows / 2) * 2 + 2000000000);
	text[len] = '\0';
	write_file(path, text);
	free(text);
	assert_int_equal(dnc_load(path, "1", &d, err, sizeof(err)), 0);
	assert_int_equal(dnc_size(d), rows / 2);
	for (size_t i = 0; i < rows; i += 997) {
		snprintf(e164, sizeof(e164), "+1%010zu", i + 2000000000);
		assert_int_equal(dnc_contains(d, e164), i < rows && i % 2 == 0);
	}
	assert_false(dnc_contains(d, "+11999999998"));
	assert_false(dnc_contains(d, "+12000200000"));
	assert_true(dnc_contains(d, "+12000199998"));
	dnc_free(d);
	unlink(path);
}

static void
test_stamp(void **state)
{
	char path[PATH_MAX_TEST], other[PATH_MAX_TEST];
	struct dnc_stamp a, b;
	struct timespec times[2];

	(void)state;
	write_file(path, "+13125550100\n");
	assert_int_equal(dnc_stamp(path, &a), 0);
	assert_int_equal(dnc_stamp(path, &b), 0);
	assert_true(dnc_stamp_equal(&a, &b));

	/* Another mtime, the size the same. */
	times[0].tv_sec = 1000000000;
	times[0].tv_nsec = 0;
	times[1] = times[0];
	assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
	assert_int_equal(dnc_stamp(path, &b), 0);
	assert_false(dnc_stamp_equal(&a, &b));
	a = b;
	times[1].tv_nsec = 1;
	assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
	assert_int_equal(dnc_stamp(path, &b), 0);
	assert_false(dnc_stamp_equal(&a, &b));

	/* Another file put in its place, with the very same mtime. */
	a = b;
	write_file(other, "+13125550101\n");
	assert_int_equal(utimensat(AT_FDCWD, other, times, 0), 0);
	assert_int_equal(rename(other, path), 0);
	assert_int_equal(dnc_stamp(path, &b), 0);
	assert_false(dnc_stamp_equal(&a, &b));

	/* Grown. */
	a = b;
	{
		FILE *f = fopen(path, "a");

		assert_non_null(f);
		fputs("+13125550102\n", f);
		fclose(f);
	}
	assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
	assert_int_equal(dnc_stamp(path, &b), 0);
	assert_false(dnc_stamp_equal(&a, &b));

	unlink(path);
	assert_int_equal(dnc_stamp(path, &b), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_country),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_stamp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
