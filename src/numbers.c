/*
 * numbers: parses the phone list in one pass into one text buffer (the
 * phones and the zone names, NUL-separated), one array of pointers into
 * it and, once a line names a time zone, one zone index byte per row.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hours.h"
#include "numbers.h"
#include "util.h"

#define NUMBERS_DIGITS_MIN 7
#define NUMBERS_DIGITS_MAX 15
#define NUMBERS_SHOWN_MAX 24      /* offending text quoted in an error */
#define NUMBERS_PHONES_FIRST 1024 /* first size of the pointer array */
#define NUMBERS_ZONE_SLOTS 512    /* zone hash: twice the zones at most */
#define NUMBERS_FNV_OFFSET 2166136261u
#define NUMBERS_FNV_PRIME 16777619u

/* What one parse carries from line to line. */
struct parse {
	struct numbers n;
	size_t cap;              /* rows n.phones (and n.zones) hold */
	size_t used;             /* bytes of n.text taken */
	const struct numbers_opts *opts;
	const char *name;
	char *err;
	size_t errlen;
	unsigned char slots[NUMBERS_ZONE_SLOTS]; /* zone indexes by hash */
};

static bool
is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* Writes "name:line: reason "text"" with text cut short and its
 * unprintable bytes shown as '?', so the message stays one short line. */
static void
line_error(char *err, size_t errlen, const char *name, size_t line,
    const char *reason, const char *text, size_t len)
{
	char shown[NUMBERS_SHOWN_MAX + 4];
	size_t n = len < NUMBERS_SHOWN_MAX ? len : NUMBERS_SHOWN_MAX;

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)text[i];
		shown[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	if (n < len) {
		memcpy(shown + n, "...", 3);
		n += 3;
	}
	shown[n] = '\0';
	util_err(err, errlen, "%s:%zu: %s: \"%s\"", name, line, reason, shown);
}

/*
 * Checks one entry (the line trimmed, its comment cut off) and returns NULL
 * when it is a phone, or why it is not.
 */
static const char *
entry_problem(const char *s, size_t len)
{
	size_t i = 0, digits = 0;

	if (len > 0 && s[0] == '+')
		i = 1;
	for (; i < len; i++) {
		if (is_digit(s[i]))
			digits++;
		else if (s[i] == '+')
			return "'+' is allowed only first";
		else if (util_is_blank(s[i]))
			return "space inside the number";
		else if (s[i] == '#')
			return "a comment needs a space before its '#'";
		else
			return "not a digit";
	}
	if (digits < NUMBERS_DIGITS_MIN)
		return "too short (7 digits at least)";
	if (digits > NUMBERS_DIGITS_MAX)
		return "too long (15 digits at most)";
	return NULL;
}

/* Finds where the entry ends: before the first '#' that follows a blank. */
static size_t
entry_length(const char *s, size_t len)
{
	for (size_t i = 1; i < len; i++)
		if (s[i] == '#' && util_is_blank(s[i - 1])) {
			len = i;
			break;
		}
	while (len > 0 && util_is_blank(s[len - 1]))
		len--;
	return len;
}

/*
 * Splits an entry into its number (plen bytes first) and the time zone
 * after it (*zlen 0: none), and returns NULL, or why the entry is bad. What
 * follows a blank is a zone only when it does not go on like a number.
 */
static const char *
entry_split(const char *s, size_t len, size_t *plen, const char **zone,
    size_t *zlen)
{
	const char *why;
	size_t i = 0, z;

	while (i < len && !util_is_blank(s[i]))
		i++;
	*plen = i;
	*zlen = 0;
	while (i < len && util_is_blank(s[i]))
		i++;
	if (i == len || is_digit(s[i]) || s[i] == '+')
		return entry_problem(s, len);
	if ((why = entry_problem(s, *plen)) != NULL)
		return why;
	for (z = i; i < len && !util_is_blank(s[i]); i++)
		;
	if (memchr(s + z, '#', i - z) != NULL)
		return "a comment needs a space before its '#'";
	if (i < len)
		return "text after the time zone";
	if (!hours_zone_name_ok(s + z, i - z))
		return "not a time zone name";
	*zone = s + z;
	*zlen = i - z;
	return NULL;
}

/* Appends phone to the pointer array (and a 0 to the zone indexes, when
 * there are any), doubling both when full: 0 or -1. */
