/*
 * hours: calling hours ("08:00-20:00") in a time zone of the tz database,
 * whether a moment falls inside them there, and when that next changes,
 * with daylight-saving time as the tz database has it.
 *
 * Local time comes from the C library: hours_check sets TZ, calls tzset()
 * and localtime_r under one lock of its own, and puts TZ back as the
 * process started with it (or unset) before it unlocks. TZ is the process's
 * one time zone, so nothing else in the program may use local time
 * (localtime, mktime, strftime's %Z, ...): the program logs in UTC and
 * keeps epoch milliseconds, and only this module asks for local time. The
 * environment itself stays safe to read meanwhile: glibc's setenv, when it
 * replaces a variable, swaps one pointer of environ and never frees the
 * old string, so a getenv in another thread sees the old value or the new
 * one, whole.
 */
#ifndef NUMDIALER_HOURS_H
#define NUMDIALER_HOURS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HOURS_TEXT_MAX 11    /* "HH:MM-HH:MM", NUL excluded */
#define HOURS_ZONE_MAX 64    /* a zone's name, NUL excluded */
#define HOURS_ZONEINFO "/usr/share/zoneinfo"

/*
 * Minutes of the day, 0..1439, local time: from start (included) to end
 * (excluded). start > end runs past midnight ("21:00-02:00"); start never
 * equals end.
 */
struct hours {
	int start;
	int end;
};

/*
 * Reads text, exactly "HH:MM-HH:MM" (00..23 and 00..59, two digits each,
 * no blanks), into *out. "21:00-02:00" runs past midnight and
 * "08:00-00:00" until midnight. Returns 0, or -1 with the reason in err
 * (errlen bytes; the caller names the setting or file) and *out untouched.
 */
int hours_parse(const char *text, struct hours *out, char *err,
    size_t errlen);

/* Writes h as "HH:MM-HH:MM", as hours_parse reads it: 0, or -1 when len
 * is too small (buf then holds an empty string if len > 0). */
int hours_format(const struct hours *h, char *buf, size_t len);

/* Writes h's opening as "HH:MM", for messages ("waiting for calling hours
 * (08:00 America/Chicago)"): 0, or -1 as hours_format. */
int hours_format_start(const struct hours *h, char *buf, size_t len);

/*
 * Whether the len bytes at name are shaped as a tz database name: 1 to
 * HOURS_ZONE_MAX of [A-Za-z0-9_+-/], no '/' first or last, no empty part
 * ("//"), no "." or ".." part. Reads no file.
 */
bool hours_zone_name_ok(const char *name, size_t len);

/*
 * Whether name is a zone of the tz database (America/Chicago, UTC): shaped
 * as hours_zone_name_ok says, and HOURS_ZONEINFO/name a regular file
 * beginning with "TZif". The guard before TZ takes a name: glibc reads an
 * unknown one as UTC, saying nothing.
 */
bool hours_zone_valid(const char *name);

/*
 * Whether the moment now_ms (epoch ms) is inside h in zone's local time
 * (zone NULL or "": the process's own, the TZ it started with; a named zone
 * must pass hours_zone_valid first) into *open, and in *next_change_ms the
 * first moment after now_ms at which that changes: the next opening when
 * closed, the next closing when open, a whole second.
 *
 * Inside means the local clock shows a minute of h. So on the day the
 * clocks go forward, hours that begin in the skipped hour open when the
 * clock jumps past their start (02:30-03:30 in America/New_York opens at
 * 03:00 EDT); hours that end in it close at the jump; and on the day they
 * go back, a minute shown twice is inside twice. Thread-safe (see above).
 * Returns 0, or -1 when the C library cannot give local time for it.
 */
int hours_check(const struct hours *h, const char *zone, int64_t now_ms,
    bool *open, int64_t *next_change_ms);

#endif
