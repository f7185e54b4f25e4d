/*
 * watchers: the watcher benchmark's client. It parks COUNT long-polls at a
 * web server on 127.0.0.1, sends one webhook through the same server when
 * told, and says when each long-poll had the first byte of its answer,
 * timed from just before the webhook on this process's clock. One thread
 * and epoll, so that the figure is the server's, not a client's that reads
 * thousands of sockets on the same cores with a garbage-collected runtime.
 *
 *   watchers PORT COUNT WATCH_PATH HOOK_PATH HOOK_BODY
 *
 * It opens COUNT connections, each a GET of WATCH_PATH (HTTP/1.1, kept
 * alive as a page's fetch keeps it: the web server neither shuts down nor
 * closes it after the answer, which ends at its Content-Length; this client
 * closes them all at its end), and prints one JSON line when every request
 * is sent:
 *   {"phase":"sent","sent":S,"failed":F}
 * Then it waits for a line on standard input (the driver sees the program
 * park them meanwhile), POSTs HOOK_BODY (JSON) to HOOK_PATH on a fresh
 * connection, reads every answer to its end or for WATCHERS_ANSWER_WAIT_MS,
 * and prints one JSON line:
 *   {"phase":"done","hook":[ms,status],"watchers":[[ms,status,version],...]}
 * ms: to the first byte of the answer, from just before the webhook was
 * sent (negative for a long-poll answered before it, null for none);
 * status: the HTTP status (0 for none); version: the "version" of the
 * answer's body (-1 for none). It talks only to 127.0.0.1 and closes
 * every connection it opened.
 */
#define _GNU_SOURCE                   /* strcasestr */

#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WATCHERS_MAX 100000           /* COUNT's bound */
#define WATCHERS_PATH_MAX 2048        /* WATCH_PATH's and HOOK_PATH's */
#define WATCHERS_BODY_MAX 8192        /* HOOK_BODY's: the program's bound */
#define WATCHERS_REQUEST_MAX (WATCHERS_PATH_MAX + WATCHERS_BODY_MAX + 256)
#define WATCHERS_HEAD_MAX 2048        /* of an answer kept: status line,
                                       * headers and the body's first
                                       * fields, "version" among them */
#define WATCHERS_CONNECTING_MAX 256   /* connections not yet sent: more at
                                       * once overflow the server's accept
                                       * queue, and a dropped SYN waits 1 s */
#define WATCHERS_EVENTS 1024          /* events taken per epoll_wait */
#define WATCHERS_SEND_WAIT_MS 60000   /* for every request to be sent */
#define WATCHERS_ANSWER_WAIT_MS 30000 /* for every answer after the hook */
#define WATCHERS_STDIN UINT32_MAX     /* epoll's tag for standard input */

enum conn_state {
	CONN_IDLE,          /* not opened yet */
	CONN_CONNECTING,    /* connect(2) in progress */
	CONN_SENDING,       /* part of the request sent */
	CONN_WAITING,       /* sent: reading the answer */
	CONN_ANSWERED,      /* its whole answer read; kept open */
	CONN_DONE,          /* closed: answered (or reset) */
};

struct conn {
	int fd;
	enum conn_state state;
	const char *req;    /* the request to send, shared */
	size_t reqlen;
	size_t sent;
	double first;       /* when its first byte was seen; 0: none */
	size_t got;         /* bytes of the answer read */
	size_t headlen;
	char head[WATCHERS_HEAD_MAX];
};

struct client {
	int ep;
	struct sockaddr_in addr;
	struct conn *conns; /* COUNT watchers, then the webhook */
	size_t count;
	size_t opened;      /* watchers opened so far, in order */
	size_t connecting;  /* watchers open, their request not yet sent */
	size_t open;        /* connections not yet answered: neither
	                     * CONN_IDLE, CONN_ANSWERED nor CONN_DONE */
	size_t failed;      /* watchers that could not be opened or sent */
	int go;             /* 1: the driver said send the webhook */
};

