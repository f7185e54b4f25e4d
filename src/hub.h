/*
 * hub: what the threads share. The one campaign and the lock around it, the
 * settings, this run's name, the journal written at each unlock, and the
 * threads to wake after a change. Also the process's clock and random
 * source, so the pure modules need neither.
 *
 * Lock order: hub.lock before the events module's own lock, never after.
 */
#ifndef NUMDIALER_HUB_H
#define NUMDIALER_HUB_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "campaign.h"
#include "render.h"
#include "settings.h"

#define HUB_INSTANCE_LEN 16  /* hex characters naming this process's run */

struct dialer;
struct events;
struct journal;

struct hub {
	pthread_mutex_t lock;         /* guards campaign and locked_version */
	struct campaign *campaign;    /* owned by main */
	const struct settings *settings;
	char instance[HUB_INSTANCE_LEN + 1];
	struct render_process process;/* instance and journal, for render */
	struct dialer *dialer;        /* set once at start-up, before any request */
	struct events *events;        /* likewise */
	struct journal *journal;      /* likewise; owned by main; NULL: none */
	uint64_t locked_version;      /* the campaign's version at hub_lock */
};

/* Takes the campaign's lock. Every reader and writer of the campaign goes
 * through hub_lock / hub_unlock. */
void hub_lock(struct hub *h);

/*
 * Releases the campaign's lock. With a journal, first appends to it what
 * changed since hub_lock: whoever unlocks after a change may then tell
 * the world (send the POST /call, answer the webhook or the operator), and
 * a crash of the process after that loses nothing. A failed append is
 * logged and tried again every second, the lock held: nothing is told of
 * a change the journal lacks.
 */
void hub_unlock(struct hub *h);

/* Call after changing the campaign, with the lock released: wakes the
 * dialer (a slot may be free) and the parked watchers (the version moved). */
void hub_changed(struct hub *h);

/* Milliseconds since the epoch, from the wall clock at start-up moved on
 * by the monotonic clock: it never steps back. */
int64_t hub_now_ms(void);

/* Fills buf with len bytes from the kernel's random source: 0 or -1. */
int hub_random(void *buf, size_t len);

#endif
