/*
 * test_gate: the accept loop on a unix socket of the test's own, with
 * FastCGI requests written by hand: a kept connection (FCGI_KEEP_CONN)
 * comes back after its answer and serves its next request on the same
 * descriptor, one that did not ask is shut for reading, one that sent more
 * than its request is not kept, the oldest idle goes past GATE_KEPT_MAX,
 * an idle one outlasts the request deadline while a stalled next request
 * does not, and a peer's close or the gate's stop ends a kept one.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <fastcgi.h>

#include "gate.h"
#include "wire.h"

#define BODY_MAX 8192          /* what the program reads of a body */
#define REQUEST_BYTES 512      /* more than one request here takes */
#define PIECE_PAUSE_NS 50000000L  /* between a request's two pieces */

struct fixture {
	char path[108];
	int listen_fd;
	struct gate *gate;
};

static void
broken(void *arg)
{
	(void)arg;
	fail_msg("the listening socket broke");
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct sockaddr_un sa;

	assert_non_null(f);
	snprintf(f->path, sizeof(f->path), "/tmp/test_gate.%ld.sock",
	    (long)getpid());
	unlink(f->path);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, f->path);
	f->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(f->listen_fd >= 0);
	assert_int_equal(bind(f->listen_fd, (struct sockaddr *)&sa,
	    sizeof(sa)), 0);
	assert_int_equal(listen(f->listen_fd, 1024), 0);
	f->gate = gate_new(f->listen_fd, BODY_MAX, broken, NULL);
	assert_non_null(f->gate);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	gate_stop(f->gate);
	gate_free(f->gate);
	close(f->listen_fd);
	unlink(f->path);
	free(f);
	return 0;
}

static int
client(const struct fixture *f)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, f->path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static size_t
record(unsigned char *p, int type, int id, const void *content, size_t len)
{
	FCGI_Header h = wire_header(type, id, len);

	memcpy(p, &h, sizeof(h));
	if (len > 0)
		memcpy(p + sizeof(h), content, len);
	return sizeof(h) + len;
}

/* A whole POST request of id with body, into p: its length. */
static size_t
request(unsigned char *p, int id, bool keep, const char *body)
{
	FCGI_BeginRequestBody begin;
	static const unsigned char pair[] = {
		14, 4, 'R', 'E', 'Q', 'U', 'E', 'S', 'T', '_', 'M', 'E', 'T',
		'H', 'O', 'D', 'P', 'O', 'S', 'T'
	};
	size_t n = 0;

	memset(&begin, 0, sizeof(begin));
	begin.roleB0 = FCGI_RESPONDER;
	begin.flags = keep ? FCGI_KEEP_CONN : 0;
	n += record(p + n, FCGI_BEGIN_REQUEST, id, &begin, sizeof(begin));
	n += record(p + n, FCGI_PARAMS, id, pair, sizeof(pair));
	n += record(p + n, FCGI_PARAMS, id, NULL, 0);
	if (body[0] != '\0')
		n += record(p + n, FCGI_STDIN, id, body, strlen(body));
	n += record(p + n, FCGI_STDIN, id, NULL, 0);
	return n;
}

static void
send_all(int fd, const unsigned char *p, size_t n)
{
	assert_int_equal(send(fd, p, n, MSG_NOSIGNAL), (ssize_t)n);
}

static void
send_request(int fd, int id, bool keep, const char *body)
{
	unsigned char buf[REQUEST_BYTES];

	send_all(fd, buf, request(buf, id, keep, body));
}

/* What a request thread does with a request: reads some of it (as libfcgi
 * may stop short of its end), then reads the rest away and answers. */
static void
serve(int fd)
{
	unsigned char some[FCGI_HEADER_LEN];

	assert_int_equal(recv(fd, some, sizeof(some), 0), (ssize_t)sizeof(some));
	wire_drain(fd);
}

/* The peer's side: 0 when the program closed it (a close with the peer's
 * bytes unread resets it), -1 while it is open. */
static int
peer_state(int fd)
{
	char c;
	ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);

	if (n == 0 || (n < 0 && errno == ECONNRESET))
		return 0;
	assert_true(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
	return -1;
}

