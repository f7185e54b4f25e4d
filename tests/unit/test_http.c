/*
 * test_http: an answer's CGI head and JSON body, the extra headers that do
 * not fit, error bodies, and what an answer owns.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http.h"

static void
test_json(void **state)
{
	static const char head[] =
	    "Status: 202 Accepted\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: 16\r\n"
	    "Cache-Control: no-store\r\n"
	    "\r\n";
	struct http_answer a;
	char *body = strdup("{\"started\":true}");

	(void)state;
	assert_non_null(body);
	http_answer_json(&a, HTTP_ACCEPTED, NULL, body, strlen(body));
	assert_int_equal(a.head_len, strlen(head));
	assert_memory_equal(a.head, head, a.head_len);
	assert_ptr_equal(a.body, body);
	assert_ptr_equal(a.owned, body);
	assert_int_equal(a.len, 16);
	http_answer_free(&a);
	assert_null(a.owned);
	assert_int_equal(a.len, 0);
	http_answer_free(&a);    /* a zeroed answer owns nothing */
}

static void
test_extra_headers(void **state)
{
	struct http_answer a;
	char big[HTTP_HEAD_MAX + 16];

	(void)state;
	http_answer_error(&a, HTTP_METHOD_NOT_ALLOWED, "Allow: POST\r\n",
	    "use POST");
	assert_non_null(strstr(a.head, "Status: 405 Method Not Allowed\r\n"));
	assert_non_null(strstr(a.head, "Cache-Control: no-store\r\nAllow: POST\r\n\r\n"));
	assert_int_equal(a.len, strlen("{\"error\":\"use POST\"}"));
	assert_memory_equal(a.body, "{\"error\":\"use POST\"}", a.len);
	http_answer_free(&a);

	/* Headers that do not fit are left out; the answer still goes. */
	memset(big, 'x', sizeof(big));
	memcpy(big, "X-Big: ", 7);
	memcpy(big + sizeof(big) - 3, "\r\n", 3);
	http_answer_error(&a, HTTP_NOT_FOUND, big, "no such path");
	assert_null(strstr(a.head, "X-Big"));
	assert_true(a.head_len < HTTP_HEAD_MAX);
	assert_memory_equal(a.head + a.head_len - 4, "\r\n\r\n", 4);
	assert_non_null(strstr(a.head, "Content-Length: 24\r\n"));
	http_answer_free(&a);
}

static void
test_error_escapes(void **state)
{
	struct http_answer a;
	static const char want[] = "{\"error\":\"a \\\"quoted\\\" reason\"}";

	(void)state;
	http_answer_error(&a, HTTP_BAD_REQUEST, NULL, "a \"quoted\" reason");
	assert_int_equal(a.len, strlen(want));
	assert_memory_equal(a.body, want, a.len);
	http_answer_free(&a);
	assert_string_equal(http_status_text(HTTP_CONFLICT), "Conflict");
	assert_string_equal(http_status_text((enum http_status)299), "Unknown");
}

/* An answer written in pieces: a head with no length, the head with the
 * first piece only, and a rest that the answer owns. */
static void
test_pieces(void **state)
{
	static const char head[] =
	    "Status: 200 OK\r\n"
	    "Content-Type: text/csv; charset=utf-8\r\n"
	    "Cache-Control: no-store\r\n"
	    "X-Accel-Buffering: yes\r\n"
	    "\r\n";
	struct http_answer a;
	char *rest = strdup("c\r\n");

	(void)state;
	assert_non_null(rest);
	http_answer_stream(&a, HTTP_OK, "text/csv; charset=utf-8",
	    "X-Accel-Buffering: yes\r\n");
	assert_int_equal(a.head_len, strlen(head));
	assert_memory_equal(a.head, head, a.head_len);
	assert_null(a.body);
	http_answer_piece(&a, "a\r\n", 3);
	assert_int_equal(a.head_len, strlen(head));
	assert_int_equal(a.len, 3);
	http_answer_piece(&a, "b\r\n", 3);
	assert_int_equal(a.head_len, 0);
	assert_memory_equal(a.body, "b\r\n", 3);
	assert_null(a.owned);
	http_answer_free(&a);

	http_answer_rest(&a, rest, 3);
	assert_int_equal(a.head_len, 0);
	assert_ptr_equal(a.owned, rest);
	http_answer_free(&a);
}

/* A shared body: each answer holds a reference; the last one let go frees
 * it (the leak checker of the unit run sees one kept or freed twice). */
static void
test_shared(void **state)
{
	static const char head[] =
	    "Status: 200 OK\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: 10\r\n"
	    "Cache-Control: no-store\r\n"
	    "\r\n";
	struct http_answer a, b;
	char *text = strdup("{\"full\":1}");
	struct http_shared *s;
	atomic_uint alive = 0;

	(void)state;
	assert_non_null(text);
	s = http_shared_new(text, strlen(text), &alive);
	assert_int_equal(atomic_load(&alive), 1);
	assert_non_null(s);
	http_answer_shared(&a, http_shared_hold(s));
	http_answer_shared(&b, http_shared_hold(s));
	assert_int_equal(atomic_load(&s->refs), 3);
	assert_int_equal(a.head_len, strlen(head));
	assert_memory_equal(a.head, head, a.head_len);
	assert_ptr_equal(a.body, text);
	assert_ptr_equal(b.body, text);
	assert_int_equal(b.len, 10);
	assert_null(a.owned);

	http_shared_release(s);          /* its maker's */
	assert_int_equal(atomic_load(&s->refs), 2);
	http_answer_free(&a);
	assert_null(a.shared);
	assert_int_equal(atomic_load(&s->refs), 1);
	assert_memory_equal(b.body, "{\"full\":1}", 10);
	assert_int_equal(atomic_load(&alive), 1);
	http_answer_free(&b);            /* the last: frees it */
	assert_null(b.body);
	assert_int_equal(atomic_load(&alive), 0);
	http_shared_release(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_extra_headers),
		cmocka_unit_test(test_error_escapes),
		cmocka_unit_test(test_pieces),
		cmocka_unit_test(test_shared),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
