/*
 * outbox: a request thread writes its answer as far as the connection
 * takes it at once; what is left waits here, costing memory and not a
 * thread. One thread polls every connection whose answer is not all
 * written, writes more whenever one is writable, and drops the one that
 * took no byte for OUTBOX_STALL_MS: its client stopped reading. Request
 * threads hand it their rest through a locked list and wake it with an
 * eventfd; its own list of connections is its alone.
 *
 * Once an answer is written, the connection is closed when the web server
 * has nothing more to send; one whose request had a longer body than was
 * read (lighttpd forwards any size) stays open, read and thrown away,
 * until the web server closes it or sends nothing for OUTBOX_STALL_MS: a
 * socket closed on unread data fails the web server's writes, and lighttpd
 * may then answer 503 instead of the program's answer. libfcgi's close
 * did the same, but waiting in the thread that served the request. A kept
 * connection (nginx's fastcgi_keep_conn) is not waited on: its request
 * came whole and was read away before the answer, and once the answer is
 * written the connection goes back to the keeper (the gate) for the next.
 */
#include "outbox.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"
#include "wire.h"

#define OUTBOX_FIRST 16         /* first room for connections in the thread */
#define OUTBOX_DRAIN_BYTES 16384  /* read and thrown away at a time */
#define OUTBOX_DRAIN_MAX (1 << 20)  /* at most, per look at a connection */

/* One answer being sent. It never moves: wire points into answer. */
struct outbox_item {
	struct outbox_item *next;   /* on the handed-over list */
	int fd;                     /* owned */
	struct http_answer answer;  /* owned */
	struct wire wire;
	size_t held;                /* bytes counted in outbox.bytes */
	int64_t progress_ms;        /* CLOCK_MONOTONIC: the last byte taken, or
	                               (draining) the last byte read */
	bool draining;              /* the answer is written: reading what the
	                               web server still sends */
	bool keep;                  /* the connection outlives the answer */
};

struct outbox {
	pthread_mutex_t lock;       /* guards handed, bytes and stopping */
	struct outbox_item *handed; /* queued, not yet taken by the thread */
	size_t bytes;               /* left to send, as queued, of every item */
	bool stopping;
	int wake;                   /* eventfd: handed grew, or stopping */
	struct wire_keeper keeper;  /* where kept connections go */
	pthread_t thread;
	/* The thread's own, no lock: */
	struct outbox_item **items;
	struct pollfd *fds;         /* fds[0] is wake; fds[i + 1] items[i] */
	size_t count, cap;
};

/* Takes the item's bytes out of the count, and frees its answer. */
static void
outbox_release(struct outbox *o, struct outbox_item *it)
{
	if (o != NULL && it->held > 0) {
		pthread_mutex_lock(&o->lock);
		o->bytes -= it->held;
		pthread_mutex_unlock(&o->lock);
	}
	it->held = 0;
	http_answer_free(&it->answer);
}

/* Closes the item's connection and frees it. */
static void
outbox_finish(struct outbox *o, struct outbox_item *it)
{
	outbox_release(o, it);
	wire_close(it->fd);
	free(it);
}

/* Reads and throws away what the web server sent, without waiting: true
 * once it has closed (or the connection failed), false while it may send
 * more. */
static bool
outbox_drained(int fd)
{
	char trash[OUTBOX_DRAIN_BYTES];
	size_t got = 0;
	ssize_t n = 0;

	while (got < OUTBOX_DRAIN_MAX &&
	    (n = recv(fd, trash, sizeof(trash), MSG_DONTWAIT)) > 0)
		got += (size_t)n;
	if (got >= OUTBOX_DRAIN_MAX)
		return false;
	return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR);
}

/* Gives a kept connection whose answer is written back to the keeper, and
 * frees it. */
static void
outbox_kept(struct outbox *o, const struct wire_keeper *keeper,
    struct outbox_item *it)
{
	outbox_release(o, it);
	wire_done(keeper, it->fd, true, true);
	free(it);
}

/* The answer of it is written: true when it is done with and freed (a
 * kept connection given back to keeper, or closed); otherwise it is left
 * draining. */
static bool
outbox_sent(struct outbox *o, const struct wire_keeper *keeper,
    struct outbox_item *it)
{
	if (it->keep) {
		outbox_kept(o, keeper, it);
		return true;
	}
	if (outbox_drained(it->fd)) {
		outbox_finish(o, it);
		return true;
	}
	outbox_release(o, it);
	it->draining = true;
	it->progress_ms = util_mono_ms();
	return false;
}

