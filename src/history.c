/*
 * history: rows' events in 8-byte slots (see history.h for the contract).
 *
 * Each row owns four slots of its own, in one array allocated zeroed for
 * the whole list: the pages of rows never dialed are never touched, so
 * they cost nothing. A row needing more spills into chunks of eight slots
 * taken from blocks that never move: then its fourth slot, and the last
 * slot of every chunk but the last, is a link to the next chunk. Freed
 * chunks go to a free list and are taken again first.
 *
 * A slot is an event, the extension of the event before it, a link, or
 * empty (the end of the row). An event slot holds everything but a
 * sequence number above 254 or a provider time more than 511 s away from
 * the event's own second; such an event takes an extension slot too. So
 * the four events of a plain call (the API's answer, ringing, answered,
 * completed) fill a row's own 32 bytes and nothing more.
 *
 * Every change is read, edit, write: the row's slots are read into events,
 * edited (one given way, one added) and written back. A row holds 32 data
 * slots at most; that is cheaper than keeping any of it in place.
 */
#include "history.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

#define HISTORY_OWN 4              /* slots of a row's own */
#define HISTORY_CHUNK 8            /* slots of a chunk */
#define HISTORY_BLOCK 4096         /* chunks of a block: 256 KiB */
/* Data slots of a row: every event with its extension, one more event
 * while one is added. */
#define HISTORY_DATA_MAX (2 * (CAMPAIGN_EVENTS_MAX + 1))
/* Chunks holding them: HISTORY_OWN - 1 in the row, 7 in each chunk but
 * the last, which has 8. */
#define HISTORY_CHAIN_MAX \
	(1 + (HISTORY_DATA_MAX - (HISTORY_OWN - 1) + HISTORY_CHUNK - 2) / \
	(HISTORY_CHUNK - 1))
#define HISTORY_CHUNKS_MAX UINT32_MAX  /* chunk numbers are 32 bits, 0 none */

enum slot_kind { SLOT_EMPTY, SLOT_EVENT, SLOT_EXT, SLOT_LINK };

/* Where each field sits in a slot: shift and width. */
#define F_KIND 0, 2
#define F_STATUS 2, 4
#define F_SOURCE 6, 3
#define F_APPLIED 9, 1
#define F_AT 10, 36              /* ms from the store's base, signed */
#define F_SEQ 46, 8              /* SEQ_NONE: none, or in the extension */
#define F_DELTA 54, 10           /* provider s minus the event's s, signed;
                                    DELTA_NONE: none, or in the extension */
#define F_LINK 2, 32             /* a link's chunk number */
#define F_EXT_SEQ 2, 16          /* EXT_SEQ_NONE: none */
#define F_EXT_PROVIDER 18, 34    /* provider s + 1; 0: none */

#define SEQ_NONE 0xff
#define EXT_SEQ_NONE 0xffff
#define DELTA_NONE (-512)
#define DELTA_MAX 511
#define AT_MAX (((int64_t)1 << 35) - 1)

_Static_assert(STATUS_COUNT <= 16, "a status takes 4 bits of a slot");
_Static_assert(EVENT_SOURCE_COUNT <= 8, "a source takes 3 bits of a slot");
_Static_assert(CAMPAIGN_SEQ_MAX < EXT_SEQ_NONE, "a sequence number fits");

struct history {
	uint64_t (*own)[HISTORY_OWN];   /* per row */
	size_t size;
	uint64_t (**blocks)[HISTORY_CHUNK];
	size_t block_count, block_cap;
	uint32_t chunk_count;           /* chunk numbers handed out: 1.. */
	uint32_t free_chunk;            /* head of the free list; 0: empty */
	size_t in_use;
	int64_t base_ms;                /* the first event's time */
	bool based;
};

static uint64_t
put(uint64_t v, unsigned shift, unsigned bits)
{
	return (v & ((UINT64_C(1) << bits) - 1)) << shift;
}

