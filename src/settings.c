/*
 * settings: one table names every setting, its kind, its bounds and where it
 * lives in struct settings; the file, the environment and the defaults all
 * go through it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "campaign.h"
#include "e164.h"
#include "hours.h"
#include "settings.h"
#include "status.h"
#include "util.h"

#define SETTINGS_FILE_MAX 65536  /* largest conf file read */
#define SETTINGS_KEY_MAX 64      /* longest key quoted in an error */
#define SETTINGS_WORD_MAX 16     /* longest status word quoted in an error */

enum kind {
	KIND_INT,    /* decimal digits only, within [min, max] */
	KIND_URL,    /* http:// or https://, one trailing '/' dropped */
	KIND_PATH,   /* any printable text */
	KIND_HOST,   /* an address or host name */
	KIND_HOSTS,  /* a comma-separated list of host[:port] */
	KIND_NAME,   /* a user or group name, or its number */
	KIND_CHOICE, /* one of words, stored as its index in an enum */
	KIND_WORD,   /* one of words, stored as text */
	KIND_CC,     /* a country code: 1 to 3 digits, not 0 first */
	KIND_HOURS,  /* calling hours, HH:MM-HH:MM, or empty */
	KIND_ZONE,   /* a zone of the tz database, or empty */
	KIND_REDIAL, /* comma-separated end statuses, stored as a bitmask */
	KIND_SID,    /* a Twilio account SID (AC and 32 hex), or empty */
	KIND_E164    /* a number in E.164 form, or empty */
};

struct setting {
	const char *key;
	enum kind kind;
	long min, max;           /* KIND_INT: the range; text: min 1 = required */
	size_t offset;           /* into struct settings */
	size_t size;             /* of the field (text kinds: with its NUL) */
	const char *const *words;/* KIND_CHOICE, KIND_WORD: NULL-terminated */
	const char *fallback;    /* the default, as it would be written */
	const char *expect;      /* KIND_CHOICE, KIND_WORD: the words, for errors */
};

#define FIELD(f) offsetof(struct settings, f), sizeof(((struct settings *)0)->f)

static const char *const sim_words[] = { "auto", "on", "off", NULL };
static const char *const server_words[] = { "lighttpd", "nginx", NULL };
static const char *const provider_words[] = { "numdialer", "twilio", NULL };
static const char *const amd_words[] = { "off", "Enable", "DetectMessageEnd",
    NULL };

/* A choice is stored as an int, whatever its enum. */
_Static_assert(sizeof(enum settings_sim) == sizeof(int) &&
    sizeof(enum settings_provider) == sizeof(int), "choices are ints");

#define TWIML_DEFAULT "<Response><Say>This is an automated call from " \
    "NumDialer. Goodbye.</Say></Response>"