/* Makes room for n connections in the thread's arrays: 0, or -1. */
static int
outbox_room(struct outbox *o, size_t n)
{
	struct outbox_item **items;
	struct pollfd *fds;
	size_t cap = o->cap ? o->cap : OUTBOX_FIRST;

	if (n <= o->cap)
		return 0;
	while (cap < n)
		cap *= 2;
	items = realloc(o->items, cap * sizeof(*items));
	if (items == NULL)
		return -1;
	o->items = items;
	fds = realloc(o->fds, (cap + 1) * sizeof(*fds));
	if (fds == NULL)
		return -1;
	o->fds = fds;
	o->cap = cap;
	return 0;
}

/* Takes the handed-over items into the thread's list. Returns whether the
 * outbox stops. */
static bool
outbox_take(struct outbox *o)
{
	struct outbox_item *it, *next;
	bool stopping;
	uint64_t n;

	/* Only a wake-up, the count is of no use. */
	(void)!read(o->wake, &n, sizeof(n));
	pthread_mutex_lock(&o->lock);
	it = o->handed;
	o->handed = NULL;
	stopping = o->stopping;
	pthread_mutex_unlock(&o->lock);
	for (; it != NULL; it = next) {
		next = it->next;
		if (outbox_room(o, o->count + 1) != 0) {
			fprintf(stderr, "numdialer: out of memory for an answer "
			    "being sent: dropped\n");
			outbox_finish(o, it);
			continue;
		}
		o->items[o->count++] = it;
	}
	return stopping;
}

/* The poll timeout, in ms, until the first connection stalls; -1: none. */
static int
outbox_timeout(const struct outbox *o, int64_t now)
{
	int64_t first = INT64_MAX;
	size_t i;

	for (i = 0; i < o->count; i++)
		if (o->items[i]->progress_ms + OUTBOX_STALL_MS < first)
			first = o->items[i]->progress_ms + OUTBOX_STALL_MS;
	if (first == INT64_MAX)
		return -1;
	return first <= now ? 0 : (int)(first - now);
}

/* Sends what each writable connection takes; drops the stalled ones. */
static void
outbox_pass(struct outbox *o)
{
	int64_t now = util_mono_ms();
	size_t i = o->count;

	while (i-- > 0) {
		struct outbox_item *it = o->items[i];
		bool news = o->fds[i + 1].revents != 0;

		if (it->draining) {
			if (news && outbox_drained(it->fd))
				goto done;
			if (news)
				it->progress_ms = now;
			/* Silent too long: the web server has what it needs. */
			if (now - it->progress_ms >= OUTBOX_STALL_MS)
				goto done;
			continue;
		}
		if (news) {
			size_t before = wire_left(&it->wire);

			switch (wire_send(&it->wire, it->fd, false)) {
			case WIRE_SENT:
				if (outbox_sent(o, &o->keeper, it))
					goto gone;
				continue;
			case WIRE_FAILED:
				/* A client gone meanwhile: no error worth a
				 * line. */
				goto done;
			case WIRE_WOULD_BLOCK:
				break;
			}
			if (wire_left(&it->wire) < before)
				it->progress_ms = now;
		}
		if (now - it->progress_ms < OUTBOX_STALL_MS)
			continue;
		fprintf(stderr, "numdialer: an answer dropped: the web server "
		    "took none of it for %d ms (%zu of %zu bytes sent)\n",
		    OUTBOX_STALL_MS, it->wire.sent, it->wire.size);
done:
		outbox_finish(o, it);
gone:
		o->items[i] = o->items[--o->count];
	}
}

static void *
outbox_run(void *arg)
{
	struct outbox *o = arg;
	size_t i;

	while (!outbox_take(o)) {
		o->fds[0].fd = o->wake;
		o->fds[0].events = POLLIN;
		for (i = 0; i < o->count; i++) {
			o->fds[i + 1].fd = o->items[i]->fd;
			o->fds[i + 1].events = o->items[i]->draining ? POLLIN :
			    POLLOUT;
			o->fds[i + 1].revents = 0;
		}
		if (poll(o->fds, o->count + 1,
		    outbox_timeout(o, util_mono_ms())) < 0 && errno != EINTR) {
			fprintf(stderr, "numdialer: outbox: poll: %s\n",
			    strerror(errno));
			break;
		}
		outbox_pass(o);
	}
	/* Stopping: what is left is dropped. */
	for (i = 0; i < o->count; i++)
		outbox_finish(o, o->items[i]);
	o->count = 0;
	return NULL;
}

