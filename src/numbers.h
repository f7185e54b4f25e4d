/*
 * numbers: the phone list file. One number per line, in dialing order,
 * optionally followed by the time zone of that number's calling hours
 * (a tz database name: "+13125550100 America/Chicago"); blank lines and
 * '#' comments skipped, repeats kept, a UTF-8 byte order mark first
 * skipped. A number is an optional '+' and 7 to 15 digits (E.164). Pure:
 * parses a buffer; numbers_load adds the file and the tz database.
 */
#ifndef NUMDIALER_NUMBERS_H
#define NUMDIALER_NUMBERS_H

#include <stdbool.h>
#include <stddef.h>

#define NUMBERS_PHONE_MAX 16     /* '+' and 15 digits, NUL excluded */
#define NUMBERS_COUNT_MAX 10000000
#define NUMBERS_FILE_MAX ((size_t)256 << 20)

#define NUMBERS_ZONES_MAX 255    /* distinct time zones in one list */

struct numbers {
	const char **phones; /* count pointers into text; owned by the struct */
	size_t count;
	char *text;          /* the phones and zone names, NUL-separated;
	                        owned */
	unsigned char *zones;/* count zone indexes, row by row (0: the default
	                        zone); NULL when no line names a zone; owned */
	const char **zone_names; /* zone_count + 1: [0] NULL (the default
	                        zone), [i] the name of index i, into text;
	                        NULL when zones is; owned */
	size_t zone_count;   /* distinct zones named, 0..NUMBERS_ZONES_MAX */
};

/* How a list is read beyond its format; a zeroed struct is numbers_parse. */
struct numbers_opts {
	bool empty_ok;       /* a list with no number is no error (an empty
	                        do-not-call file), an empty struct */
	/* Whether a time zone named in the list is known, asked once for each
	 * distinct name, the first time it comes: "name:line: unknown time
	 * zone "NAME"" when not. NULL: names are checked for their shape. */
	bool (*zone_ok)(const char *zone);
	/* Why a number read cannot be taken (a fixed text), or NULL:
	 * "name:line: reason: "entry"" when not NULL. NULL: all are taken. */
	const char *(*phone_problem)(void *arg, const char *phone);
	void *arg;           /* phone_problem's */
};

/*
 * Parses len bytes of list text. On success fills *out (free it with
 * numbers_free) and returns 0. On a bad line returns -1, leaves *out empty
 * and writes "name:line: reason" to err (errlen bytes, always terminated).
 * An empty list (no numbers at all) is an error too. Zone names are
 * checked for their shape only (hours_zone_name_ok): it reads no file.
 */
int numbers_parse(const char *text, size_t len, const char *name,
    struct numbers *out, char *err, size_t errlen);

/* numbers_parse, read as opts says (NULL: as numbers_parse). */
int numbers_parse_opts(const char *text, size_t len, const char *name,
    const struct numbers_opts *opts, struct numbers *out, char *err,
    size_t errlen);

/* Reads and parses the file at path, as numbers_parse, each zone named
 * checked against the tz database (hours_zone_valid). */
int numbers_load(const char *path, struct numbers *out, char *err,
    size_t errlen);

/* Reads and parses the file at path as opts says (NULL: numbers_parse's
 * way, no zone looked up). */
int numbers_load_opts(const char *path, const struct numbers_opts *opts,
    struct numbers *out, char *err, size_t errlen);

/* The time zone of row i: its name, or NULL for the default zone. */
const char *numbers_zone(const struct numbers *n, size_t i);

/* Whether a and b hold the same phones in the same order, each with the
 * same time zone (by name). */
bool numbers_equal(const struct numbers *a, const struct numbers *b);

/* Frees what numbers_parse filled; takes an empty or zeroed struct. */
void numbers_free(struct numbers *n);

#endif
