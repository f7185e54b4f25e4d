/*
 * webhook: reads the body the telephony API POSTs about a call into a call
 * id and a status. JSON {"id": 1234, "status": "ringing"} (id a number or a
 * string). Pure: no I/O.
 */
#ifndef NUMDIALER_WEBHOOK_H
#define NUMDIALER_WEBHOOK_H

#include <stddef.h>

#include "campaign.h"
#include "status.h"

#define WEBHOOK_BODY_MAX 8192  /* larger bodies are refused with 413 */

struct webhook {
	char id[CAMPAIGN_ID_MAX + 1]; /* "" when the body names no id */
	enum status status;
};

/*
 * Parses len bytes of body sent with content type ctype (NULL if none).
 * Returns 0 and fills *out, or the HTTP status it means with a reason in
 * err: 415 for a content type it does not read, 400 for a malformed body or
 * a bad id, 422 for a missing or unknown status word.
 */
int webhook_parse(const char *ctype, const char *body, size_t len,
    struct webhook *out, char *err, size_t errlen);

#endif
