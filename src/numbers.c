/*
 * numbers: parses the phone list in one pass into one text buffer (the
 * phones, NUL-separated) and one array of pointers into it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numbers.h"
#include "util.h"

#define NUMBERS_DIGITS_MIN 7
#define NUMBERS_DIGITS_MAX 15
#define NUMBERS_SHOWN_MAX 24      /* offending text quoted in an error */
#define NUMBERS_PHONES_FIRST 1024 /* first size of the pointer array */

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

/* Appends p to the pointer array, doubling it when full: 0 or -1. */
static int
phones_push(struct numbers *n, size_t *cap, const char *p)
{
	if (n->count == *cap) {
		size_t ncap = *cap ? *cap * 2 : NUMBERS_PHONES_FIRST;
		const char **grown;

		if (ncap > NUMBERS_COUNT_MAX)
			ncap = NUMBERS_COUNT_MAX;
		grown = realloc(n->phones, ncap * sizeof(*grown));
		if (grown == NULL)
			return -1;
		n->phones = grown;
		*cap = ncap;
	}
	n->phones[n->count++] = p;
	return 0;
}

/* One pass over the lines, with the line count every error names: the
 * reason for its length. */
int
numbers_parse(const char *text, size_t len, const char *name,
    struct numbers *out, char *err, size_t errlen)
{
	struct numbers n = { NULL, 0, NULL };
	size_t cap = 0, used = 0, line = 0;
	const char *p = text, *end = text + len;

	memset(out, 0, sizeof(*out));
	util_err(err, errlen, "%s", "");
	if (len > NUMBERS_FILE_MAX) {
		util_err(err, errlen, "%s: larger than %zu bytes", name,
		    NUMBERS_FILE_MAX);
		goto fail;
	}
	/* A byte order mark some editors put first says only "UTF-8". */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		text += 3;
		len -= 3;
		p = text;
		end = text + len;
	}
	/* Each phone is no longer than its line and its NUL takes the place
	 * of the line's end, so len + 1 bytes always hold them all. */
	n.text = malloc(len + 1);
	if (n.text == NULL) {
		util_err(err, errlen, "%s: out of memory", name);
		goto fail;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *stop = nl ? nl : end;
		const char *s = p;
		size_t elen;
		const char *why;

		line++;
		p = nl ? nl + 1 : end;
		while (s < stop && util_is_blank(*s))
			s++;
		if (s == stop || *s == '#')
			continue;
		elen = entry_length(s, (size_t)(stop - s));
		why = entry_problem(s, elen);
		if (why != NULL) {
			line_error(err, errlen, name, line, why, s, elen);
			goto fail;
		}
		if (n.count == NUMBERS_COUNT_MAX) {
			util_err(err, errlen, "%s:%zu: more than %d numbers",
			    name, line, NUMBERS_COUNT_MAX);
			goto fail;
		}
		memcpy(n.text + used, s, elen);
		n.text[used + elen] = '\0';
		if (phones_push(&n, &cap, n.text + used) == -1) {
			util_err(err, errlen, "%s: out of memory", name);
			goto fail;
		}
		used += elen + 1;
	}
	if (n.count == 0) {
		util_err(err, errlen, "%s: no numbers", name);
		goto fail;
	}
	*out = n;
	return 0;

fail:
	numbers_free(&n);
	return -1;
}

int
numbers_load(const char *path, struct numbers *out, char *err, size_t errlen)
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
	rc = numbers_parse(buf ? buf : "", len, path, out, err, errlen);

done:
	if (f != NULL)
		fclose(f);
	free(buf);
	return rc;
}

bool
numbers_equal(const struct numbers *a, const struct numbers *b)
{
	size_t i;

	if (a->count != b->count)
		return false;
	for (i = 0; i < a->count; i++)
		if (strcmp(a->phones[i], b->phones[i]) != 0)
			return false;
	return true;
}

void
numbers_free(struct numbers *n)
{
	free(n->phones);
	free(n->text);
	n->phones = NULL;
	n->text = NULL;
	n->count = 0;
}
