/*
 * hours: the text of calling hours, the check of a zone's name against the
 * tz database, and the walk to the next opening or closing. Local time is
 * read as the zone's offset from UTC at a moment (tm_gmtoff): the local
 * clock at t is t + offset, so between two changes of offset the minute it
 * shows is plain arithmetic, and only the changes need finding.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hours.h"
#include "util.h"

#define HOURS_DAY_S 86400
#define HOURS_DAY_MIN 1440
#define HOURS_WALK_MAX 8   /* offset changes crossed looking for a change */

/* The one lock around TZ and the C library's local time. */
static pthread_mutex_t hours_lock = PTHREAD_MUTEX_INITIALIZER;

/* Reads "HH:MM" at s into minutes of the day: 0, or -1. */
static int
clock_minutes(const char *s, int *out)
{
	const char *why;
	uint64_t hh, mm;

	if (s[2] != ':')
		return -1;
	hh = util_strtou64(s, 2, 0, 23, &why);
	if (why != NULL)
		return -1;
	mm = util_strtou64(s + 3, 2, 0, 59, &why);
	if (why != NULL)
		return -1;
	*out = (int)(hh * 60 + mm);
	return 0;
}

int
hours_parse(const char *text, struct hours *out, char *err, size_t errlen)
{
	int start, end;

	if (strlen(text) != HOURS_TEXT_MAX || text[5] != '-' ||
	    clock_minutes(text, &start) != 0 ||
	    clock_minutes(text + 6, &end) != 0)
		return util_err(err, errlen, "not HH:MM-HH:MM (00:00 to 23:59, "
		    "e.g. 08:00-20:00)");
	if (start == end)
		return util_err(err, errlen, "opens and closes at the same "
		    "minute");
	out->start = start;
	out->end = end;
	return 0;
}

int
hours_format(const struct hours *h, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%02d:%02d-%02d:%02d", h->start / 60,
	    h->start % 60, h->end / 60, h->end % 60);

	if (n < 0 || (size_t)n >= len) {
		if (len > 0)
			buf[0] = '\0';
		return -1;
	}
	return 0;
}

int
hours_format_start(const struct hours *h, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%02d:%02d", h->start / 60, h->start % 60);

	if (n < 0 || (size_t)n >= len) {
		if (len > 0)
			buf[0] = '\0';
		return -1;
	}
	return 0;
}

static bool
zone_char(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	    (ch >= '0' && ch <= '9') || ch == '_' || ch == '+' || ch == '-' ||
	    ch == '/';
}

bool
hours_zone_name_ok(const char *name, size_t len)
{
	size_t part = 0;   /* where the current part began */

	if (len == 0 || len > HOURS_ZONE_MAX)
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && !zone_char(name[i]))
			return false;
		if (i < len && name[i] != '/')
			continue;
		/* A part ends at i: not empty, not "." or "..". */
		if (i == part || (name[part] == '.' && (i - part == 1 ||
		    (i - part == 2 && name[part + 1] == '.'))))
			return false;
		part = i + 1;
	}
	return true;
}

bool
hours_zone_valid(const char *name)
{
	char path[sizeof(HOURS_ZONEINFO) + 1 + HOURS_ZONE_MAX];
	char magic[4];
	struct stat st;
	bool ok;
	int fd;

	if (!hours_zone_name_ok(name, strlen(name)))
		return false;
	snprintf(path, sizeof(path), "%s/%s", HOURS_ZONEINFO, name);
	/* O_NONBLOCK: a FIFO put there must not hold the caller. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1)
		return false;
	ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    read(fd, magic, sizeof(magic)) == (ssize_t)sizeof(magic) &&
	    memcmp(magic, "TZif", sizeof(magic)) == 0;
	close(fd);
	return ok;
}

/* Floor division and its remainder, for moments before 1970 too. */
static int64_t
floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int64_t
floor_mod(int64_t a, int64_t b)
{
	return a - floor_div(a, b) * b;
}

/* Whether the minute of the day m is inside h. */
static bool
inside(const struct hours *h, int m)
{
	if (h->start < h->end)
		return m >= h->start && m < h->end;
	return m >= h->start || m < h->end;
}

/* The zone's offset from UTC at t (epoch seconds), under the lock with TZ
 * set: 0, or -1. */
static int
offset_at(int64_t t, long *off)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if ((int64_t)tt != t || localtime_r(&tt, &tm) == NULL)
		return -1;
	*off = tm.tm_gmtoff;
	return 0;
}

