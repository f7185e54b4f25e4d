/*
 * gate: the accept loop. libfcgi reads a request only by blocking on its
 * socket: a web server, or anyone who can reach the socket, sending a
 * request slowly would hold that thread however long it liked (a read
 * timeout bounds each read, not the request). So no thread reads a
 * connection until its request has arrived.
 *
 * The request threads take turns (leader and followers): while no request
 * is ready, one of them leads. It accepts every connection and watches
 * them all (epoll: edge-triggered for the connections, whose data stay in
 * the socket, peeked and unread, so that a level-triggered poll would call
 * them readable for ever). For each it peeks at what came (MSG_PEEK, past
 * the first look from where the last one stopped: SO_PEEK_OFF) and
 * follows the FastCGI records by their headers, and the parameters by
 * their name-value lengths, until the empty FCGI_PARAMS and FCGI_STDIN
 * records that end the request are in. Then it wakes another thread to
 * lead and serves that request itself: the common request is served by
 * the thread that accepted it, with no hand-over. A request not in
 * GATE_REQUEST_MS after its accept is dropped, with a line in the log.
 *
 * What libfcgi would fail on, or misread, is dropped here too (another
 * version, a record out of order or of another request, a bad role,
 * name-value lengths past the parameters' end): libfcgi closes a request
 * it fails on itself, and its close reads until the web server's end, in
 * the thread. A request that came whole has its read side shut down, so
 * that no read can wait. One with a long body (lighttpd forwards any
 * size) cannot all wait in the socket's buffer: once its parameters and
 * body_max bytes of body are in, the most any reader takes, it is handed
 * over with its read side open, so that the web server can write the rest
 * (the outbox reads it away after the answer); shut, the web server's
 * writes would fail, and lighttpd may answer 503 for the program's 413.
 */
#include "gate.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fastcgi.h>

#include "util.h"

#define GATE_PEEK_BYTES 16384     /* peeked at a time */
#define GATE_RETRY_MS 100         /* accepting again after EMFILE and such */
#define GATE_LEN_LONG 4           /* bytes of a name-value length >= 128 */
#define GATE_EVENTS 64            /* taken from epoll at a time */

/* Where the records of one connection's request stand. */
struct gate_conn {
	int fd;
	bool news;                    /* epoll said more came */
	int64_t deadline_ms;          /* CLOCK_MONOTONIC */
	size_t seen;                  /* bytes of the request followed */
	size_t body;                  /* of them, FCGI_STDIN content */
	unsigned char head[FCGI_HEADER_LEN];  /* a header seen in part */
	size_t head_len;
	int id;                       /* the request's; 0 before it began */
	int type;                     /* the current record's type */
	size_t content, padding;      /* of the current record, not yet seen */
	unsigned char role[2];        /* FCGI_BEGIN_REQUEST's first bytes */
	size_t role_len;
	/* The parameters' name-value pairs: a length being read, or the
	 * bytes of a pair left. */
	unsigned char len[GATE_LEN_LONG];
	size_t len_have;
	bool value_len;               /* the length read is the value's */
	size_t name_len;
	size_t pair_left;
	bool params;                  /* the empty FCGI_PARAMS record seen */
	bool input;                   /* the empty FCGI_STDIN record seen */
	bool peek_off;                /* peeks go on from where they stopped */
};

/* What the records seen so far say of a request. */
enum gate_verdict {
	GATE_WAITING,   /* more is to come */
	GATE_WHOLE,     /* every record is in */
	GATE_ENOUGH,    /* its parameters and body_max bytes of body are in */
	GATE_DROP       /* not a request libfcgi would read: close it */
};

