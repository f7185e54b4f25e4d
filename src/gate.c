/*
 * gate: the accept loop. libfcgi reads a request only by blocking on its
 * socket: a web server, or anyone who can reach the socket, sending a
 * request slowly would hold that thread however long it liked (a read
 * timeout bounds each read, not the request). So no thread reads a
 * connection until its request has arrived.
 *
 * Every request thread with nothing to do waits in one epoll set: the
 * listening socket, the connections held, a wake-up for the stop. The
 * kernel wakes one waiter per event, as it woke one thread blocked in
 * accept: the thread that accepts a connection, or hears that more of a
 * held one came, peeks at what came (MSG_PEEK; past the first look, from
 * where the last one stopped: SO_PEEK_OFF) and follows the FastCGI records
 * by their headers, and the parameters by their name-value lengths, until
 * the empty FCGI_PARAMS and FCGI_STDIN records that end the request are
 * in. Then it serves that request itself; until then the connection is
 * held, costing no thread. The listening socket is one-shot (re-armed
 * after each accept), so that a connection wakes one thread, not two; a
 * held connection is edge-triggered, since what came stays in its socket,
 * peeked and unread, and a level-triggered wait would call it readable
 * for ever. A request not in GATE_REQUEST_MS after its accept is dropped,
 * with a line in the log, by whichever thread next waits.
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
 *
 * A request whose FCGI_BEGIN_REQUEST asks to keep the connection
 * (FCGI_KEEP_CONN: nginx's fastcgi_keep_conn) is kept when it came whole
 * and nothing came after it: its read side stays open, and once its answer
 * is written whole (the request thread's, the outbox's or the events
 * thread's), gate_keep takes the connection back into the epoll set,
 * costing no thread, to wait for its next request as an accepted one
 * waits for its first. The web server sends nothing more on it before that
 * answer's FCGI_END_REQUEST, so whatever of the request libfcgi left
 * unread is all that is in the socket until then: the answer's writer
 * reads it away first (wire_drain), and the next request starts at the
 * socket's first byte (the peek offset is unset at the hand over), peeked
 * from there as a new connection's is. A request that asks to be kept is
 * waited for whole up to GATE_KEPT_BODY_MAX of body, not body_max: only a
 * request all in says where the next one starts. An idle kept connection
 * has no deadline: the web server closes it when it likes (nginx's
 * keepalive_timeout), and only its next request's first byte starts
 * GATE_REQUEST_MS. Past GATE_KEPT_MAX idle, the oldest is closed.
 */
#include "gate.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fastcgi.h>

#include "util.h"

#define GATE_PEEK_BYTES 16384     /* peeked at a time */
#define GATE_RETRY_MS 100         /* accepting again after EMFILE and such */
#define GATE_TICK_MS 1000         /* the longest a waiting thread sleeps */
#define GATE_LEN_LONG 4           /* bytes of a name-value length >= 128 */
/* What an epoll event names: the wake-up, the listening socket, or a held
 * connection's slot and generation (a slot's generation moves on each
 * time it is freed, so an event for a connection gone is known stale). */
#define GATE_KEY_WAKE UINT64_MAX
#define GATE_KEY_LISTEN (UINT64_MAX - 1)
#define GATE_KEY(slot, gen) ((uint64_t)(gen) << 32 | (uint32_t)(slot))

/* Where the records of one connection's request stand. */
struct gate_conn {
	int fd;
	int64_t deadline_ms;          /* CLOCK_MONOTONIC */
	size_t seen;                  /* bytes of the request followed */
	size_t body;                  /* of them, FCGI_STDIN content */
	unsigned char head[FCGI_HEADER_LEN];  /* a header seen in part */
	size_t head_len;
	int id;                       /* the request's; 0 before it began */
	int type;                     /* the current record's type */
	size_t content, padding;      /* of the current record, not yet seen */
	unsigned char begin[3];       /* FCGI_BEGIN_REQUEST's role and flags */
	size_t begin_len;
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
	bool kept;                    /* a kept connection's next request */
	bool past;                    /* the last peek saw bytes past the
	                                 request's end, or may not have seen
	                                 all there was (it filled its buffer) */
};

