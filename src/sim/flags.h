/*
 * flags: apisim's command line, read into one struct. Each flag is a row of
 * one table: its name, whether it takes a value, and how it is set.
 */
#ifndef NUMDIALER_SIM_FLAGS_H
#define NUMDIALER_SIM_FLAGS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "faults.h"
#include "paths.h"

#define FLAGS_PORT_DEFAULT 4830
#define FLAGS_NUMBERS_DEFAULT "conf/numbers.txt"
#define FLAGS_DELAY_MAX_DEFAULT 5000
#define FLAGS_LONG_CALL_DEFAULT 10000    /* ms a "long" call lasts */
#define FLAGS_LONG_CALL_MAX 86400000     /* a day */

struct flags {
	unsigned port;          /* 0 lets the kernel pick one */
	const char *numbers;    /* points into argv or at a literal */
	int accept_any;         /* every phone is known; the list is not read */
	unsigned delay_max_ms;
	uint64_t seed;
	int seed_given;
	struct paths_plan plan;
	struct faults_spec faults; /* --fault, --call-slow-ms, --hook-slow-ms */
	unsigned long_call_ms;  /* how long a call on path "long" lasts */
	int twilio;             /* serve Twilio's REST API */
	const char *twilio_account;    /* "AC..."; argv or a literal */
	const char *twilio_token_file; /* argv; NULL: not given */
	unsigned twilio_cps;
	unsigned twilio_queue_ms;      /* every call waits this in the queue */
	const char *answered_by;       /* argv or a literal */
	int twilio_only;        /* a flag only Twilio mode takes was given */
	int help;               /* --help: print the usage and exit 0 */
};

/*
 * Reads argv into *out, defaults first. Returns 0, or -1 with the reason in
 * err (errlen bytes, always terminated): a bad flag or value, --twilio
 * without --twilio-token-file, or a Twilio flag without --twilio. argv
 * must outlive *out.
 */
int flags_parse(int argc, char **argv, struct flags *out, char *err,
    size_t errlen);

/* Writes the usage text to f. */
void flags_usage(FILE *f);

#endif
