/*
 * twilio: what the dialer says to Twilio's Calls API and reads back from it,
 * without sending anything: the form of POST .../Calls.json and the URLs,
 * the judgement of its answer (placed, unknown, retry, failed, pause), the
 * reading of a call queried with GET .../Calls/{sid}.json, the signature
 * Twilio puts on its webhooks (X-Twilio-Signature), and the auth token's
 * file. No globals; the token file is the only I/O.
 */
#ifndef NUMDIALER_TWILIO_H
#define NUMDIALER_TWILIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "outcome.h"
#include "status.h"

#define TWILIO_API_VERSION "2010-04-01"
#define TWILIO_SID_LEN 34          /* a sid: two letters and 32 hex digits */
#define TWILIO_SIGNATURE_LEN 28    /* Base64 of an HMAC-SHA1 (20 bytes) */
#define TWILIO_TOKEN_MAX 128       /* longest auth token read from its file */
#define TWILIO_URL_MAX 2048        /* longest URL taken (API base, callbacks) */
#define TWILIO_TWIML_MAX 4000      /* Twilio's own bound on a Twiml value */
#define TWILIO_TIMEOUT_MAX 600     /* ring seconds Twilio allows at most */
#define TWILIO_TIME_LIMIT_MAX 86400 /* a call lasts a day at most */
#define TWILIO_SIGNED_PARAMS_MAX 64 /* form parameters a signature covers */
#define TWILIO_JSON_DEPTH 8        /* a call's JSON nests one level */
/* Room for the longest form twilio_call_form writes: each value escaped
 * (3 bytes a byte at worst), the names and the fixed values. */
#define TWILIO_FORM_MAX (3 * (TWILIO_TWIML_MAX + 2 * TWILIO_URL_MAX) + 1024)
/* Room for the URLs twilio_calls_url and twilio_call_url write. */
#define TWILIO_API_URL_MAX (TWILIO_URL_MAX + 128)

/* Answering-machine detection asked for with a call (MachineDetection). */
enum twilio_amd {
	TWILIO_AMD_OFF,
	TWILIO_AMD_ENABLE,           /* "Enable": a verdict as soon as known */
	TWILIO_AMD_MESSAGE_END       /* "DetectMessageEnd": a machine's
	                                verdict waits for the end of its
	                                greeting */
};

/* One call to place; every string borrowed, NUL-terminated. */
struct twilio_call {
	const char *to;              /* E.164: '+' and 8 to 15 digits */
	const char *from;            /* E.164: the Twilio number calling */
	const char *twiml;           /* inline TwiML (1..TWILIO_TWIML_MAX
	                                bytes), or NULL when url is set */
	const char *url;             /* where Twilio fetches the TwiML, or
	                                NULL when twiml is set */
	unsigned timeout_s;          /* ring seconds: 1..TWILIO_TIMEOUT_MAX */
	unsigned time_limit_s;       /* longest call: 1..TWILIO_TIME_LIMIT_MAX */
	const char *status_callback; /* the row's webhook URL */
	enum twilio_amd amd;
};

/*
 * Writes the application/x-www-form-urlencoded body of POST
 * /2010-04-01/Accounts/{AccountSid}/Calls.json into out (outlen bytes,
 * TWILIO_FORM_MAX always enough), NUL-terminated: To, From, Twiml or Url,
 * Timeout, TimeLimit, StatusCallback, StatusCallbackMethod=POST, and
 * StatusCallbackEvent once per event (initiated, ringing, answered,
 * completed: Twilio reads repeated parameters, not one space-joined). With
 * detection on: MachineDetection, AsyncAmd=true and AsyncAmdStatusCallback
 * (the same webhook URL, method POST). Detection with a Url runs
 * synchronously unless asked otherwise and reports AnsweredBy only to that
 * Url; with inline TwiML there is no such request, so the asynchronous
 * callback is how AnsweredBy comes (Twilio warns 21262 without it). Every
 * value is escaped by libcurl (curl_easy_escape). Returns 0, or -1 with
 * out "" when a field is missing or out of its bounds (to or from not
 * E.164, both or neither of twiml and url, a URL over TWILIO_URL_MAX), out
 * is too small, or memory ran out.
 */
int twilio_call_form(const struct twilio_call *call, char *out,
    size_t outlen);

/*
 * Writes {api_base}/2010-04-01/Accounts/{account_sid}/Calls.json into out
 * (outlen bytes; TWILIO_API_URL_MAX is enough). api_base is the API's root
 * ("https://api.twilio.com"; a trailing '/' is dropped), account_sid "AC"
 * and 32 hex digits. 0, or -1 with out "" for a bad sid, an empty or too
 * long base, or too little room.
 */
int twilio_calls_url(const char *api_base, const char *account_sid,
    char *out, size_t outlen);

/* The same for one call, .../Calls/{call_sid}.json (GET, to ask about
 * it): call_sid "CA" and 32 hex digits. 0, or -1 with out "". */
int twilio_call_url(const char *api_base, const char *account_sid,
    const char *call_sid, char *out, size_t outlen);

/* Whether s is a Twilio sid of the kind prefix names ("AC" an account,
 * "CA" a call): the two letters, then exactly 32 hex digits. */
bool twilio_sid_valid(const char *s, const char *prefix);

