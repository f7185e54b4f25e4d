/*
 * report: the campaign as the two CSV files an operator downloads, one line
 * per row (GET /report.csv) or per event of a row's history
 * (GET /report/events.csv). RFC 4180: lines end in CRLF, a field holding a
 * comma, a quote, a CR or a LF is quoted with its quotes doubled; UTF-8
 * without a BOM. A free-text field (call id, who answered, reason) that a
 * spreadsheet would take for a formula (it starts with =, +, -, @, a TAB
 * or a CR) gets a leading ' inside its quoting; phones are written as
 * they are. Times are ISO 8601 UTC with milliseconds, empty when not
 * reached. Pure: the caller holds the campaign's lock and writes the
 * bytes where it likes, a batch of rows at a time.
 */
#ifndef NUMDIALER_REPORT_H
#define NUMDIALER_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "campaign.h"

#define REPORT_CONTENT_TYPE "text/csv; charset=utf-8"

enum report_kind {
	REPORT_ROWS,    /* a line per row */
	REPORT_EVENTS   /* a line per event, rows in list order */
};

/* The header line of kind ("row,phone,status,..."), CRLF included. */
const char *report_header(enum report_kind kind);

/*
 * Appends row's lines of kind to b: its one line (a call's length is the
 * provider's when given, else ended - answered in whole seconds when both
 * marks exist, else empty), or a line per event, oldest first (none for a
 * row with no history), each with the row's phone and call id (its last
 * call's). Nothing for a row out of range.
 */
void report_row(struct buf *b, enum report_kind kind,
    const struct campaign *c, size_t row);

/* Appends one field: quoted when it must be; guarded against formulas
 * when text (a free-text field). */
void report_field(struct buf *b, const char *s, bool text);

#endif