static double now(void);
static long long parse_number(const char *s, long long min, long long max);
static void raise_file_limit(void);
static int is_watcher(const struct client *c, const struct conn *k);
static int conn_open(struct client *c, uint32_t i);
static void conn_close(struct client *c, struct conn *k);
static void conn_send(struct client *c, struct conn *k);
static void conn_read(struct client *c, struct conn *k, double seen);
static int conn_whole(const struct conn *k);
static int conn_status(const struct conn *k);
static long long conn_version(const struct conn *k);
static int read_stdin(struct client *c);
static int run(struct client *c, int (*done)(const struct client *),
    double until);
static int all_sent(const struct client *c);
static int told_to_go(const struct client *c);
static int all_answered(const struct client *c);
static void report(const struct client *c, double t0);

/* Monotonic seconds: the one clock of every time measured here. */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* s as a number in [min, max], or -1. */
static long long
parse_number(const char *s, long long min, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || *end != '\0' || errno != 0 || v < min || v > max)
		return -1;
	return v;
}

/* Thousands of connections need more open files than the usual soft
 * limit: take the hard one. */
static void
raise_file_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

/* The webhook's connection is the last, past the watchers. */
static int
is_watcher(const struct client *c, const struct conn *k)
{
	return k < c->conns + c->count;
}

/* Opens connection i and starts its connect; 0, or -1 (marked done). */
static int
conn_open(struct client *c, uint32_t i)
{
	struct conn *k = &c->conns[i];
	struct epoll_event ev;

	k->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (k->fd == -1)
		goto fail;
	/* Edge-triggered: each socket is read to EAGAIN when it says so, and
	 * epoll need not be told when it goes from writing to reading. */
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
	ev.data.u32 = i;
	if (epoll_ctl(c->ep, EPOLL_CTL_ADD, k->fd, &ev) != 0)
		goto fail;
	c->open++;
	k->state = CONN_CONNECTING;
	if (is_watcher(c, k))
		c->connecting++;
	if (connect(k->fd, (struct sockaddr *)&c->addr, sizeof(c->addr)) != 0 &&
	    errno != EINPROGRESS) {
		conn_close(c, k);
		return -1;
	}
	return 0;
fail:
	if (k->fd != -1)
		close(k->fd);
	k->fd = -1;
	k->state = CONN_DONE;
	return -1;
}

static void
conn_close(struct client *c, struct conn *k)
{
	if ((k->state == CONN_CONNECTING || k->state == CONN_SENDING) &&
	    is_watcher(c, k))
		c->connecting--;
	if (k->fd != -1) {
		close(k->fd);
		c->open--;
	}
	k->fd = -1;
	k->state = CONN_DONE;
}

/* Sends what is left of the request, once connected; a failed connect or
 * send ends the connection (with no status). */
static void
conn_send(struct client *c, struct conn *k)
{
	int err = 0;
	socklen_t len = sizeof(err);
	ssize_t n;

	if (k->state == CONN_CONNECTING) {
		if (getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 ||
		    err != 0)
			goto fail;
		k->state = CONN_SENDING;
	}
	while (k->sent < k->reqlen) {
		n = send(k->fd, k->req + k->sent, k->reqlen - k->sent,
		    MSG_NOSIGNAL);
		if (n == -1 && errno == EAGAIN)
			return;
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		k->sent += (size_t)n;
	}
	if (is_watcher(c, k))
		c->connecting--;
	k->state = CONN_WAITING;
	return;
fail:
	if (is_watcher(c, k))
		c->failed++;
	conn_close(c, k);
}

/* Reads what has come, to EAGAIN (edge-triggered), keeping the answer's
 * first WATCHERS_HEAD_MAX bytes; closes at its end. seen is when epoll
 * said it was readable, taken once per epoll_wait: timing each socket as
 * it is read would add the reading of those before it to its time. */
static void
conn_read(struct client *c, struct conn *k, double seen)
{
	char rest[16384];
	ssize_t n;

	for (;;) {
		if (k->headlen < sizeof(k->head) - 1)
			n = read(k->fd, k->head + k->headlen,
			    sizeof(k->head) - 1 - k->headlen);
		else
			n = read(k->fd, rest, sizeof(rest));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0)
			break;
		if (k->first == 0)
			k->first = seen;
		if (k->headlen < sizeof(k->head) - 1)
			k->headlen += (size_t)n;
		k->got += (size_t)n;
		k->head[k->headlen] = '\0';
		if (conn_whole(k)) {
			k->state = CONN_ANSWERED;
			c->open--;
			return;
		}
	}
	k->head[k->headlen] = '\0';
	conn_close(c, k);
}

