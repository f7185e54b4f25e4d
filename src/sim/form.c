/* form: urlencoded pairs read with libcurl's unescape, written with its escape. */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "form.h"
#include "util.h"

#define FORM_FIRST 16  /* pairs first made room for */

/* Makes room for one more pair: 0 or -1. */
static int
form_room(struct form *f)
{
	struct form_pair *p;
	size_t cap;

	if (f->n == FORM_PAIRS_MAX)
		return -1;
	if (f->n < f->cap)
		return 0;
	cap = f->cap != 0 ? 2 * f->cap : FORM_FIRST;
	if (cap > FORM_PAIRS_MAX)
		cap = FORM_PAIRS_MAX;
	p = realloc(f->pairs, cap * sizeof *p);
	if (p == NULL)
		return -1;
	f->pairs = p;
	f->cap = cap;
	return 0;
}

/*
 * Decodes len bytes of s: '+' is a space, then libcurl undoes the %XX
 * escapes. Returns a string to free with free(), or NULL when out of
 * memory or when it would hold a NUL byte (*nul set).
 */
static char *
form_decode(const char *s, size_t len, int *nul)
{
	char *plain = NULL, *text = NULL, *out = NULL;
	int n = 0;
	size_t i;

	*nul = 0;
	plain = malloc(len + 1);
	if (plain == NULL)
		goto done;
	/* A literal '+' arrives as %2B, so this cannot turn one into a space. */
	for (i = 0; i < len; i++)
		plain[i] = s[i] == '+' ? ' ' : s[i];
	plain[len] = '\0';
	/* libcurl takes a 0 length as "use strlen", which "" satisfies. */
	text = curl_easy_unescape(NULL, plain, (int)len, &n);
	if (text == NULL)
		goto done;
	if (strlen(text) != (size_t)n) {
		*nul = 1;
		goto done;
	}
	out = strdup(text);
done:
	curl_free(text);
	free(plain);
	return out;
}

/* Appends the pair whose name and value are already decoded (taken). */
static int
form_take(struct form *f, char *name, char *value)
{
	if (form_room(f) != 0) {
		free(name);
		free(value);
		return -1;
	}
	f->pairs[f->n].name = name;
	f->pairs[f->n].value = value;
	f->n++;
	return 0;
}

/* Decodes the pair of bytes [p, end) and appends it: 0 or -1 with err. */
static int
form_pair_parse(struct form *f, const char *p, const char *end, char *err,
    size_t errlen)
{
	const char *eq = memchr(p, '=', (size_t)(end - p));
	const char *nend = eq != NULL ? eq : end;
	const char *val = eq != NULL ? eq + 1 : end;
	char *name, *value;
	int nul;

	if (nend == p)
		return util_err(err, errlen, "a pair with no name");
	name = form_decode(p, (size_t)(nend - p), &nul);
	if (name == NULL)
		return util_err(err, errlen, nul ? "a name holds a NUL byte" :
		    "out of memory");
	value = form_decode(val, (size_t)(end - val), &nul);
	if (value == NULL) {
		if (nul)
			util_err(err, errlen, "the value of %.32s holds a NUL "
			    "byte", name);
		else
			util_err(err, errlen, "out of memory");
		free(name);
		return -1;
	}
	if (f->n == FORM_PAIRS_MAX) {
		free(name);
		free(value);
		return util_err(err, errlen, "more than %d pairs",
		    FORM_PAIRS_MAX);
	}
	if (form_take(f, name, value) != 0)
		return util_err(err, errlen, "out of memory");
	return 0;
}

int
form_parse(struct form *f, const char *text, size_t len, char *err,
    size_t errlen)
{
	const char *p = text, *end = text + len, *amp, *pend;

	while (p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		pend = amp != NULL ? amp : end;
		if (pend != p && form_pair_parse(f, p, pend, err, errlen) != 0)
			return -1;
		p = pend + 1;
	}
	return 0;
}

int
form_add(struct form *f, const char *name, const char *value)
{
	char *n = strdup(name), *v = strdup(value);

	if (n == NULL || v == NULL || name[0] == '\0') {
		free(n);
		free(v);
		return -1;
	}
	return form_take(f, n, v);
}

const char *
form_get(const struct form *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->pairs[i].name, name) == 0)
			return f->pairs[i].value;
	return NULL;
}

size_t
form_count(const struct form *f, const char *name)
{
	size_t i, n = 0;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->pairs[i].name, name) == 0)
			n++;
	return n;
}

/* Appends s percent-encoded to buf (*len bytes used of *cap): 0 or -1. */
static int
form_put(char **buf, size_t *len, size_t *cap, const char *s)
{
	char *esc = curl_easy_escape(NULL, s, 0), *p;
	size_t n, want;
	int rc = -1;

	if (esc == NULL)
		return -1;
	n = strlen(esc);
	want = *len + n + 2;
	if (want > *cap) {
		want *= 2;
		p = realloc(*buf, want);
		if (p == NULL)
			goto fail;
		*buf = p;
		*cap = want;
	}
	memcpy(*buf + *len, esc, n + 1);
	*len += n;
	rc = 0;
fail:
	curl_free(esc);
	return rc;
}

int
form_encode(const struct form *f, char **out, size_t *len)
{
	char *buf = NULL;
	size_t n = 0, cap = 0, i;

	buf = malloc(1);
	if (buf == NULL)
		return -1;
	buf[0] = '\0';
	cap = 1;
	for (i = 0; i < f->n; i++) {
		if (form_put(&buf, &n, &cap, f->pairs[i].name) != 0)
			goto fail;
		buf[n++] = '=';
		buf[n] = '\0';
		if (form_put(&buf, &n, &cap, f->pairs[i].value) != 0)
			goto fail;
		if (i + 1 < f->n) {
			buf[n++] = '&';
			buf[n] = '\0';
		}
	}
	*out = buf;
	*len = n;
	return 0;
fail:
	free(buf);
	return -1;
}

void
form_free(struct form *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->pairs[i].name);
		free(f->pairs[i].value);
	}
	free(f->pairs);
	f->pairs = NULL;
	f->n = f->cap = 0;
}