static uint64_t
get(uint64_t slot, unsigned shift, unsigned bits)
{
	return slot >> shift & ((UINT64_C(1) << bits) - 1);
}

/* A two's complement field of bits bits, read back as signed. */
static int64_t
get_signed(uint64_t slot, unsigned shift, unsigned bits)
{
	uint64_t v = get(slot, shift, bits);

	return v >> (bits - 1) ? (int64_t)v - ((int64_t)1 << bits) : (int64_t)v;
}

static enum slot_kind
kind(uint64_t slot)
{
	return (enum slot_kind)get(slot, F_KIND);
}

static int64_t
clamp(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Chunk number n (1..chunk_count). */
static uint64_t *
chunk(const struct history *h, uint32_t n)
{
	return h->blocks[(n - 1) / HISTORY_BLOCK][(n - 1) % HISTORY_BLOCK];
}

/* A chunk to fill: from the free list, else a new one. 0 when out of
 * memory. */
static uint32_t
chunk_take(struct history *h)
{
	uint32_t n = h->free_chunk;

	if (n != 0) {
		h->free_chunk = (uint32_t)get(chunk(h, n)[0], F_LINK);
	} else {
		if (h->chunk_count == HISTORY_CHUNKS_MAX)
			return 0;
		if (h->chunk_count % HISTORY_BLOCK == 0) {
			void *block;

			if (h->block_count == h->block_cap) {
				size_t cap = h->block_cap ? h->block_cap * 2 : 16;
				void *grown = realloc(h->blocks,
				    cap * sizeof(*h->blocks));

				if (grown == NULL)
					return 0;
				h->blocks = grown;
				h->block_cap = cap;
			}
			block = malloc(HISTORY_BLOCK * sizeof(**h->blocks));
			if (block == NULL)
				return 0;
			h->blocks[h->block_count++] = block;
		}
		n = ++h->chunk_count;
	}
	h->in_use++;
	return n;
}

static void
chunk_give(struct history *h, uint32_t n)
{
	chunk(h, n)[0] = put(SLOT_LINK, F_KIND) | put(h->free_chunk, F_LINK);
	h->free_chunk = n;
	h->in_use--;
}

struct history *
history_new(size_t rows)
{
	struct history *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	h->size = rows;
	h->own = calloc(rows ? rows : 1, sizeof(*h->own));
	if (h->own == NULL) {
		free(h);
		return NULL;
	}
	return h;
}

void
history_free(struct history *h)
{
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; i < h->block_count; i++)
		free(h->blocks[i]);
	free(h->blocks);
	free(h->own);
	free(h);
}

/* Reads row's data slots, in order, into data, and the chunks holding
 * them into chain (*links of them). Returns how many data slots. */
static size_t
read_slots(const struct history *h, size_t row, uint64_t *data,
    uint32_t *chain, size_t *links)
{
	const uint64_t *p = h->own[row];
	size_t cap = HISTORY_OWN, k = 0, n = 0;

	*links = 0;
	while (k < cap && n < HISTORY_DATA_MAX) {
		uint64_t slot = p[k];

		if (kind(slot) == SLOT_EMPTY)
			break;
		if (kind(slot) == SLOT_LINK) {
			if (*links == HISTORY_CHAIN_MAX)
				break;
			chain[(*links)++] = (uint32_t)get(slot, F_LINK);
			p = chunk(h, chain[*links - 1]);
			cap = HISTORY_CHUNK;
			k = 0;
			continue;
		}
		data[n++] = slot;
		k++;
	}
	return n;
}

/* Chunks n data slots take: none while they fit in the row's own. */
static size_t
chunks_for(size_t n)
{
	size_t rest;

	if (n <= HISTORY_OWN)
		return 0;
	rest = n - (HISTORY_OWN - 1);
	if (rest <= HISTORY_CHUNK)
		return 1;
	return 1 + (rest - HISTORY_CHUNK + HISTORY_CHUNK - 2) /
	    (HISTORY_CHUNK - 1);
}