static void
kept_connection_serves_its_next_request(void **state)
{
	struct fixture *f = *state;
	struct gate_counts n;
	bool keep = false;
	int peer = client(f), fd, again;

	send_request(peer, 1, true, "{\"id\":1}");
	fd = gate_next(f->gate, &keep);
	assert_true(fd >= 0);
	assert_true(keep);
	serve(fd);
	gate_keep(f->gate, fd);
	gate_counts(f->gate, &n);
	assert_int_equal(n.kept, 1);

	/* The next request on the same connection: the same descriptor,
	 * still kept, and read from its own first byte. */
	send_request(peer, 1, true, "{\"id\":2}");
	again = gate_next(f->gate, &keep);
	assert_int_equal(again, fd);
	assert_true(keep);
	serve(fd);
	gate_keep(f->gate, fd);
	gate_counts(f->gate, &n);
	assert_int_equal(n.accepted, 1);
	assert_int_equal(n.requests, 2);
	assert_int_equal(n.kept, 1);
	assert_int_equal(peer_state(peer), -1);
	close(peer);
}

/* Waits in the gate while a thread runs fn(arg): the connection it
 * returns, kept or not (*keep). */
static int
next_while(struct fixture *f, void *(*fn)(void *), void *arg, bool *keep)
{
	pthread_t t;
	int fd;

	assert_int_equal(pthread_create(&t, NULL, fn, arg), 0);
	fd = gate_next(f->gate, keep);
	pthread_join(t, NULL);
	assert_true(fd >= 0);
	return fd;
}

struct pieces {
	int fd;
	unsigned char buf[REQUEST_BYTES];
	size_t len, first;
};

static void *
second_piece(void *arg)
{
	struct pieces *p = arg;
	struct timespec pause = { 0, PIECE_PAUSE_NS };

	nanosleep(&pause, NULL);
	send_all(p->fd, p->buf + p->first, p->len - p->first);
	return NULL;
}

/* A request that came in two pieces leaves the peek offset set: the next
 * request on the kept connection is still followed from its start. */
static void
a_request_in_pieces_then_the_next(void **state)
{
	struct fixture *f = *state;
	struct pieces p;
	bool keep = false;
	int fd;

	p.fd = client(f);
	p.len = request(p.buf, 7, true, "{\"id\":1,\"status\":\"ringing\"}");
	p.first = p.len / 2;
	send_all(p.fd, p.buf, p.first);
	fd = next_while(f, second_piece, &p, &keep);
	assert_true(keep);
	serve(fd);
	gate_keep(f->gate, fd);

	send_request(p.fd, 8, true, "");
	assert_int_equal(gate_next(f->gate, &keep), fd);
	assert_true(keep);
	serve(fd);
	gate_keep(f->gate, fd);
	close(p.fd);
}

static void
without_the_flag_the_read_side_is_shut(void **state)
{
	struct fixture *f = *state;
	bool keep = true;
	char c;
	int peer = client(f), fd;

	send_request(peer, 1, false, "{}");
	fd = gate_next(f->gate, &keep);
	assert_true(fd >= 0);
	assert_false(keep);
	wire_drain(fd);
	/* The end, not "nothing yet": no read can wait. */
	assert_int_equal(recv(fd, &c, 1, MSG_DONTWAIT), 0);
	close(fd);
	close(peer);
}

static void
a_request_with_more_after_it_is_not_kept(void **state)
{
	struct fixture *f = *state;
	unsigned char buf[2 * REQUEST_BYTES];
	size_t n;
	bool keep = true;
	int peer = client(f), fd;

	n = request(buf, 1, true, "{}");
	n += request(buf + n, 1, true, "{}");
	send_all(peer, buf, n);
	fd = gate_next(f->gate, &keep);
	assert_true(fd >= 0);
	assert_false(keep);
	close(fd);
	close(peer);
}

