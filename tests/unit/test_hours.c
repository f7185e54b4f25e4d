/*
 * test_hours: the text of calling hours, zone names against the tz
 * database, and inside/outside with the next change: the minute at each
 * end, hours past midnight, and the days the clocks change in
 * America/New_York and Europe/Berlin (every expected moment written as UTC
 * from the offsets those zones have).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hours.h"

#define ERR_MAX 256

#define MIN_MS ((int64_t)60 * 1000)
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS (24 * HOUR_MS)

/* Midnight UTC of the days the tests use, in epoch ms. */
#define JAN_15_2024 ((int64_t)1705276800 * 1000)
#define JUL_01_2024 ((int64_t)1719792000 * 1000)
/* America/New_York: EST (-5) to EDT (-4) at 07:00 UTC on March 10, EDT
 * back to EST at 06:00 UTC on November 3. */
#define MAR_10_2024 ((int64_t)1710028800 * 1000)
#define NOV_03_2024 ((int64_t)1730592000 * 1000)
/* Europe/Berlin: CET (+1) to CEST (+2) at 01:00 UTC on March 31, CEST
 * back to CET at 01:00 UTC on October 27. */
#define MAR_31_2024 ((int64_t)1711843200 * 1000)
#define OCT_27_2024 ((int64_t)1729987200 * 1000)

static struct hours
hours(const char *text)
{
	struct hours h;
	char err[ERR_MAX];

	assert_int_equal(hours_parse(text, &h, err, sizeof(err)), 0);
	return h;
}

/* Checks that at now (UTC ms) the hours of text in zone are open or not,
 * and change next at want (UTC ms). */
static void
check(const char *text, const char *zone, int64_t now, bool open,
    int64_t want)
{
	struct hours h = hours(text);
	bool got_open = !open;
	int64_t got = -1;

	assert_int_equal(hours_check(&h, zone, now, &got_open, &got), 0);
	assert_int_equal(got_open, open);
	if (got != want)
		fail_msg("%s in %s at %lld: next change %lld, want %lld (%+lld "
		    "min)", text, zone ? zone : "(default)", (long long)now,
		    (long long)got, (long long)want,
		    (long long)((got - want) / MIN_MS));
}

