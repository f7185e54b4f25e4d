/*
 * dnc: the do-not-call set. A file in the number list's format (numbers.h;
 * empty is an empty set), each number made E.164 by the campaign's country
 * code (e164.h) and kept as a sorted array of 64-bit keys, looked up by
 * binary search; and the file's stamp, which a caller takes before each
 * dial to read the file again once it changed.
 */
#ifndef NUMDIALER_DNC_H
#define NUMDIALER_DNC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

struct dnc;

/* What tells one version of the file from another, as stat(2) gives it. */
struct dnc_stamp {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

/*
 * Reads the file at path into a new set in *out (free it with dnc_free),
 * each number read as one of the country whose code is country_code. A
 * line the list would refuse, a zone the tz database lacks, or a number
 * that cannot be made E.164 is an error: -1 with "path:line: reason" in err
 * (errlen bytes) and *out NULL. A file with no number is an empty set. For
 * a set that follows the file: take the stamp first, then load.
 */
int dnc_load(const char *path, const char *country_code, struct dnc **out,
    char *err, size_t errlen);

/* Whether e164 (as e164_normalize writes it) is in d; false for anything
 * else, or when d is NULL (no set). */
bool dnc_contains(const struct dnc *d, const char *e164);

/* The distinct numbers in d (0 for NULL). */
size_t dnc_size(const struct dnc *d);

/* Frees d; takes NULL. */
void dnc_free(struct dnc *d);

/* The stamp of the file at path, following links as dnc_load reads it:
 * 0, or -1 with errno set. */
int dnc_stamp(const char *path, struct dnc_stamp *out);

/* Whether a and b are the stamps of one version of one file. */
bool dnc_stamp_equal(const struct dnc_stamp *a, const struct dnc_stamp *b);

#endif
