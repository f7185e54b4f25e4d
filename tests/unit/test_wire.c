/*
 * test_wire: answers of every size framed as FastCGI records on a
 * socketpair, sent whole or a little at a time, and a connection gone.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <fastcgi.h>

#include "http.h"
#include "wire.h"

#define REQUEST_ID 0x1234
#define SMALL_BUFFER 4096   /* a socket buffer that fills at once */

/* Everything readable on fd now, appended to *buf (*len bytes, grown). */
static void
drain(int fd, unsigned char **buf, size_t *len)
{
	unsigned char chunk[65536];
	ssize_t n;

	while ((n = recv(fd, chunk, sizeof(chunk), MSG_DONTWAIT)) > 0) {
		*buf = realloc(*buf, *len + (size_t)n);
		assert_non_null(*buf);
		memcpy(*buf + *len, chunk, (size_t)n);
		*len += (size_t)n;
	}
	assert_true(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
}

/* Checks that got[0..len) is the records of head + body: STDOUT records of
 * at most FCGI_MAX_LENGTH, the empty one, FCGI_END_REQUEST, nothing more. */
static void
check_records(const unsigned char *got, size_t len, const struct http_answer *a)
{
	size_t off = 0, content = 0, total = a->head_len + a->len;
	unsigned char *all = malloc(total + 1);

	assert_non_null(all);
	for (;;) {
		const FCGI_Header *h = (const FCGI_Header *)(got + off);
		size_t clen;

		assert_true(off + FCGI_HEADER_LEN <= len);
		assert_int_equal(h->version, FCGI_VERSION_1);
		assert_int_equal((h->requestIdB1 << 8) | h->requestIdB0, REQUEST_ID);
		assert_int_equal(h->paddingLength, 0);
		clen = (size_t)((h->contentLengthB1 << 8) | h->contentLengthB0);
		off += FCGI_HEADER_LEN;
		if (h->type == FCGI_END_REQUEST) {
			const FCGI_EndRequestBody *b =
			    (const FCGI_EndRequestBody *)(got + off);

			assert_int_equal(clen, sizeof(*b));
			assert_int_equal(b->protocolStatus, FCGI_REQUEST_COMPLETE);
			off += clen;
			break;
		}
		assert_int_equal(h->type, FCGI_STDOUT);
		assert_true(off + clen <= len);
		assert_true(content + clen <= total);
		memcpy(all + content, got + off, clen);
		content += clen;
		off += clen;
		if (clen == 0)
			assert_int_equal(content, total);
	}
	assert_int_equal(off, len);
	assert_int_equal(content, total);
	assert_memory_equal(all, a->head, a->head_len);
	if (a->len > 0)
		assert_memory_equal(all + a->head_len, a->body, a->len);
	free(all);
}

/* Sends an answer with a body of n bytes, waiting or a little at a time
 * through a small socket buffer, and checks what arrived. */
static void
send_one(size_t n, int small)
{
	struct http_answer a;
	struct wire w;
	unsigned char *got = NULL;
	size_t len = 0, i;
	char *body = malloc(n + 1);
	int sv[2], size = SMALL_BUFFER;
	enum wire_result r;

	assert_non_null(body);
	for (i = 0; i < n; i++)
		body[i] = (char)('a' + i % 26);
	http_answer_json(&a, HTTP_OK, NULL, body, n);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	if (small)
		assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &size,
		    sizeof(size)), 0);
	wire_init(&w, &a, REQUEST_ID);
	assert_int_equal(wire_left(&w), w.size);
	while ((r = wire_send(&w, sv[0], false)) == WIRE_WOULD_BLOCK) {
		assert_true(wire_left(&w) > 0);
		drain(sv[1], &got, &len);
	}
	assert_int_equal(r, WIRE_SENT);
	assert_int_equal(wire_left(&w), 0);
	assert_int_equal(wire_send(&w, sv[0], false), WIRE_SENT);
	drain(sv[1], &got, &len);
	assert_int_equal(len, w.size);
	check_records(got, len, &a);
	free(got);
	close(sv[0]);
	close(sv[1]);
	http_answer_free(&a);
}

