/*
 * compliance: the rules from the world outside the campaign that hold rows
 * back, fed into it. The do-not-call file (NUMDIALER_DNC) is read at
 * start-up, looked at (stat) before every dial and read again once it
 * changed; its numbers are skipped, and the campaign asks it about each row
 * just before dialing. The calling hours (NUMDIALER_CALL_HOURS) are worked
 * out for each time zone of the list whenever one opens or closes. A do-not
 * call file that cannot be read pauses dialing: no call without it.
 *
 * The dialer thread calls compliance_refresh before it looks for a row;
 * main calls compliance_attach once, before any thread.
 */
#ifndef NUMDIALER_COMPLIANCE_H
#define NUMDIALER_COMPLIANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hub.h"
#include "settings.h"

struct compliance;

/*
 * The rules of s: reads the do-not-call file, parses the calling hours.
 * NULL with the reason in err when the file cannot be read (start-up
 * stops: no dialing without it) or out of memory.
 */
struct compliance *compliance_new(const struct settings *s, char *err,
    size_t errlen);
void compliance_free(struct compliance *k);

/*
 * Hands the rules to the campaign before any thread runs: the check before
 * each dial, and every row on the do-not-call list skipped from the start.
 * Returns how many rows it skipped.
 */
size_t compliance_attach(struct compliance *k, struct campaign *c,
    int64_t now_ms);

/*
 * Reads the do-not-call file again if it changed (skipping its numbers'
 * rows; pausing dialing if it cannot be read) and gives each zone whose
 * hours changed its new state. Takes the hub's lock itself, and only to
 * apply what it found. Returns whether the campaign changed.
 */
bool compliance_refresh(struct compliance *k, struct hub *h, int64_t now_ms);

/* When the calling hours next open or close somewhere (epoch ms);
 * INT64_MAX when no hours are set. */
int64_t compliance_next_ms(const struct compliance *k);

#endif
