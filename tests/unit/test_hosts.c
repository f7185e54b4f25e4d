/*
 * test_hosts: the names a server answers to (a list, a URL's host, one
 * name), the entries refused with their reasons, and which Host headers
 * match: by name without case, by port only where an entry gives one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hosts.h"

#define ERR_MAX 256

static void
test_list(void **state)
{
	struct hosts h;
	char err[ERR_MAX] = "";

	(void)state;
	memset(&h, 0, sizeof(h));
	assert_int_equal(hosts_add_list(&h, "", err, sizeof(err)), 0);
	assert_int_equal(hosts_add_list(&h, "  ", err, sizeof(err)), 0);
	assert_int_equal(h.count, 0);
	assert_int_equal(hosts_add_list(&h,
	    "dialer.lan, 10.0.0.5:8080 ,[fd00::5]:8443,[::1],my_host", err,
	    sizeof(err)), 0);
	assert_int_equal(h.count, 5);
	assert_string_equal(h.entry[0].name, "dialer.lan");
	assert_int_equal(h.entry[0].port, HOSTS_PORT_ANY);
	assert_string_equal(h.entry[1].name, "10.0.0.5");
	assert_int_equal(h.entry[1].port, 8080);
	assert_string_equal(h.entry[2].name, "fd00::5");
	assert_int_equal(h.entry[2].port, 8443);
	assert_string_equal(h.entry[3].name, "::1");
	assert_int_equal(h.entry[3].port, HOSTS_PORT_ANY);
	assert_string_equal(h.entry[4].name, "my_host");
}

/* Each list refused, with its message; a NULL list only checks. */
static void
test_list_refused(void **state)
{
	static char too_many[HOSTS_LIST_MAX * 4 + 8];
	static char too_long[HOSTS_NAME_MAX + 8];
	static const struct {
		const char *list, *err;
	} cases[] = {
		{ "a.test,,b.test", "an empty entry" },
		{ "a.test,", "an empty entry" },
		{ ",a.test", "an empty entry" },
		{ "a test", "a test: not a host name or address" },
		{ "a.test/x", "a.test/x: not a host name or address" },
		{ "xn--bcher-kva.test,büch.test", "büch.test: not a host name or address" },
		{ "::1", "::1: an IPv6 address goes in brackets" },
		{ "fd00::5:8080", "fd00::5:8080: an IPv6 address goes in brackets" },
		{ "[::1", "[::1: '[' without ']'" },
		{ "[::g]", "::g: not an IPv6 address" },
		{ "[]:80", ": no name" },
		{ ":80", ": no name" },
		{ "a.test:", "a.test:: the port is not a number in 1..65535" },
		{ "a.test:0", "a.test:0: the port is not a number in 1..65535" },
		{ "a.test:65536", "a.test:65536: the port is not a number in 1..65535" },
		{ "a.test:80x", "a.test:80x: the port is not a number in 1..65535" },
		{ "[::1]x", "[::1]x: text after the name" },
	};
	char err[ERR_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hosts h;

		memset(&h, 0, sizeof(h));
		err[0] = '\0';
		assert_int_equal(hosts_add_list(&h, cases[i].list, err,
		    sizeof(err)), -1);
		assert_string_equal(err, cases[i].err);
		err[0] = '\0';
		assert_int_equal(hosts_add_list(NULL, cases[i].list, err,
		    sizeof(err)), -1);
		assert_string_equal(err, cases[i].err);
	}

	for (i = 0; i <= HOSTS_LIST_MAX; i++)
		strcat(too_many, i == 0 ? "a.b" : ",a.b");
	assert_int_equal(hosts_add_list(NULL, too_many, err, sizeof(err)), -1);
	assert_string_equal(err, "more than 16 entries");
	memset(too_long, 'a', HOSTS_NAME_MAX + 1);
	assert_int_equal(hosts_add_list(NULL, too_long, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ": name too long"));
}

static void
test_url(void **state)
{
	static const struct {
		const char *url, *name;
	} cases[] = {
		{ "http://127.0.0.1:8080", "127.0.0.1" },
		{ "https://Dialer.Example.net", "Dialer.Example.net" },
		{ "https://dialer.example.net:8443/numdialer", "dialer.example.net" },
		{ "http://user:pw@dialer.lan/", "dialer.lan" },
		{ "http://[::1]:8081", "::1" },
	};
	struct hosts h;
	char err[ERR_MAX] = "";
	size_t i;

	(void)state;
	memset(&h, 0, sizeof(h));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(hosts_add_url(&h, cases[i].url, err,
		    sizeof(err)), 0);
		assert_int_equal(h.count, i + 1);
		assert_string_equal(h.entry[i].name, cases[i].name);
		/* A proxy in front may show another port than the URL's. */
		assert_int_equal(h.entry[i].port, HOSTS_PORT_ANY);
	}
	assert_int_equal(hosts_add_url(&h, "not a url", err, sizeof(err)), -1);
	assert_true(err[0] != '\0');
	assert_int_equal(h.count, sizeof(cases) / sizeof(cases[0]));
}

static void
test_full(void **state)
{
	struct hosts h;
	char err[ERR_MAX] = "";
	size_t i;

	(void)state;
	memset(&h, 0, sizeof(h));
	for (i = 0; i < HOSTS_MAX; i++)
		assert_int_equal(hosts_add_name(&h, "a.test", 6, HOSTS_PORT_ANY,
		    err, sizeof(err)), 0);
	assert_int_equal(hosts_add_name(&h, "a.test", 6, HOSTS_PORT_ANY, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "more than 24 names");
	assert_int_equal(h.count, HOSTS_MAX);
}

static void
test_known(void **state)
{
	static const struct {
		const char *host;
		unsigned default_port;
		bool known;
	} cases[] = {
		{ "localhost:8080", 80, true },
		{ "LOCALHOST:1", 80, true },
		{ "localhost", 80, true },
		{ "127.0.0.1:8080", 80, true },
		{ "[::1]:8080", 80, true },
		{ "[::1]", 443, true },
		{ "dialer.lan", 80, true },
		{ "pinned.test:8443", 80, true },
		{ "pinned.test", 8443, true },
		{ "pinned.test:8444", 80, false },
		{ "pinned.test", 80, false },
		{ "attacker.example:8080", 80, false },
		{ "localhost.attacker.example:8080", 80, false },
		{ "127.0.0.1.attacker.example", 80, false },
		{ "attacker-localhost", 80, false },
		{ "localhost.", 80, false },
		{ "localhos", 80, false },
		{ "::1", 80, false },
		{ "[::1", 80, false },
		{ "localhost:", 80, false },
		{ "localhost:x", 80, false },
		{ "localhost:8080:1", 80, false },
		{ "", 80, false },
	};
	struct hosts h;
	char err[ERR_MAX] = "";
	size_t i;

	(void)state;
	memset(&h, 0, sizeof(h));
	assert_int_equal(hosts_add_list(&h,
	    "localhost,127.0.0.1,[::1],dialer.lan,pinned.test:8443", err,
	    sizeof(err)), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (hosts_known(&h, cases[i].host, cases[i].default_port) !=
		    cases[i].known)
			fail_msg("Host \"%s\" (default port %u): expected %s",
			    cases[i].host, cases[i].default_port,
			    cases[i].known ? "known" : "not known");
	assert_false(hosts_known(&h, NULL, 80));

	/* Nothing is known to an empty list. */
	memset(&h, 0, sizeof(h));
	assert_false(hosts_known(&h, "localhost", 80));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_list_refused),
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_known),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
