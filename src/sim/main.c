/* apisim: the telephony API simulator; start-up, signals and stopping. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "api.h"
#include "faults.h"
#include "flags.h"
#include "phones.h"
#include "sender.h"
#include "stats.h"
#include "twilio.h"

#define MAIN_ERR_MAX 512
#define MAIN_EXIT_USAGE 2
#define MAIN_TWILIO_SEED 0x7477696c696f0000ULL  /* sets its stream apart */

/*
 * The parts of a run, in the order main_start starts them; each needs the
 * ones before it. main_stop stops whatever of them started.
 */
struct main_run {
	int curl;               /* curl_global_init succeeded */
	struct phones *phones;  /* NULL with --accept-any */
	struct stats *stats;
	struct faults *faults;
	struct sender *sender;
	struct twilio *twilio;  /* NULL but in Twilio mode */
	struct api *api;
	unsigned port;          /* the one api bound */
};

/* A seed from the clock and the pid, for runs that name none. */
static uint64_t
main_seed(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^
	    ((uint64_t)getpid() << 16);
}

/*
 * Reads the flags into fl, with a seed when none is given: 0 to run, or -1
 * with the status to exit with in *status (after the usage, or why not).
 */
static int
main_flags(int argc, char **argv, struct flags *fl, int *status)
{
	char err[MAIN_ERR_MAX];

	if (flags_parse(argc, argv, fl, err, sizeof err) != 0) {
		fprintf(stderr, "apisim: %s (see apisim --help)\n", err);
		*status = MAIN_EXIT_USAGE;
		return -1;
	}
	if (fl->help) {
		flags_usage(stdout);
		*status = EXIT_SUCCESS;
		return -1;
	}
	if (!fl->seed_given)
		fl->seed = main_seed();
	return 0;
}

/* Blocks the stop signals into *stop; before any thread starts, since
 * every thread inherits this mask and only main_wait should see them. */
static void
main_signals(sigset_t *stop)
{
	sigemptyset(stop);
	sigaddset(stop, SIGTERM);
	sigaddset(stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, stop, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Says why a part did not start: -1, for main_start to return. */
static int
main_fail(const char *why)
{
	fprintf(stderr, "apisim: %s\n", why);
	return -1;
}

/* Starts Twilio mode's side, its token read from its file: 0, or -1 with
 * the reason on stderr. */
static int
main_twilio(struct main_run *r, const struct flags *fl)
{
	char token[TWILIO_TOKEN_MAX + 3], err[MAIN_ERR_MAX];
	struct twilio_config cfg;
	struct twilio_deps deps;
	int rc;

	if (twilio_token_read(fl->twilio_token_file, token, sizeof token, err,
	    sizeof err) != 0)
		return main_fail(err);
	cfg = (struct twilio_config){fl->twilio_account, token, fl->twilio_cps,
	    fl->twilio_queue_ms, fl->long_call_ms, fl->answered_by};
	deps = (struct twilio_deps){&fl->plan, r->phones, r->stats, r->sender,
	    r->faults};
	/* Its own stream of the seed: the delays and faults draw as they
	 * would without it. */
	r->twilio = twilio_new(&cfg, &deps, fl->seed ^ MAIN_TWILIO_SEED);
	rc = r->twilio != NULL ? 0 : main_fail("out of memory");
	OPENSSL_cleanse(token, sizeof token);
	return rc;
}

/*
 * Starts the parts of r in order, from the flags (fl must outlive r's api):
 * 0, or -1 with the reason on stderr and what did start left in r for
 * main_stop.
 */
static int
main_start(struct main_run *r, const struct flags *fl)
{
	struct api_deps deps;
	char err[MAIN_ERR_MAX];

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return main_fail("libcurl failed to start");
	r->curl = 1;
	if (!fl->accept_any) {
		r->phones = phones_load(fl->numbers, err, sizeof err);
		if (r->phones == NULL)
			return main_fail(err);
	}
	r->stats = stats_new();
	if (r->stats == NULL)
		return main_fail("out of memory");
	/* Faults draw from the seed apart from the delays: with no fault
	 * given, a seed gives the same run as before faults existed. */
	r->faults = faults_new(&fl->faults, fl->seed);
	if (r->faults == NULL)
		return main_fail("out of memory");
	r->sender = sender_new(r->stats, r->faults, fl->delay_max_ms,
	    fl->seed);
	if (r->sender == NULL)
		return main_fail("cannot start the webhook sender");
	if (fl->twilio && main_twilio(r, fl) != 0)
		return -1;
	deps = (struct api_deps){&fl->plan, r->phones, r->stats, r->sender,
	    r->faults, r->twilio, fl->long_call_ms};
	/* api_start says on stderr why it did not. */
	r->api = api_start(&deps, fl->port, &r->port);
	return r->api != NULL ? 0 : -1;
}

/*
 * Stops the threads of r, so that nothing uses its parts any more. The
 * sender first: it lets go of every POST /call waiting on it, so the
 * connection threads api_stop waits for can end.
 */
static void
main_halt(struct main_run *r)
{
	if (r->sender != NULL)
		sender_stop(r->sender);
	api_stop(r->api);
	r->api = NULL;
}

/* Stops and frees what of r started; r may be partly started. */
static void
main_stop(struct main_run *r)
{
	main_halt(r);
	sender_free(r->sender);
	twilio_free(r->twilio);
	faults_free(r->faults);
	stats_free(r->stats);
	phones_free(r->phones);
	if (r->curl)
		curl_global_cleanup();
}

/* The run's settings on stderr, then the port on stdout, flushed: a
 * script that started apisim reads that line to know it is ready. */
static void
main_announce(const struct main_run *r, const struct flags *fl)
{
	fprintf(stderr, "apisim: seed %llu, %zu phones%s, delays 0..%u ms, "
	    "%zu faults\n", (unsigned long long)fl->seed, r->phones != NULL ?
	    phones_count(r->phones) : 0, fl->accept_any ? " (any accepted)" :
	    "", fl->delay_max_ms, fl->faults.ngiven);
	if (fl->twilio)
		fprintf(stderr, "apisim: Twilio mode, account %s, %u calls "
		    "per second\n", fl->twilio_account, fl->twilio_cps);
	printf("apisim: listening on 127.0.0.1:%u\n", r->port);
	fflush(stdout);
}

/* Waits for one of the signals in stop. */
static void
main_wait(const sigset_t *stop)
{
	int sig;

	while (sigwait(stop, &sig) != 0)
		;
}

int
main(int argc, char **argv)
{
	struct flags fl;
	struct main_run run = {0};
	sigset_t stop;
	int status = EXIT_FAILURE;

	if (main_flags(argc, argv, &fl, &status) != 0)
		return status;
	main_signals(&stop);
	if (main_start(&run, &fl) != 0)
		goto done;
	main_announce(&run, &fl);
	main_wait(&stop);
	status = EXIT_SUCCESS;
done:
	main_stop(&run);
	return status;
}
