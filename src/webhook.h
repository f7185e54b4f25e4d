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
 * status, each percent-decoded with '+' read as a space; other fields are
 * ignored, a form without CallSid names no id, and CallSid or CallStatus
 * given twice is a malformed body (400).
 */
int webhook_parse(const char *ctype, const char *body, size_t len,
    struct webhook *out, char *err, size_t errlen);

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