static int
phones_push(struct parse *p, const char *phone)
{
	struct numbers *n = &p->n;

	if (n->count == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : NUMBERS_PHONES_FIRST;
		const char **grown;

		if (ncap > NUMBERS_COUNT_MAX)
			ncap = NUMBERS_COUNT_MAX;
		grown = realloc(n->phones, ncap * sizeof(*grown));
		if (grown == NULL)
			return -1;
		n->phones = grown;
		if (n->zones != NULL) {
			unsigned char *zgrown = realloc(n->zones, ncap);

			if (zgrown == NULL)
				return -1;
			n->zones = zgrown;
		}
		p->cap = ncap;
	}
	if (n->zones != NULL)
		n->zones[n->count] = 0;
	n->phones[n->count++] = phone;
	return 0;
}

/* Gives the last row zone index idx, making the indexes (all 0 before)
 * at the first zone: 0 or -1. */
static int
zone_set(struct parse *p, unsigned char idx)
{
	struct numbers *n = &p->n;

	if (n->zones == NULL) {
		if (idx == 0)
			return 0;
		n->zones = calloc(p->cap, 1);
		if (n->zones == NULL)
			return -1;
	}
	n->zones[n->count - 1] = idx;
	return 0;
}

/* Adds the zone named by len bytes at z to the table: its index, or 0
 * having said why in err. */
static unsigned
zone_add(struct parse *p, const char *z, size_t len, size_t line)
{
	struct numbers *n = &p->n;
	char *copy = n->text + p->used;

	if (n->zone_count == NUMBERS_ZONES_MAX) {
		util_err(p->err, p->errlen, "%s:%zu: more than %d time zones "
		    "in one list", p->name, line, NUMBERS_ZONES_MAX);
		return 0;
	}
	memcpy(copy, z, len);
	copy[len] = '\0';
	if (p->opts->zone_ok != NULL && !p->opts->zone_ok(copy)) {
		util_err(p->err, p->errlen, "%s:%zu: unknown time zone \"%s\"",
		    p->name, line, copy);
		return 0;
	}
	if (n->zone_names == NULL) {
		n->zone_names = calloc(NUMBERS_ZONES_MAX + 1,
		    sizeof(*n->zone_names));
		if (n->zone_names == NULL) {
			util_err(p->err, p->errlen, "%s: out of memory",
			    p->name);
			return 0;
		}
	}
	p->used += len + 1;
	n->zone_names[++n->zone_count] = copy;
	return (unsigned)n->zone_count;
}

/* The index of the zone named by len bytes at z, added the first time:
 * 1..NUMBERS_ZONES_MAX, or 0 having said why in err. */
static unsigned
zone_index(struct parse *p, const char *z, size_t len, size_t line)
{
	uint32_t h = NUMBERS_FNV_OFFSET;
	size_t slot;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)z[i]) * NUMBERS_FNV_PRIME;
	/* Never full: twice as many slots as zones. */
	for (slot = h % NUMBERS_ZONE_SLOTS; p->slots[slot] != 0;
	    slot = (slot + 1) % NUMBERS_ZONE_SLOTS) {
		const char *known = p->n.zone_names[p->slots[slot]];

		if (strncmp(known, z, len) == 0 && known[len] == '\0')
			return p->slots[slot];
	}
	p->slots[slot] = (unsigned char)zone_add(p, z, len, line);
	return p->slots[slot];
}

/* Takes one entry (the line trimmed, its comment cut off) as a row: 0, or
 * -1 having said why in err. */
static int
add_row(struct parse *p, const char *s, size_t elen, size_t line)
{
	const char *zone = NULL, *why;
	size_t plen, zlen;
	unsigned idx = 0;
	char *phone;

	why = entry_split(s, elen, &plen, &zone, &zlen);
	if (why != NULL) {
		line_error(p->err, p->errlen, p->name, line, why, s, elen);
		return -1;
	}
	if (p->n.count == NUMBERS_COUNT_MAX)
		return util_err(p->err, p->errlen, "%s:%zu: more than %d "
		    "numbers", p->name, line, NUMBERS_COUNT_MAX);
	phone = p->n.text + p->used;
	memcpy(phone, s, plen);
	phone[plen] = '\0';
	p->used += plen + 1;
	if (p->opts->phone_problem != NULL &&
	    (why = p->opts->phone_problem(p->opts->arg, phone)) != NULL) {
		line_error(p->err, p->errlen, p->name, line, why, s, elen);
		return -1;
	}
	if (zlen > 0 && (idx = zone_index(p, zone, zlen, line)) == 0)
		return -1;
	if (phones_push(p, phone) == -1 ||
	    zone_set(p, (unsigned char)idx) == -1)
		return util_err(p->err, p->errlen, "%s: out of memory",
		    p->name);
	return 0;
}

