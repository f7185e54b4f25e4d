/*
 * util: the shared small helpers (see util.h for the contracts).
 */
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#define UTIL_ISO_YEAR_MAX 99999  /* five digits: UTIL_ISO_MAX holds them */

/* Keys are string literals: json-c may keep the pointer and skip the copy,
 * and each key is added once per object. */
#define UTIL_JSON_ADD_FLAGS \
	(JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_ADD_CONSTANT_KEY)

bool
util_is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

const char *
util_list_start(const char *list)
{
	const char *s = list;

	while (util_is_blank(*s))
		s++;
	return *s == '\0' ? NULL : list;
}

int
util_list_next(const char **p, const char **entry, size_t *len)
{
	const char *b = *p, *e;
	size_t n;

	if (b == NULL)
		return 0;
	n = strcspn(b, ",");
	e = b + n;
	*p = b[n] == ',' ? b + n + 1 : NULL;
	while (b < e && util_is_blank(*b))
		b++;
	while (e > b && util_is_blank(e[-1]))
		e--;
	if (b == e)
		return -1;
	*entry = b;
	*len = (size_t)(e - b);
	return 1;
}

uint64_t
util_strtou64(const char *s, size_t len, uint64_t min, uint64_t max,
    const char **errstr)
{
	uint64_t v = 0;
	size_t i;

	*errstr = "not a number";
	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9') {
			*errstr = "not a number (digits only)";
			return 0;
		}
	}
	*errstr = "out of range";
	for (i = 0; i < len; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return 0;
	*errstr = NULL;
	return v;
}

double
util_strtoprob(const char *s, const char **errstr)
{
	char *end;
	double p;

	/* strtod alone would also take "inf", "nan", hex, signs and blanks. */
	*errstr = "not a decimal";
	if (s[0] == '\0' || strspn(s, "0123456789.") != strlen(s))
		return 0;
	p = strtod(s, &end);
	if (end == s || *end != '\0')
		return 0;
	if (p > 1) {
		*errstr = "out of range";
		return 0;
	}
	*errstr = NULL;
	return p;
}

int
util_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* JSON's own white space, the only text allowed after a value. */
static bool
util_json_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

enum util_json
util_json_object(const char *text, size_t len, int depth,
    struct json_object **out)
{
	struct json_tokener *tok = NULL;
	struct json_object *root = NULL;
	enum util_json rc = UTIL_JSON_MALFORMED;
	size_t i;

	*out = NULL;
	tok = json_tokener_new_ex(depth);
	if (tok == NULL) {
		rc = UTIL_JSON_NO_MEMORY;
		goto fail;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, text, (int)len);
	/* A bare null parses to NULL with success: a non-object, below. */
	if (json_tokener_get_error(tok) != json_tokener_success)
		goto fail;
	/* The strict tokener stops quietly at a NUL byte: look past it. */
	for (i = json_tokener_get_parse_end(tok); i < len; i++) {
		if (!util_json_space(text[i])) {
			rc = UTIL_JSON_TRAILING;
			goto fail;
		}
	}
	if (root == NULL || !json_object_is_type(root, json_type_object)) {
		rc = UTIL_JSON_NOT_OBJECT;
		goto fail;
	}
	json_tokener_free(tok);
	*out = root;
	return UTIL_JSON_OK;
fail:
	json_object_put(root);
	if (tok != NULL)
		json_tokener_free(tok);
	return rc;
}

int
util_json_put(struct json_object *obj, const char *key,
    struct json_object *val)
{
	if (val == NULL)
		return -1;
	if (json_object_object_add_ex(obj, key, val, UTIL_JSON_ADD_FLAGS) != 0) {
		json_object_put(val);
		return -1;
	}
	return 0;
}

uint64_t
util_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The one reading of the monotonic clock. */
static void
util_mono(struct timespec *ts)
{
	if (clock_gettime(CLOCK_MONOTONIC, ts) != 0)
		memset(ts, 0, sizeof(*ts));
}

int64_t
util_mono_ms(void)
{
	struct timespec ts;

	util_mono(&ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
util_mono_us(void)
{
	struct timespec ts;

	util_mono(&ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int
util_thread_start(pthread_mutex_t *lock, pthread_cond_t *cond,
    pthread_t *thread, void *(*fn)(void *), void *arg)
{
	pthread_condattr_t attr;
	int made = 0;

	if (pthread_condattr_init(&attr) != 0)
		return -1;
	if (pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 &&
	    pthread_mutex_init(lock, NULL) == 0) {
		made = 1;
		if (pthread_cond_init(cond, &attr) == 0) {
			made = 2;
			if (pthread_create(thread, NULL, fn, arg) == 0)
				made = 3;
		}
	}
	pthread_condattr_destroy(&attr);
	if (made == 3)
		return 0;
	if (made == 2)
		pthread_cond_destroy(cond);
	if (made >= 1)
		pthread_mutex_destroy(lock);
	return -1;
}

void
util_thread_stop(pthread_mutex_t *lock, pthread_cond_t *cond,
    pthread_t thread, bool *stopping)
{
	pthread_mutex_lock(lock);
	*stopping = true;
	pthread_cond_signal(cond);
	pthread_mutex_unlock(lock);
	pthread_join(thread, NULL);
	pthread_cond_destroy(cond);
	pthread_mutex_destroy(lock);
}

void
util_cond_wait_until(pthread_cond_t *cond, pthread_mutex_t *lock,
    int64_t at_ms)
{
	struct timespec ts;

	ts.tv_sec = at_ms / 1000;
	ts.tv_nsec = (long)(at_ms % 1000) * 1000000;
	pthread_cond_timedwait(cond, lock, &ts);
}

size_t
util_iso_ms(int64_t ms, char out[UTIL_ISO_MAX])
{
	time_t secs;
	struct tm tm;
	int n;

	out[0] = '\0';
	if (ms < 0)
		return 0;
	secs = (time_t)(ms / 1000);
	if (gmtime_r(&secs, &tm) == NULL || tm.tm_year > UTIL_ISO_YEAR_MAX - 1900)
		return 0;
	n = snprintf(out, UTIL_ISO_MAX, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	if (n < 0 || n >= UTIL_ISO_MAX) {
		out[0] = '\0';
		return 0;
	}
	return (size_t)n;
}