/*
 * Judges one POST .../Calls.json from what libcurl reports (see
 * outcome_report; body is Twilio's JSON), with outcome_judge's retry rules
 * (outcome_judge_delivery: no connection, 429 (Twilio's 20429) or 503 is a
 * RETRY after the same wait, FAILED once the attempts are spent; an answer
 * lost after the request went out is UNKNOWN, never sent again). Then:
 *   2xx with "sid" "CA" + 32 hex        PLACED, id the sid;
 *   2xx without one, or too large       UNKNOWN: the call may exist;
 *   401, 403                            PAUSE, reason "twilio refused the
 *       credentials (401, twilio 20003: Authenticate): dialing paused;
 *       check NUMDIALER_TWILIO_ACCOUNT_SID and the token file";
 *   any other 3xx, 4xx                  FAILED;
 *   5xx but 503, anything else          UNKNOWN.
 * A reason quotes Twilio's error, {"code", "message", ...}, as "twilio
 * CODE: MESSAGE" (the message cut to fit CAMPAIGN_REASON_MAX on a
 * character's edge, control characters dropped), or "twilio HTTP 400"
 * when the body is no such error. No credential is ever in a reason: the
 * judge is never given one.
 */
void twilio_judge(const struct outcome_report *r,
    const struct outcome_policy *p, struct outcome *out);

/* A call as GET .../Calls/{sid}.json tells it. */
struct twilio_call_state {
	char sid[TWILIO_SID_LEN + 1];
	enum status status;            /* queued, initiated: dialing;
	                                  in-progress: answered; ... */
	int64_t duration_s;            /* "duration" ("12"): seconds, 0..
	                                  WEBHOOK_DURATION_MAX; -1 for null (a
	                                  call not ended) */
	enum answered_by answered_by;  /* ANSWERED_BY_NONE for null; a word
	                                  not known is ANSWERED_BY_UNKNOWN */
};

/*
 * Reads len bytes of a 200 answer to GET .../Calls/{sid}.json into *out:
 * its "sid" ("CA" + 32 hex), "status" (a word status_parse knows),
 * "duration" (a string of digits, or null or absent) and "answered_by" (a
 * string, or null or absent). Returns 0, or -1 with the reason in err
 * (*out then cleared: no sid, status idle, no duration, none answered).
 */
int twilio_read_call(const char *body, size_t len,
    struct twilio_call_state *out, char *err, size_t errlen);

/* What asking Twilio about a call came to (twilio_judge_query). */
enum twilio_query {
	TWILIO_QUERY_FOUND,      /* 200: the call read into *state */
	TWILIO_QUERY_NOT_FOUND,  /* 404 with Twilio's error 20404: this account
	                            has no such call; it never existed (or was
	                            deleted), so it will never ring */
	TWILIO_QUERY_REFUSED,    /* 401, 403: the credentials were refused;
	                            pause as twilio_judge's PAUSE does */
	TWILIO_QUERY_FAILED      /* nothing learned (no answer, 429, 5xx, a
	                            404 not from Twilio, a body not read): the
	                            call may be in any state */
};

/*
 * Judges one GET .../Calls/{sid}.json from what libcurl reports: which of
 * enum twilio_query, with *state filled for FOUND (and cleared otherwise)
 * and a reason in reason (reasonlen bytes) for the others, written as
 * twilio_judge writes its reasons.
 */
enum twilio_query twilio_judge_query(const struct outcome_report *r,
    struct twilio_call_state *state, char *reason, size_t reasonlen);

/*
 * Twilio's signature of a POST to url with form (form_len bytes of
 * application/x-www-form-urlencoded): Base64(HMAC-SHA1(token, url, then
 * for each parameter, sorted by name and then by value, its name and value
 * with nothing between)), each name and value percent-decoded first ('+'
 * a space). url must be the one Twilio called, exactly as it was given
 * (scheme, host, port, path, query). Writes it NUL-terminated into out:
 * 0, or -1 (out "") for a form over WEBHOOK_BODY_MAX bytes or with more
 * than TWILIO_SIGNED_PARAMS_MAX parameters, a URL over TWILIO_URL_MAX, an
 * empty token, or no memory.
 */
int twilio_signature(const char *token, const char *url, const char *form,
    size_t form_len, char out[TWILIO_SIGNATURE_LEN + 1]);

/*
 * Whether header, the request's X-Twilio-Signature, is twilio_signature of
 * it: compared in constant time once the lengths agree. False for a NULL
 * or empty header, and whenever twilio_signature fails.
 */
bool twilio_signature_ok(const char *token, const char *url,
    const char *form, size_t form_len, const char *header);

/*
 * Reads the auth token (or API key secret) from the file at path: its
 * first line, trailing blanks and line end dropped, 1..TWILIO_TOKEN_MAX
 * printable ASCII characters without blanks, into out (outlen bytes,
 * TWILIO_TOKEN_MAX + 1 enough). The file must be a regular file that others
 * may neither read nor write (mode 0600 or 0640, say). Returns 0, or -1
 * with err naming the path and what is wrong (its mode, for one too open),
 * never any of its text; out is then "".
 */
int twilio_read_token(const char *path, char *out, size_t outlen, char *err,
    size_t errlen);

#endif
