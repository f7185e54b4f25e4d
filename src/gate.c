/*
 * gate: the accept loop. libfcgi reads a request only by blocking on its
 * socket, a thread per connection: a web server, or anyone who can reach
 * the socket, sending a request slowly would hold that thread however long
 * it liked (a read timeout bounds each read, not the request). So the gate
 * thread accepts every connection and polls them all; for each it peeks at
 * what came (MSG_PEEK, from where the last peek stopped: SO_PEEK_OFF) and
 * follows the FastCGI records by their headers alone, until it has seen
 * FCGI_BEGIN_REQUEST and the empty FCGI_PARAMS and FCGI_STDIN records
 * that end the request. Then it shuts the read side down, so that no read
 * of libfcgi's can wait (nor its close, which reads until the end), and
 * hands the connection over; libfcgi reads and parses the request as ever.
 * A request not in GATE_REQUEST_MS after its accept is dropped, with a
 * line in the log.
 *
 * A request with a long body (lighttpd forwards any size) cannot all wait
 * in the socket's buffer. Once its parameters and body_max bytes of body
 * are in, the most any reader takes, it is handed over with its read side
 * open, so that the web server can write the rest (the outbox reads it
 * away after the answer); had it been shut, the web server's writes would
 * fail and it would answer 503 instead of the program's 413. The gate
 * keeps a second descriptor of it and shuts its read side at the request's
 * deadline, so that even then no reader waits past it.
 */
#include "gate.h"

#include <errno.h>
#include <fcntl.h>
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

#include <fastcgi.h>

#include "util.h"

#define GATE_PEEK_BYTES 16384     /* peeked at a time */
#define GATE_RETRY_MS 100         /* accepting again after EMFILE and such */

/* Where the records of one connection's request stand. */
struct gate_conn {
	int fd;
	int64_t deadline_ms;          /* CLOCK_MONOTONIC */
	size_t seen;                  /* bytes of the request followed */
	size_t body;                  /* of them, FCGI_STDIN content */
	int type;                     /* the current record's type */
	size_t content, padding;      /* of the current record, not yet seen */
	unsigned char head[FCGI_HEADER_LEN];  /* a header seen in part */
	size_t head_len;
	bool begun;                   /* FCGI_BEGIN_REQUEST seen */
	bool params;                  /* the empty FCGI_PARAMS record seen */
	bool input;                   /* the empty FCGI_STDIN record seen */
};

/* What the records seen so far say of a request. */
enum gate_verdict {
	GATE_WAITING,   /* more is to come */
	GATE_WHOLE,     /* every record is in */
	GATE_ENOUGH,    /* its parameters and body_max bytes of body are in */
	GATE_DROP       /* not a request worth waiting for: close it */
};

/* A connection handed over with its read side open: a second descriptor
 * of it, whose read side is shut at the request's deadline. */
struct gate_open {
	int fd;
	int64_t deadline_ms;
};

struct gate {
	int listen_fd;
	size_t body_max;
	int wake;                     /* eventfd: stop */
	void (*broken)(void *arg);
	void *broken_arg;
	pthread_t thread;
	pthread_mutex_t lock;         /* guards ready, stopping and stopped */
	pthread_cond_t taken;         /* a connection is ready, or stopped */
	int ready[GATE_HELD_MAX];     /* a ring: requests arrived, in order */
	size_t ready_first, ready_count;
	bool stopping;                /* gate_stop was called */
	bool stopped;                 /* the thread has left: no more ready */
	/* The thread's own, no lock: */
	struct gate_conn conns[GATE_HELD_MAX];
	size_t count;
	struct gate_open open[GATE_HELD_MAX];
	size_t open_count;
	struct pollfd fds[GATE_HELD_MAX + 2];
	bool listen_broken;
	int64_t accept_after_ms;      /* after a passing accept error */
};

