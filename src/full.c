/*
 * full: the full list of GET /events, outside the campaign's lock.
 *
 * A list of a million rows takes some 400 ms to write and is some 66 MB.
 * Written under the lock, as a diff is, it held every webhook and the
 * dialer that long; written for each client, thirty clients polling it
 * made as many copies and kept the lock nearly all the time. So:
 *
 * - One thread writes it, a batch of FULL_BATCH rows at a time: each batch
 *   copied under the lock (tens of µs; render_full_take), then written
 *   without it; the envelope (version, counts, state) is the campaign's at
 *   the start.
 *   A row written later may be newer than that version: the page, which
 *   then asks for the rows changed after it, gets that row once more, and
 *   applying a row twice changes nothing (a row carries its whole state).
 *   No copy of the table is made, and the list is never held to one
 *   moment: under that rule no moment is needed.
 *
 * - Every client waits for a list begun at the version it asked at, or
 *   later: the list being made when nothing changed since it was begun,
 *   else the next one, which begins as soon as the one being made is done
 *   and serves everyone who asked meanwhile. So a client never gets a list
 *   older than what it asked after (its own POST /call or webhook is in
 *   it), and under any load one list serves every client that asked while
 *   the one before was made. A client waiting is parked as a long-poll is
 *   (events.c): its libfcgi request is freed, its connection kept; no
 *   request thread waits, so webhooks always find one. Once the list is
 *   written each waiter's answer goes to the outbox, which sends it with
 *   its progress deadline.
 *
 * - The list is one body, reference-counted (http_shared): the answers
 *   sending it share it, and the last one sent frees it. A client that
 *   asks within FULL_SHARE_MS of its making, nothing changed since it was
 *   begun, gets it at once, from its request thread. The memory is the
 *   list being made and the ones still being sent, and those are at most
 *   FULL_LISTS_MAX: a web server that takes them slower than they are
 *   made would otherwise hold one more per render. Past it, no list is
 *   begun and those waiting get the newest made, older than what they
 *   asked after (the one case they do).
 *
 * Sharing a list even after the version moved (it would be at most
 * FULL_SHARE_MS old, and the page catches up with ?since) would save a
 * render now and then, but a client would then get a list from before its
 * own change: a script that stops the campaign and reads the list would
 * see it dialing. Waiting for the next list costs a render's time, not a
 * thread or a copy.
 */
#include "full.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "metrics.h"
#include "render.h"
#include "util.h"

/* A client waiting for a list. */
struct full_waiter {
	struct full_waiter *next;
	int fd;                   /* the web server's connection; owned */
	int request_id;           /* FastCGI request id on it */
	bool keep;                /* the connection outlives the answer */
};

struct full {
	struct hub *hub;
	struct outbox *outbox;
	pthread_mutex_t lock;     /* guards everything below; after hub.lock */
	pthread_cond_t cond;      /* on CLOCK_MONOTONIC */
	struct full_waiter *making_for; /* waiting for the list being made */
	struct full_waiter *next_for;   /* waiting for the next one */
	size_t count;             /* in both lists */
	bool making;              /* a list is being made */
	uint64_t making_version;  /* the campaign's version at its start */
	struct http_shared *last; /* the last list made, one reference; NULL
	                             once older than FULL_SHARE_MS */
	uint64_t last_version;    /* the campaign's version at its start */
	int64_t last_ms;          /* CLOCK_MONOTONIC: when last was made */
	atomic_uint alive;        /* lists made and not yet freed: last, and
	                             those the outbox still sends */
	bool stopping;
	pthread_t thread;
};

/*
 * Writes the list, a batch of rows per hold of the lock: the body (NULL
 * when out of memory) and the version it was begun at, in *version. Those
 * waiting for the next list are the ones this list is for from its start,
 * under the campaign's lock: nothing changes between the envelope and
 * the hand-over (full_ask is called under it too).
 */
