/*
 * events: the parked long-polls of GET /events. A watcher costs memory, not
 * a thread: one thread answers every watcher when the campaign's version
 * moves past the one it holds, or with no news after EVENTS_WAIT_MS.
 */
#ifndef NUMDIALER_EVENTS_H
#define NUMDIALER_EVENTS_H

#include <stdint.h>

#include <fcgiapp.h>

#include "hub.h"

#define EVENTS_WAIT_MS 25000       /* longest a watcher waits for news */
#define EVENTS_WATCHERS_MAX 20000  /* more are answered 503 */

struct events;

/* Starts the answering thread over hub, registered with hub_on_change so
 * that every change wakes it. NULL on failure. */
struct events *events_start(struct hub *hub);

/*
 * Parks req (allocated by the accept loop; events then owns it: it frees
 * req and its buffers at once, keeping only the connection, which it
 * answers and closes later) until the version moves past since. Call it
 * with hub.lock held, having seen that nothing is newer than since, so no
 * change can slip between the look and the park. Returns 0, or -1 when
 * full (req not taken).
 */
int events_park(struct events *e, FCGX_Request *req, uint64_t since);

/* Answers every parked watcher with the current state, ends the thread,
 * frees e (NULL is fine). Call once nothing else may call hub_changed: the
 * hub keeps e's wake-up. */
void events_stop(struct events *e);

#endif
