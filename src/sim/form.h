/*
 * form: application/x-www-form-urlencoded text, read into name-value pairs
 * (a name may come more than once; the order is kept) and written back.
 * libcurl does the percent-decoding and -encoding; a '+' reads as a space.
 */
#ifndef NUMDIALER_SIM_FORM_H
#define NUMDIALER_SIM_FORM_H

#include <stddef.h>

#define FORM_PAIRS_MAX 256  /* pairs in one form; more is refused */

struct form_pair {
	char *name;   /* owned, NUL-terminated, never empty */
	char *value;  /* owned, NUL-terminated, may be empty */
};

/* Zero it to start (an empty form); form_free frees what it holds. */
struct form {
	struct form_pair *pairs;
	size_t n, cap;
};

/*
 * Appends the pairs of len bytes of text (name=value split on '&'; a pair
 * without '=' has an empty value; empty pairs are skipped) to f. Returns 0,
 * or -1 with the reason in err (errlen bytes, always terminated): a name or
 * value that decodes to a NUL byte, an empty name, more than
 * FORM_PAIRS_MAX pairs, or no memory. On -1, f holds what was read before.
 */
int form_parse(struct form *f, const char *text, size_t len, char *err,
    size_t errlen);

/* Appends name=value (both copied; name not empty): 0, or -1 (no memory,
 * or FORM_PAIRS_MAX pairs already). */
int form_add(struct form *f, const char *name, const char *value);

/* The value of name's first pair, or NULL; borrowed from f. */
const char *form_get(const struct form *f, const char *name);

/* How many pairs are named name. */
size_t form_count(const struct form *f, const char *name);

/*
 * The form as text, each name and value percent-encoded, pairs joined by
 * '&', into *out (free it with free) and its length in *len. Returns 0, or
 * -1 when out of memory.
 */
int form_encode(const struct form *f, char **out, size_t *len);

/* Frees what f holds and zeroes it; f stays usable. */
void form_free(struct form *f);

#endif
