/*
 * report: the CSV reports (see report.h for the format).
 */
#include "report.h"

#include <string.h>

#include "status.h"
#include "util.h"

/* What makes a field quoted, and what makes a spreadsheet read a formula. */
#define REPORT_QUOTED ",\"\r\n"
#define REPORT_FORMULA "=+-@\t\r"

static const char *const report_headers[] = {
	[REPORT_ROWS] = "row,phone,status,call_id,attempts,dialed_at,ringing_at,"
	    "answered_at,ended_at,duration_s,answered_by,reason\r\n",
	[REPORT_EVENTS] = "row,phone,call_id,at,status,source,seq,"
	    "provider_time,applied\r\n",
};

const char *
report_header(enum report_kind kind)
{
	return (unsigned)kind < LEN(report_headers) ? report_headers[kind] : "";
}

void
report_field(struct buf *b, const char *s, bool text)
{
	bool guard = text && s[0] != '\0' && strchr(REPORT_FORMULA, s[0]) != NULL;
	const char *p;

	if (s[strcspn(s, REPORT_QUOTED)] == '\0') {
		if (guard)
			buf_char(b, '\'');
		buf_str(b, s);
		return;
	}
	buf_char(b, '"');
	if (guard)
		buf_char(b, '\'');
	for (p = s; *p != '\0'; p++) {
		if (*p == '"')
			buf_char(b, '"');
		buf_char(b, *p);
	}
	buf_char(b, '"');
}

/* A comma, then an ISO 8601 time for ms; nothing after the comma when
 * ms < 0 (none). */
static void
report_time(struct buf *b, int64_t ms)
{
	char iso[UTIL_ISO_MAX];

	buf_char(b, ',');
	if (ms >= 0 && util_iso_ms(ms, iso) > 0)
		buf_str(b, iso);
}

/* A comma, then v; nothing after the comma when v < 0. */
static void
report_number(struct buf *b, int64_t v)
{
	buf_char(b, ',');
	if (v >= 0)
		buf_u64(b, (uint64_t)v);
}

/* A comma, then s as a field (empty for NULL). */
static void
report_next(struct buf *b, const char *s, bool text)
{
	buf_char(b, ',');
	if (s != NULL)
		report_field(b, s, text);
}

/* The call's length: the provider's, else between its answer and its
 * end in whole seconds, else -1. */
static int64_t
report_duration(const struct campaign_row *r)
{
	if (r->duration_s >= 0)
		return r->duration_s;
	if (r->at_ms[MARK_ANSWERED] > 0 &&
	    r->at_ms[MARK_ENDED] >= r->at_ms[MARK_ANSWERED])
		return (r->at_ms[MARK_ENDED] - r->at_ms[MARK_ANSWERED]) / 1000;
	return -1;
}

static void
report_row_line(struct buf *b, size_t row, const struct campaign_row *r)
{
	int m;

	buf_u64(b, row);
	report_next(b, r->phone, false);
	report_next(b, status_name(r->status), false);
	report_next(b, r->call_id, true);
	report_number(b, r->attempts);
	/* A mark at 0 was not reached. */
	for (m = 0; m < MARK_COUNT; m++)
		report_time(b, r->at_ms[m] > 0 ? r->at_ms[m] : -1);
	report_number(b, report_duration(r));
	report_next(b, r->answered_by == ANSWERED_BY_NONE ? NULL :
	    answered_by_name(r->answered_by), true);
	report_next(b, r->reason, true);
	buf_str(b, "\r\n");
}

static void
report_event_lines(struct buf *b, const struct campaign *c, size_t row,
    const struct campaign_row *r)
{
	struct campaign_event ev[CAMPAIGN_EVENTS_MAX];
	size_t i, n = campaign_events(c, row, ev, CAMPAIGN_EVENTS_MAX);

	for (i = 0; i < n; i++) {
		buf_u64(b, row);
		report_next(b, r->phone, false);
		report_next(b, r->call_id, true);
		report_time(b, ev[i].at_ms);
		report_next(b, status_name(ev[i].status), false);
		report_next(b, event_source_name(ev[i].source), false);
		report_number(b, ev[i].seq);
		report_time(b, ev[i].provider_s < 0 ? -1 :
		    ev[i].provider_s * 1000);
		buf_str(b, ev[i].applied ? ",true\r\n" : ",false\r\n");
	}
}

void
report_row(struct buf *b, enum report_kind kind, const struct campaign *c,
    size_t row)
{
	const struct campaign_row *r = campaign_row(c, row);

	if (r == NULL)
		return;
	if (kind == REPORT_ROWS)
		report_row_line(b, row, r);
	else
		report_event_lines(b, c, row, r);
}
