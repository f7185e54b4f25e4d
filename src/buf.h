/*
 * buf: a growing byte buffer that remembers a failed allocation, so that a
 * writer adds piece after piece and checks once at the end. The answers
 * written rather than built (the full /events list, the CSV reports) are
 * made in one.
 */
#ifndef NUMDIALER_BUF_H
#define NUMDIALER_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	char *data;          /* NUL-terminated once buf_take hands it over */
	size_t len;
	size_t cap;
	bool failed;         /* out of memory: every later add is dropped */
};

/* An empty buffer with room for cap bytes (at least 1): 0, or -1 when out
 * of memory (b is then failed, and buf_free still takes it). */
int buf_init(struct buf *b, size_t cap);

/* Frees what b holds; b may be failed or handed over (buf_take). */
void buf_free(struct buf *b);

/* Room for need more bytes and a NUL: false (b failed) when out of
 * memory. */
bool buf_room(struct buf *b, size_t need);

void buf_add(struct buf *b, const char *s, size_t len);
void buf_str(struct buf *b, const char *s);
void buf_char(struct buf *b, char ch);
void buf_u64(struct buf *b, uint64_t v);

/* Hands the bytes over, NUL-terminated (the caller frees them with free()),
 * their length in *len, and leaves b empty; NULL (b freed) when b failed. */
char *buf_take(struct buf *b, size_t *len);

#endif