/* Takes in a record's header, complete in c->head. */
static enum gate_verdict
gate_header(struct gate_conn *c)
{
	const FCGI_Header *h = (const FCGI_Header *)c->head;

	c->head_len = 0;
	if (h->version != FCGI_VERSION_1)
		return GATE_DROP;
	c->type = h->type;
	c->content = (size_t)h->contentLengthB1 << 8 | h->contentLengthB0;
	c->padding = h->paddingLength;
	if (c->type == FCGI_BEGIN_REQUEST)
		c->begun = true;
	else if (c->type == FCGI_PARAMS && c->content == 0)
		c->params = true;
	else if (c->type == FCGI_STDIN && c->content == 0)
		c->input = true;
	return c->begun && c->params && c->input ? GATE_WHOLE : GATE_WAITING;
}

/* Follows n more bytes of the request's records. */
static enum gate_verdict
gate_follow(struct gate_conn *c, const unsigned char *p, size_t n,
    size_t body_max)
{
	enum gate_verdict v;
	size_t take;

	while (n > 0) {
		if (c->content > 0) {
			take = n < c->content ? n : c->content;
			c->content -= take;
			if (c->type == FCGI_STDIN)
				c->body += take;
			if (c->begun && c->params && c->body >= body_max)
				return GATE_ENOUGH;
		} else if (c->padding > 0) {
			take = n < c->padding ? n : c->padding;
			c->padding -= take;
		} else {
			take = FCGI_HEADER_LEN - c->head_len;
			take = n < take ? n : take;
			memcpy(c->head + c->head_len, p, take);
			c->head_len += take;
		}
		c->seen += take;
		p += take;
		n -= take;
		if (c->head_len == FCGI_HEADER_LEN &&
		    (v = gate_header(c)) != GATE_WAITING)
			return v;
	}
	return GATE_WAITING;
}