static const struct setting table[] = {
	{ "NUMDIALER_PORT", KIND_INT, 1, 65535, FIELD(port), NULL, "8080",
	    NULL },
	{ "NUMDIALER_BIND", KIND_HOST, 1, 0, FIELD(bind), NULL, "127.0.0.1",
	    NULL },
	{ "NUMDIALER_API", KIND_URL, 1, 0, FIELD(api), NULL,
	    "http://localhost:4830", NULL },
	{ "NUMDIALER_PUBLIC_URL", KIND_URL, 0, 0, FIELD(public_url), NULL, "",
	    NULL },
	{ "NUMDIALER_NUMBERS", KIND_PATH, 1, 0, FIELD(numbers), NULL,
	    "conf/numbers.txt", NULL },
	{ "NUMDIALER_CONCURRENCY", KIND_INT, 1, CAMPAIGN_LIMIT_MAX,
	    FIELD(concurrency), NULL, "3", NULL },
	{ "NUMDIALER_CALL_TIMEOUT", KIND_INT, 1, 86400, FIELD(call_timeout),
	    NULL, "120", NULL },
	{ "NUMDIALER_SIM", KIND_CHOICE, 0, 0, FIELD(sim), sim_words, "auto",
	    "must be auto, on or off" },
	{ "NUMDIALER_RUNDIR", KIND_PATH, 1, 0, FIELD(rundir), NULL, "run",
	    NULL },
	{ "NUMDIALER_SERVER", KIND_WORD, 1, 0, FIELD(server), server_words,
	    "lighttpd", "must be lighttpd or nginx" },
	{ "NUMDIALER_SOCKET", KIND_PATH, 0, 0, FIELD(socket), NULL, "", NULL },
	{ "NUMDIALER_SOCKET_GROUP", KIND_NAME, 0, 0, FIELD(socket_group), NULL,
	    "", NULL },
	{ "NUMDIALER_JOURNAL", KIND_PATH, 0, 0, FIELD(journal), NULL, "", NULL },
	{ "NUMDIALER_DIAL_ATTEMPTS", KIND_INT, 1, SETTINGS_DIAL_ATTEMPTS_MAX,
	    FIELD(dial_attempts), NULL, "4", NULL },
	{ "NUMDIALER_RETRY_DELAY_MS", KIND_INT, 1, SETTINGS_RETRY_DELAY_MAX_MS,
	    FIELD(retry_delay_ms), NULL, "500", NULL },
	{ "NUMDIALER_PROXY", KIND_URL, 0, 0, FIELD(proxy), NULL, "", NULL },
	{ "NUMDIALER_FAILURE_PAUSE", KIND_INT, 0, SETTINGS_FAILURE_PAUSE_MAX,
	    FIELD(failure_pause), NULL, "5", NULL },
	{ "NUMDIALER_HOSTS", KIND_HOSTS, 0, 0, FIELD(hosts), NULL, "", NULL },
	{ "NUMDIALER_LOG_MAX_MB", KIND_INT, 0, SETTINGS_LOG_MAX_MB_MAX,
	    FIELD(log_max_mb), NULL, "50", NULL },
	{ "NUMDIALER_COUNTRY_CODE", KIND_CC, 1, 0, FIELD(country_code), NULL,
	    "1", NULL },
	{ "NUMDIALER_DNC", KIND_PATH, 0, 0, FIELD(dnc), NULL, "", NULL },
	{ "NUMDIALER_CALL_HOURS", KIND_HOURS, 0, 0, FIELD(call_hours), NULL,
	    "", NULL },
	{ "NUMDIALER_TIMEZONE", KIND_ZONE, 0, 0, FIELD(time_zone), NULL, "",
	    NULL },
	{ "NUMDIALER_REDIAL", KIND_REDIAL, 0, 0, FIELD(redial), NULL, "",
	    NULL },
	{ "NUMDIALER_REDIAL_ATTEMPTS", KIND_INT, 1,
	    SETTINGS_REDIAL_ATTEMPTS_MAX, FIELD(redial_attempts), NULL, "3",
	    NULL },
	{ "NUMDIALER_REDIAL_DELAY", KIND_INT, 0, SETTINGS_REDIAL_DELAY_MAX,
	    FIELD(redial_delay), NULL, "300", NULL },
	{ "NUMDIALER_PROVIDER", KIND_CHOICE, 0, 0, FIELD(provider),
	    provider_words, "numdialer", "must be numdialer or twilio" },
	{ "NUMDIALER_TWILIO_ACCOUNT_SID", KIND_SID, 0, 0,
	    FIELD(twilio_account_sid), NULL, "", NULL },
	{ "NUMDIALER_TWILIO_AUTH_TOKEN_FILE", KIND_PATH, 0, 0,
	    FIELD(twilio_token_file), NULL, "", NULL },
	{ "NUMDIALER_TWILIO_FROM", KIND_E164, 0, 0, FIELD(twilio_from), NULL,
	    "", NULL },
	{ "NUMDIALER_TWILIO_TWIML", KIND_PATH, 0, 0, FIELD(twilio_twiml), NULL,
	    TWIML_DEFAULT, NULL },
	{ "NUMDIALER_TWILIO_URL", KIND_URL, 0, 0, FIELD(twilio_url), NULL, "",
	    NULL },
	{ "NUMDIALER_TWILIO_TIMEOUT", KIND_INT, SETTINGS_TWILIO_TIMEOUT_MIN,
	    SETTINGS_TWILIO_TIMEOUT_MAX, FIELD(twilio_timeout), NULL, "30",
	    NULL },
	{ "NUMDIALER_TWILIO_MACHINE_DETECTION", KIND_WORD, 1, 0,
	    FIELD(twilio_machine_detection), amd_words, "off",
	    "must be off, Enable or DetectMessageEnd" },
	{ "NUMDIALER_TWILIO_API", KIND_URL, 1, 0, FIELD(twilio_api), NULL,
	    "https://api.twilio.com", NULL },
	{ "NUMDIALER_MAX_CPS", KIND_INT, 0, SETTINGS_MAX_CPS_MAX,
	    FIELD(max_cps), NULL, "0", NULL },
};

