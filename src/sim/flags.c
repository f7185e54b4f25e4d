/* flags: the option table and the parsing of apisim's command line. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "flags.h"
#include "sender.h"

#define FLAGS_PORT_MAX 65535

/* Reads arg as a whole decimal number in min..max: 0 or -1. */
static int
flags_number(const char *name, const char *arg, uint64_t min, uint64_t max,
    uint64_t *out, char *err, size_t errlen)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = arg[0] >= '0' && arg[0] <= '9' ? strtoull(arg, &end, 10) : 0;
	if (arg[0] < '0' || arg[0] > '9' || errno != 0 || *end != '\0' ||
	    v < min || v > max) {
		snprintf(err, errlen, "--%s: want a number in %llu..%llu, "
		    "got '%s'", name, (unsigned long long)min,
		    (unsigned long long)max, arg);
		return -1;
	}
	*out = v;
	return 0;
}

static int
flags_port(struct flags *f, const char *arg, char *err, size_t errlen)
{
	uint64_t v;

	if (flags_number("port", arg, 0, FLAGS_PORT_MAX, &v, err, errlen) != 0)
		return -1;
	f->port = (unsigned)v;
	return 0;
}

static int
flags_numbers(struct flags *f, const char *arg, char *err, size_t errlen)
{
	if (arg[0] == '\0') {
		snprintf(err, errlen, "--numbers: empty file name");
		return -1;
	}
	f->numbers = arg;
	return 0;
}

static int
flags_accept_any(struct flags *f, const char *arg, char *err, size_t errlen)
{
	(void)arg;
	(void)err;
	(void)errlen;
	f->accept_any = 1;
	return 0;
}

static int
flags_delay(struct flags *f, const char *arg, char *err, size_t errlen)
{
	uint64_t v;

	if (flags_number("delay-max-ms", arg, 0, SENDER_DELAY_MAX_MS, &v, err,
	    errlen) != 0)
		return -1;
	f->delay_max_ms = (unsigned)v;
	return 0;
}

static int
flags_seed(struct flags *f, const char *arg, char *err, size_t errlen)
{
	if (flags_number("seed", arg, 0, UINT64_MAX, &f->seed, err,
	    errlen) != 0)
		return -1;
	f->seed_given = 1;
	return 0;
}

static int
flags_paths(struct flags *f, const char *arg, char *err, size_t errlen)
{
	return paths_plan_turns(&f->plan, arg, err, errlen);
}

static int
flags_path_for(struct flags *f, const char *arg, char *err, size_t errlen)
{
	return paths_plan_pin(&f->plan, arg, err, errlen);
}

static int
flags_fault(struct flags *f, const char *arg, char *err, size_t errlen)
{
	return faults_spec_add(&f->faults, arg, err, errlen);
}

static int
flags_call_slow(struct flags *f, const char *arg, char *err, size_t errlen)
{
	uint64_t v;

	if (flags_number("call-slow-ms", arg, 0, FAULTS_SLOW_MAX_MS, &v, err,
	    errlen) != 0)
		return -1;
	f->faults.call_slow_ms = (unsigned)v;
	return 0;
}

static int
flags_hook_slow(struct flags *f, const char *arg, char *err, size_t errlen)
{
	uint64_t v;

	if (flags_number("hook-slow-ms", arg, 0, FAULTS_SLOW_MAX_MS, &v, err,
	    errlen) != 0)
		return -1;
	f->faults.hook_slow_ms = (unsigned)v;
	return 0;
}

static int
flags_help(struct flags *f, const char *arg, char *err, size_t errlen)
{
	(void)arg;
	(void)err;
	(void)errlen;
	f->help = 1;
	return 0;
}

static const struct {
	const char *name;
	const char *value;  /* the value's name in the usage, NULL for none */
	const char *help;
	int (*set)(struct flags *f, const char *arg, char *err, size_t errlen);
} flag_table[] = {
	{"port", "N", "listen on 127.0.0.1:N (4830; 0: any free port)",
	    flags_port},
	{"numbers", "FILE", "the phones known (conf/numbers.txt)",
	    flags_numbers},
	{"accept-any", NULL, "know every phone; no list is read",
	    flags_accept_any},
	{"delay-max-ms", "N", "each webhook waits 0..N ms (5000; 0: none)",
	    flags_delay},
	{"seed", "N", "random seed (from the clock)", flags_seed},
	{"paths", "LIST", "paths of successive calls, in turn "
	    "(answer,noanswer,early)", flags_paths},
	{"path-for", "PHONE=PATH", "pin a phone's path (repeatable)",
	    flags_path_for},
	{"fault", "NAME=WHEN", "inject a fault (repeatable; see below)",
	    flags_fault},
	{"call-slow-ms", "N", "call-slow answers N ms late (3000)",
	    flags_call_slow},
	{"hook-slow-ms", "N", "hook-slow webhooks go N ms late (2000)",
	    flags_hook_slow},
	{"help", NULL, "print this and exit", flags_help},
};
#define FLAGS_COUNT (sizeof flag_table / sizeof flag_table[0])

void
flags_usage(FILE *f)
{
	char left[64];
	size_t i;

	fprintf(f, "usage: apisim [flags]\n"
	    "Simulates the telephony API on 127.0.0.1.\n");
	for (i = 0; i < FLAGS_COUNT; i++) {
		snprintf(left, sizeof left, "--%s%s%s", flag_table[i].name,
		    flag_table[i].value != NULL ? " " : "",
		    flag_table[i].value != NULL ? flag_table[i].value : "");
		fprintf(f, "  %-26s %s\n", left, flag_table[i].help);
	}
	faults_usage(f);
}

int
flags_parse(int argc, char **argv, struct flags *out, char *err,
    size_t errlen)
{
	struct option opts[FLAGS_COUNT + 1];
	size_t i;
	int c;

	memset(out, 0, sizeof *out);
	out->port = FLAGS_PORT_DEFAULT;
	out->numbers = FLAGS_NUMBERS_DEFAULT;
	out->delay_max_ms = FLAGS_DELAY_MAX_DEFAULT;
	out->faults.call_slow_ms = FAULTS_CALL_SLOW_DEFAULT;
	out->faults.hook_slow_ms = FAULTS_HOOK_SLOW_DEFAULT;
	memset(opts, 0, sizeof opts);
	for (i = 0; i < FLAGS_COUNT; i++) {
		opts[i].name = flag_table[i].name;
		opts[i].has_arg = flag_table[i].value != NULL ? required_argument
		    : no_argument;
		opts[i].val = (int)i;
	}
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c < 0 || (size_t)c >= FLAGS_COUNT) {
			snprintf(err, errlen, "unknown flag or missing value: "
			    "'%s'", argv[optind - 1]);
			return -1;
		}
		if (flag_table[c].set(out, optarg, err, errlen) != 0)
			return -1;
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
		return -1;
	}
	return 0;
}
