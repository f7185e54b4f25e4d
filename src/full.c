/*
 * full: the full list of GET /events, outside the campaign's lock.
 *
 * A list of a million rows takes some 400 ms to write and is some 66 MB.
 * Written under the lock, as a diff is, it held every webhook and the
 * dialer that long; written for each client, thirty clients polling it
 * made as many copies and kept the lock nearly all the time. So:
 *
 * - One thread writes it, FULL_BATCH rows per hold of the lock (about a
 *   millisecond; render_full_rows), the lock let go in between; the
 *   envelope (version, counts, state) is the campaign's at the start.
 *   A row written later may be newer than that version: the page, which
 *   then asks for the rows changed after it, gets that row once more, and
 *   applying a row twice changes nothing (a row carries its whole state).
 *   No copy of the table is made, and the list is never held to one
 *   moment: under that rule no moment is needed.
 *
 * - Every client that asks while it is written waits for it, parked as a
 *   long-poll is (events.c): its libfcgi request is freed, its connection
 *   kept; no request thread waits, so webhooks always find one. Once it
 *   is written each waiter's answer goes to the outbox, which sends it
 *   with its progress deadline.
 *
 * - The list is one body, reference-counted (http_shared): the answers
 *   sending it share it, and the last one sent frees it. A client that
 *   asks within FULL_SHARE_MS of its making gets it too, at once, from its
 *   request thread. So the memory is the list being made and the ones
 *   still being sent, whatever the number of clients; a list that old
 *   is no staler than one a page already waits ~400 ms for.
 */
#include "full.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "metrics.h"
#include "render.h"
#include "util.h"

/* A client waiting for the list being made. */
struct full_waiter {
	struct full_waiter *next;
	int fd;                   /* the web server's connection; owned */
	int request_id;           /* FastCGI request id on it */
};

struct full {
	struct hub *hub;
	struct outbox *outbox;
	pthread_mutex_t lock;     /* guards everything below; never held with
	                             hub.lock */
	pthread_cond_t cond;      /* on CLOCK_MONOTONIC */
	struct full_waiter *waiting; /* for the list being made, newest
	                             first */
	size_t count;
	bool making;              /* a list is wanted or being made */
	struct http_shared *last; /* the last list made, one reference; NULL
	                             once older than FULL_SHARE_MS */
	int64_t last_ms;          /* CLOCK_MONOTONIC: when last was made */
	bool stopping;
	pthread_t thread;
};

/* Writes the list, a batch of rows per hold of the lock: the body, or NULL
 * when out of memory. */
static struct http_shared *
full_make(struct full *f)
{
	struct hub *hub = f->hub;
	struct render_full *r;
	bool done;
	char *text;
	size_t len;

	hub_lock(hub);
	r = render_full_begin(hub->campaign, &hub->process);
	hub_unlock(hub);
	if (r == NULL)
		return NULL;
	do {
		hub_lock(hub);
		done = render_full_rows(r, hub->campaign, FULL_BATCH);
		hub_unlock(hub);
	} while (!done);
	metrics_full_render();
	text = render_full_end(r, &len);
	return text != NULL ? http_shared_new(text, len) : NULL;
}

/* Hands each waiter of list its answer (body, or a 500 when NULL) through
 * the outbox, and frees it. */
static void
full_answer(struct full *f, struct full_waiter *list, struct http_shared *body)
{
	struct full_waiter *w, *next;
	struct http_answer answer;

	for (w = list; w != NULL; w = next) {
		next = w->next;
		if (body != NULL)
			http_answer_shared(&answer, http_shared_hold(body));
		else
			http_answer_error(&answer, HTTP_INTERNAL_SERVER_ERROR,
			    NULL, "out of memory");
		metrics_full_answer();
		outbox_send(f->outbox, w->fd, w->request_id, &answer);
		free(w);
	}
}

/* Waits, f->lock held, until a list is wanted, or the stop with no one
 * waiting; lets go of the last list once it is too old to share. Returns
 * whether to stop. */
