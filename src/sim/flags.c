/* flags: the option table and the parsing of apisim's command line. */
#include <getopt.h>
#include <stddef.h>
#include <string.h>

#include "calls.h"
#include "flags.h"
#include "pacer.h"
#include "sender.h"
#include "twilio.h"
#include "util.h"

#define FLAGS_PORT_MAX 65535

struct flag;

typedef int (*flags_set)(struct flags *f, const struct flag *row,
    const char *arg, char *err, size_t errlen);

/* One flag: how the usage shows it and how it is set. */
struct flag {
	const char *name;
	const char *value;  /* the value's name in the usage, NULL for none */
	const char *help;
	flags_set set;
	size_t field;       /* flags_unsigned, flags_on: the field's offset */
	uint64_t max;       /* flags_unsigned: the largest value (least: 0) */
};

/* Reads arg as a whole decimal number in min..max: 0 or -1. */
static int
flags_number(const char *name, const char *arg, uint64_t min, uint64_t max,
    uint64_t *out, char *err, size_t errlen)
{
	const char *errstr;
	uint64_t v;

	v = util_strtou64(arg, strlen(arg), min, max, &errstr);
	if (errstr != NULL)
		return util_err(err, errlen, "--%s: want a number in "
		    "%llu..%llu, got '%s'", name, (unsigned long long)min,
		    (unsigned long long)max, arg);
	*out = v;
	return 0;
}

/* A number in 0..row->max, into the unsigned at row->field. */
static int
flags_unsigned(struct flags *f, const struct flag *row, const char *arg,
    char *err, size_t errlen)
{
	uint64_t v = 0;

	if (flags_number(row->name, arg, 0, row->max, &v, err, errlen) != 0)
		return -1;
	*(unsigned *)(void *)((char *)f + row->field) = (unsigned)v;
	return 0;
}

/* A flag with no value: sets the int at row->field. */
static int
flags_on(struct flags *f, const struct flag *row, const char *arg, char *err,
    size_t errlen)
{
	(void)arg;
	(void)err;
	(void)errlen;
	*(int *)(void *)((char *)f + row->field) = 1;
	return 0;
}

static int
flags_seed(struct flags *f, const struct flag *row, const char *arg,
    char *err, size_t errlen)
{
	if (flags_number(row->name, arg, 0, UINT64_MAX, &f->seed, err,
	    errlen) != 0)
		return -1;
	f->seed_given = 1;
	return 0;
}

static int
flags_numbers(struct flags *f, const struct flag *row, const char *arg,
    char *err, size_t errlen)
{
	(void)row;
	if (arg[0] == '\0')
		return util_err(err, errlen, "--numbers: empty file name");
	f->numbers = arg;
	return 0;
}

static int
flags_paths(struct flags *f, const struct flag *row, const char *arg,
    char *err, size_t errlen)
{
	(void)row;
	return paths_plan_turns(&f->plan, arg, err, errlen);
}

static int
flags_path_for(struct flags *f, const struct flag *row, const char *arg,
    char *err, size_t errlen)
{
	(void)row;
	return paths_plan_pin(&f->plan, arg, err, errlen);
}

static int
flags_fault(struct flags *f, const struct flag *row, const char *arg,
    char *err, size_t errlen)
{
	(void)row;
	return faults_spec_add(&f->faults, arg, err, errlen);
}

static int
flags_twilio_account(struct flags *f, const struct flag *row,
    const char *arg, char *err, size_t errlen)
{
	if (!twilio_account_valid(arg))
		return util_err(err, errlen, "--%s: want AC and 32 hex "
		    "digits, got '%.64s'", row->name, arg);
	f->twilio_account = arg;
	f->twilio_only = 1;
	return 0;
}

static int
flags_twilio_token_file(struct flags *f, const struct flag *row,
    const char *arg, char *err, size_t errlen)
{
	if (arg[0] == '\0')
		return util_err(err, errlen, "--%s: empty file name",
		    row->name);
	f->twilio_token_file = arg;
	f->twilio_only = 1;
	return 0;
}