static void
past_the_bound_the_oldest_idle_is_closed(void **state)
{
	struct fixture *f = *state;
	int peers[GATE_KEPT_MAX + 1];
	struct gate_counts n;
	bool keep;
	size_t i;

	for (i = 0; i < GATE_KEPT_MAX + 1; i++) {
		int fd;

		peers[i] = client(f);
		send_request(peers[i], 1, true, "");
		fd = gate_next(f->gate, &keep);
		assert_true(fd >= 0 && keep);
		serve(fd);
		gate_keep(f->gate, fd);
	}
	gate_counts(f->gate, &n);
	assert_int_equal(n.kept, GATE_KEPT_MAX);
	assert_int_equal(peer_state(peers[0]), 0);
	for (i = 1; i < GATE_KEPT_MAX + 1; i++)
		assert_int_equal(peer_state(peers[i]), -1);
	for (i = 0; i < GATE_KEPT_MAX + 1; i++)
		close(peers[i]);
}

static void
a_kept_connection_closed_by_its_peer_goes(void **state)
{
	struct fixture *f = *state;
	struct gate_counts n;
	bool keep;
	int peer = client(f), other, fd;

	send_request(peer, 1, true, "");
	fd = gate_next(f->gate, &keep);
	assert_true(keep);
	serve(fd);
	gate_keep(f->gate, fd);
	close(peer);
	/* The gate hears the end while it waits for the next request. */
	other = client(f);
	send_request(other, 1, false, "");
	fd = gate_next(f->gate, &keep);
	assert_true(fd >= 0);
	assert_false(keep);
	close(fd);
	gate_counts(f->gate, &n);
	assert_int_equal(n.kept, 0);
	close(other);
}

struct later {
	const struct fixture *f;
	long wait_ms;
	int fd;
};

/* Connects after l->wait_ms and sends a whole request. */
static void *
request_later(void *arg)
{
	struct later *l = arg;
	struct timespec pause = { l->wait_ms / 1000,
	    (l->wait_ms % 1000) * 1000000L };

	nanosleep(&pause, NULL);
	l->fd = client(l->f);
	send_request(l->fd, 1, false, "");
	return NULL;
}

/* Kept connections idle past GATE_REQUEST_MS stay; one whose next request
 * began and stopped halfway is dropped GATE_REQUEST_MS after its first
 * byte, like a new connection's. */
static void
idle_stays_and_a_stalled_next_request_goes(void **state)
{
	struct fixture *f = *state;
	unsigned char buf[REQUEST_BYTES];
	struct later l;
	bool keep;
	int idle = client(f), stalled = client(f), fd, peer;

	for (peer = idle; ; peer = stalled) {
		send_request(peer, 1, true, "");
		fd = gate_next(f->gate, &keep);
		assert_true(fd >= 0 && keep);
		serve(fd);
		gate_keep(f->gate, fd);
		if (peer == stalled)
			break;
	}
	send_all(stalled, buf, request(buf, 2, true, "{}") / 2);
	/* Another connection's request, once the deadline has passed: the
	 * gate waits (and sweeps) until it comes. */
	l.f = f;
	l.wait_ms = GATE_REQUEST_MS + 1500;
	fd = next_while(f, request_later, &l, &keep);
	assert_false(keep);
	close(fd);
	assert_int_equal(peer_state(idle), -1);
	assert_int_equal(peer_state(stalled), 0);
	close(idle);
	close(stalled);
	close(l.fd);
}

static void
a_stopping_gate_closes_what_comes_back(void **state)
{
	struct fixture *f = *state;
	bool keep;
	int peer = client(f), fd;

	send_request(peer, 1, true, "");
	fd = gate_next(f->gate, &keep);
	assert_true(keep);
	serve(fd);
	gate_stop(f->gate);
	gate_keep(f->gate, fd);
	assert_int_equal(peer_state(peer), 0);
	assert_int_equal(gate_next(f->gate, &keep), -1);
	close(peer);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    kept_connection_serves_its_next_request, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    a_request_in_pieces_then_the_next, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    without_the_flag_the_read_side_is_shut, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    a_request_with_more_after_it_is_not_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    past_the_bound_the_oldest_idle_is_closed, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    a_kept_connection_closed_by_its_peer_goes, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    idle_stays_and_a_stalled_next_request_goes, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    a_stopping_gate_closes_what_comes_back, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
