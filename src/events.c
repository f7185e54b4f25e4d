/*
 * events: parked GET /events long-polls and the one thread that answers
 * them.
 *
 * A parked watcher keeps only its connection to the web server and its
 * FastCGI request id. libfcgi gives every request an 8 KiB input buffer,
 * an 8 KiB output buffer and its parameters; held by thousands of parked
 * requests that was some 11 KB each. So events_park frees them at once
 * (FCGX_Free without closing), and the answer is written later straight
 * to the connection (wire.c), as libfcgi itself would have written it.
 *
 * Watchers are parked under hub.lock with since equal to the version of the
 * moment, and deadlines are the park time plus a constant. So along the
 * list, in park order, both since and deadline never decrease, and the
 * watchers due at any moment (since older than the version, deadline
 * passed, or the oldest while more than EVENTS_WATCHERS_MAX wait) are
 * always a prefix of the list. Answering is then: detach the prefix, render
 * once per distinct since, make that answer once, write it to each watcher
 * of the run.
 */
#include "events.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "http.h"
#include "render.h"
#include "util.h"
#include "wire.h"

#define EVENTS_SEND_TIMEOUT_S 2   /* a watcher whose web server stops reading
                                     is dropped after this, not waited on */

struct events_watcher {
	struct events_watcher *next;
	uint64_t since;
	int64_t deadline_ms;      /* CLOCK_MONOTONIC */
	int fd;                   /* the web server's connection; owned */
	int request_id;           /* FastCGI request id on it */
	bool keep;                /* the connection outlives the answer */
	char *body;               /* set on the first watcher of each run of
	                             equal since while answering; owned */
	size_t len;
};

struct events {
	struct hub *hub;
	struct wire_keeper keeper; /* where kept connections go */
	pthread_mutex_t lock;     /* guards everything below; after hub.lock */
	pthread_cond_t cond;      /* on CLOCK_MONOTONIC */
	struct events_watcher *head, *tail;
	size_t count;
	bool woken;               /* the version may have moved, or too many
	                             wait */
	bool stopping;
	pthread_t thread;
};

/*
 * One thread answers every watcher in turn: a watcher whose web server stops
 * reading (its page went to sleep mid-answer) must not hold up the others.
 * Its write then fails and it is dropped; the page polls again.
 */
static void
events_bound_sends(int fd)
{
	struct timeval tv = { .tv_sec = EVENTS_SEND_TIMEOUT_S, .tv_usec = 0 };

	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* The answer to every watcher of a run: body (taken: freed with the
 * answer), or a 500 when the render failed (body NULL). */
static void
events_answer_make(struct http_answer *a, char *body, size_t len)
{
	if (body != NULL)
		http_answer_json(a, HTTP_OK, NULL, body, len);
	else
		http_answer_error(a, HTTP_INTERNAL_SERVER_ERROR, NULL,
		    "out of memory");
}

/* Detaches the due prefix of the list (everything when all): the watchers
 * with news, those whose wait is over, and the oldest of more than
 * EVENTS_WATCHERS_MAX. Call with e->lock held. */
static struct events_watcher *
events_detach(struct events *e, uint64_t version, int64_t now, bool all)
{
	struct events_watcher *first = e->head, *last = NULL, *w = e->head;

	while (w != NULL && (all || w->since < version ||
	    w->deadline_ms <= now || e->count > EVENTS_WATCHERS_MAX)) {
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
		w->body = render_events(e->hub->campaign, &e->hub->process,
		    &w->since, &w->len);
	}
}

/* Answers every watcher of list, closes its connection (or gives a kept
 * one back to keeper) and frees it. No lock held: this is the slow
 * part. */
static void
events_answer(const struct wire_keeper *keeper, struct events_watcher *list)
{
	struct events_watcher *w = list, *next;
	struct http_answer answer;
	struct wire wire;
	uint64_t since = 0;

	memset(&answer, 0, sizeof(answer));
	while (w != NULL) {
		next = w->next;
		if (w == list || w->since != since) {
			/* The first watcher of a run brings the run's body. */
			http_answer_free(&answer);
			events_answer_make(&answer, w->body, w->len);
			since = w->since;
		}
		wire_init(&wire, &answer, w->request_id);
		/* Before the answer's end lets the web server send the next. */
		if (w->keep)
			wire_drain(w->fd);
		/* A page gone meanwhile is no error worth a line. */
		wire_done(keeper, w->fd, w->keep,
		    wire_send(&wire, w->fd, true) == WIRE_SENT);
		free(w);
		w = next;
	}
	http_answer_free(&answer);
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
			if (e->head == NULL) {
				pthread_cond_wait(&e->cond, &e->lock);
				continue;
			}
			if (e->head->deadline_ms <= util_mono_ms())
				break;
			util_cond_wait_until(&e->cond, &e->lock,
			    e->head->deadline_ms);
		}
		e->woken = false;
		stop = e->stopping;
		pthread_mutex_unlock(&e->lock);

		/* Lock order: hub.lock, then ours, as events_park's callers. */
		hub_lock(e->hub);
		version = campaign_version(e->hub->campaign);
		pthread_mutex_lock(&e->lock);
		due = events_detach(e, version, util_mono_ms(), stop);
		pthread_mutex_unlock(&e->lock);
		events_render(e, due);
		hub_unlock(e->hub);

		events_answer(&e->keeper, due);
	}
	return NULL;
}