/* Whether the answer read so far is whole, by its Content-Length (an
 * answer without one ends when the server closes). */
static int
conn_whole(const struct conn *k)
{
	const char *end, *len;
	long long want;

	if ((end = strstr(k->head, "\r\n\r\n")) == NULL ||
	    (len = strcasestr(k->head, "\r\nContent-Length:")) == NULL ||
	    len > end)
		return 0;
	want = strtoll(len + strlen("\r\nContent-Length:"), NULL, 10);
	return want >= 0 &&
	    k->got >= (size_t)(end + 4 - k->head) + (size_t)want;
}

/* The status of "HTTP/1.x NNN ...", or 0. */
static int
conn_status(const struct conn *k)
{
	int status;

	if (sscanf(k->head, "HTTP/1.%*1[01] %3d", &status) != 1 ||
	    status < 100 || status > 599)
		return 0;
	return status;
}

/* The body's "version" (the program's answers put it among their first
 * fields), or -1. */
static long long
conn_version(const struct conn *k)
{
	const char *body, *v;
	char *end;
	long long version;

	if ((body = strstr(k->head, "\r\n\r\n")) == NULL ||
	    (v = strstr(body, "\"version\":")) == NULL)
		return -1;
	v += strlen("\"version\":");
	errno = 0;
	version = strtoll(v, &end, 10);
	if (end == v || errno != 0 || version < 0)
		return -1;
	return version;
}

/* Standard input: a line says go; its end, before one, means the driver
 * is gone. Returns -1 then. */
static int
read_stdin(struct client *c)
{
	char buf[256];
	ssize_t n;

	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) == -1 &&
	    errno == EINTR)
		;
	if (n <= 0)
		return -1;
	if (memchr(buf, '\n', (size_t)n) != NULL)
		c->go = 1;
	return 0;
}

/* Runs the loop until done(c), or the clock passes until (-1 then; never
 * when it is INFINITY). New watchers are opened as earlier ones are sent,
 * at most WATCHERS_CONNECTING_MAX at a time. */