/* A slot for a connection held; the fields other than conn are guarded
 * by gate.lock, conn is the busy thread's alone. */
struct gate_slot {
	struct gate_conn conn;
	uint32_t gen;
	size_t pos;                   /* its place in gate.held */
	bool used;
	bool busy;                    /* a thread looks at it */
	bool again;                   /* more came while it looked */
	bool idle;                    /* kept; no byte of the next request yet */
	uint64_t kept_at;             /* gate.kept_seq when it was kept */
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
	int wake;                     /* eventfd, readable once stopping */
	int epoll;                    /* the listening socket, the wake-up and
	                                 the connections held */
	void (*broken)(void *arg);
	void *broken_arg;
	pthread_mutex_t lock;         /* guards all below */
	struct gate_slot slots[GATE_HELD_MAX];
	uint32_t free[GATE_HELD_MAX]; /* the slots not used */
	size_t free_count;
	uint32_t held[GATE_HELD_MAX]; /* the slots used */
	size_t count;
	size_t idle;                  /* of them, kept connections idle */
	uint64_t kept_seq;            /* connections kept so far */
	bool armed;                   /* epoll will say when one connects */
	bool listen_broken;
	int64_t accept_after_ms;      /* after a passing accept error */
	bool stopping;
	atomic_uint_fast64_t accepted;  /* connections, ever */
	atomic_uint_fast64_t requests;  /* requests handed over, ever */
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
	if (id != c->id || c->begin_len < sizeof(c->begin))
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
		while (n > 0 && c->begin_len < sizeof(c->begin)) {
			c->begin[c->begin_len++] = *p++;
			n--;
		}
		role = c->begin[0] << 8 | c->begin[1];
		if (c->begin_len >= 2 && role != FCGI_RESPONDER &&
		    role != FCGI_AUTHORIZER && role != FCGI_FILTER)
			return GATE_DROP;
		return GATE_WAITING;
	case FCGI_PARAMS:
		return gate_pairs(c, p, n) ? GATE_WAITING : GATE_DROP;
	default:
		c->body += n;
		/* A kept connection's request is waited for whole, up to
		 * GATE_KEPT_BODY_MAX: its rest must be read away before the
		 * answer's end, and only a request all in says where it ends. */
		if ((c->begin[2] & FCGI_KEEP_CONN) != 0 &&
		    body_max < GATE_KEPT_BODY_MAX)
			body_max = GATE_KEPT_BODY_MAX;
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
	size_t before;
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
		before = c->seen;
		v = gate_follow(c, buf, (size_t)n, body_max);
		if (v != GATE_WAITING) {
			c->past = before + (size_t)n > c->seen ||
			    (size_t)n == sizeof(buf);
			return v;
		}
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

/*
 * Whether the connection of c, whose request came whole (v), outlives it:
 * its FCGI_BEGIN_REQUEST asked to keep it, and the socket holds that
 * request's bytes and no more (nothing is read from it before the hand
 * over, so what it holds is what came: the last peek says so, or when it
 * filled its buffer, the bytes queued). A web server sends no request
 * before the last one's end; a peer that did would have its next request
 * read away with this one's rest, so its connection is not kept.
 */
static bool
gate_keeps(const struct gate_conn *c, enum gate_verdict v)
{
	int queued;

	if (v != GATE_WHOLE || (c->begin[2] & FCGI_KEEP_CONN) == 0)
		return false;
	if (!c->past)
		return true;
	return ioctl(c->fd, FIONREAD, &queued) == 0 && queued >= 0 &&
	    (size_t)queued == c->seen;
}

/* Hands over c's connection, whose request has arrived (v): *keep says
 * whether it outlives the request; if not, and the request came whole,
 * its read side is shut. Returns its descriptor. */
static int
gate_ready(struct gate *g, const struct gate_conn *c, enum gate_verdict v,
    bool *keep)
{
	int off = -1;

	*keep = gate_keeps(c, v);
	/* Its next request is peeked from the socket's first byte again, as
	 * a new connection's first one is (reads do not use the offset). */
	if (*keep && c->peek_off &&
	    setsockopt(c->fd, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off)) != 0)
		*keep = false;
	/* From now on every read returns what came, then the end. */
	if (v == GATE_WHOLE && !*keep)
		shutdown(c->fd, SHUT_RD);
	atomic_fetch_add_explicit(&g->requests, 1, memory_order_relaxed);
	return c->fd;
}

