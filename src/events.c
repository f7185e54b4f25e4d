/*
 * events: parked GET /events long-polls and the one thread that answers
 * them. A watcher is a small list node around the FastCGI request.
 *
 * Watchers are parked under hub.lock with since equal to the version of the
 * moment, and deadlines are the park time plus a constant. So along the
 * list, in park order, both since and deadline never decrease, and the
 * watchers due at any moment (since older than the version, or deadline
 * passed) are always a prefix of the list. Answering is then: detach the
 * prefix, render once per distinct since, write.
 */
#include "events.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http.h"
#include "render.h"

struct events_watcher {
	struct events_watcher *next;
	FCGX_Request *req;        /* owned: finished and freed when answered */
	uint64_t since;
	int64_t deadline_ms;      /* CLOCK_MONOTONIC */
	char *body;               /* set on the first watcher of each run of
	                             equal since while answering; owned */
	size_t len;
};

struct events {
	struct hub *hub;
	pthread_mutex_t lock;     /* guards everything below; after hub.lock */
	pthread_cond_t cond;      /* on CLOCK_MONOTONIC */
	struct events_watcher *head, *tail;
	size_t count;
	bool woken;               /* the version may have moved */
	bool stopping;
	pthread_t thread;
};

static int64_t
events_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Detaches the due prefix of the list (everything when all). Call with
 * e->lock held. */
static struct events_watcher *
events_detach(struct events *e, uint64_t version, int64_t now, bool all)
{
	struct events_watcher *first = e->head, *last = NULL, *w = e->head;

	while (w != NULL &&
	    (all || w->since < version || w->deadline_ms <= now)) {
		last = w;
		w = w->next;
		e->count--;
	}
	if (last == NULL)
		return NULL;
	last->next = NULL;
	e->head = w;
	if (w == NULL)
		e->tail = NULL;
	return first;
}

/* Renders each run of equal since once, under hub.lock (held). A failed
 * render leaves body NULL: that run is answered 500. */
static void
events_render(struct events *e, struct events_watcher *list)
{
	struct events_watcher *w, *prev = NULL;

	for (w = list; w != NULL; prev = w, w = w->next) {
		if (prev != NULL && prev->since == w->since)
			continue;
		w->body = render_events(e->hub->campaign, e->hub->instance,
		    &w->since, &w->len);
	}
}

/* Writes the answers, finishes and frees every watcher of list. No lock
 * held: this is the slow part. */
static void
events_answer(struct events_watcher *list)
{
	struct events_watcher *w = list, *next;
	const char *body = NULL;
	char *owned = NULL;
	size_t len = 0;
	uint64_t since = 0;

	while (w != NULL) {
		next = w->next;
		if (w == list || w->since != since) {
			/* The first watcher of a run brings the run's body. */
			free(owned);
			owned = w->body;
			body = owned;
			len = w->len;
			since = w->since;
		}
		if (body != NULL)
			http_reply_json(w->req, 200, NULL, body, len);
		else
			http_reply_error(w->req, 500, NULL, "out of memory");
		FCGX_Finish_r(w->req);
		/* Closes the connection even when the web server asked to keep
		 * it: no accept loop will read from it again. */
		FCGX_Free(w->req, 1);
		free(w->req);
		free(w);
		w = next;
	}
	free(owned);
}

static void *
events_run(void *arg)
{
	struct events *e = arg;
	struct events_watcher *due;
	bool stop = false;

	while (!stop) {
		uint64_t version;

		pthread_mutex_lock(&e->lock);
		while (!e->woken && !e->stopping) {
			int64_t next;
			struct timespec ts;

			if (e->head == NULL) {
				pthread_cond_wait(&e->cond, &e->lock);
				continue;
			}
			next = e->head->deadline_ms;
			if (next <= events_mono_ms())
				break;
			ts.tv_sec = next / 1000;
			ts.tv_nsec = (long)(next % 1000) * 1000000;
			pthread_cond_timedwait(&e->cond, &e->lock, &ts);
		}
		e->woken = false;
		stop = e->stopping;
		pthread_mutex_unlock(&e->lock);

		/* Lock order: hub.lock, then ours, as events_park's callers. */
		hub_lock(e->hub);
		version = campaign_version(e->hub->campaign);
		pthread_mutex_lock(&e->lock);
		due = events_detach(e, version, events_mono_ms(), stop);
		pthread_mutex_unlock(&e->lock);
		events_render(e, due);
		hub_unlock(e->hub);

		events_answer(due);
	}
	return NULL;
}

struct events *
events_start(struct hub *hub)
{
	struct events *e = NULL;
	pthread_condattr_t attr;
	bool attr_made = false, lock_made = false, cond_made = false;

	e = calloc(1, sizeof(*e));
	if (e == NULL)
		goto fail;
	e->hub = hub;
	if (pthread_condattr_init(&attr) != 0)
		goto fail;
	attr_made = true;
	if (pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0)
		goto fail;
	if (pthread_mutex_init(&e->lock, NULL) != 0)
		goto fail;
	lock_made = true;
	if (pthread_cond_init(&e->cond, &attr) != 0)
		goto fail;
	cond_made = true;
	if (pthread_create(&e->thread, NULL, events_run, e) != 0)
		goto fail;
	pthread_condattr_destroy(&attr);
	return e;
fail:
	if (cond_made)
		pthread_cond_destroy(&e->cond);
	if (lock_made)
		pthread_mutex_destroy(&e->lock);
	if (attr_made)
		pthread_condattr_destroy(&attr);
	free(e);
	return NULL;
}

int
events_park(struct events *e, FCGX_Request *req, uint64_t since)
{
	struct events_watcher *w;
	bool was_empty;

	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -1;
	w->req = req;
	w->since = since;
	w->deadline_ms = events_mono_ms() + EVENTS_WAIT_MS;

	pthread_mutex_lock(&e->lock);
	if (e->stopping || e->count >= EVENTS_WATCHERS_MAX) {
		pthread_mutex_unlock(&e->lock);
		free(w);
		return -1;
	}
	was_empty = e->head == NULL;
	if (e->tail != NULL)
		e->tail->next = w;
	else
		e->head = w;
	e->tail = w;
	e->count++;
	/* Only an empty list leaves the thread waiting with no deadline; a
	 * later watcher's deadline is never earlier than the head's. */
	if (was_empty)
		pthread_cond_signal(&e->cond);
	pthread_mutex_unlock(&e->lock);
	return 0;
}

void
events_wake(struct events *e)
{
	pthread_mutex_lock(&e->lock);
	/* With nobody parked there is no one to tell: whoever parks next
	 * parks at the version of that moment. */
	if (e->head != NULL) {
		e->woken = true;
		pthread_cond_signal(&e->cond);
	}
	pthread_mutex_unlock(&e->lock);
}

void
events_stop(struct events *e)
{
	if (e == NULL)
		return;
	pthread_mutex_lock(&e->lock);
	e->stopping = true;
	pthread_cond_signal(&e->cond);
	pthread_mutex_unlock(&e->lock);
	pthread_join(e->thread, NULL);
	pthread_cond_destroy(&e->cond);
	pthread_mutex_destroy(&e->lock);
	free(e);
}
