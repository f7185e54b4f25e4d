/*
 * fuzz_query: libFuzzer target for the request side of the routes: the
 * path and query string of GET /events, GET /calls/ROW, the reports and
 * POST /webhook/ROW/KEY, through routes_serve (the parsers behind it are
 * private to routes.c).
 */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

#include "campaign.h"
#include "hosts.h"
#include "http.h"
#include "hub.h"
#include "routes.h"
#include "settings.h"

#define FUZZ_ROWS 3
#define FUZZ_LOG 16
#define FUZZ_URI_MAX 1024        /* longer URIs are cut: the route has 512 */
#define FUZZ_ENV_MAX 8
#define FUZZ_ENV_LINE 1200
#define FUZZ_STATUS_PREFIX "Status: "

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fuzz_phones[FUZZ_ROWS] = {
	"13018040009", "13018040010", "13018040011",
};

/* The first byte's low bits pick the method, the content type and the
 * Host: one the server is known by, or another site's. */
static const char *const fuzz_methods[] = { "GET", "POST", "PUT", "" };
static const char *const fuzz_ctypes[] = {
	"application/json", "application/x-www-form-urlencoded", NULL,
	"text/plain",
};
static const char *const fuzz_hosts[] = { "localhost:8080", "attacker.example:8080" };

/* Row r is dialed under the key r, 1, 2, ..., 15, that is the hex
 * "0r0102030405060708090a0b0c0d0e0f": the seeds use it. */
static void
fuzz_key(size_t row, unsigned char key[CAMPAIGN_KEY_BYTES])
{
	size_t i;

	for (i = 0; i < CAMPAIGN_KEY_BYTES; i++)
		key[i] = (unsigned char)i;
	key[0] = (unsigned char)row;
}

/* An input stream over the body: when it runs dry it is at its end. */
static void
fuzz_fill(FCGX_Stream *s)
{
	s->isClosed = 1;
}

/* The answer's status, from the "Status: NNN" line, or -1. */
static int
fuzz_status(const char *out, size_t len)
{
	size_t plen = strlen(FUZZ_STATUS_PREFIX);
	int status = 0;
	size_t i;

	if (len < plen + 3 || memcmp(out, FUZZ_STATUS_PREFIX, plen) != 0)
		return -1;
	for (i = plen; i < plen + 3; i++) {
		if (out[i] < '0' || out[i] > '9')
			return -1;
		status = status * 10 + (out[i] - '0');
	}
	return status;
}

/*
 * Input: one byte of method, content type and Host, the request URI up to
 * the first newline, then the body. A fresh campaign each time, started, its
 * three rows dialed. The contract checked: an answer with a status always
 * comes, and an answer of 400 or more leaves the campaign as it was.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char env[FUZZ_ENV_MAX][FUZZ_ENV_LINE];
	char *envp[FUZZ_ENV_MAX + 1];
	unsigned char key[CAMPAIGN_KEY_BYTES];
	struct settings settings;
	struct hub hub;
	FCGX_Stream in;
	FCGX_Request req;
	struct http_answer answer;
	const char *ctype;
	const uint8_t *nl, *body;
	size_t ulen, blen, row, i, e = 0;
	uint64_t before;
	int status;

	if (size == 0)
		return 0;
	nl = memchr(data + 1, '\n', size - 1);
	ulen = nl != NULL ? (size_t)(nl - data - 1) : size - 1;
	body = nl != NULL ? nl + 1 : data + size;
	blen = (size_t)(data + size - body);
	if (ulen > FUZZ_URI_MAX || memchr(data + 1, '\0', ulen) != NULL)
		return -1;   /* no web server passes such a URI: not worth keeping */

	memset(&hub, 0, sizeof(hub));
	settings_defaults(&settings);
	if (hosts_add_name(&settings.known, "localhost", strlen("localhost"),
	    HOSTS_PORT_ANY, NULL, 0) != 0)
		abort();
	pthread_mutex_init(&hub.lock, NULL);
	pthread_mutex_init(&hub.stuck_lock, NULL);
	hub.settings = &settings;
	memcpy(hub.instance, "0123456789abcdef", HUB_INSTANCE_LEN);
	hub.campaign = campaign_new(fuzz_phones, FUZZ_ROWS, FUZZ_ROWS, FUZZ_LOG);
	if (hub.campaign == NULL || campaign_start(hub.campaign) != 0)
		abort();
	for (i = 0; i < FUZZ_ROWS; i++) {
		fuzz_key(i, key);
		if (campaign_next_dial(hub.campaign, key, 2, &row) != 0 || row != i)
			abort();
	}

	snprintf(env[e++], FUZZ_ENV_LINE, "REQUEST_METHOD=%s",
	    fuzz_methods[data[0] % 4]);
	snprintf(env[e++], FUZZ_ENV_LINE, "REQUEST_URI=%.*s", (int)ulen,
	    (const char *)data + 1);
	snprintf(env[e++], FUZZ_ENV_LINE, "CONTENT_LENGTH=%zu", blen);
	snprintf(env[e++], FUZZ_ENV_LINE, "HTTP_HOST=%s",
	    fuzz_hosts[(data[0] >> 4) % 2]);
	ctype = fuzz_ctypes[(data[0] >> 2) % 4];
	if (ctype != NULL)
		snprintf(env[e++], FUZZ_ENV_LINE, "CONTENT_TYPE=%s", ctype);
	for (i = 0; i < e; i++)
		envp[i] = env[i];
	envp[e] = NULL;

	memset(&in, 0, sizeof(in));
	in.rdNext = in.stopUnget = (unsigned char *)(uintptr_t)body;
	in.stop = in.rdNext + blen;
	in.isReader = 1;
	in.fillBuffProc = fuzz_fill;
	memset(&req, 0, sizeof(req));
	req.in = &in;
	req.envp = envp;
	req.ipcFd = -1;

	before = campaign_version(hub.campaign);
	if (routes_serve(&hub, &req, &answer) != ROUTES_ANSWERED)
		abort();    /* nothing parks without an events module */
	status = fuzz_status(answer.head, answer.head_len);
	if (answer.body == NULL && answer.len > 0)
		abort();
	http_answer_free(&answer);
	if (status < 200 || status > 599)
		abort();
	if (status >= 400 && campaign_version(hub.campaign) != before)
		abort();

	campaign_free(hub.campaign);
	pthread_mutex_destroy(&hub.lock);
	return 0;
}