static void
test_sizes(void **state)
{
	static const size_t sizes[] = {
		0, 1, 100, FCGI_MAX_LENGTH - 120, FCGI_MAX_LENGTH,
		FCGI_MAX_LENGTH + 1, 3 * FCGI_MAX_LENGTH + 17, 2500000,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		send_one(sizes[i], 0);
		send_one(sizes[i], 1);
	}
}

static void
test_gone(void **state)
{
	struct http_answer a;
	struct wire w;
	int sv[2];

	(void)state;
	http_answer_error(&a, HTTP_NOT_FOUND, NULL, "no such path");
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[1]);
	wire_init(&w, &a, REQUEST_ID);
	/* No SIGPIPE: the write fails, and the program goes on. */
	assert_int_equal(wire_send(&w, sv[0], true), WIRE_FAILED);
	assert_int_equal(wire_left(&w), w.size);
	wire_close(sv[0]);
	http_answer_free(&a);
}

/*
 * An answer in pieces: the head with the first piece, a piece a little
 * over a record, then the rest with the end of the request. What arrives
 * is the records of the whole answer, ended once; pieces alone end
 * nothing.
 */
static void
test_parts(void **state)
{
	struct http_answer stream, rest, whole;
	struct wire w;
	unsigned char *got = NULL;
	size_t len = 0, n1 = 100, n2 = FCGI_MAX_LENGTH + 5, n3 = 7, i;
	char *body = malloc(n1 + n2 + n3), *tail;
	int sv[2];

	(void)state;
	assert_non_null(body);
	for (i = 0; i < n1 + n2 + n3; i++)
		body[i] = (char)('a' + i % 26);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	http_answer_stream(&stream, HTTP_OK, "text/csv", NULL);
	http_answer_piece(&stream, body, n1);
	assert_int_equal(wire_send_part(sv[0], REQUEST_ID, &stream, 1000),
	    WIRE_SENT);
	http_answer_piece(&stream, body + n1, n2);
	assert_int_equal(wire_send_part(sv[0], REQUEST_ID, &stream, 1000),
	    WIRE_SENT);
	drain(sv[1], &got, &len);
	/* Records of the head and the pieces, and no end. */
	assert_int_equal(len, strlen(stream.head) + n1 + n2 +
	    3 * FCGI_HEADER_LEN);

	tail = malloc(n3);
	assert_non_null(tail);
	memcpy(tail, body + n1 + n2, n3);
	http_answer_rest(&rest, tail, n3);
	wire_init(&w, &rest, REQUEST_ID);
	assert_int_equal(wire_send(&w, sv[0], true), WIRE_SENT);
	drain(sv[1], &got, &len);

	/* The same bytes as the whole answer sent at once. */
	http_answer_stream(&whole, HTTP_OK, "text/csv", NULL);
	whole.body = body;
	whole.len = n1 + n2 + n3;
	check_records(got, len, &whole);
	http_answer_free(&rest);
	free(got);
	free(body);
	close(sv[0]);
	close(sv[1]);
}

/* A piece to a peer gone, or one that takes nothing within the stall. */
static void
test_part_to_a_stalled_peer(void **state)
{
	struct http_answer stream;
	size_t n = 1 << 20;
	char *body = calloc(1, n);
	int sv[2], size = SMALL_BUFFER;

	(void)state;
	assert_non_null(body);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &size,
	    sizeof(size)), 0);
	http_answer_stream(&stream, HTTP_OK, "text/csv", NULL);
	http_answer_piece(&stream, body, n);
	assert_int_equal(wire_send_part(sv[0], REQUEST_ID, &stream, 50),
	    WIRE_FAILED);
	close(sv[1]);
	assert_int_equal(wire_send_part(sv[0], REQUEST_ID, &stream, 50),
	    WIRE_FAILED);
	close(sv[0]);
	free(body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_gone),
		cmocka_unit_test(test_parts),
		cmocka_unit_test(test_part_to_a_stalled_peer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
