/*
 * settings: the dialer's settings, from conf/numdialer.conf (KEY=value
 * lines) with the environment over it, each range-checked. Pure parsing;
 * settings_load adds the file and the environment.
 */
#ifndef NUMDIALER_SETTINGS_H
#define NUMDIALER_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "e164.h"
#include "hosts.h"
#include "hours.h"
#include "status.h"

#define SETTINGS_VALUE_MAX 1024
#define SETTINGS_URL_MAX 1024
#define SETTINGS_PATH_MAX 1024
#define SETTINGS_NAME_MAX 64       /* a group's name */
#define SETTINGS_DIAL_ATTEMPTS_MAX 20
#define SETTINGS_RETRY_DELAY_MAX_MS 60000
#define SETTINGS_FAILURE_PAUSE_MAX 1000000
#define SETTINGS_LOG_MAX_MB_MAX 100000
#define SETTINGS_HOURS_MAX 32      /* room for a wrong text to be told */
#define SETTINGS_REDIAL_ATTEMPTS_MAX 100
#define SETTINGS_REDIAL_DELAY_MAX 604800   /* a week, in seconds */

#define SETTINGS_TWIML_MAX 1024     /* the TwiML sent with each call */
#define SETTINGS_SID_LEN 34         /* a Twilio SID: two letters, 32 hex */
#define SETTINGS_TWILIO_TIMEOUT_MIN 5    /* Twilio's bounds for Timeout */
#define SETTINGS_TWILIO_TIMEOUT_MAX 600
#define SETTINGS_MAX_CPS_MAX 1000
/* A Twilio call's TimeLimit is the call timeout less the ring time less
 * this, so Twilio ends every call before the dialer's timeout does: the
 * time a call may wait in Twilio's queue and the callbacks' way back. */
#define SETTINGS_TIME_LIMIT_MARGIN 15

enum settings_sim { SETTINGS_SIM_AUTO, SETTINGS_SIM_ON, SETTINGS_SIM_OFF };
enum settings_provider { SETTINGS_PROVIDER_NUMDIALER, SETTINGS_PROVIDER_TWILIO };