/* Whether h is open at t, local time being t + off. */
static bool
open_at(const struct hours *h, int64_t t, long off)
{
	return inside(h, (int)(floor_mod(t + off, HOURS_DAY_S) / 60));
}

/* The first second in (lo, hi] whose offset is not off, knowing hi's is
 * not: the moment the clocks changed. -1 when a look fails. */
static int
offset_change(int64_t lo, int64_t hi, long off, int64_t *out)
{
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;
		long o;

		if (offset_at(mid, &o) != 0)
			return -1;
		if (o == off)
			lo = mid;
		else
			hi = mid;
	}
	*out = hi;
	return 0;
}

/*
 * The first second after t at which h's state (is_open at t) changes. With
 * the offset it has at t, the clock reaches the minute that changes it (the
 * end when open, the start when closed) at c; when the offset is still the
 * same at c that is the answer. Otherwise the clocks changed before: at
 * that moment the state is looked at again, and the walk goes on from there
 * with the new offset.
 */
static int
next_change(const struct hours *h, int64_t t, bool is_open, int64_t *out)
{
	for (int i = 0; i < HOURS_WALK_MAX; i++) {
		long off, off_c;
		int64_t local, c, x;
		int target = is_open ? h->end : h->start;

		if (offset_at(t, &off) != 0)
			return -1;
		local = t + off;
		c = local - floor_mod(local, HOURS_DAY_S) +
		    (int64_t)target * 60;
		if (c <= local)
			c += HOURS_DAY_S;
		c -= off;
		if (offset_at(c, &off_c) != 0)
			return -1;
		if (off_c == off) {
			*out = c;
			return 0;
		}
		if (offset_change(t, c, off, &x) != 0 ||
		    offset_at(x, &off_c) != 0)
			return -1;
		if (open_at(h, x, off_c) != is_open) {
			*out = x;
			return 0;
		}
		t = x;
	}
	return -1;
}

/* Sets TZ to zone (NULL or "": left as it is), keeping its value in *saved
 * (NULL: it was unset). 0, or -1 with TZ untouched. */
static int
tz_enter(const char *zone, char **saved)
{
	const char *was = getenv("TZ");

	*saved = NULL;
	if (zone != NULL && zone[0] != '\0') {
		if (was != NULL && (*saved = strdup(was)) == NULL)
			return -1;
		if (setenv("TZ", zone, 1) != 0) {
			free(*saved);
			*saved = NULL;
			return -1;
		}
	}
	tzset();
	return 0;
}

/* Puts TZ back as tz_enter found it: 0, or -1. */
static int
tz_leave(const char *zone, char *saved)
{
	int rc = 0;

	if (zone != NULL && zone[0] != '\0') {
		rc = saved != NULL ? setenv("TZ", saved, 1) : unsetenv("TZ");
		tzset();
	}
	free(saved);
	return rc;
}

int
hours_check(const struct hours *h, const char *zone, int64_t now_ms,
    bool *now_open, int64_t *next_change_ms)
{
	int64_t t = floor_div(now_ms, 1000), next = 0;
	bool is_open = false;
	char *saved;
	long off;
	int rc = -1;

	pthread_mutex_lock(&hours_lock);
	if (tz_enter(zone, &saved) != 0)
		goto done;
	if (offset_at(t, &off) == 0) {
		is_open = open_at(h, t, off);
		rc = next_change(h, t, is_open, &next);
	}
	if (tz_leave(zone, saved) != 0)
		rc = -1;
done:
	pthread_mutex_unlock(&hours_lock);
	if (rc != 0)
		return -1;
	if (next > INT64_MAX / 1000)
		return -1;
	*now_open = is_open;
	*next_change_ms = next * 1000;
	return 0;
}
