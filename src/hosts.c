/*
 * hosts: the names this server answers to, and the check of a request's
 * Host against them.
 */
#include "hosts.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "util.h"

#define HOSTS_QUOTE_MAX 64   /* of an entry quoted in an error */

/*
 * Splits len bytes of "name[:port]" or "[v6][:port]" into the name
 * (brackets left out) and the port (HOSTS_PORT_ANY when none). NULL, or
 * why the text is not of that shape; the name itself is not checked.
 */
static const char *
hosts_split(const char *s, size_t len, const char **name, size_t *namelen,
    unsigned *port)
{
	const char *rest, *why;
	size_t restlen;
	uint64_t v;

	if (len > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', len);

		if (close == NULL)
			return "'[' without ']'";
		*name = s + 1;
		*namelen = (size_t)(close - s - 1);
		rest = close + 1;
	} else {
		const char *colon = memchr(s, ':', len);

		if (colon != NULL &&
		    memchr(colon + 1, ':', (size_t)(s + len - colon - 1)) != NULL)
			return "an IPv6 address goes in brackets";
		*name = s;
		*namelen = colon != NULL ? (size_t)(colon - s) : len;
		rest = s + *namelen;
	}
	restlen = (size_t)(s + len - rest);
	*port = HOSTS_PORT_ANY;
	if (restlen == 0)
		return NULL;
	if (rest[0] != ':')
		return "text after the name";
	v = util_strtou64(rest + 1, restlen - 1, 1, 65535, &why);
	if (why != NULL)
		return "the port is not a number in 1..65535";
	*port = (unsigned)v;
	return NULL;
}

/* Why len bytes of name are not a host name or an IPv6 address, or NULL. */
static const char *
hosts_check_name(const char *name, size_t len)
{
	bool v6 = memchr(name, ':', len) != NULL;
	size_t i;

	if (len == 0)
		return "no name";
	if (len > HOSTS_NAME_MAX)
		return "name too long";
	for (i = 0; i < len; i++) {
		char ch = name[i];
		bool hex = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
		    (ch >= 'A' && ch <= 'F');
		bool letter = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');

		if (v6 ? !(hex || ch == ':' || ch == '.') :
		    !(hex || letter || ch == '.' || ch == '-' || ch == '_'))
			return v6 ? "not an IPv6 address" :
			    "not a host name or address";
	}
	return NULL;
}

int
hosts_add_name(struct hosts *h, const char *name, size_t len, unsigned port,
    char *err, size_t errlen)
{
	const char *why = hosts_check_name(name, len);

	if (why != NULL)
		return util_err(err, errlen, "%.*s: %s", (int)(len < HOSTS_QUOTE_MAX ?
		    len : HOSTS_QUOTE_MAX), name, why);
	if (h == NULL)
		return 0;
	if (h->count == HOSTS_MAX)
		return util_err(err, errlen, "more than %d names", HOSTS_MAX);
	memcpy(h->entry[h->count].name, name, len);
	h->entry[h->count].name[len] = '\0';
	h->entry[h->count].port = port;
	h->count++;
	return 0;
}

int
hosts_add_list(struct hosts *h, const char *list, char *err, size_t errlen)
{
	const char *p = util_list_start(list), *b, *name, *why;
	size_t len, namelen, n = 0;
	unsigned port;
	int rc;

	while ((rc = util_list_next(&p, &b, &len)) > 0) {
		if (++n > HOSTS_LIST_MAX)
			return util_err(err, errlen, "more than %d entries",
			    HOSTS_LIST_MAX);
		why = hosts_split(b, len, &name, &namelen, &port);
		if (why != NULL)
			return util_err(err, errlen, "%.*s: %s",
			    (int)(len < HOSTS_QUOTE_MAX ? len : HOSTS_QUOTE_MAX),
			    b, why);
		if (hosts_add_name(h, name, namelen, port, err, errlen) != 0)
			return -1;
	}
	return rc < 0 ? util_err(err, errlen, "an empty entry") : 0;
}

int
hosts_add_url(struct hosts *h, const char *url, char *err, size_t errlen)
{
	CURLU *u = curl_url();
	char *host = NULL;
	const char *name;
	size_t len;
	CURLUcode rc;
	int ret = -1;

	if (u == NULL) {
		util_err(err, errlen, "out of memory");
		goto done;
	}
	rc = curl_url_set(u, CURLUPART_URL, url, 0);
	if (rc == CURLUE_OK)
		rc = curl_url_get(u, CURLUPART_HOST, &host, 0);
	if (rc != CURLUE_OK) {
		util_err(err, errlen, "%s", curl_url_strerror(rc));
		goto done;
	}
	name = host;
	len = strlen(host);
	/* libcurl gives an IPv6 address in its brackets. */
	if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
		name++;
		len -= 2;
	}
	ret = hosts_add_name(h, name, len, HOSTS_PORT_ANY, err, errlen);
done:
	curl_free(host);
	curl_url_cleanup(u);
	return ret;
}

bool
hosts_known(const struct hosts *h, const char *host, unsigned default_port)
{
	const char *name;
	size_t namelen, i;
	unsigned port;

	if (host == NULL || *host == '\0' ||
	    hosts_split(host, strlen(host), &name, &namelen, &port) != NULL)
		return false;
	if (port == HOSTS_PORT_ANY)
		port = default_port;
	for (i = 0; i < h->count; i++) {
		const struct hosts_entry *e = &h->entry[i];

		if (strlen(e->name) == namelen &&
		    strncasecmp(e->name, name, namelen) == 0 &&
		    (e->port == HOSTS_PORT_ANY || e->port == port))
			return true;
	}
	return false;
}