/* The ends NUMDIALER_REDIAL may name: the ones that say for sure that the
 * call ended unanswered. A failed call may be one whose answer was lost,
 * and a completed or canceled one was not left unanswered. */
static const enum status redial_ends[] = { STATUS_BUSY, STATUS_NO_ANSWER };

static const struct setting *
lookup(const char *key)
{
	for (size_t i = 0; i < LEN(table); i++)
		if (strcmp(table[i].key, key) == 0)
			return &table[i];
	return NULL;
}

/* Returns why text is not printable ASCII without spaces, or NULL. */
static const char *
bad_chars(const char *v, bool spaces_ok)
{
	for (; *v != '\0'; v++) {
		unsigned char ch = (unsigned char)*v;

		if (ch < 0x20 || ch == 0x7f)
			return "control characters not allowed";
		if (ch == ' ' && !spaces_ok)
			return "spaces not allowed";
	}
	return NULL;
}

static const char *
parse_int(const struct setting *t, const char *v, int *out)
{
	const char *why;
	uint64_t n = util_strtou64(v, strlen(v), (uint64_t)t->min,
	    (uint64_t)t->max, &why);

	if (why == NULL)
		*out = (int)n;
	return why;
}

static const char *
check_url(const char *v)
{
	const char *rest;

	if (strncasecmp(v, "http://", 7) == 0)
		rest = v + 7;
	else if (strncasecmp(v, "https://", 8) == 0)
		rest = v + 8;
	else
		return "must start with http:// or https://";
	if (*rest == '\0' || *rest == '/')
		return "has no host";
	/* Paths are added to its end: a query or a fragment would swallow
	 * them, and the webhooks would go to the wrong URL. */
	if (strpbrk(v, "?#") != NULL)
		return "must hold no '?' or '#' (paths are added to its end)";
	return bad_chars(v, false);
}

static const char *
check_host(const char *v)
{
	for (; *v != '\0'; v++) {
		char ch = *v;

		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= 'A' && ch <= 'Z') || ch == '.' || ch == ':' ||
		    ch == '-'))
			return "not an address or host name";
	}
	return NULL;
}

/* A Twilio account SID: "AC" and 32 hex digits. */
static const char *
check_sid(const char *v)
{
	if (strlen(v) != SETTINGS_SID_LEN || strncmp(v, "AC", 2) != 0 ||
	    strspn(v + 2, "0123456789abcdefABCDEF") != SETTINGS_SID_LEN - 2)
		return "must be AC and 32 hex digits (the Account SID of "
		    "Twilio's console)";
	return NULL;
}

/* E.164: '+' and 8 to 15 digits, the first not 0. */
static const char *
check_e164(const char *v)
{
	size_t digits = strspn(v + 1, "0123456789");

	if (v[0] != '+' || v[1] == '0' || v[1 + digits] != '\0' ||
	    digits < E164_DIGITS_MIN || digits > E164_DIGITS_MAX)
		return "must be an E.164 number: '+', the country code and "
		    "the number, 8 to 15 digits";
	return NULL;
}

/* POSIX's portable names: letters, digits, '.', '_' and '-', not first. */
static const char *
check_name(const char *v)
{
	if (*v == '-')
		return "not a group name";
	for (; *v != '\0'; v++) {
		char ch = *v;

		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= 'A' && ch <= 'Z') || ch == '.' || ch == '_' ||
		    ch == '-'))
			return "not a group name";
	}
	return NULL;
}

/* Returns the index of v among t->words, or -1. */
static int
word_index(const struct setting *t, const char *v)
{
	for (int i = 0; t->words[i] != NULL; i++)
		if (strcmp(t->words[i], v) == 0)
			return i;
	return -1;
}

/* Reads v, the end statuses after which a row is dialed again, comma-
 * separated, into *out: NULL, or why not (written to buf). */
