/*
 * numbers: the phone list file. One number per line, in dialing order;
 * blank lines and '#' comments skipped, repeats kept, a UTF-8 byte order
 * mark first skipped. A number is an optional '+' and 7 to 15 digits
 * (E.164). Pure: parses a buffer.
 */
#ifndef NUMDIALER_NUMBERS_H
#define NUMDIALER_NUMBERS_H

#include <stdbool.h>
#include <stddef.h>

#define NUMBERS_PHONE_MAX 16     /* '+' and 15 digits, NUL excluded */
#define NUMBERS_COUNT_MAX 10000000
#define NUMBERS_FILE_MAX ((size_t)256 << 20)

struct numbers {
	const char **phones; /* count pointers into text; owned by the struct */
	size_t count;
	char *text;          /* the phones, NUL-separated; owned */
};

/*
 * Parses len bytes of list text. On success fills *out (free it with
 * numbers_free) and returns 0. On a bad line returns -1, leaves *out empty
 * and writes "name:line: reason" to err (errlen bytes, always terminated).
 * An empty list (no numbers at all) is an error too.
 */
int numbers_parse(const char *text, size_t len, const char *name,
    struct numbers *out, char *err, size_t errlen);

/* Reads and parses the file at path, as numbers_parse. */
int numbers_load(const char *path, struct numbers *out, char *err,
    size_t errlen);

/* Whether a and b hold the same phones in the same order. */
bool numbers_equal(const struct numbers *a, const struct numbers *b);

/* Frees what numbers_parse filled; takes an empty or zeroed struct. */
void numbers_free(struct numbers *n);

#endif