struct outbox *
outbox_start(const struct wire_keeper *keeper)
{
	struct outbox *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return NULL;
	o->keeper = *keeper;
	o->wake = -1;
	if (pthread_mutex_init(&o->lock, NULL) != 0) {
		free(o);
		return NULL;
	}
	o->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (o->wake < 0 || outbox_room(o, OUTBOX_FIRST) != 0 ||
	    pthread_create(&o->thread, NULL, outbox_run, o) != 0)
		goto fail;
	return o;
fail:
	if (o->wake >= 0)
		close(o->wake);
	pthread_mutex_destroy(&o->lock);
	free(o->items);
	free(o->fds);
	free(o);
	return NULL;
}

/* Writes the rest of it here, waiting for the web server; then closes,
 * or gives a kept connection back to keeper. */
static void
outbox_send_here(const struct wire_keeper *keeper, struct outbox_item *it)
{
	if (wire_send_within(&it->wire, it->fd, OUTBOX_STALL_MS) == WIRE_SENT &&
	    it->keep) {
		outbox_kept(NULL, keeper, it);
		return;
	}
	if (wire_left(&it->wire) > 0)
		fprintf(stderr, "numdialer: an answer dropped: the web server "
		    "took none of it for %d ms (%zu of %zu bytes sent)\n",
		    OUTBOX_STALL_MS, it->wire.sent, it->wire.size);
	outbox_finish(NULL, it);
}

void
outbox_send(struct outbox *o, int fd, int request_id,
    struct http_answer *answer, bool keep)
{
	struct outbox_item *it = calloc(1, sizeof(*it));
	bool queued = false;

	if (it == NULL) {
		fprintf(stderr, "numdialer: out of memory for an answer: "
		    "dropped\n");
		wire_close(fd);
		http_answer_free(answer);
		return;
	}
	it->fd = fd;
	it->keep = keep;
	it->answer = *answer;
	memset(answer, 0, sizeof(*answer));
	/* Before the answer's end lets the web server send the next. */
	if (keep)
		wire_drain(fd);
	wire_init(&it->wire, &it->answer, request_id);
	switch (wire_send(&it->wire, fd, false)) {
	case WIRE_SENT:
		/* Nearly every answer: written at once, the request read. */
		if (outbox_sent(NULL, &o->keeper, it))
			return;
		break;
	case WIRE_FAILED:
		outbox_finish(NULL, it);
		return;
	case WIRE_WOULD_BLOCK:
		it->progress_ms = util_mono_ms();
		/* A shared body is in memory once however many connections
		 * send it, and its maker bounds how many there are (full.c):
		 * counted per connection, thirty clients of a million-row list
		 * would pass the bound and each hold a thread. */
		it->held = it->answer.shared != NULL ? 0 : wire_left(&it->wire);
		break;
	}
	pthread_mutex_lock(&o->lock);
	if (!o->stopping && o->bytes + it->held <= OUTBOX_BYTES_MAX) {
		it->next = o->handed;
		o->handed = it;
		o->bytes += it->held;
		queued = true;
	}
	pthread_mutex_unlock(&o->lock);
	if (!queued) {
		it->held = 0;
		outbox_send_here(&o->keeper, it);
		return;
	}
	/* eventfd's counter cannot overflow from a few adds. */
	(void)!write(o->wake, &(uint64_t){1}, sizeof(uint64_t));
}

void
outbox_stop(struct outbox *o)
{
	struct outbox_item *it, *next;

	if (o == NULL)
		return;
	pthread_mutex_lock(&o->lock);
	o->stopping = true;
	pthread_mutex_unlock(&o->lock);
	(void)!write(o->wake, &(uint64_t){1}, sizeof(uint64_t));
	pthread_join(o->thread, NULL);
	/* Handed over after the thread's last look. */
	for (it = o->handed; it != NULL; it = next) {
		next = it->next;
		outbox_finish(o, it);
	}
	close(o->wake);
	pthread_mutex_destroy(&o->lock);
	free(o->items);
	free(o->fds);
	free(o);
}
