/*
 * util: the small helpers every module shares, each written once: a table's
 * length, the blank test, range-checked numbers, error messages, strict
 * JSON and its members, a seeded random sequence, the monotonic clock.
 * Shared by both programs.
 */
#ifndef NUMDIALER_UTIL_H
#define NUMDIALER_UTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The number of elements of an array (not a pointer). */
#define LEN(a) (sizeof(a) / sizeof((a)[0]))

#define UTIL_U64_DIGITS 20  /* digits of UINT64_MAX */

/* White space inside a line: space, tab, CR, VT, FF (not the newline). */
bool util_is_blank(char ch);

/*
 * Walks a comma-separated list, each entry trimmed of blanks: with
 * p = util_list_start(list), each util_list_next(&p, &entry, &len) gives
 * 1 and the next entry, 0 once none is left, or -1 for an empty one
 * ("a,,b", a trailing comma). A list of blanks only has no entry.
 */
const char *util_list_start(const char *list);
int util_list_next(const char **p, const char **entry, size_t *len);

/*
 * Reads len bytes of s (no NUL needed) as a decimal number in min..max, in
 * the manner of OpenBSD's strtonum but unsigned: digits only, no sign, no
 * blanks. Returns it with *errstr NULL; or 0 with *errstr "not a number"
 * (empty), "not a number (digits only)" or "out of range".
 */
uint64_t util_strtou64(const char *s, size_t len, uint64_t min, uint64_t max,
    const char **errstr);

/*
 * Reads s, a NUL-terminated plain decimal ("1", "0.25", ".5"; no sign,
 * exponent, blanks, "inf" or "nan"), as a probability in [0, 1]. Returns it
 * with *errstr NULL, or 0 with *errstr "not a decimal" or "out of range".
 */
double util_strtoprob(const char *s, const char **errstr);

/*
 * Formats a message into err (errlen bytes; 0 writes nothing), always
 * NUL-terminated, cut when too long: the one way an error is said. Returns
 * -1, for "return util_err(...)" where 0 / -1 is the answer.
 */
int util_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

struct json_object;

/* What util_json_object made of a text. */
enum util_json {
	UTIL_JSON_OK,
	UTIL_JSON_NO_MEMORY,
	UTIL_JSON_MALFORMED,   /* not strict JSON, or nested deeper than asked */
	UTIL_JSON_TRAILING,    /* text after the value, past a NUL byte */
	UTIL_JSON_NOT_OBJECT   /* good JSON, but not an object */
};

/*
 * Parses len bytes of text as one JSON object, strictly (json-c's strict
 * mode, UTF-8 checked, nesting at most depth) with nothing but white space
 * after it. On UTIL_JSON_OK *out is the object, which the caller puts
 * (json_object_put); otherwise *out is NULL.
 */
enum util_json util_json_object(const char *text, size_t len, int depth,
    struct json_object **out);

/*
 * Adds val (which may be NULL after a failed allocation) to obj under key,
 * a string literal not yet in obj (json-c keeps the pointer). Takes val in
 * every case: 0, or -1 having freed it.
 */
int util_json_put(struct json_object *obj, const char *key,
    struct json_object *val);

/* The next number of the splitmix64 sequence at *state (which it moves
 * on): repeatable from a seed, for the simulator's choices; no secret. */
uint64_t util_splitmix64(uint64_t *state);

#define UTIL_ISO_MAX 32  /* "2026-11-30T02:31:40.123Z", a year up to
                            five digits, and the NUL */

/*
 * Writes ms (epoch milliseconds, 0 or later) as ISO 8601 in UTC with its
 * milliseconds ("2026-11-30T02:31:40.123Z") into out, NUL-terminated.
 * Returns its length; 0 (out "") for a time it cannot write.
 */
size_t util_iso_ms(int64_t ms, char out[UTIL_ISO_MAX]);

/* CLOCK_MONOTONIC in milliseconds and in microseconds. */
int64_t util_mono_ms(void);
int64_t util_mono_us(void);

/*
 * Starts a thread that waits on a condition: makes *lock, makes *cond timed
 * on CLOCK_MONOTONIC (util_cond_wait_until), then runs fn(arg) in *thread.
 * 0, or -1 with nothing left made.
 */
int util_thread_start(pthread_mutex_t *lock, pthread_cond_t *cond,
    pthread_t *thread, void *(*fn)(void *), void *arg);

/*
 * Ends a thread started by util_thread_start: sets *stopping under *lock,
 * signals *cond, waits for *thread to return, then destroys *cond and
 * *lock.
 */
void util_thread_stop(pthread_mutex_t *lock, pthread_cond_t *cond,
    pthread_t thread, bool *stopping);

/* Waits on cond (made by util_thread_start; lock held) until signalled or
 * until util_mono_ms() reaches at_ms. */
void util_cond_wait_until(pthread_cond_t *cond, pthread_mutex_t *lock,
    int64_t at_ms);

#endif
