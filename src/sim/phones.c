/* phones: the known-number set, an open-addressing hash table over the list text. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phones.h"
#include "util.h"

struct phones {
	char *text;         /* the file, each phone NUL-terminated in place; owned */
	const char **slots; /* cap pointers into text, NULL when empty; owned */
	size_t cap;         /* a power of two, at least twice count */
	size_t count;
};

static uint64_t
phones_hash(const char *s, size_t len)
{
	uint64_t h = 14695981039346656037ULL; /* FNV-1a */
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* The slot holding phone, or the empty slot where it belongs. */
static size_t
phones_slot(const struct phones *set, const char *phone, size_t len)
{
	size_t i = (size_t)phones_hash(phone, len) & (set->cap - 1);

	while (set->slots[i] != NULL && (strlen(set->slots[i]) != len ||
	    memcmp(set->slots[i], phone, len) != 0))
		i = (i + 1) & (set->cap - 1);
	return i;
}

int
phones_has(const struct phones *set, const char *phone, size_t len)
{
	if (len == 0 || len > PHONES_LEN_MAX)
		return 0;
	return set->slots[phones_slot(set, phone, len)] != NULL;
}

size_t
phones_count(const struct phones *set)
{
	return set->count;
}

void
phones_free(struct phones *set)
{
	if (set == NULL)
		return;
	free(set->text);
	free(set->slots);
	free(set);
}

/* Reads the whole file into a NUL-terminated buffer: 0 or -1. */
static int
phones_read(const char *path, char **out, size_t *outlen, char *err,
    size_t errlen)
{
	FILE *f = NULL;
	char *buf = NULL;
	long size;
	int rc = -1;

	f = fopen(path, "r");
	if (f == NULL) {
		util_err(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		util_err(err, errlen, "%s: cannot size the file", path);
		goto fail;
	}
	if (size > PHONES_FILE_MAX) {
		util_err(err, errlen, "%s: larger than %ld bytes", path,
		    PHONES_FILE_MAX);
		goto fail;
	}
	buf = malloc((size_t)size + 1);
	if (buf == NULL) {
		util_err(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
		util_err(err, errlen, "%s: read error", path);
		goto fail;
	}
	buf[size] = '\0';
	*out = buf;
	*outlen = (size_t)size;
	buf = NULL;
	rc = 0;
fail:
	free(buf);
	if (f != NULL)
		fclose(f);
	return rc;
}

/* Counts the lines of text, a bound on its numbers. */
static size_t
phones_lines(const char *text, size_t len)
{
	size_t n = 1, i;

	for (i = 0; i < len; i++)
		n += text[i] == '\n';
	return n;
}

/* The phone on the line from line to end, past its blanks and comment:
 * its first byte in *phone and its length, 0 when there is none. */
static size_t
phones_field(char *line, char *end, char **phone)
{
	char *p, *stop;

	stop = memchr(line, '#', (size_t)(end - line));
	if (stop == NULL)
		stop = end;
	for (p = line; p < stop && util_is_blank(*p); p++)
		;
	while (stop > p && util_is_blank(stop[-1]))
		stop--;
	*phone = p;
	return (size_t)(stop - p);
}

/*
 * Puts each phone of the len bytes of set->text into set->slots, cutting
 * it out of the text in place: 0, or -1 with "path:line: reason" in err.
 */
static int
phones_parse(struct phones *set, size_t len, const char *path, char *err,
    size_t errlen)
{
	char *line, *end, *p;
	size_t lineno = 0, plen, slot;

	line = set->text;
	/* A UTF-8 byte order mark first: skipped, as the dialer does. */
	if (len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0)
		line += 3;
	for (; line < set->text + len; line = end + 1) {
		lineno++;
		end = memchr(line, '\n', (size_t)(set->text + len - line));
		if (end == NULL)
			end = set->text + len;
		plen = phones_field(line, end, &p);
		if (plen == 0)
			continue;
		if (plen > PHONES_LEN_MAX) {
			util_err(err, errlen, "%s:%zu: phone longer than %d "
			    "characters", path, lineno, PHONES_LEN_MAX);
			return -1;
		}
		if (memchr(p, '\0', plen) != NULL) {
			util_err(err, errlen, "%s:%zu: NUL byte in the line",
			    path, lineno);
			return -1;
		}
		if (set->count == PHONES_COUNT_MAX) {
			util_err(err, errlen, "%s:%zu: more than %d numbers",
			    path, lineno, PHONES_COUNT_MAX);
			return -1;
		}
		slot = phones_slot(set, p, plen);
		/* The phone ends where its line or comment began: cut it there. */
		p[plen] = '\0';
		if (set->slots[slot] == NULL) {
			set->slots[slot] = p;
			set->count++;
		}
	}
	return 0;
}

struct phones *
phones_load(const char *path, char *err, size_t errlen)
{
	struct phones *set = NULL;
	size_t len, lines;

	set = calloc(1, sizeof *set);
	if (set == NULL) {
		util_err(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	if (phones_read(path, &set->text, &len, err, errlen) != 0)
		goto fail;
	lines = phones_lines(set->text, len);
	set->cap = 16;
	while (set->cap < 2 * lines)
		set->cap *= 2;
	set->slots = calloc(set->cap, sizeof *set->slots);
	if (set->slots == NULL) {
		util_err(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	if (phones_parse(set, len, path, err, errlen) != 0)
		goto fail;
	if (set->count == 0) {
		util_err(err, errlen, "%s: no phone numbers", path);
		goto fail;
	}
	return set;
fail:
	phones_free(set);
	return NULL;
}