/* Copies n slots to dst, then empty ones up to cap. */
static void
fill(uint64_t *dst, size_t cap, const uint64_t *src, size_t n)
{
	memcpy(dst, src, n * sizeof(*src));
	memset(dst + n, 0, (cap - n) * sizeof(*dst));
}

/*
 * Writes row's n data slots, keeping the chunks of its old chain (links
 * of them) it still needs and giving back the others. 0, or -1 with
 * nothing changed when out of memory.
 */
static int
write_slots(struct history *h, size_t row, const uint64_t *data, size_t n,
    const uint32_t *chain, size_t links)
{
	uint32_t use[HISTORY_CHAIN_MAX];
	size_t need = chunks_for(n), i, at;
	uint64_t *dst;

	for (i = 0; i < need; i++) {
		use[i] = i < links ? chain[i] : chunk_take(h);
		if (use[i] == 0) {
			while (i-- > links)
				chunk_give(h, use[i]);
			return -1;
		}
	}
	for (i = need; i < links; i++)
		chunk_give(h, chain[i]);
	if (need == 0) {
		fill(h->own[row], HISTORY_OWN, data, n);
		return 0;
	}
	dst = h->own[row];
	fill(dst, HISTORY_OWN, data, HISTORY_OWN - 1);
	dst[HISTORY_OWN - 1] = put(SLOT_LINK, F_KIND) | put(use[0], F_LINK);
	at = HISTORY_OWN - 1;
	for (i = 0; i < need; i++) {
		dst = chunk(h, use[i]);
		if (i + 1 == need) {
			fill(dst, HISTORY_CHUNK, data + at, n - at);
			break;
		}
		fill(dst, HISTORY_CHUNK, data + at, HISTORY_CHUNK - 1);
		dst[HISTORY_CHUNK - 1] = put(SLOT_LINK, F_KIND) |
		    put(use[i + 1], F_LINK);
		at += HISTORY_CHUNK - 1;
	}
	return 0;
}

/* ev in one slot, or two when its sequence number or provider time does
 * not fit the first: how many it wrote to out. */
static size_t
encode(const struct history *h, const struct campaign_event *ev,
    uint64_t out[2])
{
	int64_t off = clamp(clamp(ev->at_ms, 0, CAMPAIGN_MS_MAX) - h->base_ms,
	    -AT_MAX - 1, AT_MAX);
	int64_t at_s = (h->base_ms + off) / 1000;
	int64_t seq = ev->seq >= 0 && ev->seq <= CAMPAIGN_SEQ_MAX ? ev->seq : -1;
	int64_t provider = ev->provider_s >= 0 &&
	    ev->provider_s <= HISTORY_PROVIDER_MAX ? ev->provider_s : -1;
	bool whole = seq < SEQ_NONE && (provider < 0 ||
	    (provider - at_s >= -DELTA_MAX && provider - at_s <= DELTA_MAX));

	out[0] = put(SLOT_EVENT, F_KIND) | put((uint64_t)ev->status, F_STATUS) |
	    put((uint64_t)ev->source, F_SOURCE) | put(ev->applied, F_APPLIED) |
	    put((uint64_t)off, F_AT);
	if (whole) {
		out[0] |= put(seq < 0 ? SEQ_NONE : (uint64_t)seq, F_SEQ) |
		    put((uint64_t)(provider < 0 ? DELTA_NONE : provider - at_s),
		    F_DELTA);
		return 1;
	}
	out[0] |= put(SEQ_NONE, F_SEQ) | put((uint64_t)DELTA_NONE, F_DELTA);
	out[1] = put(SLOT_EXT, F_KIND) |
	    put(seq < 0 ? EXT_SEQ_NONE : (uint64_t)seq, F_EXT_SEQ) |
	    put((uint64_t)(provider + 1), F_EXT_PROVIDER);
	return 2;
}