/* Peeks at what came on c since the last look. */
static enum gate_verdict
gate_look(struct gate_conn *c, size_t body_max)
{
	unsigned char buf[GATE_PEEK_BYTES];
	enum gate_verdict v;
	ssize_t n;

	for (;;) {
		n = recv(c->fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ?
			    GATE_WAITING : GATE_DROP;
		/* Closed before the request came: the web server gave up. */
		if (n == 0)
			return GATE_DROP;
		v = gate_follow(c, buf, (size_t)n, body_max);
		if (v != GATE_WAITING)
			return v;
		/* Bounds the looking too: a request is in, or dropped, within
		 * GATE_REQUEST_MAX + body_max bytes and their headers. */
		if (c->seen - c->body >= GATE_REQUEST_MAX ||
		    (!c->params && c->seen >= GATE_REQUEST_MAX)) {
			fprintf(stderr, "numdialer: a request over %d bytes "
			    "before its body: dropped\n", GATE_REQUEST_MAX);
			return GATE_DROP;
		}
	}
}

/* Hands a connection whose request has arrived to the request threads;
 * v says whether it came whole. */
static void
gate_hand(struct gate *g, const struct gate_conn *c, enum gate_verdict v)
{
	int second = v == GATE_ENOUGH ? dup(c->fd) : -1;

	if (second >= 0) {
		g->open[g->open_count].fd = second;
		g->open[g->open_count++].deadline_ms = c->deadline_ms;
	} else {
		/* From now on every read returns what came, then the end. */
		shutdown(c->fd, SHUT_RD);
	}
	pthread_mutex_lock(&g->lock);
	g->ready[(g->ready_first + g->ready_count) % GATE_HELD_MAX] = c->fd;
	g->ready_count++;
	pthread_cond_signal(&g->taken);
	pthread_mutex_unlock(&g->lock);
}

/* Acts on what was seen of c: true when it is done with (handed over or
 * closed), false while it waits. */
static bool
gate_judge(struct gate *g, struct gate_conn *c, enum gate_verdict v,
    int64_t now)
{
	if (v == GATE_WAITING && now < c->deadline_ms)
		return false;
	if (v == GATE_WAITING)
		fprintf(stderr, "numdialer: a request not in %d ms after its "
		    "connection (%zu bytes came): dropped\n", GATE_REQUEST_MS,
		    c->seen);
	if (v == GATE_WHOLE || v == GATE_ENOUGH)
		gate_hand(g, c, v);
	else
		close(c->fd);
	return true;
}

/* Looks at every connection poll said has news, hands over the requests
 * arrived and drops the ones past their deadline. */
static void
gate_watch(struct gate *g, int64_t now)
{
	size_t i = g->count;

	while (i-- > 0) {
		struct gate_conn *c = &g->conns[i];
		enum gate_verdict v = g->fds[i].revents != 0 ?
		    gate_look(c, g->body_max) : GATE_WAITING;

		if (gate_judge(g, c, v, now))
			*c = g->conns[--g->count];
	}
}

/* Shuts the read side of the connections handed over open whose deadline
 * has come (all when all). */
static void
gate_expire(struct gate *g, int64_t now, bool all)
{
	size_t i = g->open_count;

	while (i-- > 0) {
		if (!all && now < g->open[i].deadline_ms)
			continue;
		shutdown(g->open[i].fd, SHUT_RD);
		close(g->open[i].fd);
		g->open[i] = g->open[--g->open_count];
	}
}

/* Whether accept failed with err for a reason that passes: a connection
 * that went away meanwhile, or no file or memory for now. */
static bool
gate_accept_passes(int err)
{
	return err == ECONNABORTED || err == EPROTO || err == EPERM ||
	    err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

/* Accepts the connections waiting, room allowing. */
static void
gate_accept(struct gate *g, size_t room, int64_t now)
{
	struct gate_conn *c;
	int off = 0;

	while (room > 0) {
		int fd = accept(g->listen_fd, NULL, NULL);

		if (fd < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			fprintf(stderr, "numdialer: accept: %s\n",
			    strerror(errno));
			if (gate_accept_passes(errno)) {
				g->accept_after_ms = now + GATE_RETRY_MS;
			} else {
				g->listen_broken = true;
				g->broken(g->broken_arg);
			}
			return;
		}
		/* Each peek starts where the last one stopped. */
		if (setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &off,
		    sizeof(off)) != 0) {
			fprintf(stderr, "numdialer: SO_PEEK_OFF: %s\n",
			    strerror(errno));
			close(fd);
			continue;
		}
		c = &g->conns[g->count];
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->deadline_ms = now + GATE_REQUEST_MS;
		room--;
		/* The web server writes its request as soon as it connects:
		 * most often it is all there already. */
		if (!gate_judge(g, c, gate_look(c, g->body_max), now))
			g->count++;
	}
}

/* The poll timeout: until the first deadline, or until accepting again
 * after a passing error; -1 when nothing is due. */
static int
gate_timeout(const struct gate *g, bool paused, int64_t now)
{
	int64_t first = paused ? g->accept_after_ms : INT64_MAX;
	size_t i;

	for (i = 0; i < g->count; i++)
		if (g->conns[i].deadline_ms < first)
			first = g->conns[i].deadline_ms;
	for (i = 0; i < g->open_count; i++)
		if (g->open[i].deadline_ms < first)
			first = g->open[i].deadline_ms;
	if (first == INT64_MAX)
		return -1;
	return first <= now ? 0 : (int)(first - now);
}

/* One turn: poll, then the news. Returns false once the gate stops. */
static bool
gate_turn(struct gate *g)
{
	int64_t now = util_mono_ms();
	bool paused = now < g->accept_after_ms, stopping;
	struct pollfd *wake = &g->fds[g->count], *listen = wake + 1;
	size_t held, room, i;
	uint64_t count;

	/* A connection handed over open counts twice until its deadline:
	 * ready, and open. */
	pthread_mutex_lock(&g->lock);
	held = g->count + g->ready_count + g->open_count;
	pthread_mutex_unlock(&g->lock);
	room = held < GATE_HELD_MAX ? GATE_HELD_MAX - held : 0;
	for (i = 0; i < g->count; i++) {
		g->fds[i].fd = g->conns[i].fd;
		g->fds[i].events = POLLIN;
		g->fds[i].revents = 0;
	}
	wake->fd = g->wake;
	wake->events = POLLIN;
	wake->revents = 0;
	/* poll skips a negative descriptor: no accepting while full. */
	listen->fd = room > 0 && !paused && !g->listen_broken ?
	    g->listen_fd : -1;
	listen->events = POLLIN;
	listen->revents = 0;
	if (poll(g->fds, g->count + 2, gate_timeout(g, paused, now)) < 0 &&
	    errno != EINTR) {
		fprintf(stderr, "numdialer: gate: poll: %s\n", strerror(errno));
		g->broken(g->broken_arg);
		return false;
	}
	if (wake->revents != 0) {
		/* Only gate_stop wakes the thread: the count is of no use. */
		(void)!read(g->wake, &count, sizeof(count));
		pthread_mutex_lock(&g->lock);
		stopping = g->stopping;
		pthread_mutex_unlock(&g->lock);
		if (stopping)
			return false;
	}
	now = util_mono_ms();
	gate_expire(g, now, false);
	/* Before accepting, which adds to conns and moves wake and listen;
	 * handing over before accepting keeps room right. */
	gate_watch(g, now);
	if (listen->revents != 0)
		gate_accept(g, room, now);
	return true;
}

static void *
gate_run(void *arg)
{
	struct gate *g = arg;
	size_t i;

	while (gate_turn(g))
		;
	for (i = 0; i < g->count; i++)
		close(g->conns[i].fd);
	g->count = 0;
	/* A request thread may be reading one: it gets the end at once. */
	gate_expire(g, 0, true);
	pthread_mutex_lock(&g->lock);
	for (i = 0; i < g->ready_count; i++)
		close(g->ready[(g->ready_first + i) % GATE_HELD_MAX]);
	g->ready_count = 0;
	g->stopped = true;
	pthread_cond_broadcast(&g->taken);
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

struct gate *
gate_start(int listen_fd, size_t body_max, void (*broken)(void *arg),
    void *arg)
{
	struct gate *g = calloc(1, sizeof(*g));
	int flags = fcntl(listen_fd, F_GETFL);
	bool lock_made = false, cond_made = false;

	if (g == NULL)
		return NULL;
	g->listen_fd = listen_fd;
	g->body_max = body_max;
	g->broken = broken;
	g->broken_arg = arg;
	g->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	/* Non-blocking: a connection gone between poll and accept must not
	 * leave the thread waiting in accept. */
	if (g->wake < 0 || flags < 0 ||
	    fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK) != 0)
		goto fail;
	if (pthread_mutex_init(&g->lock, NULL) != 0)
		goto fail;
	lock_made = true;
	if (pthread_cond_init(&g->taken, NULL) != 0)
		goto fail;
	cond_made = true;
	if (pthread_create(&g->thread, NULL, gate_run, g) != 0)
		goto fail;
	return g;
fail:
	if (cond_made)
		pthread_cond_destroy(&g->taken);
	if (lock_made)
		pthread_mutex_destroy(&g->lock);
	if (g->wake >= 0)
		close(g->wake);
	free(g);
	return NULL;
}

int
gate_take(struct gate *g)
{
	int fd = -1;

	pthread_mutex_lock(&g->lock);
	while (g->ready_count == 0 && !g->stopped)
		pthread_cond_wait(&g->taken, &g->lock);
	if (g->ready_count > 0) {
		fd = g->ready[g->ready_first];
		g->ready_first = (g->ready_first + 1) % GATE_HELD_MAX;
		g->ready_count--;
	}
	pthread_mutex_unlock(&g->lock);
	return fd;
}

void
gate_stop(struct gate *g)
{
	if (g == NULL)
		return;
	pthread_mutex_lock(&g->lock);
	g->stopping = true;
	pthread_mutex_unlock(&g->lock);
	(void)!write(g->wake, &(uint64_t){1}, sizeof(uint64_t));
	pthread_join(g->thread, NULL);
}

void
gate_free(struct gate *g)
{
	if (g == NULL)
		return;
	pthread_cond_destroy(&g->taken);
	pthread_mutex_destroy(&g->lock);
	close(g->wake);
	free(g);
}
