/*
 * buf: the growing buffer (see buf.h).
 */
#include "buf.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

int
buf_init(struct buf *b, size_t cap)
{
	memset(b, 0, sizeof(*b));
	b->cap = cap > 0 ? cap : 1;
	if ((b->data = malloc(b->cap)) == NULL) {
		b->cap = 0;
		b->failed = true;
		return -1;
	}
	return 0;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

bool
buf_room(struct buf *b, size_t need)
{
	size_t cap = b->cap > 0 ? b->cap : 1;
	char *grown;

	if (b->failed)
		return false;
	if (b->len + need + 1 <= cap)
		return true;
	while (b->len + need + 1 > cap) {
		if (cap > SIZE_MAX / 2) {
			b->failed = true;
			return false;
		}
		cap *= 2;
	}
	if ((grown = realloc(b->data, cap)) == NULL) {
		b->failed = true;
		return false;
	}
	b->data = grown;
	b->cap = cap;
	return true;
}

void
buf_add(struct buf *b, const char *s, size_t len)
{
	if (!buf_room(b, len))
		return;
	memcpy(b->data + b->len, s, len);
	b->len += len;
}

void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_char(struct buf *b, char ch)
{
	buf_add(b, &ch, 1);
}

void
buf_u64(struct buf *b, uint64_t v)
{
	char digits[UTIL_U64_DIGITS];
	size_t n = 0;

	do {
		digits[sizeof(digits) - ++n] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	buf_add(b, digits + sizeof(digits) - n, n);
}

char *
buf_take(struct buf *b, size_t *len)
{
	char *data;

	if (b->failed || !buf_room(b, 0)) {
		buf_free(b);
		return NULL;
	}
	b->data[b->len] = '\0';
	data = b->data;
	if (len != NULL)
		*len = b->len;
	memset(b, 0, sizeof(*b));
	return data;
}
