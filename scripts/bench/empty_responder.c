/*
 * empty_responder: the webhook benchmark's baseline, a FastCGI program that
 * reads each request's body and answers 200 with a tiny JSON body, nothing
 * else. It runs where numdialer.fcgi runs (spawned by the same lighttpd
 * configuration, on standard input), with as many accept threads, so the
 * ratio of the two throughputs is what the dialer's own work costs.
 *
 * Behind nginx it is started as numdialer.fcgi is there, on a unix socket
 * of its own: empty_responder SOCKET THREADS. libfcgi's blocking accept
 * serves a kept connection (fastcgi_keep_conn) by reading its next
 * request in the thread that answered the last: each idle kept connection
 * holds a thread. So it needs more threads than nginx holds connections
 * (its keepalive bound plus the requests at once), or the connections
 * past its threads wait, unread, and it is the baseline that suffers.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

#define RESPONDER_THREADS 4        /* as many as numdialer.fcgi accepts on */
#define RESPONDER_THREADS_MAX 256  /* on a socket of its own, behind nginx */
#define RESPONDER_BACKLOG 4096     /* numdialer.fcgi's */
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

static int responder_sock;         /* the listening socket: 0, stdin */

/* Reads the body (as the dialer does, up to the same bound), answers. */
static void *
responder_run(void *arg)
{
	FCGX_Request req;
	char body[RESPONDER_BODY_MAX];

	(void)arg;
	if (FCGX_InitRequest(&req, responder_sock, 0) != 0)
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
main(int argc, char **argv)
{
	pthread_t threads[RESPONDER_THREADS_MAX];
	int i, started = 0, count = RESPONDER_THREADS;

	if (argc == 3) {
		count = atoi(argv[2]);
		if (count < 1 || count > RESPONDER_THREADS_MAX) {
			fprintf(stderr, "empty_responder: THREADS: 1 to %d\n",
			    RESPONDER_THREADS_MAX);
			return 1;
		}
		if (FCGX_Init() != 0 ||
		    (responder_sock = FCGX_OpenSocket(argv[1],
		    RESPONDER_BACKLOG)) < 0) {
			fprintf(stderr, "empty_responder: cannot listen on %s\n",
			    argv[1]);
			return 1;
		}
	} else if (argc != 1 || FCGX_Init() != 0 || FCGX_IsCGI()) {
		fprintf(stderr, "empty_responder: run me under a FastCGI web "
		    "server (standard input must be a listening socket), or "
		    "as empty_responder SOCKET THREADS\n");
		return 1;
	}
	/* libfcgi's handlers only set a flag that a blocked accept never
	 * sees: a plain SIGTERM must end this program at once. */
	signal(SIGTERM, SIG_DFL);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < count; i++)
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
