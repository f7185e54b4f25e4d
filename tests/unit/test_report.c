/*
 * test_report: the CSV reports: their header lines, RFC 4180 quoting, the
 * guard against formulas, times, a call's length, and a row's events.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "campaign.h"
#include "report.h"
#include "status.h"
#include "util.h"

#define T0 1796005900123LL   /* 2026-11-30T02:31:40.123Z */

static const char *const phones[] = {
	"+13018040009", "19842068287", "15512459377",
};
#define PHONES (sizeof(phones) / sizeof(phones[0]))

/* One field as report_field writes it, into out. */
static void
field(const char *s, bool text, char *out, size_t cap)
{
	struct buf b;
	char *got;

	assert_int_equal(buf_init(&b, 1), 0);
	report_field(&b, s, text);
	got = buf_take(&b, NULL);
	assert_non_null(got);
	assert_true(strlen(got) < cap);
	strcpy(out, got);
	free(got);
}

static void
test_quoting_and_the_formula_guard(void **state)
{
	static const struct {
		const char *in;
		bool text;
		const char *out;
	} cases[] = {
		{ "plain", true, "plain" },
		{ "", true, "" },
		{ "a,b", true, "\"a,b\"" },
		{ "say \"hi\"", true, "\"say \"\"hi\"\"\"" },
		{ "two\nlines", true, "\"two\nlines\"" },
		{ "cr\rhere", true, "\"cr\rhere\"" },
		{ "=1+1", true, "'=1+1" },
		{ "+1", true, "'+1" },
		{ "-5", true, "'-5" },
		{ "@SUM(A1)", true, "'@SUM(A1)" },
		{ "\tx", true, "'\tx" },
		{ "\rx", true, "\"'\rx\"" },
		{ "=a,\"b\"", true, "\"'=a,\"\"b\"\"\"" },
		{ "a=b", true, "a=b" },
		{ "+13018040009", false, "+13018040009" },
		{ "=HYPERLINK(1)", false, "=HYPERLINK(1)" },
	};
	char out[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		field(cases[i].in, cases[i].text, out, sizeof(out));
		assert_string_equal(out, cases[i].out);
	}
}

static void
test_headers(void **state)
{
	(void)state;
	assert_string_equal(report_header(REPORT_ROWS),
	    "row,phone,status,call_id,attempts,dialed_at,ringing_at,"
	    "answered_at,ended_at,duration_s,answered_by,reason\r\n");
	assert_string_equal(report_header(REPORT_EVENTS),
	    "row,phone,call_id,at,status,source,seq,provider_time,applied\r\n");
}

static void
test_iso_times(void **state)
{
	char iso[UTIL_ISO_MAX];

	(void)state;
	assert_int_equal(util_iso_ms(T0, iso), 24);
	assert_string_equal(iso, "2026-11-30T02:31:40.123Z");
	util_iso_ms(0, iso);
	assert_string_equal(iso, "1970-01-01T00:00:00.000Z");
	util_iso_ms(CAMPAIGN_MS_MAX, iso);
	assert_string_equal(iso, "10889-08-02T05:31:50.655Z");
	assert_int_equal(util_iso_ms(-1, iso), 0);
	assert_string_equal(iso, "");
}

/* Checks that kind's lines of row are want. */
static void
expect_lines(const struct campaign *c, enum report_kind kind, size_t row,
    const char *want)
{
	struct buf b;
	char *text;

	assert_int_equal(buf_init(&b, 16), 0);
	report_row(&b, kind, c, row);
	text = buf_take(&b, NULL);
	assert_non_null(text);
	assert_string_equal(text, want);
	free(text);
}

static void
hook(struct campaign *c, size_t row, const struct campaign_report *r,
    int64_t now)
{
	unsigned char key[CAMPAIGN_KEY_BYTES] = { (unsigned char)row };

	campaign_webhook(c, row, key, "=CA1", r, now);
}

/*
 * Row 0: a call answered and completed, its length from the marks; row 1:
 * the same with a reason to quote, the provider's length and who
 * answered, and a late ringing; row 2 never dialed.
 */
static void
test_rows_and_their_events(void **state)
{
	struct campaign *c = campaign_new(phones, PHONES, 3, 64);
	struct campaign_report r;
	unsigned char key[CAMPAIGN_KEY_BYTES] = { 0 };
	size_t i, row;

	(void)state;
	assert_non_null(c);
	assert_int_equal(campaign_start(c), 0);
	for (i = 0; i < 2; i++) {
		key[0] = (unsigned char)i;
		assert_int_equal(campaign_next_dial(c, key, T0, &row), 0);
		assert_int_equal(row, i);
		if (row == 1)
			campaign_dial_unknown(c, 1, "lost, \"twice\"", T0 + 1);
		r = campaign_report_of(STATUS_ANSWERED);
		hook(c, row, &r, T0 + 1000);
		r = campaign_report_of(STATUS_COMPLETED);
		if (row == 1) {
			r.duration_s = 7;
			r.answered_by = ANSWERED_BY_MACHINE_START;
			r.seq = 3;
			r.provider_s = T0 / 1000 + 60;
		}
		hook(c, row, &r, T0 + 62999);
	}
	r = campaign_report_of(STATUS_RINGING);
	hook(c, 1, &r, T0 + 70000);

	expect_lines(c, REPORT_ROWS, 0, "0,+13018040009,completed,'=CA1,1,"
	    "2026-11-30T02:31:40.123Z,,2026-11-30T02:31:41.123Z,"
	    "2026-11-30T02:32:43.122Z,61,,\r\n");
	expect_lines(c, REPORT_ROWS, 1, "1,19842068287,completed,'=CA1,1,"
	    "2026-11-30T02:31:40.123Z,,2026-11-30T02:31:41.123Z,"
	    "2026-11-30T02:32:43.122Z,7,machine_start,\"lost, \"\"twice\"\"\"\r\n");
	expect_lines(c, REPORT_ROWS, 2, "2,15512459377,idle,,0,,,,,,,\r\n");
	expect_lines(c, REPORT_EVENTS, 1,
	    "1,19842068287,'=CA1,2026-11-30T02:31:40.124Z,dialing,api,,,false\r\n"
	    "1,19842068287,'=CA1,2026-11-30T02:31:41.123Z,answered,webhook,,,true\r\n"
	    "1,19842068287,'=CA1,2026-11-30T02:32:43.122Z,completed,webhook,3,"
	    "2026-11-30T02:32:40.000Z,true\r\n"
	    "1,19842068287,'=CA1,2026-11-30T02:32:50.123Z,ringing,webhook,,,false\r\n");
	expect_lines(c, REPORT_EVENTS, 2, "");
	expect_lines(c, REPORT_EVENTS, 3, "");
	campaign_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quoting_and_the_formula_guard),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_iso_times),
		cmocka_unit_test(test_rows_and_their_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
