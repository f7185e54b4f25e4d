/*
 * twilio_sign: Twilio's request signature, the X-Twilio-Signature header
 * it puts on every callback so the receiver can tell it came from the
 * holder of the account's auth token. Pure (libcrypto).
 */
#ifndef NUMDIALER_SIM_TWILIO_SIGN_H
#define NUMDIALER_SIM_TWILIO_SIGN_H

#include "form.h"

#define TWILIO_SIGN_LEN 28  /* Base64 of a 20-byte HMAC-SHA1 */

/*
 * Signs a request to url carrying params (a POST's form; empty for a GET,
 * whose query is part of url) with token: Base64 of HMAC-SHA1 keyed with
 * the token over url, then each parameter's name and value, the parameters
 * sorted by name (then by value, for a repeated name) in byte order,
 * nothing between them. Writes the 28 characters and a NUL to out. Returns
 * 0, or -1 when out of memory or libcrypto fails (out then "").
 */
int twilio_sign(const char *token, const char *url, const struct form *params,
    char out[TWILIO_SIGN_LEN + 1]);

#endif
