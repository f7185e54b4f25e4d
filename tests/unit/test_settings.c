/*
 * test_settings: defaults, the conf file, the environment over it, each bad
 * value with its message, the derived public URL, and the dialing rules
 * (country code, do-not-call file, calling hours and zone, redials).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "campaign.h"
#include "settings.h"

#define ERR_MAX 512

/* Every setting's variable, cleared around each test so the runner's own
 * environment cannot leak in. */
static const char *const env_keys[] = {
	"NUMDIALER_PORT", "NUMDIALER_BIND", "NUMDIALER_API",
	"NUMDIALER_PUBLIC_URL", "NUMDIALER_NUMBERS", "NUMDIALER_CONCURRENCY",
	"NUMDIALER_CALL_TIMEOUT", "NUMDIALER_SIM", "NUMDIALER_RUNDIR",
	"NUMDIALER_SERVER", "NUMDIALER_SOCKET", "NUMDIALER_JOURNAL",
	"NUMDIALER_DIAL_ATTEMPTS", "NUMDIALER_RETRY_DELAY_MS",
	"NUMDIALER_FAILURE_PAUSE", "NUMDIALER_PROXY", "NUMDIALER_HOSTS",
	"NUMDIALER_LOG_MAX_MB", "NUMDIALER_SOCKET_GROUP",
	"NUMDIALER_COUNTRY_CODE", "NUMDIALER_DNC", "NUMDIALER_CALL_HOURS",
	"NUMDIALER_TIMEZONE", "NUMDIALER_REDIAL", "NUMDIALER_REDIAL_ATTEMPTS",
	"NUMDIALER_REDIAL_DELAY", "NUMDIALER_PROVIDER",
	"NUMDIALER_TWILIO_ACCOUNT_SID", "NUMDIALER_TWILIO_AUTH_TOKEN_FILE",
	"NUMDIALER_TWILIO_FROM", "NUMDIALER_TWILIO_TWIML", "NUMDIALER_TWILIO_URL",
	"NUMDIALER_TWILIO_TIMEOUT", "NUMDIALER_TWILIO_MACHINE_DETECTION",
	"NUMDIALER_TWILIO_API", "NUMDIALER_MAX_CPS",
};

static int
clear_env(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(env_keys) / sizeof(env_keys[0]); i++)
		unsetenv(env_keys[i]);
	return 0;
}