static void
test_parse(void **state)
{
	struct hours h = { -1, -1 };
	char err[ERR_MAX], buf[HOURS_TEXT_MAX + 1];

	(void)state;
	assert_int_equal(hours_parse("08:00-20:00", &h, err, sizeof(err)), 0);
	assert_int_equal(h.start, 8 * 60);
	assert_int_equal(h.end, 20 * 60);
	assert_int_equal(hours_parse("21:30-02:05", &h, err, sizeof(err)), 0);
	assert_int_equal(h.start, 21 * 60 + 30);
	assert_int_equal(h.end, 2 * 60 + 5);
	assert_int_equal(hours_format(&h, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "21:30-02:05");
	assert_int_equal(hours_format_start(&h, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "21:30");
	assert_int_equal(hours_format(&h, buf, HOURS_TEXT_MAX), -1);
	assert_string_equal(buf, "");
	assert_int_equal(hours_format_start(&h, buf, 5), -1);
	assert_int_equal(hours_parse("00:00-23:59", &h, err, sizeof(err)), 0);
	assert_int_equal(hours_parse("08:00-00:00", &h, err, sizeof(err)), 0);
	assert_int_equal(h.end, 0);
}

static void
test_parse_errors(void **state)
{
	static const char *const bad[] = {
		"", "8:00-20:00", "08:00-20:0", "08:00 - 20:00", "08:00-20:00 ",
		"08.00-20.00", "08:00_20:00", "24:00-08:00", "08:00-24:00",
		"08:60-20:00", "+8:00-20:00", "08:00-20:00-21:00", "ab:cd-ef:gh",
		"08:00", "08:0020:00",
	};
	struct hours h = { -1, -1 };
	char err[ERR_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(hours_parse(bad[i], &h, err, sizeof(err)), -1);
		assert_string_equal(err, "not HH:MM-HH:MM (00:00 to 23:59, "
		    "e.g. 08:00-20:00)");
	}
	assert_int_equal(hours_parse("09:15-09:15", &h, err, sizeof(err)), -1);
	assert_string_equal(err, "opens and closes at the same minute");
	assert_int_equal(h.start, -1);
}

static void
test_zone_names(void **state)
{
	static const char *const good[] = {
		"UTC", "America/Chicago", "Europe/Berlin", "America/New_York",
		"Etc/GMT+5", "America/Argentina/Buenos_Aires", "GMT-0",
	};
	static const char *const bad[] = {
		"", "Mars/Olympus", "America", "America/", "/America/Chicago",
		"America//Chicago", "../zoneinfo/UTC", "America/../UTC",
		"./UTC", "America/Chicago ", "America/Chicago\n", "zone.tab",
		"America/Chicago/x", "Am\xc3\xa9rica/Chicago",
		"ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLM",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!hours_zone_valid(good[i]))
			fail_msg("%s refused", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (hours_zone_valid(bad[i]))
			fail_msg("%s taken", bad[i]);
	/* The shape alone, which reads no file. */
	assert_true(hours_zone_name_ok("Mars/Olympus", 12));
	assert_true(hours_zone_name_ok("America/Chicago x", 15));
	assert_false(hours_zone_name_ok("..", 2));
	assert_false(hours_zone_name_ok("a/.", 3));
	assert_false(hours_zone_name_ok("a b", 3));
}

/* The first minute is inside, the last one is not. */
static void
test_boundaries(void **state)
{
	const int64_t d = JAN_15_2024;

	(void)state;
	check("08:00-17:00", "UTC", d + 7 * HOUR_MS + 59 * MIN_MS + 30500,
	    false, d + 8 * HOUR_MS);
	check("08:00-17:00", "UTC", d + 8 * HOUR_MS, true, d + 17 * HOUR_MS);
	check("08:00-17:00", "UTC", d + 17 * HOUR_MS - 1, true,
	    d + 17 * HOUR_MS);
	check("08:00-17:00", "UTC", d + 17 * HOUR_MS, false,
	    d + DAY_MS + 8 * HOUR_MS);
	check("08:00-17:00", "UTC", d, false, d + 8 * HOUR_MS);
	/* In the zone's time: 07:00 CDT is 12:00 UTC. */
	check("08:00-20:00", "America/Chicago", JUL_01_2024 + 12 * HOUR_MS,
	    false, JUL_01_2024 + 13 * HOUR_MS);
	check("08:00-20:00", "America/Chicago", JUL_01_2024 + 13 * HOUR_MS,
	    true, JUL_01_2024 + DAY_MS + 1 * HOUR_MS);
	/* Before 1970, the seconds still floor down. */
	check("23:00-23:45", "UTC", -30 * MIN_MS, true, -15 * MIN_MS);
	check("23:00-23:45", "UTC", -15 * MIN_MS - 1, true, -15 * MIN_MS);
}

static void
test_past_midnight(void **state)
{
	const int64_t d = JAN_15_2024;

	(void)state;
	check("21:00-02:00", "UTC", d + 20 * HOUR_MS + 59 * MIN_MS, false,
	    d + 21 * HOUR_MS);
	check("21:00-02:00", "UTC", d + 23 * HOUR_MS, true,
	    d + DAY_MS + 2 * HOUR_MS);
	check("21:00-02:00", "UTC", d + 1 * HOUR_MS + 59 * MIN_MS, true,
	    d + 2 * HOUR_MS);
	check("21:00-02:00", "UTC", d + 2 * HOUR_MS, false, d + 21 * HOUR_MS);
	check("08:00-00:00", "UTC", d + 23 * HOUR_MS + 59 * MIN_MS, true,
	    d + DAY_MS);
	check("08:00-00:00", "UTC", d, false, d + 8 * HOUR_MS);
}

/* America/New_York, March 10 2024: 02:00 EST is 03:00 EDT. */
static void
test_new_york_spring(void **state)
{
	const int64_t d = MAR_10_2024;

	(void)state;
	/* Hours in the skipped hour open when the clock jumps past 02:30. */
	check("02:30-03:30", "America/New_York", d + 6 * HOUR_MS, false,
	    d + 7 * HOUR_MS);
	check("02:30-03:30", "America/New_York", d + 7 * HOUR_MS, true,
	    d + 7 * HOUR_MS + 30 * MIN_MS);
	/* Next day's 02:30 EDT is 06:30 UTC. */
	check("02:30-03:30", "America/New_York", d + 7 * HOUR_MS + 30 * MIN_MS,
	    false, d + DAY_MS + 6 * HOUR_MS + 30 * MIN_MS);
	/* Hours ending in it close at the jump. */
	check("01:00-02:30", "America/New_York", d + 6 * HOUR_MS + 30 * MIN_MS,
	    true, d + 7 * HOUR_MS);
	/* Closed only in the skipped hour: open all day. 01:59 EST, then
	 * closing at 02:00 EDT the next day (06:00 UTC). */
	check("03:00-02:00", "America/New_York", d + 6 * HOUR_MS + 59 * MIN_MS,
	    true, d + DAY_MS + 6 * HOUR_MS);
	/* Day hours: opened from midnight EST at 08:00 EDT (12:00 UTC),
	 * closed at 20:00 EDT (00:00 UTC). */
	check("08:00-20:00", "America/New_York", d + 5 * HOUR_MS, false,
	    d + 12 * HOUR_MS);
	check("08:00-20:00", "America/New_York", d + 12 * HOUR_MS, true,
	    d + DAY_MS);
	/* The evening before: 20:00 EST (01:00 UTC) to 08:00 EDT. */
	check("08:00-20:00", "America/New_York", d + 1 * HOUR_MS, false,
	    d + 12 * HOUR_MS);
}

/* America/New_York, November 3 2024: 02:00 EDT is 01:00 EST again. */
static void
test_new_york_fall(void **state)
{
	const int64_t d = NOV_03_2024;

	(void)state;
	/* 01:30-02:30 comes twice, with the repeated 01:00-01:30 between. */
	check("01:30-02:30", "America/New_York", d + 5 * HOUR_MS, false,
	    d + 5 * HOUR_MS + 30 * MIN_MS);
	check("01:30-02:30", "America/New_York", d + 5 * HOUR_MS + 30 * MIN_MS,
	    true, d + 6 * HOUR_MS);
	check("01:30-02:30", "America/New_York", d + 6 * HOUR_MS, false,
	    d + 6 * HOUR_MS + 30 * MIN_MS);
	check("01:30-02:30", "America/New_York", d + 6 * HOUR_MS + 30 * MIN_MS,
	    true, d + 7 * HOUR_MS + 30 * MIN_MS);
	/* Day hours: 08:00 EST is 13:00 UTC, from 00:30 EDT. */
	check("08:00-20:00", "America/New_York", d + 4 * HOUR_MS + 30 * MIN_MS,
	    false, d + 13 * HOUR_MS);
}

static void
test_berlin(void **state)
{
	const int64_t s = MAR_31_2024, f = OCT_27_2024;

	(void)state;
	/* From 21:00 CET on March 30 to 08:00 CEST (06:00 UTC). */
	check("08:00-20:00", "Europe/Berlin", s - 4 * HOUR_MS, false,
	    s + 6 * HOUR_MS);
	check("08:00-20:00", "Europe/Berlin", s + 6 * HOUR_MS, true,
	    s + 18 * HOUR_MS);
	/* The day before: 08:00 CET is 07:00 UTC. */
	check("08:00-20:00", "Europe/Berlin", s - DAY_MS, false,
	    s - DAY_MS + 7 * HOUR_MS);
	/* From 21:00 CEST on October 26 to 08:00 CET (07:00 UTC). */
	check("08:00-20:00", "Europe/Berlin", f - 5 * HOUR_MS, false,
	    f + 7 * HOUR_MS);
	/* Past midnight to 02:30: 02:30 CEST (00:30 UTC) closes it, and at
	 * 01:00 UTC the clock shows 02:00 CET, open again until 02:30 CET. */
	check("21:00-02:30", "Europe/Berlin", f - 1 * HOUR_MS, true,
	    f + 30 * MIN_MS);
	check("21:00-02:30", "Europe/Berlin", f + 30 * MIN_MS, false,
	    f + 1 * HOUR_MS);
	check("21:00-02:30", "Europe/Berlin", f + 1 * HOUR_MS, true,
	    f + 1 * HOUR_MS + 30 * MIN_MS);
	check("21:00-02:30", "Europe/Berlin", f + 1 * HOUR_MS + 30 * MIN_MS,
	    false, f + 20 * HOUR_MS);
}

/* A NULL or empty zone is the process's own, and TZ comes back as it was,
 * set or not. */
static void
test_default_zone(void **state)
{
	const int64_t d = JUL_01_2024;

	(void)state;
	setenv("TZ", "America/Chicago", 1);
	check("08:00-20:00", NULL, d + 12 * HOUR_MS, false, d + 13 * HOUR_MS);
	check("08:00-20:00", "Europe/Berlin", d + 12 * HOUR_MS, true,
	    d + 18 * HOUR_MS);
	assert_string_equal(getenv("TZ"), "America/Chicago");
	check("08:00-20:00", "", d + 12 * HOUR_MS, false, d + 13 * HOUR_MS);

	unsetenv("TZ");
	check("08:00-20:00", "UTC", d + 12 * HOUR_MS, true, d + 20 * HOUR_MS);
	assert_null(getenv("TZ"));
	setenv("TZ", "UTC", 1);
	check("08:00-20:00", NULL, d + 12 * HOUR_MS, true, d + 20 * HOUR_MS);
	unsetenv("TZ");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_zone_names),
		cmocka_unit_test(test_boundaries),
		cmocka_unit_test(test_past_midnight),
		cmocka_unit_test(test_new_york_spring),
		cmocka_unit_test(test_new_york_fall),
		cmocka_unit_test(test_berlin),
		cmocka_unit_test(test_default_zone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