struct settings {
	int port;                              /* NUMDIALER_PORT: 1..65535, 8080 */
	char bind[64];                         /* NUMDIALER_BIND: 127.0.0.1 */
	char api[SETTINGS_URL_MAX];            /* NUMDIALER_API: http://localhost:4830 */
	char public_url[SETTINGS_URL_MAX];     /* NUMDIALER_PUBLIC_URL: http://127.0.0.1:PORT */
	char numbers[SETTINGS_PATH_MAX];       /* NUMDIALER_NUMBERS: conf/numbers.txt */
	int concurrency;                       /* NUMDIALER_CONCURRENCY: 1..1000, 3 */
	int call_timeout;                      /* NUMDIALER_CALL_TIMEOUT: 1..86400 s, 120 */
	enum settings_sim sim;                 /* NUMDIALER_SIM: auto|on|off */
	char rundir[SETTINGS_PATH_MAX];        /* NUMDIALER_RUNDIR: run */
	char server[16];                       /* NUMDIALER_SERVER: lighttpd|nginx */
	char socket[SETTINGS_PATH_MAX];        /* NUMDIALER_SOCKET: FastCGI socket to
	                                          listen on when not spawned; empty */
	char socket_group[SETTINGS_NAME_MAX];  /* NUMDIALER_SOCKET_GROUP: the group
	                                          (name or number) that may use
	                                          that socket besides its owner;
	                                          empty: the owner only */
	char journal[SETTINGS_PATH_MAX];       /* NUMDIALER_JOURNAL: where every placed
	                                          call and status change is appended
	                                          and replayed from; empty: none */
	int dial_attempts;                     /* NUMDIALER_DIAL_ATTEMPTS: POST /call
	                                          tries per row, 1..20, 4 */
	int retry_delay_ms;                    /* NUMDIALER_RETRY_DELAY_MS: first
	                                          retry's wait, doubled each time,
	                                          1..60000, 500 */
	char proxy[SETTINGS_URL_MAX];          /* NUMDIALER_PROXY: the proxy for
	                                          POST /call; empty: none, whatever
	                                          the environment's http_proxy */
	int failure_pause;                     /* NUMDIALER_FAILURE_PAUSE: rows in
	                                          a row whose POST /call failed
	                                          that pause dialing, 0..1000000
	                                          (0: never), 5 */
	int log_max_mb;                        /* NUMDIALER_LOG_MAX_MB: a log of the
	                                          run dir past this many MiB is
	                                          rotated by the admin script,
	                                          0..100000 (0: never), 50 */
	char hosts[SETTINGS_VALUE_MAX];        /* NUMDIALER_HOSTS: more names the
	                                          page and its routes are reached
	                                          by, host[:port] comma-separated;
	                                          empty */
	char country_code[E164_CC_MAX + 1];    /* NUMDIALER_COUNTRY_CODE: the
	                                          country of the numbers written
	                                          without '+', 1 to 3 digits not
	                                          0 first; 1 (NANP) */
	char dnc[SETTINGS_PATH_MAX];           /* NUMDIALER_DNC: the do-not-call
	                                          file; empty: none */
	char call_hours[SETTINGS_HOURS_MAX];   /* NUMDIALER_CALL_HOURS: HH:MM-HH:MM,
	                                          as hours_parse reads it; empty:
	                                          any time */
	char time_zone[HOURS_ZONE_MAX + 1];    /* NUMDIALER_TIMEZONE: the zone of
	                                          the calling hours for numbers
	                                          without one, a tz database name;
	                                          empty: the machine's */
	unsigned redial;                       /* NUMDIALER_REDIAL: the ends after
	                                          which a row is dialed again, bit
	                                          1u << STATUS_BUSY and/or 1u <<
	                                          STATUS_NO_ANSWER, written busy,
	                                          no-answer; empty: none */
	int redial_attempts;                   /* NUMDIALER_REDIAL_ATTEMPTS: calls
	                                          per row in all, 1..100, 3 */
	int redial_delay;                      /* NUMDIALER_REDIAL_DELAY: seconds
	                                          before a row is dialed again,
	                                          0..604800, 300 */
	enum settings_provider provider;       /* NUMDIALER_PROVIDER: numdialer
	                                          (POST /call, JSON) or twilio
	                                          (Twilio's REST API); numdialer */
	char twilio_account_sid[SETTINGS_SID_LEN + 1]; /* NUMDIALER_TWILIO_ACCOUNT_SID:
	                                          AC and 32 hex; empty */
	char twilio_token_file[SETTINGS_PATH_MAX]; /* NUMDIALER_TWILIO_AUTH_TOKEN_FILE:
	                                          the file holding the auth token,
	                                          not readable by others; empty */
	char twilio_from[E164_MAX + 1];        /* NUMDIALER_TWILIO_FROM: the
	                                          caller id, E.164; empty */
	char twilio_twiml[SETTINGS_TWIML_MAX]; /* NUMDIALER_TWILIO_TWIML: what an
	                                          answered call hears; a short
	                                          <Say> */
	char twilio_url[SETTINGS_URL_MAX];     /* NUMDIALER_TWILIO_URL: a TwiML URL
	                                          instead of the TwiML; empty */
	int twilio_timeout;                    /* NUMDIALER_TWILIO_TIMEOUT: ring
	                                          seconds (Twilio's Timeout),
	                                          5..600, 30 */
	char twilio_machine_detection[24];     /* NUMDIALER_TWILIO_MACHINE_DETECTION:
	                                          off, Enable or DetectMessageEnd;
	                                          off */
	char twilio_api[SETTINGS_URL_MAX];     /* NUMDIALER_TWILIO_API: Twilio's
	                                          base URL, https://api.twilio.com */
	int max_cps;                           /* NUMDIALER_MAX_CPS: most calls
	                                          placed per second, 0..1000 (0:
	                                          no spacing), 0 */
	struct hosts known;                    /* derived by settings_load: every
	                                          name the server answers to
	                                          (localhost, the bind address,
	                                          the public URL's host, hosts) */
};

/* The API the dialer calls: Twilio's base URL or NUMDIALER_API. */
const char *settings_api(const struct settings *s);

/* The TimeLimit sent with each Twilio call: see SETTINGS_TIME_LIMIT_MARGIN. */
int settings_time_limit(const struct settings *s);

/* Whether s dials a row again after a call that ended in st. */
bool settings_redials(const struct settings *s, enum status st);

/* Fills s with every default. */
void settings_defaults(struct settings *s);

/*
 * Sets one setting from its NUMDIALER_* key and text value. Returns 0, or -1
 * with "KEY: reason" in err (errlen bytes) for an unknown key or a bad value.
 */
int settings_set(struct settings *s, const char *key, const char *value,
    char *err, size_t errlen);

/*
 * Parses conf-file text (KEY=value lines, '#' comments, blank lines; a value
 * may be wrapped in double quotes) into s. Returns 0, or -1 with
 * "name:line: reason" in err.
 */
int settings_parse(struct settings *s, const char *text, size_t len,
    const char *name, char *err, size_t errlen);

/*
 * Writes every setting of s to out as a KEY=value line, in the table's
 * order, choices as their words: text settings_parse reads back to s (as
 * long as no text value holds a newline, a " #" or outer blanks or quotes,
 * which the checks let through only in paths). 0, or -1 on a write error.
 */
int settings_print(const struct settings *s, FILE *out);

/*
 * Defaults, then the file at conf_path (skipped if conf_path is NULL or the
 * file does not exist), then every NUMDIALER_* variable of the environment,
 * then derived values (public_url from port when unset, known). 0 or -1
 * with err.
 */
int settings_load(struct settings *s, const char *conf_path, char *err,
    size_t errlen);

#endif