/* Writes text to a new temporary file whose name is left in path. */
static void
write_conf(char *path, const char *text)
{
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void
test_defaults(void **state)
{
	struct settings s;
	char err[ERR_MAX] = "";

	(void)state;
	settings_defaults(&s);
	assert_int_equal(s.port, 8080);
	assert_string_equal(s.bind, "127.0.0.1");
	assert_string_equal(s.api, "http://localhost:4830");
	assert_string_equal(s.public_url, "");
	assert_string_equal(s.numbers, "conf/numbers.txt");
	assert_int_equal(s.concurrency, 3);
	assert_int_equal(s.call_timeout, 120);
	assert_int_equal(s.sim, SETTINGS_SIM_AUTO);
	assert_string_equal(s.rundir, "run");
	assert_string_equal(s.server, "lighttpd");
	assert_string_equal(s.socket, "");
	assert_int_equal(s.log_max_mb, 50);
	assert_string_equal(s.socket_group, "");
	assert_string_equal(s.country_code, "1");
	assert_string_equal(s.dnc, "");
	assert_string_equal(s.call_hours, "");
	assert_string_equal(s.time_zone, "");
	assert_int_equal(s.redial, 0);
	assert_false(settings_redials(&s, STATUS_BUSY));
	assert_int_equal(s.redial_attempts, 3);
	assert_int_equal(s.redial_delay, 300);

	/* Loaded with no file and no environment: the defaults, derived. */
	assert_int_equal(settings_load(&s, NULL, err, sizeof(err)), 0);
	assert_int_equal(s.port, 8080);
	assert_string_equal(s.public_url, "http://127.0.0.1:8080");
	assert_int_equal(settings_load(&s, "/nonexistent/numdialer.conf", err,
	    sizeof(err)), 0);
	assert_string_equal(s.api, "http://localhost:4830");
}

static void
test_file(void **state)
{
	const char *text =
	    "# NumDialer settings\n"
	    "\n"
	    "NUMDIALER_PORT=18182\r\n"
	    "  NUMDIALER_API = \"http://127.0.0.1:14832/\"  # the simulator\n"
	    "NUMDIALER_NUMBERS=\"/srv/my list.txt\"\n"
	    "NUMDIALER_CONCURRENCY=5 # five at once\n"
	    "NUMDIALER_CALL_TIMEOUT=86400\n"
	    "NUMDIALER_SIM=off\n"
	    "NUMDIALER_RUNDIR=/tmp/nd\n"
	    "NUMDIALER_SERVER=nginx\n"
	    "NUMDIALER_SOCKET=/tmp/nd/fcgi.sock\n"
	    "NUMDIALER_SOCKET_GROUP=www-data\n"
	    "NUMDIALER_BIND=0.0.0.0\n"
	    "NUMDIALER_COUNTRY_CODE=44   # the United Kingdom\n"
	    "NUMDIALER_CALL_HOURS=\"09:00-17:30\"\n"
	    "NUMDIALER_TIMEZONE=Europe/London\n"
	    "NUMDIALER_REDIAL=\"no-answer, busy\"\n"
	    "NUMDIALER_REDIAL_ATTEMPTS=2\n";
	struct settings s;
	char err[ERR_MAX] = "";

	(void)state;
	settings_defaults(&s);
	assert_int_equal(settings_parse(&s, text, strlen(text), "nd.conf", err,
	    sizeof(err)), 0);
	assert_int_equal(s.port, 18182);
	assert_string_equal(s.api, "http://127.0.0.1:14832");
	assert_string_equal(s.numbers, "/srv/my list.txt");
	assert_int_equal(s.concurrency, 5);
	assert_int_equal(s.call_timeout, 86400);
	assert_int_equal(s.sim, SETTINGS_SIM_OFF);
	assert_string_equal(s.rundir, "/tmp/nd");
	assert_string_equal(s.server, "nginx");
	assert_string_equal(s.socket, "/tmp/nd/fcgi.sock");
	assert_string_equal(s.socket_group, "www-data");
	assert_string_equal(s.bind, "0.0.0.0");
	assert_string_equal(s.country_code, "44");
	assert_string_equal(s.call_hours, "09:00-17:30");
	assert_string_equal(s.time_zone, "Europe/London");
	assert_true(settings_redials(&s, STATUS_BUSY));
	assert_true(settings_redials(&s, STATUS_NO_ANSWER));
	assert_false(settings_redials(&s, STATUS_FAILED));
	assert_int_equal(s.redial_attempts, 2);
	assert_int_equal(s.redial_delay, 300);
}

static void
test_env_over_file(void **state)
{
	char path[] = "/tmp/test_settings_XXXXXX";
	struct settings s;
	char err[ERR_MAX] = "";

	(void)state;
	write_conf(path,
	    "NUMDIALER_PORT=9000\n"
	    "NUMDIALER_CONCURRENCY=4\n"
	    "NUMDIALER_SIM=on\n");
	setenv("NUMDIALER_PORT", "18182", 1);
	setenv("NUMDIALER_API", "https://api.example.com/v1/", 1);
	/* Variables the scripts export that are not settings. */
	setenv("NUMDIALER_CONF", "/etc/whatever", 1);
	setenv("NUMDIALER_BUILD", "build", 1);
	setenv("NUMDIALER_NOT_A_SETTING", "x y z", 1);
	assert_int_equal(settings_load(&s, path, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(s.port, 18182);
	assert_int_equal(s.concurrency, 4);
	assert_int_equal(s.sim, SETTINGS_SIM_ON);
	assert_string_equal(s.api, "https://api.example.com/v1");
	assert_string_equal(s.public_url, "http://127.0.0.1:18182");

	/* An empty public URL in the environment means "derive it". */
	setenv("NUMDIALER_PUBLIC_URL", "", 1);
	assert_int_equal(settings_load(&s, path, err, sizeof(err)), 0);
	assert_string_equal(s.public_url, "http://127.0.0.1:18182");

	setenv("NUMDIALER_PUBLIC_URL", "https://dialer.example.com/", 1);
	assert_int_equal(settings_load(&s, path, err, sizeof(err)), 0);
	assert_string_equal(s.public_url, "https://dialer.example.com");

	unsetenv("NUMDIALER_CONF");
	unsetenv("NUMDIALER_BUILD");
	unsetenv("NUMDIALER_NOT_A_SETTING");
	unlink(path);
}

static void
test_env_errors(void **state)
{
	static const struct {
		const char *key, *value, *err;
	} cases[] = {
		{ "NUMDIALER_PORT", "0",
		    "NUMDIALER_PORT: out of range (from the environment)" },
		{ "NUMDIALER_PORT", "65536",
		    "NUMDIALER_PORT: out of range (from the environment)" },
		{ "NUMDIALER_PORT", " 80",
		    "NUMDIALER_PORT: not a number (digits only) (from the environment)" },
		{ "NUMDIALER_PORT", "",
		    "NUMDIALER_PORT: not a number (from the environment)" },
		{ "NUMDIALER_CONCURRENCY", "1001",
		    "NUMDIALER_CONCURRENCY: out of range (from the environment)" },
		{ "NUMDIALER_SIM", "yes",
		    "NUMDIALER_SIM: must be auto, on or off (from the environment)" },
		{ "NUMDIALER_API", "localhost:4830",
		    "NUMDIALER_API: must start with http:// or https:// "
		    "(from the environment)" },
		{ "NUMDIALER_TIMEZONE", "Mars/Olympus",
		    "NUMDIALER_TIMEZONE: not a time zone of the tz database "
		    "(e.g. America/Chicago) (from the environment)" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct settings s;
		char err[ERR_MAX] = "";

		setenv(cases[i].key, cases[i].value, 1);
		assert_int_equal(settings_load(&s, NULL, err, sizeof(err)), -1);
		assert_string_equal(err, cases[i].err);
		unsetenv(cases[i].key);
	}
}

/* Each bad value through settings_set, with its message. */
static void
test_bad_values(void **state)
{
	static char long_url[SETTINGS_URL_MAX + 16];
	static const struct {
		const char *key, *value, *err;
	} cases[] = {
		{ "NUMDIALER_PORT", "8o80", "NUMDIALER_PORT: not a number (digits only)" },
		{ "NUMDIALER_PORT", "-1", "NUMDIALER_PORT: not a number (digits only)" },
		{ "NUMDIALER_PORT", "+80", "NUMDIALER_PORT: not a number (digits only)" },
		{ "NUMDIALER_PORT", "99999999999999999999",
		    "NUMDIALER_PORT: out of range" },
		{ "NUMDIALER_CONCURRENCY", "0", "NUMDIALER_CONCURRENCY: out of range" },
		{ "NUMDIALER_CALL_TIMEOUT", "86401",
		    "NUMDIALER_CALL_TIMEOUT: out of range" },
		{ "NUMDIALER_CALL_TIMEOUT", "1.5",
		    "NUMDIALER_CALL_TIMEOUT: not a number (digits only)" },
		{ "NUMDIALER_LOG_MAX_MB", "100001", "NUMDIALER_LOG_MAX_MB: out of range" },
		{ "NUMDIALER_API", "", "NUMDIALER_API: must not be empty" },
		{ "NUMDIALER_API", "ftp://x", "NUMDIALER_API: must start with http:// or https://" },
		{ "NUMDIALER_API", "http://", "NUMDIALER_API: has no host" },
		{ "NUMDIALER_API", "http://a b", "NUMDIALER_API: spaces not allowed" },
		{ "NUMDIALER_PUBLIC_URL", "http://x/\x01", "NUMDIALER_PUBLIC_URL: control characters not allowed" },
		/* /call and /webhook/... go at the end: a query or a fragment
		 * would take them in. */
		{ "NUMDIALER_API", "http://api.example/v1?key=1",
		    "NUMDIALER_API: must hold no '?' or '#' (paths are added to its end)" },
		{ "NUMDIALER_API", "http://api.example#x",
		    "NUMDIALER_API: must hold no '?' or '#' (paths are added to its end)" },
		{ "NUMDIALER_PUBLIC_URL", "https://dialer.example/?",
		    "NUMDIALER_PUBLIC_URL: must hold no '?' or '#' (paths are added to its end)" },
		{ "NUMDIALER_PUBLIC_URL", "https://dialer.example/#top",
		    "NUMDIALER_PUBLIC_URL: must hold no '?' or '#' (paths are added to its end)" },
		{ "NUMDIALER_SERVER", "apache", "NUMDIALER_SERVER: must be lighttpd or nginx" },
		{ "NUMDIALER_SERVER", "", "NUMDIALER_SERVER: must not be empty" },
		{ "NUMDIALER_SIM", "", "NUMDIALER_SIM: must be auto, on or off" },
		{ "NUMDIALER_SIM", "ON", "NUMDIALER_SIM: must be auto, on or off" },
		{ "NUMDIALER_NUMBERS", "", "NUMDIALER_NUMBERS: must not be empty" },
		{ "NUMDIALER_RUNDIR", "a\tb", "NUMDIALER_RUNDIR: control characters not allowed" },
		{ "NUMDIALER_BIND", "local host", "NUMDIALER_BIND: not an address or host name" },
		{ "NUMDIALER_BIND", "", "NUMDIALER_BIND: must not be empty" },
		{ "NUMDIALER_HOSTS", "a.test,,b.test", "NUMDIALER_HOSTS: an empty entry" },
		{ "NUMDIALER_HOSTS", "a.test:99999",
		    "NUMDIALER_HOSTS: a.test:99999: the port is not a number in 1..65535" },
		{ "NUMDIALER_HOSTS", "fd00::1", "NUMDIALER_HOSTS: fd00::1: an IPv6 address goes in brackets" },
		{ "NUMDIALER_SOCKET_GROUP", "www data", "NUMDIALER_SOCKET_GROUP: not a group name" },
		{ "NUMDIALER_SOCKET_GROUP", "-g", "NUMDIALER_SOCKET_GROUP: not a group name" },
		{ "NUMDIALER_SOCKET_GROUP", "a:b", "NUMDIALER_SOCKET_GROUP: not a group name" },
		{ "NUMDIALER_COLOR", "blue", "NUMDIALER_COLOR: unknown setting" },
		{ "PORT", "80", "PORT: unknown setting" },
		{ "NUMDIALER_API", long_url, "NUMDIALER_API: too long" },
		{ "NUMDIALER_COUNTRY_CODE", "", "NUMDIALER_COUNTRY_CODE: must not be empty" },
		{ "NUMDIALER_COUNTRY_CODE", "0",
		    "NUMDIALER_COUNTRY_CODE: must be 1 to 3 digits, the first not 0" },
		{ "NUMDIALER_COUNTRY_CODE", "044",
		    "NUMDIALER_COUNTRY_CODE: must be 1 to 3 digits, the first not 0" },
		{ "NUMDIALER_COUNTRY_CODE", "+1",
		    "NUMDIALER_COUNTRY_CODE: must be 1 to 3 digits, the first not 0" },
		{ "NUMDIALER_COUNTRY_CODE", "4a",
		    "NUMDIALER_COUNTRY_CODE: must be 1 to 3 digits, the first not 0" },
		{ "NUMDIALER_COUNTRY_CODE", "1234", "NUMDIALER_COUNTRY_CODE: too long" },
		{ "NUMDIALER_DNC", "a\tb", "NUMDIALER_DNC: control characters not allowed" },
		{ "NUMDIALER_CALL_HOURS", "8-20", "NUMDIALER_CALL_HOURS: not "
		    "HH:MM-HH:MM (00:00 to 23:59, e.g. 08:00-20:00)" },
		{ "NUMDIALER_CALL_HOURS", "08:00-24:00", "NUMDIALER_CALL_HOURS: not "
		    "HH:MM-HH:MM (00:00 to 23:59, e.g. 08:00-20:00)" },
		{ "NUMDIALER_CALL_HOURS", "08:00-08:00",
		    "NUMDIALER_CALL_HOURS: opens and closes at the same minute" },
		{ "NUMDIALER_CALL_HOURS", "08:00-20:00:00", "NUMDIALER_CALL_HOURS: not "
		    "HH:MM-HH:MM (00:00 to 23:59, e.g. 08:00-20:00)" },
		{ "NUMDIALER_CALL_HOURS", "from eight in the morning to eight",
		    "NUMDIALER_CALL_HOURS: too long" },
		{ "NUMDIALER_TIMEZONE", "Mars/Olympus", "NUMDIALER_TIMEZONE: not a "
		    "time zone of the tz database (e.g. America/Chicago)" },
		{ "NUMDIALER_TIMEZONE", "../../../etc/passwd", "NUMDIALER_TIMEZONE: "
		    "not a time zone of the tz database (e.g. America/Chicago)" },
		{ "NUMDIALER_TIMEZONE", "America", "NUMDIALER_TIMEZONE: not a "
		    "time zone of the tz database (e.g. America/Chicago)" },
		{ "NUMDIALER_REDIAL", "failed", "NUMDIALER_REDIAL: failed: only busy "
		    "and no-answer say for sure that a call ended unanswered" },
		{ "NUMDIALER_REDIAL", "busy,completed", "NUMDIALER_REDIAL: completed: "
		    "only busy and no-answer say for sure that a call ended unanswered" },
		{ "NUMDIALER_REDIAL", "Busy",
		    "NUMDIALER_REDIAL: Busy: not a status (busy or no-answer)" },
		{ "NUMDIALER_REDIAL", "busy no-answer",
		    "NUMDIALER_REDIAL: busy no-answer: not a status (busy or no-answer)" },
		{ "NUMDIALER_REDIAL", "busy,,no-answer", "NUMDIALER_REDIAL: an empty entry" },
		{ "NUMDIALER_REDIAL", ",busy", "NUMDIALER_REDIAL: an empty entry" },
		{ "NUMDIALER_REDIAL", "busy, ", "NUMDIALER_REDIAL: an empty entry" },
		{ "NUMDIALER_REDIAL", "busy,", "NUMDIALER_REDIAL: an empty entry" },
		{ "NUMDIALER_REDIAL_ATTEMPTS", "0", "NUMDIALER_REDIAL_ATTEMPTS: out of range" },
		{ "NUMDIALER_REDIAL_ATTEMPTS", "101", "NUMDIALER_REDIAL_ATTEMPTS: out of range" },
		{ "NUMDIALER_REDIAL_DELAY", "604801", "NUMDIALER_REDIAL_DELAY: out of range" },
		{ "NUMDIALER_REDIAL_DELAY", "-1",
		    "NUMDIALER_REDIAL_DELAY: not a number (digits only)" },
	};
	struct settings s, before;

	(void)state;
	memcpy(long_url, "http://", 7);
	memset(long_url + 7, 'a', sizeof(long_url) - 8);
	long_url[sizeof(long_url) - 1] = '\0';
	settings_defaults(&before);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[ERR_MAX] = "";

		settings_defaults(&s);
		assert_int_equal(settings_set(&s, cases[i].key, cases[i].value,
		    err, sizeof(err)), -1);
		assert_string_equal(err, cases[i].err);
		/* A refused value changes nothing. */
		assert_memory_equal(&s, &before, sizeof(s));
	}
}

static void
test_good_values(void **state)
{
	struct settings s;
	char err[ERR_MAX] = "";

	(void)state;
	settings_defaults(&s);
	assert_int_equal(settings_set(&s, "NUMDIALER_PORT", "1", err,
	    sizeof(err)), 0);
	assert_int_equal(s.port, 1);
	assert_int_equal(settings_set(&s, "NUMDIALER_PORT", "65535", err,
	    sizeof(err)), 0);
	assert_int_equal(s.port, 65535);
	assert_int_equal(settings_set(&s, "NUMDIALER_CONCURRENCY", "1000", err,
	    sizeof(err)), 0);
	assert_int_equal(s.concurrency, CAMPAIGN_LIMIT_MAX);
	assert_int_equal(settings_set(&s, "NUMDIALER_API", "HTTPS://Api.Example/",
	    err, sizeof(err)), 0);
	assert_string_equal(s.api, "HTTPS://Api.Example");
	/* Only one trailing '/' goes. */
	assert_int_equal(settings_set(&s, "NUMDIALER_API", "http://a//", err,
	    sizeof(err)), 0);
	assert_string_equal(s.api, "http://a/");
	assert_int_equal(settings_set(&s, "NUMDIALER_BIND", "::1", err,
	    sizeof(err)), 0);
	assert_string_equal(s.bind, "::1");
	assert_int_equal(settings_set(&s, "NUMDIALER_SOCKET", "", err,
	    sizeof(err)), 0);
	assert_string_equal(s.socket, "");
	assert_int_equal(settings_set(&s, "NUMDIALER_SOCKET_GROUP", "33", err,
	    sizeof(err)), 0);
	assert_string_equal(s.socket_group, "33");
	assert_int_equal(settings_set(&s, "NUMDIALER_SOCKET_GROUP", "", err,
	    sizeof(err)), 0);
	assert_string_equal(s.socket_group, "");
}

/* The dialing rules' good values, and what each comes to. */
static void
test_dialing_values(void **state)
{
	static const struct {
		const char *key, *value;
	} good[] = {
		{ "NUMDIALER_COUNTRY_CODE", "999" },
		{ "NUMDIALER_COUNTRY_CODE", "7" },
		{ "NUMDIALER_DNC", "/srv/do not call.txt" },
		{ "NUMDIALER_DNC", "" },
		{ "NUMDIALER_CALL_HOURS", "21:00-02:00" },
		{ "NUMDIALER_CALL_HOURS", "" },
		{ "NUMDIALER_TIMEZONE", "UTC" },
		{ "NUMDIALER_TIMEZONE", "America/Chicago" },
		{ "NUMDIALER_TIMEZONE", "" },
		{ "NUMDIALER_REDIAL_ATTEMPTS", "1" },
		{ "NUMDIALER_REDIAL_ATTEMPTS", "100" },
		{ "NUMDIALER_REDIAL_DELAY", "0" },
		{ "NUMDIALER_REDIAL_DELAY", "604800" },
	};
	static const struct {
		const char *value;
		bool busy, no_answer;
	} redials[] = {
		{ "", false, false },
		{ "  ", false, false },
		{ "busy", true, false },
		{ "no-answer", false, true },
		{ " no-answer , busy ", true, true },
		{ "busy,busy", true, false },
	};
	struct settings s;
	char err[ERR_MAX] = "";

	(void)state;
	settings_defaults(&s);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(settings_set(&s, good[i].key, good[i].value,
		    err, sizeof(err)), 0);
	}
	assert_string_equal(s.country_code, "7");
	assert_string_equal(s.call_hours, "");
	assert_string_equal(s.time_zone, "");
	assert_int_equal(s.redial_attempts, 100);
	assert_int_equal(s.redial_delay, 604800);
	for (size_t i = 0; i < sizeof(redials) / sizeof(redials[0]); i++) {
		s.redial = 1u << STATUS_FAILED;
		assert_int_equal(settings_set(&s, "NUMDIALER_REDIAL",
		    redials[i].value, err, sizeof(err)), 0);
		assert_int_equal(settings_redials(&s, STATUS_BUSY),
		    redials[i].busy);
		assert_int_equal(settings_redials(&s, STATUS_NO_ANSWER),
		    redials[i].no_answer);
		assert_false(settings_redials(&s, STATUS_FAILED));
		assert_false(settings_redials(&s, STATUS_COUNT));
	}
}

static void
test_file_errors(void **state)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
		{ "NUMDIALER_PORT=8080\nNUMDIALER_PORT=80x\n",
		    "nd.conf:2: NUMDIALER_PORT: not a number (digits only)" },
		{ "\n# c\nNUMDIALER_COLOR=blue\n",
		    "nd.conf:3: NUMDIALER_COLOR: unknown setting" },
		{ "OTHER=1\n", "nd.conf:1: OTHER: unknown setting" },
		{ "NUMDIALER_PORT 8080\n", "nd.conf:1: expected KEY=value" },
		{ "=8080\n", "nd.conf:1: expected KEY=value" },
		{ "NUMDIALER PORT=8080\n", "nd.conf:1: expected KEY=value" },
		{ "NUMDIALER_API=\"http://x\n", "nd.conf:1: missing closing quote" },
		{ "NUMDIALER_API=\"http://x\" y\n",
		    "nd.conf:1: text after the closing quote" },
		{ "NUMDIALER_SIM=\"maybe\"\n",
		    "nd.conf:1: NUMDIALER_SIM: must be auto, on or off" },
		{ "NUMDIALER_CONCURRENCY=0\n",
		    "nd.conf:1: NUMDIALER_CONCURRENCY: out of range" },
		{ "NUMDIALER_CALL_TIMEOUT=\n",
		    "nd.conf:1: NUMDIALER_CALL_TIMEOUT: not a number" },
		/* A '#' inside a value is no comment: the URL is refused. */
		{ "NUMDIALER_PUBLIC_URL=http://dialer.example/#x\n",
		    "nd.conf:1: NUMDIALER_PUBLIC_URL: must hold no '?' or '#' (paths are added to its end)" },
		{ "NUMDIALER_REDIAL=busy\nNUMDIALER_REDIAL=busy, failed # lost?\n",
		    "nd.conf:2: NUMDIALER_REDIAL: failed: only busy and no-answer "
		    "say for sure that a call ended unanswered" },
		{ "NUMDIALER_CALL_HOURS=\"08:00 - 20:00\"\n",
		    "nd.conf:1: NUMDIALER_CALL_HOURS: not HH:MM-HH:MM (00:00 to "
		    "23:59, e.g. 08:00-20:00)" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct settings s;
		char err[ERR_MAX] = "";

		settings_defaults(&s);
		assert_int_equal(settings_parse(&s, cases[i].text,
		    strlen(cases[i].text), "nd.conf", err, sizeof(err)), -1);
		assert_string_equal(err, cases[i].err);
	}
}

/* settings_load names the file it read in an error. */
static void
test_load_errors(void **state)
{
	char path[] = "/tmp/test_settings_XXXXXX";
	char want[ERR_MAX];
	struct settings s;
	char err[ERR_MAX] = "";

	(void)state;
	write_conf(path, "NUMDIALER_PORT=8080\n\nNUMDIALER_SERVER=apache\n");
	snprintf(want, sizeof(want),
	    "%s:3: NUMDIALER_SERVER: must be lighttpd or nginx", path);
	assert_int_equal(settings_load(&s, path, err, sizeof(err)), -1);
	assert_string_equal(err, want);
	unlink(path);

	/* A directory is there but cannot be read as a file. */
	assert_int_equal(settings_load(&s, "/tmp", err, sizeof(err)), -1);
	assert_string_equal(err, "/tmp: Is a directory");

	/* The Twilio provider's settings are checked together. */
	setenv("NUMDIALER_PROVIDER", "twilio", 1);
	assert_int_equal(settings_load(&s, NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "NUMDIALER_TWILIO_ACCOUNT_SID: must be set "
	    "with NUMDIALER_PROVIDER=twilio (the Account SID)");
	setenv("NUMDIALER_TWILIO_ACCOUNT_SID",
	    "AC0123456789abcdef0123456789abcdef", 1);
	setenv("NUMDIALER_TWILIO_AUTH_TOKEN_FILE", "/etc/numdialer/token", 1);
	setenv("NUMDIALER_TWILIO_FROM", "+15005550006", 1);
	setenv("NUMDIALER_CALL_TIMEOUT", "45", 1);
	assert_int_equal(settings_load(&s, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "NUMDIALER_CALL_TIMEOUT: must be over "
	    "NUMDIALER_TWILIO_TIMEOUT + 15 s"));
	setenv("NUMDIALER_CALL_TIMEOUT", "46", 1);
	assert_int_equal(settings_load(&s, NULL, err, sizeof(err)), 0);
	assert_int_equal(settings_time_limit(&s), 1);
	assert_string_equal(settings_api(&s), "https://api.twilio.com");
	setenv("NUMDIALER_TWILIO_TWIML", "", 1);
	assert_int_equal(settings_load(&s, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "NUMDIALER_TWILIO_TWIML: must be set"));
	setenv("NUMDIALER_TWILIO_URL", "https://handler.example/twiml", 1);
	assert_int_equal(settings_load(&s, NULL, err, sizeof(err)), 0);
	/* The token goes in clear only to this machine. */
	setenv("NUMDIALER_TWILIO_API", "http://api.twilio.com", 1);
	assert_int_equal(settings_load(&s, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "NUMDIALER_TWILIO_API: must be https://"));
	setenv("NUMDIALER_TWILIO_API", "http://localhost.example.com", 1);
	assert_int_equal(settings_load(&s, NULL, err, sizeof(err)), -1);
	setenv("NUMDIALER_TWILIO_API", "http://127.0.0.1.example.com", 1);
	assert_int_equal(settings_load(&s, NULL, err, sizeof(err)), -1);
	setenv("NUMDIALER_TWILIO_API", "http://127.0.0.1:4830", 1);
	assert_int_equal(settings_load(&s, NULL, err, sizeof(err)), 0);
	setenv("NUMDIALER_TWILIO_API", "http://localhost:4830", 1);
	assert_int_equal(settings_load(&s, NULL, err, sizeof(err)), 0);
	setenv("NUMDIALER_TWILIO_API", "http://[::1]:4830", 1);
	assert_int_equal(settings_load(&s, NULL, err, sizeof(err)), 0);

	/* Each Twilio value is checked on its own too. */
	assert_int_equal(settings_set(&s, "NUMDIALER_TWILIO_ACCOUNT_SID",
	    "AC0123", err, sizeof(err)), -1);
	assert_int_equal(settings_set(&s, "NUMDIALER_TWILIO_FROM",
	    "5005550006", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "E.164"));
	assert_int_equal(settings_set(&s, "NUMDIALER_TWILIO_FROM",
	    "+05005550006", err, sizeof(err)), -1);
	assert_int_equal(settings_set(&s, "NUMDIALER_TWILIO_MACHINE_DETECTION",
	    "enable", err, sizeof(err)), -1);
	assert_int_equal(settings_set(&s, "NUMDIALER_TWILIO_TIMEOUT", "4", err,
	    sizeof(err)), -1);
	assert_int_equal(settings_set(&s, "NUMDIALER_PROVIDER", "plivo", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "NUMDIALER_PROVIDER: must be numdialer or "
	    "twilio");
}

static void
test_public_url(void **state)
{
	static const struct {
		const char *bind, *port, *url;
	} cases[] = {
		{ "127.0.0.1", "8080", "http://127.0.0.1:8080" },
		{ "0.0.0.0", "18182", "http://127.0.0.1:18182" },
		{ "::", "18182", "http://127.0.0.1:18182" },
		{ "192.168.1.20", "80", "http://192.168.1.20:80" },
		{ "::1", "8081", "http://[::1]:8081" },
		{ "dialer.lan", "8082", "http://dialer.lan:8082" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct settings s;
		char err[ERR_MAX] = "";

		setenv("NUMDIALER_BIND", cases[i].bind, 1);
		setenv("NUMDIALER_PORT", cases[i].port, 1);
		assert_int_equal(settings_load(&s, NULL, err, sizeof(err)), 0);
		assert_string_equal(s.public_url, cases[i].url);
	}
}

/* True when s answers to host (over plain HTTP). */
static bool
knows(const struct settings *s, const char *host)
{
	return hosts_known(&s->known, host, 80);
}

/* The names a loaded server answers to: localhost, its bind address (both
 * loopbacks for a wildcard), its public URL's host, NUMDIALER_HOSTS. */
static void
test_known_hosts(void **state)
{
	struct settings s;
	char err[ERR_MAX] = "";

	(void)state;
	assert_int_equal(settings_load(&s, NULL, err, sizeof(err)), 0);
	assert_true(knows(&s, "127.0.0.1:8080"));
	assert_true(knows(&s, "localhost:8080"));
	assert_false(knows(&s, "[::1]:8080"));
	assert_false(knows(&s, "attacker.example:8080"));

	setenv("NUMDIALER_BIND", "0.0.0.0", 1);
	setenv("NUMDIALER_PUBLIC_URL", "https://dialer.example.net/nd", 1);
	setenv("NUMDIALER_HOSTS", "dialer.lan, 192.168.1.20:8080", 1);
	assert_int_equal(settings_load(&s, NULL, err, sizeof(err)), 0);
	assert_true(knows(&s, "127.0.0.1:8080"));
	assert_true(knows(&s, "[::1]:8080"));
	assert_true(knows(&s, "localhost"));
	assert_true(knows(&s, "dialer.example.net"));
	assert_true(knows(&s, "Dialer.Example.Net:443"));
	assert_true(knows(&s, "dialer.lan:8080"));
	assert_true(knows(&s, "192.168.1.20:8080"));
	assert_false(knows(&s, "192.168.1.20:8081"));
	assert_false(knows(&s, "0.0.0.0:8080"));
	assert_false(knows(&s, "attacker.example"));

	setenv("NUMDIALER_BIND", "::1", 1);
	unsetenv("NUMDIALER_PUBLIC_URL");
	unsetenv("NUMDIALER_HOSTS");
	assert_int_equal(settings_load(&s, NULL, err, sizeof(err)), 0);
	assert_true(knows(&s, "[::1]:8080"));
	assert_false(knows(&s, "127.0.0.1:8080"));

	/* A public URL whose host libcurl cannot read stops the load. */
	unsetenv("NUMDIALER_BIND");
	setenv("NUMDIALER_PUBLIC_URL", "http://[zz]:80", 1);
	assert_int_equal(settings_load(&s, NULL, err, sizeof(err)), -1);
	assert_true(strncmp(err, "NUMDIALER_PUBLIC_URL: ", 22) == 0);
	setenv("NUMDIALER_PUBLIC_URL", "http://dialer lan", 1);
	assert_int_equal(settings_load(&s, NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "NUMDIALER_PUBLIC_URL: spaces not allowed "
	    "(from the environment)");
}

/* Prints s, parses the text into zeroed settings, and checks every field
 * came back; returns the text (to free) for the caller's own checks. */
static char *
print_parse_back(const struct settings *s)
{
	struct settings back;
	char err[ERR_MAX] = "";
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(settings_print(s, f), 0);
	assert_int_equal(fclose(f), 0);
	/* Zeroed, not defaulted: a key left out of the text would show. */
	memset(&back, 0, sizeof(back));
	assert_int_equal(settings_parse(&back, text, len, "printed", err,
	    sizeof(err)), 0);
	assert_int_equal(back.port, s->port);
	assert_string_equal(back.bind, s->bind);
	assert_string_equal(back.api, s->api);
	assert_string_equal(back.public_url, s->public_url);
	assert_string_equal(back.numbers, s->numbers);
	assert_int_equal(back.concurrency, s->concurrency);
	assert_int_equal(back.call_timeout, s->call_timeout);
	assert_int_equal(back.sim, s->sim);
	assert_string_equal(back.rundir, s->rundir);
	assert_string_equal(back.server, s->server);
	assert_string_equal(back.socket, s->socket);
	assert_string_equal(back.journal, s->journal);
	assert_string_equal(back.hosts, s->hosts);
	assert_int_equal(back.log_max_mb, s->log_max_mb);
	assert_int_equal(back.dial_attempts, s->dial_attempts);
	assert_int_equal(back.retry_delay_ms, s->retry_delay_ms);
	assert_string_equal(back.country_code, s->country_code);
	assert_string_equal(back.dnc, s->dnc);
	assert_string_equal(back.call_hours, s->call_hours);
	assert_string_equal(back.time_zone, s->time_zone);
	assert_int_equal(back.redial, s->redial);
	assert_int_equal(back.redial_attempts, s->redial_attempts);
	assert_int_equal(back.redial_delay, s->redial_delay);
	assert_int_equal(back.provider, s->provider);
	assert_string_equal(back.twilio_account_sid, s->twilio_account_sid);
	assert_string_equal(back.twilio_token_file, s->twilio_token_file);
	assert_string_equal(back.twilio_from, s->twilio_from);
	assert_string_equal(back.twilio_twiml, s->twilio_twiml);
	assert_string_equal(back.twilio_url, s->twilio_url);
	assert_int_equal(back.twilio_timeout, s->twilio_timeout);
	assert_string_equal(back.twilio_machine_detection,
	    s->twilio_machine_detection);
	assert_string_equal(back.twilio_api, s->twilio_api);
	assert_int_equal(back.max_cps, s->max_cps);
	return text;
}

static void
test_print(void **state)
{
	/* Every setting away from its default (and from zero). */
	static const struct { const char *key, *value; } changed[] = {
		{ "NUMDIALER_PORT", "9091" },
		{ "NUMDIALER_BIND", "::1" },
		{ "NUMDIALER_API", "https://api.example:8443/v1" },
		{ "NUMDIALER_PUBLIC_URL", "http://dialer.example" },
		{ "NUMDIALER_NUMBERS", "/srv/lists/today list.txt" },
		{ "NUMDIALER_CONCURRENCY", "17" },
		{ "NUMDIALER_CALL_TIMEOUT", "30" },
		{ "NUMDIALER_SIM", "on" },
		{ "NUMDIALER_RUNDIR", "/tmp/nd-run" },
		{ "NUMDIALER_SERVER", "nginx" },
		{ "NUMDIALER_SOCKET", "/tmp/nd-run/fcgi.sock" },
		{ "NUMDIALER_SOCKET_GROUP", "www-data" },
		{ "NUMDIALER_JOURNAL", "/var/lib/numdialer/journal" },
		{ "NUMDIALER_DIAL_ATTEMPTS", "7" },
		{ "NUMDIALER_RETRY_DELAY_MS", "1234" },
		{ "NUMDIALER_PROXY", "http://proxy.example:3128" },
		{ "NUMDIALER_FAILURE_PAUSE", "9" },
		{ "NUMDIALER_HOSTS", "dialer.lan,[fd00::5]:8443" },
		{ "NUMDIALER_LOG_MAX_MB", "7" },
		{ "NUMDIALER_COUNTRY_CODE", "44" },
		{ "NUMDIALER_DNC", "/srv/lists/do not call.txt" },
		{ "NUMDIALER_CALL_HOURS", "21:00-02:30" },
		{ "NUMDIALER_TIMEZONE", "America/Chicago" },
		{ "NUMDIALER_REDIAL", "busy,no-answer" },
		{ "NUMDIALER_REDIAL_ATTEMPTS", "5" },
		{ "NUMDIALER_REDIAL_DELAY", "600" },
		{ "NUMDIALER_PROVIDER", "twilio" },
		{ "NUMDIALER_TWILIO_ACCOUNT_SID",
		    "AC0123456789abcdef0123456789abcdef" },
		{ "NUMDIALER_TWILIO_AUTH_TOKEN_FILE", "/etc/numdialer/twilio token" },
		{ "NUMDIALER_TWILIO_FROM", "+15005550006" },
		{ "NUMDIALER_TWILIO_TWIML", "<Response><Say voice=\"alice\">Hi"
		    "</Say></Response>" },
		{ "NUMDIALER_TWILIO_URL", "https://handler.example/twiml/EH1" },
		{ "NUMDIALER_TWILIO_TIMEOUT", "25" },
		{ "NUMDIALER_TWILIO_MACHINE_DETECTION", "Enable" },
		{ "NUMDIALER_TWILIO_API", "http://127.0.0.1:4830" },
		{ "NUMDIALER_MAX_CPS", "1" },
	};
	struct settings s;
	char err[ERR_MAX] = "";
	char want[ERR_MAX * 8] = "";
	char *text;

	(void)state;
	settings_defaults(&s);
	text = print_parse_back(&s);
	/* The defaults: the choice as its word, empty texts as bare keys. */
	assert_non_null(strstr(text, "\nNUMDIALER_SIM=auto\n"));
	assert_non_null(strstr(text, "\nNUMDIALER_SOCKET=\n"));
	assert_non_null(strstr(text, "\nNUMDIALER_COUNTRY_CODE=1\n"));
	assert_non_null(strstr(text, "\nNUMDIALER_REDIAL=\n"));
	free(text);

	/* One redial end alone, whichever order it was given in. */
	assert_int_equal(settings_set(&s, "NUMDIALER_REDIAL", "no-answer",
	    err, sizeof(err)), 0);
	text = print_parse_back(&s);
	assert_non_null(strstr(text, "\nNUMDIALER_REDIAL=no-answer\n"));
	free(text);
	assert_int_equal(settings_set(&s, "NUMDIALER_REDIAL", "no-answer, busy",
	    err, sizeof(err)), 0);
	text = print_parse_back(&s);
	assert_non_null(strstr(text, "\nNUMDIALER_REDIAL=busy,no-answer\n"));
	free(text);

	for (size_t i = 0; i < sizeof(changed) / sizeof(changed[0]); i++)
		assert_int_equal(settings_set(&s, changed[i].key,
		    changed[i].value, err, sizeof(err)), 0);
	text = print_parse_back(&s);
	/* Exactly these lines, in the table's order: scripts read them. */
	for (size_t i = 0; i < sizeof(changed) / sizeof(changed[0]); i++)
		snprintf(want + strlen(want), sizeof(want) - strlen(want),
		    "%s=%s\n", changed[i].key, changed[i].value);
	assert_string_equal(text, want);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, clear_env, clear_env),
		cmocka_unit_test_setup_teardown(test_file, clear_env, clear_env),
		cmocka_unit_test_setup_teardown(test_env_over_file, clear_env,
		    clear_env),
		cmocka_unit_test_setup_teardown(test_env_errors, clear_env,
		    clear_env),
		cmocka_unit_test_setup_teardown(test_bad_values, clear_env,
		    clear_env),
		cmocka_unit_test_setup_teardown(test_good_values, clear_env,
		    clear_env),
		cmocka_unit_test_setup_teardown(test_dialing_values, clear_env,
		    clear_env),
		cmocka_unit_test_setup_teardown(test_file_errors, clear_env,
		    clear_env),
		cmocka_unit_test_setup_teardown(test_load_errors, clear_env,
		    clear_env),
		cmocka_unit_test_setup_teardown(test_public_url, clear_env,
		    clear_env),
		cmocka_unit_test_setup_teardown(test_print, clear_env, clear_env),
		cmocka_unit_test_setup_teardown(test_known_hosts, clear_env,
		    clear_env),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
