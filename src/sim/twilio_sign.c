/* twilio_sign: the text Twilio signs, and its HMAC-SHA1 in Base64. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "twilio_sign.h"

/* Orders pairs by name, then value, as bytes (strcmp): Unix sort order. */
static int
twilio_sign_order(const void *a, const void *b)
{
	const struct form_pair *x = *(const struct form_pair *const *)a;
	const struct form_pair *y = *(const struct form_pair *const *)b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : strcmp(x->value, y->value);
}

/*
 * The signed text: url, then the sorted pairs' names and values run
 * together. Returns it (free it) with its length in *len, or NULL.
 */
static unsigned char *
twilio_sign_text(const char *url, const struct form *params, size_t *len)
{
	const struct form_pair **sorted = NULL;
	unsigned char *text = NULL;
	size_t n = strlen(url), i, at;

	if (params->n > 0) {
		sorted = malloc(params->n * sizeof *sorted);
		if (sorted == NULL)
			return NULL;
	}
	for (i = 0; i < params->n; i++) {
		sorted[i] = &params->pairs[i];
		n += strlen(params->pairs[i].name) +
		    strlen(params->pairs[i].value);
	}
	if (params->n > 1)
		qsort(sorted, params->n, sizeof *sorted, twilio_sign_order);
	text = malloc(n + 1);
	if (text == NULL)
		goto done;
	at = strlen(url);
	memcpy(text, url, at);
	for (i = 0; i < params->n; i++) {
		memcpy(text + at, sorted[i]->name, strlen(sorted[i]->name));
		at += strlen(sorted[i]->name);
		memcpy(text + at, sorted[i]->value, strlen(sorted[i]->value));
		at += strlen(sorted[i]->value);
	}
	*len = at;
done:
	free(sorted);
	return text;
}

int
twilio_sign(const char *token, const char *url, const struct form *params,
    char out[TWILIO_SIGN_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	unsigned char *text;
	size_t len = 0;
	int rc = -1;

	out[0] = '\0';
	text = twilio_sign_text(url, params, &len);
	if (text == NULL)
		return -1;
	if (HMAC(EVP_sha1(), token, (int)strlen(token), text, len, md,
	    &mdlen) == NULL || mdlen != 20)
		goto done;
	/* 20 bytes make 28 Base64 characters, and EVP_EncodeBlock adds the
	 * NUL. */
	if (EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen) !=
	    TWILIO_SIGN_LEN) {
		out[0] = '\0';
		goto done;
	}
	rc = 0;
done:
	free(text);
	return rc;
}
