/*
 * events: parked GET /events long-polls and the one thread that answers
 * them.
 *
 * A parked watcher keeps only its connection to the web server and its
 * FastCGI request id. libfcgi gives every request an 8 KiB input buffer,
 * an 8 KiB output buffer and its parameters; held by thousands of parked
 * requests that was some 11 KB each. So events_park frees them at once
 * (FCGX_Free without closing), and the answer is written later straight
 * to the connection as the FastCGI records libfcgi itself would write:
 * the reply on FCGI_STDOUT, an empty FCGI_STDOUT record, FCGI_END_REQUEST.
 * libfcgi cannot do that part: FCGX_CreateWriter's stream never writes
 * FCGI_END_REQUEST (it counts two writers) and leaks its request record;
 * Debian's FCGX_FreeStream does not free it.
 *
 * Watchers are parked under hub.lock with since equal to the version of the
 * moment, and deadlines are the park time plus a constant. So along the
 * list, in park order, both since and deadline never decrease, and the
 * watchers due at any moment (since older than the version, deadline
 * passed, or the oldest while more than EVENTS_WATCHERS_MAX wait) are
 * always a prefix of the list. Answering is then: detach the prefix, render
 * once per distinct since, frame that reply once, write it to each watcher
 * of the run.
 */
#include "events.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <fastcgi.h>

#include "http.h"
#include "render.h"
#include "util.h"

#define EVENTS_REPLY_FIRST 1024   /* first room for a captured reply */
#define EVENTS_IOV_RECORDS 64     /* STDOUT records handed to one writev */
#define EVENTS_DRAIN_BYTES 512    /* read at a time from a closing socket */
#define EVENTS_SEND_TIMEOUT_S 2   /* a watcher whose web server stops reading
                                     is dropped after this, not waited on */

struct events_watcher {
	struct events_watcher *next;
	uint64_t since;
	int64_t deadline_ms;      /* CLOCK_MONOTONIC */
	int fd;                   /* the web server's connection; owned */
	int request_id;           /* FastCGI request id on it */
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
	bool woken;               /* the version may have moved, or too many
	                             wait */
	bool stopping;
	pthread_t thread;
};

/*
 * A reply as the web server reads it from FCGI_STDOUT (CGI head and body),
 * captured by handing http.c an FCGX_Stream that writes to memory: the
 * answer's format stays in http.c, and one capture serves every watcher of
 * a run. stream must stay first: the stream's procedure is given it alone.
 */
struct events_reply {
	FCGX_Stream stream;
	unsigned char *buf;
	size_t cap;
};

/* The capture stream's "buffer full" procedure (libfcgi calls it when
 * wrNext reaches stop: every byte is used): doubles the buffer, or marks
 * the stream failed (FCGX_PutStr then returns -1). */
static void
events_reply_grow(FCGX_Stream *stream, int do_close)
{
	struct events_reply *r = (struct events_reply *)stream;
	size_t used = r->cap;
	size_t cap = r->cap ? r->cap * 2 : EVENTS_REPLY_FIRST;
	unsigned char *grown;

	(void)do_close;
	if (cap < r->cap || (grown = realloc(r->buf, cap)) == NULL) {
		stream->isClosed = 1;
		stream->FCGI_errno = ENOMEM;
		return;
	}
	r->buf = grown;
	r->cap = cap;
	stream->wrNext = grown + used;
	stream->stop = grown + cap;
}

/* Captures the reply to every watcher of a run: body (taken: freed here),
 * or a 500 when the render failed (body NULL). */
static void
events_reply_make(struct events_reply *r, char *body, size_t len)
{
	FCGX_Request capture;

	memset(r, 0, sizeof(*r));
	r->stream.emptyBuffProc = events_reply_grow;
	memset(&capture, 0, sizeof(capture));
	capture.out = &r->stream;
	if (body != NULL)
		http_reply_json(&capture, 200, NULL, body, len);
	else
		http_reply_error(&capture, 500, NULL, "out of memory");
	free(body);
	if (r->stream.FCGI_errno != 0) {
		fprintf(stderr, "numdialer: events: out of memory for a reply\n");
		r->stream.wrNext = r->buf;   /* the web server then answers 502 */
	}
}

static size_t
events_reply_len(const struct events_reply *r)
{
	return r->buf != NULL ? (size_t)(r->stream.wrNext - r->buf) : 0;
}