static const char *
parse_redial(const char *v, unsigned *out, char *buf, size_t buflen)
{
	const char *p = util_list_start(v), *b;
	unsigned mask = 0;
	size_t len, i;
	int rc;

	while ((rc = util_list_next(&p, &b, &len)) > 0) {
		char word[SETTINGS_WORD_MAX + 1];
		enum status st;

		snprintf(word, sizeof(word), "%.*s", (int)len, b);
		if (len > SETTINGS_WORD_MAX ||
		    status_from_name(word, &st) != 0) {
			util_err(buf, buflen, "%s: not a status (busy or "
			    "no-answer)", word);
			return buf;
		}
		for (i = 0; i < LEN(redial_ends) && redial_ends[i] != st; i++)
			;
		if (i == LEN(redial_ends)) {
			util_err(buf, buflen, "%s: only busy and no-answer say "
			    "for sure that a call ended unanswered", word);
			return buf;
		}
		mask |= 1u << st;
	}
	if (rc < 0)
		return "an empty entry";
	*out = mask;
	return NULL;
}

/* Why text v cannot be the value of t, or NULL: a fixed text, or one
 * written to buf (buflen bytes). */
static const char *
check_text(const struct setting *t, const char *v, char *buf, size_t buflen)
{
	struct hours h;

	switch (t->kind) {
	case KIND_URL:
		return v[0] == '\0' ? NULL : check_url(v);
	case KIND_PATH:
		return bad_chars(v, true);
	case KIND_HOST:
		return check_host(v);
	case KIND_HOSTS:
		return hosts_add_list(NULL, v, buf, buflen) != 0 ? buf : NULL;
	case KIND_NAME:
		return check_name(v);
	case KIND_CC:
		return e164_country_code_valid(v) ? NULL :
		    "must be 1 to 3 digits, the first not 0";
	case KIND_HOURS:
		return v[0] == '\0' || hours_parse(v, &h, buf, buflen) == 0 ?
		    NULL : buf;
	case KIND_ZONE:
		return v[0] == '\0' || hours_zone_valid(v) ? NULL :
		    "not a time zone of the tz database (e.g. America/Chicago)";
	case KIND_SID:
		return v[0] == '\0' ? NULL : check_sid(v);
	case KIND_E164:
		return v[0] == '\0' ? NULL : check_e164(v);
	default:
		return NULL;
	}
}

/* Applies v to the field of t in s, or returns why it cannot: a fixed
 * text, or one written to buf (buflen bytes). */
static const char *
apply(struct settings *s, const struct setting *t, const char *v, char *buf,
    size_t buflen)
{
	char *field = (char *)s + t->offset;
	size_t vlen = strlen(v);
	const char *why;
	int idx;

	switch (t->kind) {
	case KIND_INT:
		return parse_int(t, v, (int *)(void *)field);
	case KIND_REDIAL:
		return parse_redial(v, (unsigned *)(void *)field, buf, buflen);
	case KIND_CHOICE:
		idx = word_index(t, v);
		if (idx < 0)
			return t->expect;
		*(int *)(void *)field = idx;
		return NULL;
	default:
		break;
	}
	if (t->min > 0 && vlen == 0)
		return "must not be empty";
	if (vlen >= t->size)
		return "too long";
	if (t->kind == KIND_WORD && word_index(t, v) < 0)
		return t->expect;
	why = check_text(t, v, buf, buflen);
	if (why != NULL)
		return why;
	/* A URL's one trailing '/' goes: paths are added after it. */
	if (t->kind == KIND_URL && vlen > 0 && v[vlen - 1] == '/')
		vlen--;
	memcpy(field, v, vlen);
	field[vlen] = '\0';
	return NULL;
}

const char *
settings_api(const struct settings *s)
{
	return s->provider == SETTINGS_PROVIDER_TWILIO ? s->twilio_api : s->api;
}

int
settings_time_limit(const struct settings *s)
{
	return s->call_timeout - s->twilio_timeout - SETTINGS_TIME_LIMIT_MARGIN;
}

bool
settings_redials(const struct settings *s, enum status st)
{
	return (unsigned)st < STATUS_COUNT && (s->redial & (1u << st)) != 0;
}