static int
run(struct client *c, int (*done)(const struct client *), double until)
{
	struct epoll_event evs[WATCHERS_EVENTS];
	struct conn *k;
	double seen;
	int i, n, wait;

	for (;;) {
		while (c->opened < c->count &&
		    c->connecting < WATCHERS_CONNECTING_MAX)
			if (conn_open(c, (uint32_t)c->opened++) != 0)
				c->failed++;
		if (done(c))
			return 0;
		seen = now();
		if (seen >= until)
			return -1;
		wait = isinf(until) ? -1 : (int)((until - seen) * 1000) + 1;
		n = epoll_wait(c->ep, evs, WATCHERS_EVENTS, wait);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		seen = now();
		for (i = 0; i < n; i++) {
			if (evs[i].data.u32 == WATCHERS_STDIN) {
				if (read_stdin(c) != 0)
					return -1;
				continue;
			}
			k = &c->conns[evs[i].data.u32];
			if (k->state == CONN_DONE || k->state == CONN_ANSWERED)
				continue;
			if (k->state != CONN_WAITING &&
			    (evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
				conn_send(c, k);
			if (k->state == CONN_WAITING &&
			    (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLERR |
			    EPOLLHUP)))
				conn_read(c, k, seen);
		}
	}
}

static int
all_sent(const struct client *c)
{
	return c->opened == c->count && c->connecting == 0;
}

static int
told_to_go(const struct client *c)
{
	return c->go;
}

static int
all_answered(const struct client *c)
{
	return c->open == 0;
}

/* The result line (see the top of this file). */
static void
report(const struct client *c, double t0)
{
	const struct conn *k;
	size_t i;

	k = &c->conns[c->count];
	printf("{\"phase\":\"done\",\"hook\":[");
	if (k->first != 0)
		printf("%.3f", (k->first - t0) * 1000);
	else
		printf("null");
	printf(",%d],\"watchers\":[", conn_status(k));
	for (i = 0; i < c->count; i++) {
		k = &c->conns[i];
		printf(i ? ",[" : "[");
		if (k->first != 0)
			printf("%.3f", (k->first - t0) * 1000);
		else
			printf("null");
		printf(",%d,%lld]", conn_status(k), conn_version(k));
	}
	printf("]}\n");
	fflush(stdout);
}

int
main(int argc, char *argv[])
{
	static char watch[WATCHERS_REQUEST_MAX], hook[WATCHERS_REQUEST_MAX];
	struct client c;
	struct epoll_event ev;
	const char *errstr = NULL;
	long long port, count;
	size_t i;
	double t0;
	int wlen, hlen, rc = 1;

	memset(&c, 0, sizeof(c));
	c.ep = -1;
	if (argc != 6) {
		errstr = "usage: watchers PORT COUNT WATCH_PATH HOOK_PATH "
		    "HOOK_BODY";
		goto fail;
	}
	port = parse_number(argv[1], 1, 65535);
	count = parse_number(argv[2], 1, WATCHERS_MAX);
	if (port == -1 || count == -1 ||
	    strlen(argv[3]) >= WATCHERS_PATH_MAX ||
	    strlen(argv[4]) >= WATCHERS_PATH_MAX ||
	    strlen(argv[5]) >= WATCHERS_BODY_MAX) {
		errstr = "PORT, COUNT, a path or the body is out of range";
		goto fail;
	}
	wlen = snprintf(watch, sizeof(watch), "GET %s HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%lld\r\n\r\n", argv[3], port);
	hlen = snprintf(hook, sizeof(hook), "POST %s HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%lld\r\nConnection: close\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
	    argv[4], port, strlen(argv[5]), argv[5]);
	signal(SIGPIPE, SIG_IGN);
	raise_file_limit();
	c.count = (size_t)count;
	if ((c.conns = calloc(c.count + 1, sizeof(*c.conns))) == NULL) {
		errstr = "out of memory";
		goto fail;
	}
	for (i = 0; i <= c.count; i++) {
		c.conns[i].fd = -1;
		c.conns[i].req = i < c.count ? watch : hook;
		c.conns[i].reqlen = (size_t)(i < c.count ? wlen : hlen);
	}
	c.addr.sin_family = AF_INET;
	c.addr.sin_port = htons((uint16_t)port);
	c.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((c.ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		errstr = "epoll_create1 failed";
		goto fail;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = WATCHERS_STDIN;
	if (epoll_ctl(c.ep, EPOLL_CTL_ADD, STDIN_FILENO, &ev) != 0) {
		errstr = "standard input cannot be watched (a pipe is needed)";
		goto fail;
	}

	/* Every request sent, and then the word to go: answers that come
	 * meanwhile (the oldest, answered early) are read and timed too. */
	if (run(&c, all_sent, now() + WATCHERS_SEND_WAIT_MS / 1000.0) != 0) {
		errstr = "the requests could not all be sent in time";
		goto fail;
	}
	printf("{\"phase\":\"sent\",\"sent\":%zu,\"failed\":%zu}\n",
	    c.count - c.failed, c.failed);
	fflush(stdout);
	if (run(&c, told_to_go, INFINITY) != 0) {
		errstr = "standard input ended before the word to go";
		goto fail;
	}
	/* The driver may close it now. */
	epoll_ctl(c.ep, EPOLL_CTL_DEL, STDIN_FILENO, NULL);

	t0 = now();
	if (conn_open(&c, (uint32_t)c.count) != 0) {
		errstr = "the webhook's connection could not be opened";
		goto fail;
	}
	/* Past the deadline the unanswered are reported so, not waited on. */
	run(&c, all_answered, t0 + WATCHERS_ANSWER_WAIT_MS / 1000.0);
	report(&c, t0);
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "watchers: %s\n", errstr);
out:
	if (c.conns != NULL)
		for (i = 0; i <= c.count; i++)
			if (c.conns[i].fd != -1)
				close(c.conns[i].fd);
	free(c.conns);
	if (c.ep != -1)
		close(c.ep);
	return rc;
}