/* Re-arms the one-shot wait on the listening socket when there is room
 * and no reason to wait. Call with g->lock held. */
static void
gate_arm(struct gate *g, int64_t now)
{
	struct epoll_event ev;

	if (g->armed || g->listen_broken || g->stopping ||
	    g->count == GATE_HELD_MAX || now < g->accept_after_ms)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLONESHOT;
	ev.data.u64 = GATE_KEY_LISTEN;
	if (epoll_ctl(g->epoll, EPOLL_CTL_MOD, g->listen_fd, &ev) == 0)
		g->armed = true;
}

/* Stops holding slot i: out of epoll's set, its slot free. Returns its
 * connection's descriptor, which the caller hands over or closes. Call
 * with g->lock held. */
static int
gate_release(struct gate *g, uint32_t i, int64_t now)
{
	struct gate_slot *sl = &g->slots[i];
	int fd = sl->conn.fd;

	/* Out of the set before anyone else may have the descriptor. */
	epoll_ctl(g->epoll, EPOLL_CTL_DEL, fd, NULL);
	g->held[sl->pos] = g->held[--g->count];
	g->slots[g->held[sl->pos]].pos = sl->pos;
	if (sl->idle)
		g->idle--;
	sl->idle = false;
	sl->used = false;
	sl->gen++;
	g->free[g->free_count++] = i;
	gate_arm(g, now);
	return fd;
}

/* Holds c until its request has come: epoll says when more comes, once
 * per arrival. Its slot, or NULL when there is no room (c not held). Call
 * with g->lock held. */
static struct gate_slot *
gate_hold(struct gate *g, const struct gate_conn *c)
{
	struct epoll_event ev;
	struct gate_slot *sl;
	uint32_t i;

	if (g->free_count == 0)
		return NULL;
	i = g->free[g->free_count - 1];
	sl = &g->slots[i];
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
	ev.data.u64 = GATE_KEY(i, sl->gen);
	if (epoll_ctl(g->epoll, EPOLL_CTL_ADD, c->fd, &ev) != 0)
		return NULL;
	g->free_count--;
	sl->conn = *c;
	sl->used = true;
	sl->busy = false;
	sl->again = false;
	sl->idle = false;
	sl->pos = g->count;
	g->held[g->count++] = i;
	return sl;
}

/* Drops the held connections past their deadline that no thread looks
 * at, and re-arms the listening socket after a passing error. Returns the
 * wait's timeout: until the first deadline, or the end of that pause, and
 * GATE_TICK_MS at most (a connection held later by another thread has a
 * deadline this wait does not know). Call with g->lock held. */
static int
gate_sweep(struct gate *g, int64_t now)
{
	int64_t first = now + GATE_TICK_MS;
	size_t k = g->count;

	gate_arm(g, now);
	if (!g->armed && now < g->accept_after_ms && g->accept_after_ms < first)
		first = g->accept_after_ms;
	while (k-- > 0) {
		uint32_t i = g->held[k];
		struct gate_slot *sl = &g->slots[i];

		if (!sl->busy && now >= sl->conn.deadline_ms) {
			fprintf(stderr, "numdialer: a request not in %d ms after "
			    "its %s (%zu bytes came): dropped\n", GATE_REQUEST_MS,
			    sl->conn.kept ? "first byte" : "connection",
			    sl->conn.seen);
			close(gate_release(g, i, now));
		} else if (sl->conn.deadline_ms < first) {
			first = sl->conn.deadline_ms;
		}
	}
	return first <= now ? 0 : (int)(first - now);
}

/* Whether accept failed with err for a reason that passes: a connection
 * that went away meanwhile, or no file or memory for now. */
