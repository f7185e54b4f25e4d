/*
 * render: the JSON the page reads from GET /events (see docs/ARCHITECTURE.md).
 */
#ifndef NUMDIALER_RENDER_H
#define NUMDIALER_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "campaign.h"

/*
 * Renders c (its lock held) for a client that has seen version *since:
 * only the rows changed after it, or every row ("full": true) when since is
 * NULL or the change log no longer reaches it. Returns a NUL-terminated
 * string the caller frees with free(), its length in *len; NULL on out of
 * memory.
 */
char *render_events(const struct campaign *c, const char *instance,
    const uint64_t *since, size_t *len);

#endif