/* The hub's wake-up: the version may have moved, so answer whom it
 * concerns. */
static void
events_wake(void *arg)
{
	struct events *e = arg;

	pthread_mutex_lock(&e->lock);
	/* With nobody parked there is no one to tell: whoever parks next
	 * parks at the version of that moment. */
	if (e->head != NULL) {
		e->woken = true;
		pthread_cond_signal(&e->cond);
	}
	pthread_mutex_unlock(&e->lock);
}

struct events *
events_start(struct hub *hub, const struct wire_keeper *keeper)
{
	struct events *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	e->hub = hub;
	e->keeper = *keeper;
	if (util_thread_start(&e->lock, &e->cond, &e->thread, events_run,
	    e) != 0) {
		free(e);
		return NULL;
	}
	/* Nobody parks before the accept threads run, so nothing is missed
	 * before this. */
	if (hub_on_change(hub, events_wake, e, true) != 0) {
		events_stop(e);
		return NULL;
	}
	return e;
}

int
events_park(struct events *e, FCGX_Request *req, uint64_t since)
{
	struct events_watcher *w;
	bool was_empty;

	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -1;
	w->fd = req->ipcFd;
	w->request_id = req->requestId;
	w->keep = req->keepConnection != 0;
	events_bound_sends(w->fd);
	w->since = since;
	w->deadline_ms = util_mono_ms() + EVENTS_WAIT_MS;

	pthread_mutex_lock(&e->lock);
	if (e->stopping || e->count >= EVENTS_WATCHERS_HARD) {
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
	 * later watcher's deadline is never earlier than the head's. One too
	 * many: the oldest goes now, not at its deadline, so that what pages
	 * that left still hold stays bounded. */
	if (e->count > EVENTS_WATCHERS_MAX)
		e->woken = true;
	if (was_empty || e->woken)
		pthread_cond_signal(&e->cond);
	pthread_mutex_unlock(&e->lock);

	/* The connection is the watcher's now; the rest of the request (its
	 * buffers and parameters) goes. Memory only: no I/O under the lock. */
	FCGX_Free(req, 0);
	free(req);
	return 0;
}

size_t
events_waiting(struct events *e)
{
	size_t n;

	pthread_mutex_lock(&e->lock);
	n = e->count;
	pthread_mutex_unlock(&e->lock);
	return n;
}

void
events_stop(struct events *e)
{
	if (e == NULL)
		return;
	util_thread_stop(&e->lock, &e->cond, e->thread, &e->stopping);
	free(e);
}