static bool
gate_accept_passes(int err)
{
	return err == ECONNABORTED || err == EPROTO || err == EPERM ||
	    err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

/* The listening socket said a connection came: accepts one. Returns it
 * when its request is in already (the web server writes it as soon as it
 * connects: most often it is), else -1. */
static int
gate_accept(struct gate *g, bool *keep)
{
	struct gate_conn c;
	enum gate_verdict v;
	int64_t now = util_mono_ms();
	int fd, err;

	fd = accept(g->listen_fd, NULL, NULL);
	err = errno;
	pthread_mutex_lock(&g->lock);
	g->armed = false;
	if (fd >= 0)
		atomic_fetch_add_explicit(&g->accepted, 1,
		    memory_order_relaxed);
	if (fd < 0 && err != EAGAIN && err != EWOULDBLOCK && err != EINTR) {
		fprintf(stderr, "numdialer: accept: %s\n", strerror(err));
		if (gate_accept_passes(err))
			g->accept_after_ms = now + GATE_RETRY_MS;
		else
			g->listen_broken = true;
	}
	/* The next connection wakes another thread, while this one looks. */
	gate_arm(g, now);
	pthread_mutex_unlock(&g->lock);
	if (fd < 0) {
		if (err != EAGAIN && err != EWOULDBLOCK && err != EINTR &&
		    !gate_accept_passes(err))
			g->broken(g->broken_arg);
		return -1;
	}
	memset(&c, 0, sizeof(c));
	c.fd = fd;
	c.deadline_ms = now + GATE_REQUEST_MS;
	v = gate_look(&c, g->body_max);
	if (v == GATE_WHOLE || v == GATE_ENOUGH)
		return gate_ready(g, &c, v, keep);
	if (v == GATE_WAITING) {
		pthread_mutex_lock(&g->lock);
		if (gate_hold(g, &c) != NULL)
			fd = -1;
		pthread_mutex_unlock(&g->lock);
		if (fd < 0)
			return -1;
	}
	close(fd);
	return -1;
}

/* epoll said more came on the connection of key: looks at it. Returns it
 * when its request is in, else -1 (still held, dropped, or the event was
 * stale). */
static int
gate_news(struct gate *g, uint64_t key, bool *keep)
{
	uint32_t i = (uint32_t)key;
	struct gate_slot *sl;
	struct gate_conn *c, done;
	enum gate_verdict v;
	int fd = -1;

	if (i >= GATE_HELD_MAX)
		return -1;
	sl = &g->slots[i];
	c = &sl->conn;
	pthread_mutex_lock(&g->lock);
	if (!sl->used || sl->gen != (uint32_t)(key >> 32) || sl->busy) {
		/* The thread looking at it looks again. */
		if (sl->used && sl->gen == (uint32_t)(key >> 32))
			sl->again = true;
		pthread_mutex_unlock(&g->lock);
		return -1;
	}
	sl->busy = true;
	for (;;) {
		sl->again = false;
		pthread_mutex_unlock(&g->lock);
		v = gate_look(c, g->body_max);
		pthread_mutex_lock(&g->lock);
		if (v != GATE_WAITING || !sl->again)
			break;
	}
	sl->busy = false;
	/* A kept connection's next request began: it has its time now. */
	if (sl->idle && c->seen > 0) {
		sl->idle = false;
		g->idle--;
		c->deadline_ms = util_mono_ms() + GATE_REQUEST_MS;
	}
	if (v != GATE_WAITING) {
		done = *c;    /* the slot is another's once released */
		fd = gate_release(g, i, util_mono_ms());
		if (v == GATE_DROP) {
			close(fd);
			fd = -1;
		}
	}
	pthread_mutex_unlock(&g->lock);
	return fd >= 0 ? gate_ready(g, &done, v, keep) : -1;
}

/* Adds fd to epoll's set, level-triggered, with events and key. */
static int
gate_add(struct gate *g, int fd, uint32_t events, uint64_t key)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.u64 = key;
	return epoll_ctl(g->epoll, EPOLL_CTL_ADD, fd, &ev);
}