void
settings_defaults(struct settings *s)
{
	char why[SETTINGS_VALUE_MAX];

	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < LEN(table); i++)
		apply(s, &table[i], table[i].fallback, why, sizeof(why));
}

int
settings_set(struct settings *s, const char *key, const char *value,
    char *err, size_t errlen)
{
	const struct setting *t = lookup(key);
	char buf[SETTINGS_VALUE_MAX];
	const char *why;

	if (t == NULL) {
		return util_err(err, errlen, "%.*s: unknown setting",
		    SETTINGS_KEY_MAX, key);
	}
	why = apply(s, t, value, buf, sizeof(buf));
	if (why != NULL) {
		return util_err(err, errlen, "%s: %s", key, why);
	}
	return 0;
}

/* Writes key=the statuses of mask, comma-separated, as parse_redial reads
 * them: what fprintf returned, negative on a write error. */
static int
print_redial(FILE *out, const char *key, unsigned mask)
{
	const char *sep = "";

	if (fprintf(out, "%s=", key) < 0)
		return -1;
	for (size_t i = 0; i < LEN(redial_ends); i++) {
		if ((mask & (1u << redial_ends[i])) == 0)
			continue;
		if (fprintf(out, "%s%s", sep, status_name(redial_ends[i])) < 0)
			return -1;
		sep = ",";
	}
	return fprintf(out, "\n");
}

int
settings_print(const struct settings *s, FILE *out)
{
	for (size_t i = 0; i < LEN(table); i++) {
		const struct setting *t = &table[i];
		const char *field = (const char *)s + t->offset;
		int n;

		switch (t->kind) {
		case KIND_INT:
			n = fprintf(out, "%s=%d\n", t->key,
			    *(const int *)(const void *)field);
			break;
		case KIND_CHOICE:
			n = fprintf(out, "%s=%s\n", t->key, t->words[
			    *(const int *)(const void *)field]);
			break;
		case KIND_REDIAL:
			n = print_redial(out, t->key,
			    *(const unsigned *)(const void *)field);
			break;
		default:
			n = fprintf(out, "%s=%s\n", t->key, field);
			break;
		}
		if (n < 0)
			return -1;
	}
	return 0;
}

/*
 * Splits one trimmed, non-comment line into key and value, written to the
 * given buffers. Returns NULL, or why the line is not KEY=value.
 */
static const char *
split_line(const char *s, size_t len, char *key, size_t keymax, char *value,
    size_t valuemax)
{
	const char *eq = memchr(s, '=', len);
	const char *v, *vend = s + len;
	size_t klen;

	if (eq == NULL)
		return "expected KEY=value";
	klen = (size_t)(eq - s);
	while (klen > 0 && util_is_blank(s[klen - 1]))
		klen--;
	if (klen == 0)
		return "expected KEY=value";
	for (size_t i = 0; i < klen; i++)
		if (util_is_blank(s[i]) || s[i] == '\0')
			return "expected KEY=value";
	if (klen >= keymax)
		return "key too long";
	memcpy(key, s, klen);
	key[klen] = '\0';

	v = eq + 1;
	while (v < vend && util_is_blank(*v))
		v++;
	if (v < vend && *v == '"') {
		const char *q = memchr(v + 1, '"', (size_t)(vend - v - 1));
		const char *after;

		if (q == NULL)
			return "missing closing quote";
		after = q + 1;
		while (after < vend && util_is_blank(*after))
			after++;
		if (after < vend && !(*after == '#' && util_is_blank(after[-1])))
			return "text after the closing quote";
		v++;
		vend = q;
	} else {
		/* An unquoted value ends at a comment: a '#' after a blank. */
		for (const char *c = v + 1; c < vend; c++)
			if (*c == '#' && util_is_blank(c[-1])) {
				vend = c;
				break;
			}
		while (vend > v && util_is_blank(vend[-1]))
			vend--;
	}
	if ((size_t)(vend - v) >= valuemax)
		return "value too long";
	if (memchr(v, '\0', (size_t)(vend - v)) != NULL)
		return "control characters not allowed";
	memcpy(value, v, (size_t)(vend - v));
	value[vend - v] = '\0';
	return NULL;
}