struct gate {
	int listen_fd;
	size_t body_max;
	int wake;                     /* eventfd: the leader's wake-up to stop */
	int epoll;                    /* the listening socket, the wake-up and
	                                 the connections held */
	void (*broken)(void *arg);
	void *broken_arg;
	pthread_mutex_t lock;         /* guards ready, led and stopping */
	pthread_cond_t turn;          /* a follower may lead, or take one */
	int ready[GATE_HELD_MAX];     /* a ring: requests arrived, in order */
	size_t ready_first, ready_count;
	bool led;                     /* a thread leads */
	bool stopping;
	/* The leader's, one at a time: */
	struct gate_conn *held[GATE_HELD_MAX];  /* each malloc'd; owned */
	size_t count;
	struct epoll_event events[GATE_EVENTS];
	bool listening;               /* epoll watches the listening socket */
	bool listen_broken;
	int64_t accept_after_ms;      /* after a passing accept error */
};

/* Reads n bytes of the parameters' name-value pairs: false when a length
 * reaches past anything a web server sends. */
static bool
gate_pairs(struct gate_conn *c, const unsigned char *p, size_t n)
{
	while (n > 0) {
		size_t take, len;

		if (c->pair_left > 0) {
			take = n < c->pair_left ? n : c->pair_left;
			c->pair_left -= take;
			p += take;
			n -= take;
			continue;
		}
		c->len[c->len_have++] = *p++;
		n--;
		if ((c->len[0] & 0x80) != 0 && c->len_have < GATE_LEN_LONG)
			continue;
		len = c->len_have == 1 ? c->len[0] :
		    (size_t)(c->len[0] & 0x7f) << 24 | (size_t)c->len[1] << 16 |
		    (size_t)c->len[2] << 8 | c->len[3];
		c->len_have = 0;
		if (len > GATE_REQUEST_MAX)
			return false;
		if (!c->value_len) {
			c->name_len = len;
			c->value_len = true;
		} else {
			c->pair_left = c->name_len + len;
			c->value_len = false;
		}
	}
	return true;
}

/* Takes in a record's header, complete in c->head: is it one libfcgi
 * reads, in its place? */
static enum gate_verdict
gate_header(struct gate_conn *c)
{
	const FCGI_Header *h = (const FCGI_Header *)c->head;
	int id = h->requestIdB1 << 8 | h->requestIdB0;
	size_t len = (size_t)h->contentLengthB1 << 8 | h->contentLengthB0;

	c->head_len = 0;
	c->type = h->type;
	c->content = len;
	c->padding = h->paddingLength;
	if (h->version != FCGI_VERSION_1)
		return GATE_DROP;
	if (c->id == 0) {
		/* libfcgi reads no padding after this record's 8 bytes. */
		if (c->type != FCGI_BEGIN_REQUEST || id == 0 ||
		    len != sizeof(FCGI_BeginRequestBody) || c->padding != 0)
			return GATE_DROP;
		c->id = id;
		return GATE_WAITING;
	}
	if (id != c->id || c->role_len < sizeof(c->role))
		return GATE_DROP;
	if (!c->params) {
		if (c->type != FCGI_PARAMS)
			return GATE_DROP;
		if (len > 0)
			return GATE_WAITING;
		/* The parameters end between two pairs, or libfcgi fails. */
		if (c->len_have > 0 || c->value_len || c->pair_left > 0)
			return GATE_DROP;
		c->params = true;
		return GATE_WAITING;
	}
	if (c->type != FCGI_STDIN)
		return GATE_DROP;
	c->input = len == 0;
	return c->input ? GATE_WHOLE : GATE_WAITING;
}

/* Takes in n bytes of the current record's content. */
static enum gate_verdict
gate_content(struct gate_conn *c, const unsigned char *p, size_t n,
    size_t body_max)
{
	int role;

	switch (c->type) {
	case FCGI_BEGIN_REQUEST:
		while (n > 0 && c->role_len < sizeof(c->role)) {
			c->role[c->role_len++] = *p++;
			n--;
		}
		role = c->role[0] << 8 | c->role[1];
		if (c->role_len == sizeof(c->role) && role != FCGI_RESPONDER &&
		    role != FCGI_AUTHORIZER && role != FCGI_FILTER)
			return GATE_DROP;
		return GATE_WAITING;
	case FCGI_PARAMS:
		return gate_pairs(c, p, n) ? GATE_WAITING : GATE_DROP;
	default:
		c->body += n;
		return c->body >= body_max ? GATE_ENOUGH : GATE_WAITING;
	}
}