struct gate *
gate_new(int listen_fd, size_t body_max, void (*broken)(void *arg),
    void *arg)
{
	struct gate *g = calloc(1, sizeof(*g));
	int flags = fcntl(listen_fd, F_GETFL);
	uint32_t i;

	if (g == NULL)
		return NULL;
	g->listen_fd = listen_fd;
	g->body_max = body_max;
	g->broken = broken;
	g->broken_arg = arg;
	for (i = 0; i < GATE_HELD_MAX; i++)
		g->free[g->free_count++] = GATE_HELD_MAX - 1 - i;
	g->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	g->epoll = epoll_create1(EPOLL_CLOEXEC);
	/* Non-blocking: a connection gone between the wake-up and accept
	 * must not leave the thread waiting in accept. */
	if (g->wake < 0 || g->epoll < 0 || flags < 0 ||
	    fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK) != 0 ||
	    pthread_mutex_init(&g->lock, NULL) != 0)
		goto fail;
	/* The wake-up stays readable once written: it wakes every waiter. */
	if (gate_add(g, g->wake, EPOLLIN, GATE_KEY_WAKE) != 0 ||
	    gate_add(g, listen_fd, EPOLLIN | EPOLLONESHOT,
	    GATE_KEY_LISTEN) != 0) {
		pthread_mutex_destroy(&g->lock);
		goto fail;
	}
	g->armed = true;
	return g;
fail:
	if (g->epoll >= 0)
		close(g->epoll);
	if (g->wake >= 0)
		close(g->wake);
	free(g);
	return NULL;
}

int
gate_next(struct gate *g, bool *keep)
{
	struct epoll_event ev;
	int timeout, n, fd;

	for (;;) {
		pthread_mutex_lock(&g->lock);
		if (g->stopping) {
			pthread_mutex_unlock(&g->lock);
			return -1;
		}
		timeout = gate_sweep(g, util_mono_ms());
		pthread_mutex_unlock(&g->lock);
		n = epoll_wait(g->epoll, &ev, 1, timeout);
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "numdialer: epoll_wait: %s\n",
			    strerror(errno));
			gate_stop(g);
			g->broken(g->broken_arg);
			return -1;
		}
		if (n <= 0 || ev.data.u64 == GATE_KEY_WAKE)
			continue;
		fd = ev.data.u64 == GATE_KEY_LISTEN ? gate_accept(g, keep) :
		    gate_news(g, ev.data.u64, keep);
		if (fd >= 0)
			return fd;
	}
}

/* Closes the oldest idle kept connection no thread looks at, to make room
 * for another: the web server opens a new one when it needs it. Call with
 * g->lock held. */
static void
gate_evict(struct gate *g, int64_t now)
{
	struct gate_slot *oldest = NULL;
	uint32_t at = 0;
	size_t k;

	for (k = 0; k < g->count; k++) {
		struct gate_slot *sl = &g->slots[g->held[k]];

		if (sl->idle && !sl->busy &&
		    (oldest == NULL || sl->kept_at < oldest->kept_at)) {
			oldest = sl;
			at = g->held[k];
		}
	}
	if (oldest != NULL)
		close(gate_release(g, at, now));
}

void
gate_keep(struct gate *g, int fd)
{
	struct gate_conn c;
	struct gate_slot *sl;

	memset(&c, 0, sizeof(c));
	c.fd = fd;
	c.kept = true;
	c.deadline_ms = INT64_MAX;
	pthread_mutex_lock(&g->lock);
	if (!g->stopping && g->idle >= GATE_KEPT_MAX)
		gate_evict(g, util_mono_ms());
	sl = g->stopping ? NULL : gate_hold(g, &c);
	if (sl != NULL) {
		sl->idle = true;
		sl->kept_at = g->kept_seq++;
		g->idle++;
	}
	pthread_mutex_unlock(&g->lock);
	if (sl == NULL)
		close(fd);
}

void
gate_counts(struct gate *g, struct gate_counts *out)
{
	pthread_mutex_lock(&g->lock);
	out->kept = g->idle;
	pthread_mutex_unlock(&g->lock);
	out->accepted = atomic_load_explicit(&g->accepted,
	    memory_order_relaxed);
	out->requests = atomic_load_explicit(&g->requests,
	    memory_order_relaxed);
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
}

void
gate_free(struct gate *g)
{
	size_t k;

	if (g == NULL)
		return;
	for (k = 0; k < g->count; k++)
		close(g->slots[g->held[k]].conn.fd);
	pthread_mutex_destroy(&g->lock);
	close(g->epoll);
	close(g->wake);
	free(g);
}