int
settings_parse(struct settings *s, const char *text, size_t len,
    const char *name, char *err, size_t errlen)
{
	char key[SETTINGS_KEY_MAX + 1];
	char value[SETTINGS_VALUE_MAX + 1];
	char why[SETTINGS_VALUE_MAX];
	const char *p = text, *end = text + len;
	size_t line = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *stop = nl ? nl : end;
		const char *b = p;
		const char *problem;

		line++;
		p = nl ? nl + 1 : end;
		while (b < stop && util_is_blank(*b))
			b++;
		while (stop > b && util_is_blank(stop[-1]))
			stop--;
		if (b == stop || *b == '#')
			continue;
		problem = split_line(b, (size_t)(stop - b), key, sizeof(key),
		    value, sizeof(value));
		if (problem != NULL) {
			return util_err(err, errlen, "%s:%zu: %s", name, line,
			    problem);
		}
		if (settings_set(s, key, value, why, sizeof(why)) == -1) {
			return util_err(err, errlen, "%s:%zu: %s", name, line,
			    why);
		}
	}
	return 0;
}

/* Reads the conf file into a new buffer: 1 when it does not exist, 0 with
 * *text (freed by the caller) and *len, or -1 with err. */
static int
read_conf(const char *path, char **text, size_t *len, char *err,
    size_t errlen)
{
	FILE *f = NULL;
	char *buf = NULL;
	int rc = -1;

	*text = NULL;
	*len = 0;
	f = fopen(path, "rb");
	if (f == NULL) {
		if (errno == ENOENT)
			rc = 1;
		else
			util_err(err, errlen, "%s: %s", path, strerror(errno));
		goto done;
	}
	buf = malloc(SETTINGS_FILE_MAX + 1);
	if (buf == NULL) {
		util_err(err, errlen, "%s: out of memory", path);
		goto done;
	}
	*len = fread(buf, 1, SETTINGS_FILE_MAX + 1, f);
	if (ferror(f)) {
		util_err(err, errlen, "%s: %s", path, strerror(errno));
		goto done;
	}
	if (*len > SETTINGS_FILE_MAX) {
		util_err(err, errlen, "%s: larger than %d bytes", path,
		    SETTINGS_FILE_MAX);
		goto done;
	}
	*text = buf;
	buf = NULL;
	rc = 0;

done:
	if (f != NULL)
		fclose(f);
	free(buf);
	return rc;
}

/* True when bind is every address of the machine, not one. */
static bool
bind_any(const char *bind)
{
	return strcmp(bind, "0.0.0.0") == 0 || strcmp(bind, "::") == 0 ||
	    bind[0] == '\0';
}

/* public_url when none is set: the web server as this host reaches it. */
static void
derive_public_url(struct settings *s)
{
	const char *host = s->bind;

	if (bind_any(host))
		host = "127.0.0.1";
	snprintf(s->public_url, sizeof(s->public_url),
	    strchr(host, ':') ? "http://[%s]:%d" : "http://%s:%d", host, s->port);
}

/*
 * known: the names the server answers to under, with any port (a proxy in
 * front may show another; a rebinding page is told by its name): localhost,
 * the bind address (both loopbacks when it binds every address: the page
 * is then opened on one of them), the public URL's host, then the names of
 * NUMDIALER_HOSTS, with their port when they give one. 0, or -1 with err.
 */
static int
derive_known(struct settings *s, char *err, size_t errlen)
{
	static const char *const loopbacks[] = { "localhost", "127.0.0.1", "::1" };
	struct hosts *h = &s->known;
	char why[SETTINGS_VALUE_MAX];
	size_t i;

	memset(h, 0, sizeof(*h));
	for (i = 0; i < LEN(loopbacks); i++)
		if ((i == 0 || bind_any(s->bind)) &&
		    hosts_add_name(h, loopbacks[i], strlen(loopbacks[i]),
		    HOSTS_PORT_ANY, err, errlen) != 0)
			return -1;
	if (!bind_any(s->bind) && hosts_add_name(h, s->bind, strlen(s->bind),
	    HOSTS_PORT_ANY, why, sizeof(why)) != 0)
		return util_err(err, errlen, "NUMDIALER_BIND: %s", why);
	if (hosts_add_url(h, s->public_url, why, sizeof(why)) != 0)
		return util_err(err, errlen, "NUMDIALER_PUBLIC_URL: %s", why);
	if (hosts_add_list(h, s->hosts, why, sizeof(why)) != 0)
		return util_err(err, errlen, "NUMDIALER_HOSTS: %s", why);
	return 0;
}

