/*
 * render: the JSON the page reads from GET /events and GET /calls/ROW (see
 * docs/ARCHITECTURE.md).
 */
#ifndef NUMDIALER_RENDER_H
#define NUMDIALER_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "campaign.h"

/* What GET /events says of the process answering it. */
struct render_process {
	const char *instance;  /* this run's name: a restarted process has
	                          another (NULL is sent as "") */
	bool journal;          /* its state is journaled and survives a restart */
	const char *version;   /* the program's release, "program_version"
	                          (NULL: not sent) */
};

/*
 * Renders c (its lock held) for a client that has seen version *since:
 * only the rows changed after it, or every row ("full": true) when since is
 * NULL or the change log no longer reaches it, with "instance" and
 * "journal" from p. Returns a NUL-terminated string the caller frees with
 * free(), its length in *len; NULL on out of memory.
 */
char *render_events(const struct campaign *c,
    const struct render_process *p, const uint64_t *since, size_t *len);

/*
 * The full list of GET /events made a batch of rows per hold of the
 * campaign's lock, so that the lock is never held for a whole list:
 *
 * render_full_begin (lock held) writes the envelope as of now: "version",
 * the counts and the state of that moment, "full": true. NULL when out of
 * memory.
 *
 * render_full_take (lock held) copies the next rows, max at most, as they
 * are now: their state and the strings that may change (a few dozen bytes
 * a row), so that the lock is held for the copy, not for the writing.
 * False when no row is left (or the render failed): nothing was taken.
 * A row taken after a change is newer than the envelope's version, which
 * is harmless: the page then asks for the rows changed after that version
 * and gets it again, and a row carries its whole state, so applying it
 * twice changes nothing.
 *
 * render_full_write (no lock needed) writes the rows taken.
 *
 * render_full_end (no lock needed) closes the answer and frees f: a
 * NUL-terminated string the caller frees, its length in *len; NULL when
 * the render failed or rows were left.
 */
struct render_full;

struct render_full *render_full_begin(const struct campaign *c,
    const struct render_process *p);
bool render_full_take(struct render_full *f, const struct campaign *c,
    size_t max);
void render_full_write(struct render_full *f);
char *render_full_end(struct render_full *f, size_t *len);

/*
 * Renders row of c (its lock held) for GET /calls/ROW: the row as /events
 * has it, plus "answered_by" (a word or null), "duration_s" (a number or
 * null) and "events", its history oldest first, each {"at", "status",
 * "source", "seq" (or null), "provider_time" (or null), "applied"}, times
 * in ISO 8601 UTC with milliseconds. Returns a NUL-terminated string the
 * caller frees, its length in *len; NULL for a row out of range or out of
 * memory.
 */
char *render_call(const struct campaign *c, size_t row, size_t *len);

#endif
