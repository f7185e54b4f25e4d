/*
 * e164: a phone of the list made into its international form, E.164 ('+',
 * the country code, the national number: 8 to 15 digits in all), so that
 * one number written two ways ("07700900123", "+447700900123") is known as
 * one, and that form packed into a number for sets. Pure.
 */
#ifndef NUMDIALER_E164_H
#define NUMDIALER_E164_H

#include <stdbool.h>
#include <stdint.h>

#define E164_MAX 16          /* '+' and 15 digits, NUL excluded */
#define E164_DIGITS_MIN 8
#define E164_DIGITS_MAX 15
#define E164_CC_MAX 3        /* digits of a country code */

/* Whether cc is a country code: 1 to 3 digits, the first not 0. */
bool e164_country_code_valid(const char *cc);

/*
 * Writes the E.164 form of phone (a number as the list takes it: an
 * optional '+' and 7 to 15 digits) to out, taking a number written without
 * '+' as one of the country whose code is country_code:
 *   - "+DIGITS" is already E.164 and is copied;
 *   - country code 1 (NANP): 10 digits get "+1" in front, 11 digits
 *     starting with 1 get '+'; nothing else is a NANP number;
 *   - any other country code:
 *       "00DIGITS" (the international prefix) is "+DIGITS";
 *       "0DIGITS" (the trunk prefix) is "+CC" and DIGITS, the 0 dropped,
 *         but for Italy (39), San Marino (378) and Cote d'Ivoire (225),
 *         whose national numbers begin with that 0: there "+CC0DIGITS";
 *       DIGITS that begin with the country code are taken as already
 *         international, "+DIGITS";
 *       any other DIGITS are a national number, "+CC" and DIGITS.
 * The last two guess: a national number that begins with its own country's
 * code ("4930..." in Germany, 49) is read as international. A list whose
 * numbers may be read both ways writes them with '+' or with the trunk 0.
 * Returns 0, or -1 (out untouched) when phone or country_code is malformed,
 * or the result would not have 8 to 15 digits after its '+', or begin with
 * a 0 there (no country code does).
 */
int e164_normalize(const char *phone, const char *country_code,
    char out[E164_MAX + 1]);

/*
 * The digits of e164 ('+' and 8 to 15 digits, the first not 0) as a number
 * in *out: one number one key, and no two numbers the same key (no leading
 * zero is lost). 0, or -1 for anything else.
 */
int e164_key(const char *e164, uint64_t *out);

#endif
