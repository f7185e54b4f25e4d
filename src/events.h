/*
 * events: the parked long-polls of GET /events. A watcher costs memory and
 * a connection, not a thread: one thread answers every watcher when the
 * campaign's version moves past the one it holds, with no news after
 * EVENTS_WAIT_MS, or, oldest first, at once when more than
 * EVENTS_WATCHERS_MAX wait.
 */
#ifndef NUMDIALER_EVENTS_H
#define NUMDIALER_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include <fcgiapp.h>

#include "hub.h"
#include "wire.h"

/*
 * What one watcher holds: its connection here and two at the web server
 * (the page's and this one), for EVENTS_WAIT_MS at most. A page abandoned
 * (or never read) holds them as long: the web server does not notice a
 * page that left while it waits for the program. So the wait is short and
 * the watchers bounded: past EVENTS_WATCHERS_MAX the oldest are answered
 * at once, with no news (a page asks again), and only past
 * EVENTS_WATCHERS_HARD, when the answering thread falls behind, is a new
 * one refused (503). The bound is descriptors, not memory (a watcher costs
 * well under a KiB here): 8192 abandoned hold 16,384 of lighttpd's, half
 * the 32,768 it asks for (conf/lighttpd.conf), and the rest stays free for
 * webhooks.
 */
#define EVENTS_WAIT_MS 10000           /* longest a watcher waits for news */
#define EVENTS_WATCHERS_MAX 8192       /* waiting at once, the newest kept */
#define EVENTS_WATCHERS_HARD (2 * EVENTS_WATCHERS_MAX)

struct events;

/* Starts the answering thread over hub, registered with hub_on_change so
 * that every change wakes it; kept connections go to *keeper (copied) once
 * answered. NULL on failure. */
struct events *events_start(struct hub *hub, const struct wire_keeper *keeper);

/*
 * Parks req (allocated by the accept loop; events then owns it: it frees
 * req and its buffers at once, keeping only the connection, which it
 * answers and closes later, or, when req->keepConnection says the
 * connection outlives the request (gate_next's keep), gives back to the
 * keeper) until the version moves past since, for
 * EVENTS_WAIT_MS at most; past EVENTS_WATCHERS_MAX waiting, the oldest
 * watcher is answered at once. Call it with hub.lock held, having seen that
 * nothing is newer than since, so no change can slip between the look and
 * the park. Returns 0, or -1 when EVENTS_WATCHERS_HARD wait (req not
 * taken).
 */
int events_park(struct events *e, FCGX_Request *req, uint64_t since);

/* Watchers parked now (for GET /metrics). Takes the module's lock. */
size_t events_waiting(struct events *e);

/* Answers every parked watcher with the current state, ends the thread,
 * frees e (NULL is fine). Call once nothing else may call hub_changed: the
 * hub keeps e's wake-up. */
void events_stop(struct events *e);

#endif
