/*
 * dnc: the list parser reads the file and checks each number can be made
 * E.164 (naming the line when not); the numbers are then made keys,
 * sorted, and their repeats dropped.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dnc.h"
#include "e164.h"
#include "hours.h"
#include "numbers.h"
#include "util.h"

#define DNC_WHY_MAX 64

struct dnc {
	uint64_t *keys;  /* count distinct keys, ascending */
	size_t count;
};

/* What the list parser's check of each number needs. */
struct dnc_check {
	const char *cc;
	char why[DNC_WHY_MAX];
};

/* The list parser's check: NULL when the phone can be made E.164. */
static const char *
dnc_phone_problem(void *arg, const char *phone)
{
	struct dnc_check *c = arg;
	char e164[E164_MAX + 1];

	if (e164_normalize(phone, c->cc, e164) == 0)
		return NULL;
	snprintf(c->why, sizeof(c->why), "cannot be made E.164 with country "
	    "code %s", c->cc);
	return c->why;
}

static int
key_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The keys of n's numbers, sorted and each once, into d: 0 or -1. */
static int
dnc_keys(struct dnc *d, const struct numbers *n, const char *cc)
{
	size_t kept = 0;

	if (n->count == 0)
		return 0;
	d->keys = malloc(n->count * sizeof(*d->keys));
	if (d->keys == NULL)
		return -1;
	for (size_t i = 0; i < n->count; i++) {
		char e164[E164_MAX + 1];

		/* The parser checked each one already. */
		if (e164_normalize(n->phones[i], cc, e164) != 0 ||
		    e164_key(e164, &d->keys[i]) != 0)
			return -1;
	}
	qsort(d->keys, n->count, sizeof(*d->keys), key_cmp);
	for (size_t i = 0; i < n->count; i++)
		if (kept == 0 || d->keys[i] != d->keys[kept - 1])
			d->keys[kept++] = d->keys[i];
	d->count = kept;
	return 0;
}

int
dnc_load(const char *path, const char *country_code, struct dnc **out,
    char *err, size_t errlen)
{
	struct dnc_check check = { .cc = country_code };
	const struct numbers_opts opts = { .empty_ok = true,
	    .zone_ok = hours_zone_valid, .phone_problem = dnc_phone_problem,
	    .arg = &check };
	struct numbers n;
	struct dnc *d;

	*out = NULL;
	if (!e164_country_code_valid(country_code))
		return util_err(err, errlen, "%s: country code \"%.8s\" is not "
		    "1 to 3 digits, the first not 0", path, country_code);
	if (numbers_load_opts(path, &opts, &n, err, errlen) != 0)
		return -1;
	d = calloc(1, sizeof(*d));
	if (d == NULL || dnc_keys(d, &n, country_code) != 0) {
		numbers_free(&n);
		dnc_free(d);
		return util_err(err, errlen, "%s: out of memory", path);
	}
	numbers_free(&n);
	*out = d;
	return 0;
}

bool
dnc_contains(const struct dnc *d, const char *e164)
{
	size_t lo = 0, hi;
	uint64_t key;

	if (d == NULL || e164_key(e164, &key) != 0)
		return false;
	for (hi = d->count; lo < hi;) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->keys[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < d->count && d->keys[lo] == key;
}

size_t
dnc_size(const struct dnc *d)
{
	return d != NULL ? d->count : 0;
}

void
dnc_free(struct dnc *d)
{
	if (d == NULL)
		return;
	free(d->keys);
	free(d);
}

int
dnc_stamp(const char *path, struct dnc_stamp *out)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return -1;
	memset(out, 0, sizeof(*out));
	out->dev = st.st_dev;
	out->ino = st.st_ino;
	out->size = st.st_size;
	out->mtime = st.st_mtim;
	return 0;
}

bool
dnc_stamp_equal(const struct dnc_stamp *a, const struct dnc_stamp *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	    a->mtime.tv_sec == b->mtime.tv_sec &&
	    a->mtime.tv_nsec == b->mtime.tv_nsec;
}