/* Whether the token may go to url: over TLS, or to this machine (the
 * simulator) in clear. */
static bool
twilio_api_safe(const char *url)
{
	static const char *const local[] = { "http://localhost",
	    "http://127.", "http://[::1]" };
	const char *rest;

	if (strncasecmp(url, "https://", 8) == 0)
		return true;
	for (size_t i = 0; i < LEN(local); i++) {
		if (strncasecmp(url, local[i], strlen(local[i])) != 0)
			continue;
		/* The host ends there (localhost, [::1]) or goes on in
		 * digits and dots (127.x.y.z); then a port, a path or the end. */
		rest = url + strlen(local[i]);
		if (local[i][strlen(local[i]) - 1] == '.')
			rest += strspn(rest, "0123456789.");
		if (*rest == '\0' || *rest == ':' || *rest == '/')
			return true;
	}
	return false;
}

/* The Twilio provider's settings, which make sense only together: 0, or
 * -1 with err naming the first one missing or at odds. */
static int
check_twilio(const struct settings *s, char *err, size_t errlen)
{
	static const char *const needed[][2] = {
		{ "NUMDIALER_TWILIO_ACCOUNT_SID", "the Account SID" },
		{ "NUMDIALER_TWILIO_AUTH_TOKEN_FILE", "the file holding the "
		    "auth token" },
		{ "NUMDIALER_TWILIO_FROM", "the caller id, E.164" },
	};
	const char *given[] = { s->twilio_account_sid, s->twilio_token_file,
	    s->twilio_from };

	if (s->provider != SETTINGS_PROVIDER_TWILIO)
		return 0;
	for (size_t i = 0; i < LEN(needed); i++)
		if (given[i][0] == '\0')
			return util_err(err, errlen, "%s: must be set with "
			    "NUMDIALER_PROVIDER=twilio (%s)", needed[i][0],
			    needed[i][1]);
	if (s->twilio_twiml[0] == '\0' && s->twilio_url[0] == '\0')
		return util_err(err, errlen, "NUMDIALER_TWILIO_TWIML: must be "
		    "set, or NUMDIALER_TWILIO_URL, with NUMDIALER_PROVIDER="
		    "twilio (what an answered call hears)");
	if (!twilio_api_safe(s->twilio_api))
		return util_err(err, errlen, "NUMDIALER_TWILIO_API: must be "
		    "https:// (the auth token goes with every request), or "
		    "http:// to this machine (localhost, 127.0.0.1, [::1])");
	if (settings_time_limit(s) < 1)
		return util_err(err, errlen, "NUMDIALER_CALL_TIMEOUT: must be "
		    "over NUMDIALER_TWILIO_TIMEOUT + %d s with NUMDIALER_"
		    "PROVIDER=twilio, so that Twilio ends each call (its "
		    "TimeLimit) before the dialer's timeout",
		    SETTINGS_TIME_LIMIT_MARGIN);
	return 0;
}

int
settings_load(struct settings *s, const char *conf_path, char *err,
    size_t errlen)
{
	char why[SETTINGS_VALUE_MAX];
	char *text = NULL;
	size_t len = 0;
	int rc = -1;

	settings_defaults(s);
	if (conf_path != NULL) {
		int got = read_conf(conf_path, &text, &len, err, errlen);

		if (got == -1)
			goto done;
		if (got == 0 &&
		    settings_parse(s, text, len, conf_path, err, errlen) == -1)
			goto done;
	}
	/* Only the table's keys: the scripts export other NUMDIALER_*
	 * variables that are not settings. */
	for (size_t i = 0; i < LEN(table); i++) {
		const char *v = getenv(table[i].key);

		if (v == NULL)
			continue;
		if (settings_set(s, table[i].key, v, why, sizeof(why)) == -1) {
			util_err(err, errlen, "%s (from the environment)", why);
			goto done;
		}
	}
	if (s->public_url[0] == '\0')
		derive_public_url(s);
	if (check_twilio(s, err, errlen) != 0 ||
	    derive_known(s, err, errlen) != 0)
		goto done;
	rc = 0;

done:
	free(text);
	return rc;
}
