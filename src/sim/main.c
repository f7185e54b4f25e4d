/* apisim: the telephony API simulator; start-up, signals and stopping. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "api.h"
#include "faults.h"
#include "flags.h"
#include "phones.h"
#include "sender.h"
#include "stats.h"

#define MAIN_ERR_MAX 512
#define MAIN_EXIT_USAGE 2

/* A seed from the clock and the pid, for runs that name none. */
static uint64_t
main_seed(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^
	    ((uint64_t)getpid() << 16);
}

int
main(int argc, char **argv)
{
	struct flags fl;
	struct phones *phones = NULL;
	struct stats *st = NULL;
	struct faults *faults = NULL;
	struct sender *sender = NULL;
	struct api *api = NULL;
	struct api_deps deps;
	char err[MAIN_ERR_MAX];
	sigset_t stop;
	unsigned port;
	int sig, curl = 0, rc = EXIT_FAILURE;

	if (flags_parse(argc, argv, &fl, err, sizeof err) != 0) {
		fprintf(stderr, "apisim: %s (see apisim --help)\n", err);
		return MAIN_EXIT_USAGE;
	}
	if (fl.help) {
		flags_usage(stdout);
		return EXIT_SUCCESS;
	}
	if (!fl.seed_given)
		fl.seed = main_seed();

	/* Every thread inherits this mask, so only sigwait below sees them. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "apisim: libcurl failed to start\n");
		goto fail;
	}
	curl = 1;
	if (!fl.accept_any) {
		phones = phones_load(fl.numbers, err, sizeof err);
		if (phones == NULL) {
			fprintf(stderr, "apisim: %s\n", err);
			goto fail;
		}
	}
	st = stats_new();
	if (st == NULL) {
		fprintf(stderr, "apisim: out of memory\n");
		goto fail;
	}
	/* Faults draw from the seed apart from the delays: with no fault
	 * given, a seed gives the same run as before faults existed. */
	faults = faults_new(&fl.faults, fl.seed);
	if (faults == NULL) {
		fprintf(stderr, "apisim: out of memory\n");
		goto fail;
	}
	sender = sender_new(st, faults, fl.delay_max_ms, fl.seed);
	if (sender == NULL) {
		fprintf(stderr, "apisim: cannot start the webhook sender\n");
		goto fail;
	}
	deps = (struct api_deps){&fl.plan, phones, st, sender, faults};
	api = api_start(&deps, fl.port, &port);
	if (api == NULL)
		goto fail;

	fprintf(stderr, "apisim: seed %llu, %zu phones%s, delays 0..%u ms, "
	    "%zu faults\n", (unsigned long long)fl.seed, phones != NULL ?
	    phones_count(phones) : 0, fl.accept_any ? " (any accepted)" : "",
	    fl.delay_max_ms, fl.faults.ngiven);
	printf("apisim: listening on 127.0.0.1:%u\n", port);
	fflush(stdout);

	while (sigwait(&stop, &sig) != 0)
		;
	rc = EXIT_SUCCESS;
fail:
	/* The sender first: it lets go of every POST /call waiting on it, so
	 * the connection threads can end. */
	if (sender != NULL)
		sender_stop(sender);
	api_stop(api);
	sender_free(sender);
	faults_free(faults);
	stats_free(st);
	phones_free(phones);
	if (curl)
		curl_global_cleanup();
	return rc;
}