/* Follows n more bytes of the request's records. */
static enum gate_verdict
gate_follow(struct gate_conn *c, const unsigned char *p, size_t n,
    size_t body_max)
{
	enum gate_verdict v = GATE_WAITING;
	size_t take;

	while (n > 0 && v == GATE_WAITING) {
		if (c->content > 0) {
			take = n < c->content ? n : c->content;
			c->content -= take;
			v = gate_content(c, p, take, body_max);
		} else if (c->padding > 0) {
			take = n < c->padding ? n : c->padding;
			c->padding -= take;
		} else {
			take = FCGI_HEADER_LEN - c->head_len;
			take = n < take ? n : take;
			memcpy(c->head + c->head_len, p, take);
			c->head_len += take;
			if (c->head_len == FCGI_HEADER_LEN)
				v = gate_header(c);
		}
		c->seen += take;
		p += take;
		n -= take;
	}
	return v;
}

/* Makes the next peeks on c start past the c->seen bytes followed: 0, or
 * -1 having said why. */
static int
gate_peek_from(struct gate_conn *c)
{
	int off = (int)c->seen;   /* at most GATE_PEEK_BYTES here */

	if (setsockopt(c->fd, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off)) != 0) {
		fprintf(stderr, "numdialer: SO_PEEK_OFF: %s\n", strerror(errno));
		return -1;
	}
	c->peek_off = true;
	return 0;
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
		if (c->seen - c->body >= GATE_REQUEST_MAX) {
			fprintf(stderr, "numdialer: a request over %d bytes "
			    "before its body: dropped\n", GATE_REQUEST_MAX);
			return GATE_DROP;
		}
		/* Most requests are in at the first look, which peeks from
		 * the start. The others go on from where it stopped. */
		if (!c->peek_off && gate_peek_from(c) != 0)
			return GATE_DROP;
	}
}

/* Puts a connection whose request has arrived on the ready ring; v says
 * whether it came whole. */
static void
gate_ready(struct gate *g, const struct gate_conn *c, enum gate_verdict v)
{
	/* From now on every read returns what came, then the end. */
	if (v == GATE_WHOLE)
		shutdown(c->fd, SHUT_RD);
	pthread_mutex_lock(&g->lock);
	g->ready[(g->ready_first + g->ready_count) % GATE_HELD_MAX] = c->fd;
	g->ready_count++;
	pthread_mutex_unlock(&g->lock);
}

/* Done with c's connection, for v: ready, or closed (GATE_WAITING: its
 * deadline passed). */
static void
gate_judge(struct gate *g, const struct gate_conn *c, enum gate_verdict v)
{
	if (v == GATE_WAITING)
		fprintf(stderr, "numdialer: a request not in %d ms after its "
		    "connection (%zu bytes came): dropped\n", GATE_REQUEST_MS,
		    c->seen);
	if (v == GATE_WHOLE || v == GATE_ENOUGH)
		gate_ready(g, c, v);
	else
		close(c->fd);
}

/* Looks at every connection epoll said has news, and at every deadline. */
static void
gate_watch(struct gate *g, int64_t now)
{
	size_t i = g->count;

	while (i-- > 0) {
		struct gate_conn *c = g->held[i];
		enum gate_verdict v = c->news ? gate_look(c, g->body_max) :
		    GATE_WAITING;

		c->news = false;
		if (v == GATE_WAITING && now < c->deadline_ms)
			continue;
		/* Out of epoll's set before it is handed over or closed. */
		epoll_ctl(g->epoll, EPOLL_CTL_DEL, c->fd, NULL);
		gate_judge(g, c, v);
		free(c);
		g->held[i] = g->held[--g->count];
	}
}

/* Holds c until its request has come: epoll says when more comes, once
 * per arrival (edge-triggered: what came stays unread, peeked). 0, or -1
 * (c is not held). */
