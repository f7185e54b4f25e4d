/*
 * e164: the rules of e164.h, one function per form a number comes in.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "e164.h"
#include "util.h"

#define E164_PHONE_DIGITS_MIN 7  /* the list's shortest number */
#define E164_NANP_NATIONAL 10    /* digits of a NANP number without its 1 */

/* The countries whose national numbers begin with a 0 that stays in
 * their international form: Italy, San Marino, Cote d'Ivoire. */
static const char *const keeps_zero[] = { "39", "378", "225" };

/* Whether s is len digits and nothing else. */
static bool
all_digits(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

bool
e164_country_code_valid(const char *cc)
{
	size_t len = strlen(cc);

	return len >= 1 && len <= E164_CC_MAX && cc[0] != '0' &&
	    all_digits(cc, len);
}

/* Writes '+', then a (alen bytes), then b (blen bytes) to out when the
 * digits make a number E.164 can hold: 0, or -1 writing nothing. */
static int
put(char out[E164_MAX + 1], const char *a, size_t alen, const char *b,
    size_t blen)
{
	size_t digits = alen + blen;
	const char *first = alen > 0 ? a : b;

	if (digits < E164_DIGITS_MIN || digits > E164_DIGITS_MAX ||
	    first[0] == '0')
		return -1;
	out[0] = '+';
	memcpy(out + 1, a, alen);
	memcpy(out + 1 + alen, b, blen);
	out[1 + digits] = '\0';
	return 0;
}

/* NANP: ten digits, or eleven with the country's 1 first. */
static int
nanp(const char *d, size_t len, char out[E164_MAX + 1])
{
	if (len == E164_NANP_NATIONAL)
		return put(out, "1", 1, d, len);
	if (len == E164_NANP_NATIONAL + 1 && d[0] == '1')
		return put(out, "", 0, d, len);
	return -1;
}

/* Any other country: the international prefix, the trunk prefix, the
 * country code already there, or a national number. */
static int
other(const char *d, size_t len, const char *cc, char out[E164_MAX + 1])
{
	size_t cclen = strlen(cc);

	if (len >= 2 && d[0] == '0' && d[1] == '0')
		return put(out, "", 0, d + 2, len - 2);
	if (d[0] == '0') {
		for (size_t i = 0; i < LEN(keeps_zero); i++)
			if (strcmp(cc, keeps_zero[i]) == 0)
				return put(out, cc, cclen, d, len);
		return put(out, cc, cclen, d + 1, len - 1);
	}
	if (len > cclen && memcmp(d, cc, cclen) == 0)
		return put(out, "", 0, d, len);
	return put(out, cc, cclen, d, len);
}

int
e164_normalize(const char *phone, const char *country_code,
    char out[E164_MAX + 1])
{
	bool plus = phone[0] == '+';
	const char *d = phone + (plus ? 1 : 0);
	size_t len = strlen(d);

	if (len < E164_PHONE_DIGITS_MIN || len > E164_DIGITS_MAX ||
	    !all_digits(d, len) || !e164_country_code_valid(country_code))
		return -1;
	if (plus)
		return put(out, "", 0, d, len);
	if (strcmp(country_code, "1") == 0)
		return nanp(d, len, out);
	return other(d, len, country_code, out);
}

int
e164_key(const char *e164, uint64_t *out)
{
	const char *why;
	size_t len;
	uint64_t v;

	if (e164[0] != '+' || e164[1] == '0')
		return -1;
	len = strlen(e164 + 1);
	if (len < E164_DIGITS_MIN || len > E164_DIGITS_MAX)
		return -1;
	v = util_strtou64(e164 + 1, len, 0, UINT64_MAX, &why);
	if (why != NULL)
		return -1;
	*out = v;
	return 0;
}