static void
events_reply_free(struct events_reply *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

static FCGI_Header
events_header(int type, int request_id, size_t content_len)
{
	FCGI_Header h;

	memset(&h, 0, sizeof(h));
	h.version = FCGI_VERSION_1;
	h.type = (unsigned char)type;
	h.requestIdB1 = (unsigned char)(request_id >> 8);
	h.requestIdB0 = (unsigned char)request_id;
	h.contentLengthB1 = (unsigned char)(content_len >> 8);
	h.contentLengthB0 = (unsigned char)content_len;
	return h;
}

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

/* Writes every byte of iov[0..n), resuming after short writes: 0 or -1. */
static int
events_writev_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t done = writev(fd, iov, n);

		if (done < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		while (n > 0 && (size_t)done >= iov->iov_len) {
			done -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + done;
			iov->iov_len -= (size_t)done;
		}
	}
	return 0;
}

/*
 * Sends reply to one watcher as FastCGI records: the content in records of
 * at most FCGI_MAX_LENGTH bytes, then the end of FCGI_STDOUT and
 * FCGI_END_REQUEST (application status 0, request complete). Returns 0, or
 * -1 when the web server has gone (the page left).
 */
static int
events_send(int fd, int request_id, const struct events_reply *r)
{
	FCGI_Header heads[EVENTS_IOV_RECORDS];
	struct iovec iov[2 * EVENTS_IOV_RECORDS + 1];
	struct {
		FCGI_Header stdout_end;
		FCGI_EndRequestRecord end;
	} tail;
	size_t len = events_reply_len(r), off = 0;

	memset(&tail, 0, sizeof(tail));
	tail.stdout_end = events_header(FCGI_STDOUT, request_id, 0);
	tail.end.header = events_header(FCGI_END_REQUEST, request_id,
	    sizeof(tail.end.body));
	tail.end.body.protocolStatus = FCGI_REQUEST_COMPLETE;
	do {
		int n = 0, k;

		for (k = 0; k < EVENTS_IOV_RECORDS && off < len; k++) {
			size_t chunk = len - off < FCGI_MAX_LENGTH ?
			    len - off : FCGI_MAX_LENGTH;

			heads[k] = events_header(FCGI_STDOUT, request_id, chunk);
			iov[n].iov_base = &heads[k];
			iov[n++].iov_len = sizeof(heads[k]);
			iov[n].iov_base = r->buf + off;
			iov[n++].iov_len = chunk;
			off += chunk;
		}
		if (off == len) {
			iov[n].iov_base = &tail;
			iov[n++].iov_len = sizeof(tail);
		}
		if (events_writev_all(fd, iov, n) != 0)
			return -1;
	} while (off < len);
	return 0;
}

/*
 * Closes a watcher's connection. What the web server may still have sent
 * (the end of an empty request body) is read first without waiting: a
 * socket closed with unread data may reset the connection, and a TCP
 * reset can drop the answer before the web server reads it. (libfcgi's
 * own close waits, up to seconds, for the web server to close first: here
 * that would hold every other watcher back.)
 */
static void
events_close(int fd)
{
	char trash[EVENTS_DRAIN_BYTES];

	while (recv(fd, trash, sizeof(trash), MSG_DONTWAIT) > 0)
		;
	close(fd);
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

/* Answers, closes and frees every watcher of list. No lock held: this is
 * the slow part. */
static void
events_answer(struct events_watcher *list)
{
	struct events_watcher *w = list, *next;
	struct events_reply reply;
	uint64_t since = 0;

	memset(&reply, 0, sizeof(reply));
	while (w != NULL) {
		next = w->next;
		if (w == list || w->since != since) {
			/* The first watcher of a run brings the run's body. */
			events_reply_free(&reply);
			events_reply_make(&reply, w->body, w->len);
			since = w->since;
		}
		/* A page gone meanwhile is no error worth a line. */
		(void)events_send(w->fd, w->request_id, &reply);
		events_close(w->fd);
		free(w);
		w = next;
	}
	events_reply_free(&reply);
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
			if (next <= util_mono_ms())
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
		due = events_detach(e, version, util_mono_ms(), stop);
		pthread_mutex_unlock(&e->lock);
		events_render(e, due);
		hub_unlock(e->hub);

		events_answer(due);
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
	/* Nobody parks before the accept threads run, so nothing is missed
	 * before this. */
	if (hub_on_change(hub, events_wake, e) != 0) {
		events_stop(e);
		return NULL;
	}
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
	w->fd = req->ipcFd;
	w->request_id = req->requestId;
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
