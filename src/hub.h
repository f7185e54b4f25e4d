/*
 * hub: what the threads share. The one campaign and the lock around it, the
 * settings, this run's name, the journal written at each unlock, and the
 * wake-ups that the threads above it register to hear of a change. Also
 * the process's clock and random source, so the pure modules need neither.
 * The hub calls nobody by name: it stands below every thread it wakes.
 *
 * Lock order: hub.lock before the events module's own lock and the full
 * list's (full.c), never after.
 */
#ifndef NUMDIALER_HUB_H
#define NUMDIALER_HUB_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "campaign.h"
#include "render.h"
#include "settings.h"

#define HUB_INSTANCE_LEN 16  /* hex characters naming this process's run */
#define HUB_WAKERS_MAX 4     /* wake-ups that may be registered */
#define HUB_STUCK_MAX 256    /* the journal's failure, as told to pages */

struct events;
struct full;
struct gate;
struct journal;

/* A wake-up registered with hub_on_change: fn(arg). */
struct hub_waker {
	void (*fn)(void *arg);
	void *arg;
	bool history;                 /* woken by hub_noted too */
};

struct hub {
	pthread_mutex_t lock;         /* guards campaign and locked_version */
	struct campaign *campaign;    /* owned by main */
	const struct settings *settings;
	const char *twilio_token;     /* the Twilio provider's auth token, read
	                                 at start-up (NULL without it); never
	                                 logged, answered or printed */
	char instance[HUB_INSTANCE_LEN + 1];
	struct render_process process;/* instance and journal, for render */
	struct events *events;        /* where GET /events parks its watchers;
	                                 set once at start-up, before any
	                                 request; NULL: none */
	struct full *full;            /* where GET /events gets the full list;
	                                 likewise; NULL: made under the lock */
	struct journal *journal;      /* likewise; owned by main; NULL: none */
	struct gate *gate;            /* the accept loop, for GET /metrics;
	                                 likewise; NULL: none */
	uint64_t locked_version;      /* the campaign's version at hub_lock */
	struct hub_waker wakers[HUB_WAKERS_MAX]; /* filled in order, never
	                                 emptied while threads run */
	atomic_size_t nwakers;        /* entries of wakers ready to call */
	pthread_mutex_t stuck_lock;   /* guards stuck; never waits on lock */
	char stuck[HUB_STUCK_MAX];    /* why the journal cannot be written
	                                 now; "" while it can */
	atomic_uint reports;          /* CSV reports being written now, each
	                                 holding a request thread (routes.c
	                                 bounds them) */
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

/*
 * Registers fn(arg) to be called by every hub_changed from now on, after
 * the wake-ups registered before it: whoever must hear first registers
 * first; with history, by every hub_noted too. One thread registers
 * (main, at start-up); others may call hub_changed meanwhile. fn must
 * stay callable while any thread may call hub_changed. Returns 0, or -1
 * when HUB_WAKERS_MAX are registered.
 */
int hub_on_change(struct hub *h, void (*fn)(void *arg), void *arg,
    bool history);

/*
 * While the journal cannot be written (hub_unlock retrying, the lock held),
 * copies why into buf (len bytes) and returns true; false while it can.
 * Takes no campaign lock: a page can be told why everything waits.
 */
bool hub_stuck(struct hub *h, char *buf, size_t len);

/* Call after changing the campaign, with the lock released: calls every
 * registered wake-up (the dialer: a slot may be free; the parked watchers:
 * the version moved). */
void hub_changed(struct hub *h);

/* Call after a change that only added to a row's history (a duplicate or
 * late report kept, the status as it was), with the lock released: the
 * version moved, so the parked watchers hear of it; the dialer, which
 * nothing of it concerns, is not woken (each replayed webhook would wake
 * it for nothing). */
void hub_noted(struct hub *h);

/* Milliseconds since the epoch, from the wall clock at start-up moved on
 * by the monotonic clock: it never steps back. */
int64_t hub_now_ms(void);

/* Fills buf with len bytes from the kernel's random source: 0 or -1. */
int hub_random(void *buf, size_t len);

#endif
