/*
 * webhook: reads the body the telephony API POSTs about a call into a call
 * id and a status: JSON {"id": 1234, "status": "ringing"} (id a number or a
 * string), or a Twilio-style form, CallSid=CA12...&CallStatus=ringing
 * (application/x-www-form-urlencoded). No I/O: libcurl serves only for
 * its percent-decoding of form fields.
 */
#ifndef NUMDIALER_WEBHOOK_H
#define NUMDIALER_WEBHOOK_H

#include <stddef.h>

#include "campaign.h"
#include "status.h"

#define WEBHOOK_BODY_MAX 8192  /* larger bodies are refused with 413 */
/* A call's webhook URL (webhook_url): the public URL (SETTINGS_URL_MAX at
 * most), the path, a row and a key. */
#define WEBHOOK_URL_MAX 1152
#define WEBHOOK_DURATION_MAX 604800  /* a CallDuration above (a week; no call
                                        lasts a day) is kept as none */

struct webhook {
	char id[CAMPAIGN_ID_MAX + 1]; /* "" when the body names no id */
	struct campaign_report report; /* its status, and what the provider
	                                  adds (sequence, time, duration, who
	                                  answered) */
};

/*
 * Parses len bytes of body sent with content type ctype (NULL if none).
 * Returns 0 and fills *out, or the HTTP status it means with a reason in
 * err: 415 for a content type it does not read, 413 for a body over
 * WEBHOOK_BODY_MAX, 400 for a malformed body or a bad id, 422 for a missing
 * or unknown status word. A form's CallSid is the id and its CallStatus the
 * status, each percent-decoded with '+' read as a space; a form without
 * CallSid names no id. What Twilio adds goes into out->report:
 *   SequenceNumber  decimal 0..CAMPAIGN_SEQ_MAX (a larger one: none, -1);
 *   CallDuration    decimal seconds 0..WEBHOOK_DURATION_MAX (larger: none);
 *   Timestamp       an RFC 2822 date ("Mon, 30 Nov 2026 02:31:40 +0000",
 *                   zone +-HHMM or GMT) as epoch seconds; a text that is
 *                   no such date is left out (none), not refused;
 *   AnsweredBy      Twilio's word (answered_by_parse); a word it does not
 *                   know is ANSWERED_BY_UNKNOWN, an empty one not said.
 * Any other field is ignored (CallbackSource among them: whether CallStatus
 * or AnsweredBy came says which callback it is). A count that is not all
 * digits, or any field read given twice, is a malformed body (400). A form
 * with AnsweredBy and no CallStatus (Twilio's answering-machine detection
 * callback) is good, its status STATUS_IDLE; one with neither is 422.
 * A JSON body gives an id and a status only: the report's other fields are
 * none.
 */
int webhook_parse(const char *ctype, const char *body, size_t len,
    struct webhook *out, char *err, size_t errlen);

/* One name=value pair of a form as it came, still encoded. */
struct webhook_pair {
	const char *name;
	size_t name_len;
	const char *value;     /* "" (name + name_len) for a pair without '=' */
	size_t value_len;
};

/*
 * Walks the pairs of a form, split on '&': with p the body, each
 * webhook_form_next(&p, body + len, &pair) gives 1 and the next pair (a
 * pair without '=' has an empty value), 0 when none is left. Empty pairs
 * ("a=1&&b=2") are skipped. The pair points into the body.
 */
int webhook_form_next(const char **p, const char *end,
    struct webhook_pair *pair);

/*
 * Decodes one name or value of a form: '+' is a space, then libcurl's
 * curl_easy_unescape undoes the %XX escapes. Returns a string the caller
 * frees with curl_free, its length in *outlen (it may hold NUL bytes); NULL
 * when out of memory or len is over WEBHOOK_BODY_MAX.
 */
char *webhook_form_decode(const char *s, size_t len, size_t *outlen);

/*
 * The URL a call's webhooks go to: public_url, "/webhook/", the row in
 * decimal, '/' and the call's key in lowercase hex. The dialer gives it to
 * the API with the call, and a Twilio signature is checked against it, so
 * both build it here. 0, or -1 when it does not fit in outlen bytes.
 */
int webhook_url(const char *public_url, size_t row,
    const unsigned char key[CAMPAIGN_KEY_BYTES], char *out, size_t outlen);

struct json_object;

/*
 * The one reading of a call id, for webhooks and the API's answer alike: a
 * JSON number (0..UINT64_MAX - 1) or string (1..CAMPAIGN_ID_MAX printable
 * ASCII characters) copied into out as text. Returns 0 (out is "" for a
 * JSON null: no id), or 400 with the reason in err. id is borrowed.
 */
int webhook_read_id(struct json_object *id, char out[CAMPAIGN_ID_MAX + 1],
    char *err, size_t errlen);

#endif