static struct http_shared *
full_make(struct full *f, uint64_t *version)
{
	struct hub *hub = f->hub;
	struct http_shared *stale = NULL;
	struct render_full *r;
	bool taken;
	char *text;
	size_t len;

	hub_lock(hub);
	r = render_full_begin(hub->campaign, &hub->process);
	*version = campaign_version(hub->campaign);
	pthread_mutex_lock(&f->lock);
	f->making_for = f->next_for;
	f->next_for = NULL;
	f->making = true;
	f->making_version = *version;
	/* The last list can no longer be shared once the version moved: let
	 * it go now, not at its FULL_SHARE_MS, lest it be one list more in
	 * memory while this one is made. */
	if (f->last != NULL && f->last_version != *version) {
		stale = f->last;
		f->last = NULL;
	}
	pthread_mutex_unlock(&f->lock);
	hub_unlock(hub);
	http_shared_release(stale);
	if (r == NULL)
		return NULL;
	/* The lock held for a copy of the rows (tens of µs), the writing
	 * done without it: a thread that holds it for most of its time is
	 * most often holding it when the scheduler takes its core away, and
	 * on a busy machine every webhook then waits that turn out. */
	for (;;) {
		hub_lock(hub);
		taken = render_full_take(r, hub->campaign, FULL_BATCH);
		hub_unlock(hub);
		if (!taken)
			break;
		render_full_write(r);
	}
	metrics_full_render();
	text = render_full_end(r, &len);
	return text != NULL ? http_shared_new(text, len, &f->alive) : NULL;
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
		outbox_send(f->outbox, w->fd, w->request_id, &answer,
		    w->keep);
		free(w);
	}
}

/* Waits, f->lock held, until a client waits for the next list, or the
 * stop with nobody waiting; lets go of the last list once it is too old to
 * share. Returns whether to stop. */
static bool
full_wait(struct full *f)
{
	int64_t expiry;

	while (f->next_for == NULL && !f->stopping) {
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
		util_cond_wait_until(&f->cond, &f->lock, expiry);
	}
	return f->next_for == NULL;
}

static void *
full_run(void *arg)
{
	struct full *f = arg;
	struct full_waiter *list, *w;
	struct http_shared *body, *old;
	uint64_t version;

	pthread_mutex_lock(&f->lock);
	while (!full_wait(f)) {
		if (f->last != NULL &&
		    atomic_load(&f->alive) >= FULL_LISTS_MAX) {
			/* Those still being sent are as many lists as the
			 * memory is given: the waiters get the newest, which
			 * may be older than what they asked after (the page
			 * catches up with ?since), rather than one more. */
			list = f->next_for;
			f->next_for = NULL;
			for (w = list; w != NULL; w = w->next)
				f->count--;
			body = http_shared_hold(f->last);
			pthread_mutex_unlock(&f->lock);
			full_answer(f, list, body);
			http_shared_release(body);
			pthread_mutex_lock(&f->lock);
			continue;
		}
		pthread_mutex_unlock(&f->lock);
		body = full_make(f, &version);
		pthread_mutex_lock(&f->lock);
		list = f->making_for;
		f->making_for = NULL;
		f->making = false;
		for (w = list; w != NULL; w = w->next)
			f->count--;
		old = f->last;
		f->last = body != NULL ? http_shared_hold(body) : NULL;
		f->last_version = version;
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

	if (f == NULL)
		return NULL;
	f->hub = hub;
	f->outbox = outbox;
	if (util_thread_start(&f->lock, &f->cond, &f->thread, full_run,
	    f) != 0) {
		free(f);
		return NULL;
	}
	return f;
}

enum full_asked
full_ask(struct full *f, FCGX_Request *req, uint64_t version,
    struct http_shared **body)
{
	struct full_waiter *w;

	pthread_mutex_lock(&f->lock);
	if (f->last != NULL && f->last_version == version &&
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
	w->keep = req->keepConnection != 0;
	f->count++;
	if (f->making && f->making_version == version) {
		/* Nothing changed since it was begun: it is what a list made
		 * now would be. */
		w->next = f->making_for;
		f->making_for = w;
	} else {
		w->next = f->next_for;
		f->next_for = w;
		if (w->next == NULL)
			pthread_cond_signal(&f->cond);
	}
	pthread_mutex_unlock(&f->lock);

	/* The connection is the waiter's now; the rest of the request goes,
	 * as a parked long-poll's does (events.c). Memory only: no I/O under
	 * the campaign's lock. */
	FCGX_Free(req, 0);
	free(req);
	return FULL_PARKED;
}

void
full_stop(struct full *f)
{
	if (f == NULL)
		return;
	util_thread_stop(&f->lock, &f->cond, f->thread, &f->stopping);
	free(f);
}
