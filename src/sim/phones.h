/*
 * phones: the set of phone numbers the simulator knows, read from a list
 * file (one number per line; blank lines and '#' comments skipped).
 */
#ifndef NUMDIALER_SIM_PHONES_H
#define NUMDIALER_SIM_PHONES_H

#include <stddef.h>

#define PHONES_LEN_MAX 64                     /* characters of one phone */
#define PHONES_COUNT_MAX 10000000             /* numbers in one list */
#define PHONES_FILE_MAX ((long)256 << 20)     /* bytes of the list file */

struct phones;

/*
 * Reads the list at path. Returns the set (free it with phones_free), or
 * NULL with the reason in err ("path:line: reason" for a bad line; errlen
 * bytes, always terminated). A list with no number at all is an error.
 */
struct phones *phones_load(const char *path, char *err, size_t errlen);

/* Whether the len bytes of phone are in the set. Safe from any thread:
 * the set does not change once loaded. */
int phones_has(const struct phones *set, const char *phone, size_t len);

/* The count of distinct numbers in the set. */
size_t phones_count(const struct phones *set);

/* Frees the set; takes NULL. */
void phones_free(struct phones *set);

#endif
