/*
 * empty_responder: the webhook benchmark's baseline, a FastCGI program that
 * reads each request's body and answers 200 with a tiny JSON body, nothing
 * else. It runs where numdialer.fcgi runs (spawned by the same lighttpd
 * configuration, on standard input), with as many accept threads, so the
 * ratio of the two throughputs is what the dialer's own work costs.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <fcgiapp.h>

#define RESPONDER_THREADS 4        /* as many as numdialer.fcgi accepts on */
#define RESPONDER_BODY_MAX 8192    /* numdialer.fcgi's webhook body bound */

static const char responder_reply[] =
    "Status: 200 OK\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 11\r\n"
    "Cache-Control: no-store\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "\r\n"
    "{\"ok\":true}";

static void *responder_run(void *arg);

/* Reads the body (as the dialer does, up to the same bound), answers. */
static void *
responder_run(void *arg)
{
	FCGX_Request req;
	char body[RESPONDER_BODY_MAX];

	(void)arg;
	if (FCGX_InitRequest(&req, 0, 0) != 0)
		return NULL;
	while (FCGX_Accept_r(&req) >= 0) {
		while (FCGX_GetStr(body, (int)sizeof(body), req.in) ==
		    (int)sizeof(body))
			;
		FCGX_PutStr(responder_reply, (int)strlen(responder_reply),
		    req.out);
		FCGX_Finish_r(&req);
	}
	FCGX_Free(&req, 1);
	return NULL;
}

int
main(void)
{
	pthread_t threads[RESPONDER_THREADS];
	int i, started = 0;

	if (FCGX_Init() != 0 || FCGX_IsCGI()) {
		fprintf(stderr, "empty_responder: run me under a FastCGI web "
		    "server (standard input must be a listening socket)\n");
		return 1;
	}
	/* libfcgi's handlers only set a flag that a blocked accept never
	 * sees: a plain SIGTERM must end this program at once. */
	signal(SIGTERM, SIG_DFL);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < RESPONDER_THREADS; i++)
		if (pthread_create(&threads[started], NULL, responder_run,
		    NULL) == 0)
			started++;
	if (started == 0) {
		fprintf(stderr, "empty_responder: cannot start a thread\n");
		return 1;
	}
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	return 0;
}