static int
flags_twilio_cps(struct flags *f, const struct flag *row, const char *arg,
    char *err, size_t errlen)
{
	uint64_t v = 0;

	if (flags_number(row->name, arg, 1, row->max, &v, err, errlen) != 0)
		return -1;
	f->twilio_cps = (unsigned)v;
	f->twilio_only = 1;
	return 0;
}

static int
flags_twilio_queue_ms(struct flags *f, const struct flag *row,
    const char *arg, char *err, size_t errlen)
{
	uint64_t v = 0;

	if (flags_number(row->name, arg, 0, row->max, &v, err, errlen) != 0)
		return -1;
	f->twilio_queue_ms = (unsigned)v;
	f->twilio_only = 1;
	return 0;
}

static int
flags_answered_by(struct flags *f, const struct flag *row, const char *arg,
    char *err, size_t errlen)
{
	if (!calls_answered_by_known(arg))
		return util_err(err, errlen, "--%s: want human, "
		    "machine_start, machine_end_beep, machine_end_silence, "
		    "machine_end_other, fax or unknown, got '%.32s'",
		    row->name, arg);
	f->answered_by = arg;
	f->twilio_only = 1;
	return 0;
}

static const struct flag flag_table[] = {
	{"port", "N", "listen on 127.0.0.1:N (4830; 0: any free port)",
	    flags_unsigned, offsetof(struct flags, port), FLAGS_PORT_MAX},
	{"numbers", "FILE", "the phones known (conf/numbers.txt)",
	    flags_numbers, 0, 0},
	{"accept-any", NULL, "know every phone; no list is read",
	    flags_on, offsetof(struct flags, accept_any), 0},
	{"delay-max-ms", "N", "each webhook waits 0..N ms (5000; 0: none)",
	    flags_unsigned, offsetof(struct flags, delay_max_ms),
	    SENDER_DELAY_MAX_MS},
	{"seed", "N", "random seed (from the clock)", flags_seed, 0, 0},
	{"paths", "LIST", "paths of successive calls, in turn "
	    "(answer,noanswer,early; or busy,unanswered,long,lost-end,failed)",
	    flags_paths, 0, 0},
	{"path-for", "PHONE=PATH", "pin a phone's path (repeatable)",
	    flags_path_for, 0, 0},
	{"fault", "NAME=WHEN", "inject a fault (repeatable; see below)",
	    flags_fault, 0, 0},
	{"call-slow-ms", "N", "call-slow answers N ms late (3000)",
	    flags_unsigned, offsetof(struct flags, faults.call_slow_ms),
	    FAULTS_SLOW_MAX_MS},
	{"hook-slow-ms", "N", "hook-slow webhooks go N ms late (2000)",
	    flags_unsigned, offsetof(struct flags, faults.hook_slow_ms),
	    FAULTS_SLOW_MAX_MS},
	{"long-call-ms", "N", "a call on path long lasts N ms (10000)",
	    flags_unsigned, offsetof(struct flags, long_call_ms),
	    FLAGS_LONG_CALL_MAX},
	{"twilio", NULL, "serve Twilio's REST API (see below)", flags_on,
	    offsetof(struct flags, twilio), 0},
	{"twilio-account", "SID", "the account's sid (" TWILIO_ACCOUNT_DEFAULT
	    ")", flags_twilio_account, 0, 0},
	{"twilio-token-file", "PATH", "the file holding its auth token "
	    "(needed)", flags_twilio_token_file, 0, 0},
	{"twilio-cps", "N", "calls dialed per second, the others queued (1)",
	    flags_twilio_cps, 0, PACER_CPS_MAX},
	{"twilio-queue-ms", "N", "each call waits N ms more in the queue "
	    "first: the account's other traffic (0)", flags_twilio_queue_ms, 0,
	    FLAGS_LONG_CALL_MAX},
	{"answered-by", "WORD", "AnsweredBy of answered calls that ask for "
	    "detection (human)", flags_answered_by, 0, 0},
	{"help", NULL, "print this and exit", flags_on,
	    offsetof(struct flags, help), 0},
};

