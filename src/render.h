/*
 * render: the JSON the page reads from GET /events (see docs/ARCHITECTURE.md).
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

#endif