/* The event of slot (an event slot). */
static struct campaign_event
decode(const struct history *h, uint64_t slot)
{
	struct campaign_event ev;
	int64_t delta = get_signed(slot, F_DELTA);

	memset(&ev, 0, sizeof(ev));
	ev.at_ms = h->base_ms + get_signed(slot, F_AT);
	ev.status = (enum status)get(slot, F_STATUS);
	ev.source = (enum event_source)get(slot, F_SOURCE);
	ev.applied = get(slot, F_APPLIED) != 0;
	ev.seq = get(slot, F_SEQ) == SEQ_NONE ? -1 : (int64_t)get(slot, F_SEQ);
	ev.provider_s = delta == DELTA_NONE ? -1 : ev.at_ms / 1000 + delta;
	return ev;
}

/* What an extension slot adds to ev. */
static void
decode_ext(struct campaign_event *ev, uint64_t slot)
{
	uint64_t seq = get(slot, F_EXT_SEQ);

	ev->seq = seq == EXT_SEQ_NONE ? -1 : (int64_t)seq;
	ev->provider_s = (int64_t)get(slot, F_EXT_PROVIDER) - 1;
}

/* The events of n data slots, up to max of them, into out: how many. */
static size_t
decode_all(const struct history *h, const uint64_t *data, size_t n,
    struct campaign_event *out, size_t max)
{
	size_t i, count = 0;

	for (i = 0; i < n && count < max; i++) {
		if (kind(data[i]) != SLOT_EVENT)
			continue;
		out[count] = decode(h, data[i]);
		if (i + 1 < n && kind(data[i + 1]) == SLOT_EXT)
			decode_ext(&out[count], data[++i]);
		count++;
	}
	return count;
}

/* Drops one of a full row's events: the oldest not terminal, else the
 * oldest. */
static void
evict(struct campaign_event *ev, size_t *count)
{
	size_t i, drop = 0;

	for (i = 0; i < *count; i++) {
		if (!status_is_terminal(ev[i].status)) {
			drop = i;
			break;
		}
	}
	memmove(ev + drop, ev + drop + 1, (*count - drop - 1) * sizeof(*ev));
	(*count)--;
}

int
history_add(struct history *h, size_t row, const struct campaign_event *ev)
{
	struct campaign_event events[CAMPAIGN_EVENTS_MAX + 1];
	uint64_t data[HISTORY_DATA_MAX];
	uint32_t chain[HISTORY_CHAIN_MAX];
	size_t links, n, count, i;

	if (row >= h->size)
		return -1;
	if (!h->based) {
		h->base_ms = clamp(ev->at_ms, 0, CAMPAIGN_MS_MAX);
		h->based = true;
	}
	n = read_slots(h, row, data, chain, &links);
	count = decode_all(h, data, n, events, CAMPAIGN_EVENTS_MAX);
	if (count == CAMPAIGN_EVENTS_MAX)
		evict(events, &count);
	events[count++] = *ev;
	for (i = 0, n = 0; i < count; i++)
		n += encode(h, &events[i], data + n);
	if (write_slots(h, row, data, n, chain, links) != 0)
		return -1;
	return (int)count;
}

size_t
history_get(const struct history *h, size_t row, struct campaign_event *out,
    size_t max)
{
	uint64_t data[HISTORY_DATA_MAX];
	uint32_t chain[HISTORY_CHAIN_MAX];
	size_t links, n;

	if (row >= h->size)
		return 0;
	n = read_slots(h, row, data, chain, &links);
	return decode_all(h, data, n, out, max);
}

void
history_clear(struct history *h, size_t row)
{
	uint64_t data[HISTORY_DATA_MAX];
	uint32_t chain[HISTORY_CHAIN_MAX];
	size_t links;

	if (row >= h->size)
		return;
	read_slots(h, row, data, chain, &links);
	/* No chunk is needed for nothing: this cannot fail. */
	write_slots(h, row, data, 0, chain, links);
}

size_t
history_chunks(const struct history *h)
{
	return h->in_use;
}