static int
gate_hold(struct gate *g, struct gate_conn *c)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
	ev.data.ptr = c;
	if (epoll_ctl(g->epoll, EPOLL_CTL_ADD, c->fd, &ev) != 0)
		return -1;
	g->held[g->count++] = c;
	return 0;
}

/* Whether accept failed with err for a reason that passes: a connection
 * that went away meanwhile, or no file or memory for now. */
static bool
gate_accept_passes(int err)
{
	return err == ECONNABORTED || err == EPROTO || err == EPERM ||
	    err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

/* Accepts the connections waiting, room allowing, until one has its
 * request in: the web server writes its request as soon as it connects,
 * so most often it is all there already. Returns whether one is ready. */
static bool
gate_accept(struct gate *g, size_t room, int64_t now)
{
	struct gate_conn *c;
	enum gate_verdict v;
	int fd;

	for (; room > 0; room--) {
		fd = accept(g->listen_fd, NULL, NULL);
		if (fd < 0 && errno == EINTR)
			continue;
		if (fd < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return false;
		if (fd < 0) {
			fprintf(stderr, "numdialer: accept: %s\n",
			    strerror(errno));
			if (gate_accept_passes(errno)) {
				g->accept_after_ms = now + GATE_RETRY_MS;
			} else {
				g->listen_broken = true;
				g->broken(g->broken_arg);
			}
			return false;
		}
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			fprintf(stderr, "numdialer: no memory for a connection\n");
			close(fd);
			continue;
		}
		c->fd = fd;
		c->deadline_ms = now + GATE_REQUEST_MS;
		v = gate_look(c, g->body_max);
		if (v == GATE_WAITING && gate_hold(g, c) == 0)
			continue;
		if (v == GATE_WAITING)
			v = GATE_DROP;
		gate_judge(g, c, v);
		free(c);
		if (v != GATE_DROP)
			return true;
	}
	return false;
}

/* The wait's timeout: until the first deadline, or until accepting again
 * after a passing error; -1 when nothing is due. */
static int
gate_timeout(const struct gate *g, bool paused, int64_t now)
{
	int64_t first = paused ? g->accept_after_ms : INT64_MAX;
	size_t i;

	for (i = 0; i < g->count; i++)
		if (g->held[i]->deadline_ms < first)
			first = g->held[i]->deadline_ms;
	if (first == INT64_MAX)
		return -1;
	return first <= now ? 0 : (int)(first - now);
}

/* Has epoll watch the listening socket, or not (no room, or after a
 * passing error). */
static void
gate_listen(struct gate *g, bool on)
{
	struct epoll_event ev;

	if (on == g->listening)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = on ? EPOLLIN : 0;
	ev.data.ptr = &g->listen_fd;
	if (epoll_ctl(g->epoll, EPOLL_CTL_MOD, g->listen_fd, &ev) == 0)
		g->listening = on;
}

/* Waits for news and notes it: true when the listening socket has
 * connections waiting. -1 on a failure of epoll itself. */
static int
gate_wait(struct gate *g, int timeout)
{
	uint64_t count;
	int n, i, incoming = 0;

	n = epoll_wait(g->epoll, g->events, GATE_EVENTS, timeout);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	for (i = 0; i < n; i++) {
		void *ptr = g->events[i].data.ptr;

		if (ptr == &g->wake)
			/* Only gate_stop wakes the leader: the count is of no
			 * use. */
			(void)!read(g->wake, &count, sizeof(count));
		else if (ptr == &g->listen_fd)
			incoming = 1;
		else
			((struct gate_conn *)ptr)->news = true;
	}
	return incoming;
}

/* Leads until a request is ready or the gate stops. */
static void
gate_lead(struct gate *g)
{
	bool stop = false, ready = false;

	while (!stop && !ready) {
		int64_t now = util_mono_ms();
		bool paused = now < g->accept_after_ms;
		size_t held, room;
		int incoming;

		pthread_mutex_lock(&g->lock);
		held = g->count + g->ready_count;
		pthread_mutex_unlock(&g->lock);
		room = held < GATE_HELD_MAX ? GATE_HELD_MAX - held : 0;
		gate_listen(g, room > 0 && !paused && !g->listen_broken);
		incoming = gate_wait(g, gate_timeout(g, paused, now));
		if (incoming < 0) {
			fprintf(stderr, "numdialer: epoll_wait: %s\n",
			    strerror(errno));
			pthread_mutex_lock(&g->lock);
			g->stopping = true;
			pthread_mutex_unlock(&g->lock);
			g->broken(g->broken_arg);
			return;
		}
		now = util_mono_ms();
		gate_watch(g, now);
		if (incoming)
			ready = gate_accept(g, room, now);
		pthread_mutex_lock(&g->lock);
		stop = g->stopping;
		ready = ready || g->ready_count > 0;
		pthread_mutex_unlock(&g->lock);
	}
}

/* Adds fd to epoll's set for reading, level-triggered, noted by ptr. */
static int
gate_watch_fd(struct gate *g, int fd, void *ptr)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = ptr;
	return epoll_ctl(g->epoll, EPOLL_CTL_ADD, fd, &ev);
}