void
flags_usage(FILE *f)
{
	char left[64];
	size_t i;

	fprintf(f, "usage: apisim [flags]\n"
	    "Simulates the telephony API on 127.0.0.1.\n");
	for (i = 0; i < LEN(flag_table); i++) {
		snprintf(left, sizeof left, "--%s%s%s", flag_table[i].name,
		    flag_table[i].value != NULL ? " " : "",
		    flag_table[i].value != NULL ? flag_table[i].value : "");
		fprintf(f, "  %-26s %s\n", left, flag_table[i].help);
	}
	faults_usage(f);
	fprintf(f, "Twilio mode (--twilio) serves, behind basic auth SID:TOKEN,\n"
	    "  POST /2010-04-01/Accounts/SID/Calls.json  (a form: To, From, Url "
	    "or Twiml,\n"
	    "      StatusCallback, StatusCallbackEvent, StatusCallbackMethod, "
	    "Timeout,\n"
	    "      TimeLimit, MachineDetection, AsyncAmd, "
	    "AsyncAmdStatusCallback)\n"
	    "  GET  /2010-04-01/Accounts/SID/Calls/CALLSID.json\n"
	    "and sends the status callbacks asked for as signed forms "
	    "(X-Twilio-Signature).\n"
	    "Calls over --twilio-cps a second are taken (201) but stay queued "
	    "until\ntheir turn. GET /stats adds max_cps, max_posts_per_s, "
	    "queued, queued_max,\nauth_failures, bad_requests, call_queries; "
	    "GET /stats/calls lists what each\ncall asked for. POST /call is "
	    "not served.\n");
}

int
flags_parse(int argc, char **argv, struct flags *out, char *err,
    size_t errlen)
{
	struct option opts[LEN(flag_table) + 1];
	size_t i;
	int c;

	memset(out, 0, sizeof *out);
	out->port = FLAGS_PORT_DEFAULT;
	out->numbers = FLAGS_NUMBERS_DEFAULT;
	out->delay_max_ms = FLAGS_DELAY_MAX_DEFAULT;
	out->faults.call_slow_ms = FAULTS_CALL_SLOW_DEFAULT;
	out->faults.hook_slow_ms = FAULTS_HOOK_SLOW_DEFAULT;
	out->long_call_ms = FLAGS_LONG_CALL_DEFAULT;
	out->twilio_account = TWILIO_ACCOUNT_DEFAULT;
	out->twilio_cps = TWILIO_CPS_DEFAULT;
	out->answered_by = TWILIO_ANSWERED_BY_DEFAULT;
	memset(opts, 0, sizeof opts);
	for (i = 0; i < LEN(flag_table); i++) {
		opts[i].name = flag_table[i].name;
		opts[i].has_arg = flag_table[i].value != NULL ? required_argument
		    : no_argument;
		opts[i].val = (int)i;
	}
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c < 0 || (size_t)c >= LEN(flag_table))
			return util_err(err, errlen, "unknown flag or missing "
			    "value: '%s'", argv[optind - 1]);
		if (flag_table[c].set(out, &flag_table[c], optarg, err,
		    errlen) != 0)
			return -1;
	}
	if (optind < argc)
		return util_err(err, errlen, "unexpected argument '%s'",
		    argv[optind]);
	if (out->twilio && out->twilio_token_file == NULL)
		return util_err(err, errlen, "--twilio needs "
		    "--twilio-token-file PATH, a file holding the account's "
		    "auth token");
	if (!out->twilio && out->twilio_only)
		return util_err(err, errlen, "--twilio-account, "
		    "--twilio-token-file, --twilio-cps and --answered-by need "
		    "--twilio");
	return 0;
}