static bool
full_wait(struct full *f)
{
	struct timespec ts;
	int64_t expiry;

	while (!f->making && !f->stopping) {
		if (f->last == NULL) {
			pthread_cond_wait(&f->cond, &f->lock);
			continue;
		}
		expiry = f->last_ms + FULL_SHARE_MS;
		if (expiry <= util_mono_ms()) {
			/* No client shares it any more: the answers still
			 * sending it hold it. */
			http_shared_release(f->last);
			f->last = NULL;
			continue;
		}
		ts.tv_sec = expiry / 1000;
		ts.tv_nsec = (long)(expiry % 1000) * 1000000;
		pthread_cond_timedwait(&f->cond, &f->lock, &ts);
	}
	return !f->making;
}

static void *
full_run(void *arg)
{
	struct full *f = arg;
	struct full_waiter *list;
	struct http_shared *body, *old;

	pthread_mutex_lock(&f->lock);
	while (!full_wait(f)) {
		pthread_mutex_unlock(&f->lock);
		body = full_make(f);
		pthread_mutex_lock(&f->lock);
		/* Whoever asked meanwhile waits for this list: it is the
		 * newest there is. */
		list = f->waiting;
		f->waiting = NULL;
		f->count = 0;
		f->making = false;
		old = f->last;
		f->last = body != NULL ? http_shared_hold(body) : NULL;
		f->last_ms = util_mono_ms();
		pthread_mutex_unlock(&f->lock);

		http_shared_release(old);
		full_answer(f, list, body);
		http_shared_release(body);
		pthread_mutex_lock(&f->lock);
	}
	http_shared_release(f->last);
	f->last = NULL;
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

struct full *
full_start(struct hub *hub, struct outbox *outbox)
{
	struct full *f = calloc(1, sizeof(*f));
	pthread_condattr_t attr;
	bool attr_made = false, lock_made = false, cond_made = false;

	if (f == NULL)
		return NULL;
	f->hub = hub;
	f->outbox = outbox;
	if (pthread_condattr_init(&attr) != 0)
		goto fail;
	attr_made = true;
	if (pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0)
		goto fail;
	if (pthread_mutex_init(&f->lock, NULL) != 0)
		goto fail;
	lock_made = true;
	if (pthread_cond_init(&f->cond, &attr) != 0)
		goto fail;
	cond_made = true;
	if (pthread_create(&f->thread, NULL, full_run, f) != 0)
		goto fail;
	pthread_condattr_destroy(&attr);
	return f;
fail:
	if (cond_made)
		pthread_cond_destroy(&f->cond);
	if (lock_made)
		pthread_mutex_destroy(&f->lock);
	if (attr_made)
		pthread_condattr_destroy(&attr);
	free(f);
	return NULL;
}

enum full_asked
full_ask(struct full *f, FCGX_Request *req, struct http_shared **body)
{
	struct full_waiter *w;

	pthread_mutex_lock(&f->lock);
	if (f->last != NULL && !f->making &&
	    util_mono_ms() - f->last_ms < FULL_SHARE_MS) {
		*body = http_shared_hold(f->last);
		pthread_mutex_unlock(&f->lock);
		metrics_full_answer();
		return FULL_ANSWER;
	}
	if (f->stopping || f->count >= FULL_WAITERS_MAX ||
	    (w = calloc(1, sizeof(*w))) == NULL) {
		pthread_mutex_unlock(&f->lock);
		return FULL_REFUSED;
	}
	w->fd = req->ipcFd;
	w->request_id = req->requestId;
	w->next = f->waiting;
	f->waiting = w;
	f->count++;
	if (!f->making) {
		f->making = true;
		pthread_cond_signal(&f->cond);
	}
	pthread_mutex_unlock(&f->lock);

	/* The connection is the waiter's now; the rest of the request goes,
	 * as a parked long-poll's does (events.c). */
	FCGX_Free(req, 0);
	free(req);
	return FULL_PARKED;
}

void
full_stop(struct full *f)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->lock);
	f->stopping = true;
	pthread_cond_signal(&f->cond);
	pthread_mutex_unlock(&f->lock);
	pthread_join(f->thread, NULL);
	pthread_cond_destroy(&f->cond);
	pthread_mutex_destroy(&f->lock);
	free(f);
}