struct gate *
gate_new(int listen_fd, size_t body_max, void (*broken)(void *arg),
    void *arg)
{
	struct gate *g = calloc(1, sizeof(*g));
	int flags = fcntl(listen_fd, F_GETFL);
	bool lock_made = false;

	if (g == NULL)
		return NULL;
	g->listen_fd = listen_fd;
	g->body_max = body_max;
	g->broken = broken;
	g->broken_arg = arg;
	g->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	g->epoll = epoll_create1(EPOLL_CLOEXEC);
	/* Non-blocking: a connection gone between epoll and accept must not
	 * leave the leader waiting in accept. */
	if (g->wake < 0 || g->epoll < 0 || flags < 0 ||
	    fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK) != 0 ||
	    gate_watch_fd(g, g->wake, &g->wake) != 0 ||
	    gate_watch_fd(g, listen_fd, &g->listen_fd) != 0)
		goto fail;
	g->listening = true;
	if (pthread_mutex_init(&g->lock, NULL) != 0)
		goto fail;
	lock_made = true;
	if (pthread_cond_init(&g->turn, NULL) != 0)
		goto fail;
	return g;
fail:
	if (lock_made)
		pthread_mutex_destroy(&g->lock);
	if (g->epoll >= 0)
		close(g->epoll);
	if (g->wake >= 0)
		close(g->wake);
	free(g);
	return NULL;
}

int
gate_next(struct gate *g)
{
	int fd = -1;

	pthread_mutex_lock(&g->lock);
	while (!g->stopping && g->ready_count == 0) {
		if (g->led) {
			pthread_cond_wait(&g->turn, &g->lock);
			continue;
		}
		g->led = true;
		pthread_mutex_unlock(&g->lock);
		gate_lead(g);
		pthread_mutex_lock(&g->lock);
		g->led = false;
	}
	if (!g->stopping) {
		fd = g->ready[g->ready_first];
		g->ready_first = (g->ready_first + 1) % GATE_HELD_MAX;
		g->ready_count--;
	}
	/* Someone waiting leads now, or takes what else is ready. */
	if (!g->led)
		pthread_cond_signal(&g->turn);
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
	pthread_cond_broadcast(&g->turn);
	pthread_mutex_unlock(&g->lock);
	(void)!write(g->wake, &(uint64_t){1}, sizeof(uint64_t));
}

void
gate_free(struct gate *g)
{
	size_t i;

	if (g == NULL)
		return;
	for (i = 0; i < g->count; i++) {
		close(g->held[i]->fd);
		free(g->held[i]);
	}
	for (i = 0; i < g->ready_count; i++)
		close(g->ready[(g->ready_first + i) % GATE_HELD_MAX]);
	pthread_cond_destroy(&g->turn);
	pthread_mutex_destroy(&g->lock);
	close(g->epoll);
	close(g->wake);
	free(g);
}