int
numbers_parse(const char *text, size_t len, const char *name,
    struct numbers *out, char *err, size_t errlen)
{
	return numbers_parse_opts(text, len, name, NULL, out, err, errlen);
}

/* One pass over the lines, with the line count every error names. */
int
numbers_parse_opts(const char *text, size_t len, const char *name,
    const struct numbers_opts *opts, struct numbers *out, char *err,
    size_t errlen)
{
	static const struct numbers_opts plain = { .empty_ok = false };
	struct parse p = { .opts = opts ? opts : &plain, .name = name,
	    .err = err, .errlen = errlen };
	const char *at, *end = text + len;
	size_t line = 0;

	memset(out, 0, sizeof(*out));
	util_err(err, errlen, "%s", "");
	if (len > NUMBERS_FILE_MAX) {
		util_err(err, errlen, "%s: larger than %zu bytes", name,
		    NUMBERS_FILE_MAX);
		goto fail;
	}
	/* A byte order mark some editors put first says only "UTF-8". */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		text += 3;
	/* Each phone and each zone name is no longer than its part of the
	 * line, with a blank or more between them, and the line's end takes
	 * the place of the last NUL: len + 1 bytes always hold them all. */
	p.n.text = malloc(len + 1);
	if (p.n.text == NULL) {
		util_err(err, errlen, "%s: out of memory", name);
		goto fail;
	}
	for (at = text; at < end;) {
		const char *nl = memchr(at, '\n', (size_t)(end - at));
		const char *stop = nl ? nl : end;
		const char *s = at;

		line++;
		at = nl ? nl + 1 : end;
		while (s < stop && util_is_blank(*s))
			s++;
		if (s == stop || *s == '#')
			continue;
		if (add_row(&p, s, entry_length(s, (size_t)(stop - s)),
		    line) != 0)
			goto fail;
	}
	if (p.n.count == 0 && !p.opts->empty_ok) {
		util_err(err, errlen, "%s: no numbers", name);
		goto fail;
	}
	*out = p.n;
	return 0;

fail:
	numbers_free(&p.n);
	return -1;
}

int
numbers_load(const char *path, struct numbers *out, char *err, size_t errlen)
{
	static const struct numbers_opts tz = { .zone_ok = hours_zone_valid };

	return numbers_load_opts(path, &tz, out, err, errlen);
}

int
numbers_load_opts(const char *path, const struct numbers_opts *opts,
    struct numbers *out, char *err, size_t errlen)
{
	FILE *f = NULL;
	char *buf = NULL;
	size_t cap = 0, len = 0;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	f = fopen(path, "rb");
	if (f == NULL) {
		util_err(err, errlen, "%s: %s", path, strerror(errno));
		goto done;
	}
	/* Read one byte past the bound so an oversized file is told apart. */
	for (;;) {
		size_t got;

		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			char *grown;

			if (ncap > NUMBERS_FILE_MAX + 1)
				ncap = NUMBERS_FILE_MAX + 1;
			if (ncap == cap)
				break;
			grown = realloc(buf, ncap);
			if (grown == NULL) {
				util_err(err, errlen, "%s: out of memory", path);
				goto done;
			}
			buf = grown;
			cap = ncap;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		util_err(err, errlen, "%s: %s", path, strerror(errno));
		goto done;
	}
	rc = numbers_parse_opts(buf ? buf : "", len, path, opts, out, err,
	    errlen);

done:
	if (f != NULL)
		fclose(f);
	free(buf);
	return rc;
}

const char *
numbers_zone(const struct numbers *n, size_t i)
{
	return n->zones != NULL ? n->zone_names[n->zones[i]] : NULL;
}

bool
numbers_equal(const struct numbers *a, const struct numbers *b)
{
	size_t i;

	if (a->count != b->count)
		return false;
	for (i = 0; i < a->count; i++) {
		const char *za = numbers_zone(a, i), *zb = numbers_zone(b, i);

		if (strcmp(a->phones[i], b->phones[i]) != 0)
			return false;
		if ((za == NULL) != (zb == NULL) ||
		    (za != NULL && strcmp(za, zb) != 0))
			return false;
	}
	return true;
}

void
numbers_free(struct numbers *n)
{
	free(n->phones);
	free(n->text);
	free(n->zones);
	free(n->zone_names);
	memset(n, 0, sizeof(*n));
}
