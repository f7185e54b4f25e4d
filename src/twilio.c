/*
 * twilio: the Calls API's form and URLs, the reading of its answers, the
 * webhook signature and the token file. libcurl escapes and unescapes,
 * json-c reads, OpenSSL's libcrypto signs.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "e164.h"
#include "twilio.h"
#include "util.h"
#include "webhook.h"

/* Room for Twilio's words in a pause's reason, so the advice after fits. */
#define TWILIO_PAUSE_WORDS_MAX 72
#define TWILIO_PAUSE_ADVICE \
	"dialing paused; check NUMDIALER_TWILIO_ACCOUNT_SID and the token file"

/* The call progress Twilio reports to the StatusCallback, one parameter
 * each. */
static const char *const callback_events[] = {
	"initiated", "ringing", "answered", "completed",
};

/* MachineDetection's value for each enum twilio_amd; NULL: not sent. */
static const char *const amd_words[] = {
	[TWILIO_AMD_OFF] = NULL,
	[TWILIO_AMD_ENABLE] = "Enable",
	[TWILIO_AMD_MESSAGE_END] = "DetectMessageEnd",
};

/* A sid as Twilio's API description spells it, ^CA[0-9a-fA-F]{32}$: the
 * hex may come in either case, so hex_decode's lowercase will not do. */
static bool
sid_valid(const char *s, size_t len, const char *prefix)
{
	if (len != TWILIO_SID_LEN || strncmp(s, prefix, 2) != 0)
		return false;
	for (size_t i = 2; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	return true;
}

bool
twilio_sid_valid(const char *s, const char *prefix)
{
	return s != NULL && prefix != NULL && strlen(prefix) == 2 &&
	    sid_valid(s, strlen(s), prefix);
}

/* A form being written into a caller's buffer; failed sticks. */
struct form {
	char *out;
	size_t cap, len;
	bool failed;
};

/* Appends "&name=value", value escaped by libcurl (names are ours, plain
 * ASCII letters). */
static void
form_add(struct form *f, const char *name, const char *value)
{
	char *escaped;
	int n;

	if (f->failed)
		return;
	/* libcurl takes a 0 length as "use strlen". */
	escaped = curl_easy_escape(NULL, value, 0);
	if (escaped == NULL) {
		f->failed = true;
		return;
	}
	n = snprintf(f->out + f->len, f->cap - f->len, "%s%s=%s",
	    f->len > 0 ? "&" : "", name, escaped);
	curl_free(escaped);
	if (n < 0 || (size_t)n >= f->cap - f->len)
		f->failed = true;
	else
		f->len += (size_t)n;
}

static void
form_add_uint(struct form *f, const char *name, unsigned value)
{
	char text[UTIL_U64_DIGITS + 1];

	snprintf(text, sizeof(text), "%u", value);
	form_add(f, name, text);
}

static bool
url_ok(const char *url)
{
	return url != NULL && url[0] != '\0' && strlen(url) <= TWILIO_URL_MAX;
}

/* Whether call is complete and inside Twilio's bounds. */
static bool
call_valid(const struct twilio_call *c)
{
	uint64_t key;
	bool has_twiml, has_url;

	if (c == NULL)
		return false;
	has_twiml = c->twiml != NULL;
	has_url = c->url != NULL;
	if (c->to == NULL || e164_key(c->to, &key) == -1 ||
	    c->from == NULL || e164_key(c->from, &key) == -1 ||
	    has_twiml == has_url || !url_ok(c->status_callback))
		return false;
	if (has_twiml && (c->twiml[0] == '\0' ||
	    strlen(c->twiml) > TWILIO_TWIML_MAX))
		return false;
	if (has_url && !url_ok(c->url))
		return false;
	return c->timeout_s >= 1 && c->timeout_s <= TWILIO_TIMEOUT_MAX &&
	    c->time_limit_s >= 1 && c->time_limit_s <= TWILIO_TIME_LIMIT_MAX &&
	    (unsigned)c->amd < LEN(amd_words);
}

int
twilio_call_form(const struct twilio_call *call, char *out, size_t outlen)
{
	struct form f = { out, outlen, 0, false };

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	if (!call_valid(call))
		return -1;
	form_add(&f, "To", call->to);
	form_add(&f, "From", call->from);
	if (call->twiml != NULL)
		form_add(&f, "Twiml", call->twiml);
	else
		form_add(&f, "Url", call->url);
	form_add_uint(&f, "Timeout", call->timeout_s);
	form_add_uint(&f, "TimeLimit", call->time_limit_s);
	form_add(&f, "StatusCallback", call->status_callback);
	form_add(&f, "StatusCallbackMethod", "POST");
	for (size_t i = 0; i < LEN(callback_events); i++)
		form_add(&f, "StatusCallbackEvent", callback_events[i]);
	if (amd_words[call->amd] != NULL) {
		form_add(&f, "MachineDetection", amd_words[call->amd]);
		form_add(&f, "AsyncAmd", "true");
		form_add(&f, "AsyncAmdStatusCallback", call->status_callback);
		form_add(&f, "AsyncAmdStatusCallbackMethod", "POST");
	}
	if (f.failed) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

/* {api_base}/2010-04-01/Accounts/{account_sid}/Calls{tail} into out. */
static int
api_url(const char *api_base, const char *account_sid, const char *tail,
    char *out, size_t outlen)
{
	size_t base_len;
	int n;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	if (!url_ok(api_base) || !twilio_sid_valid(account_sid, "AC"))
		return -1;
	base_len = strlen(api_base);
	while (base_len > 0 && api_base[base_len - 1] == '/')
		base_len--;
	if (base_len == 0)
		return -1;
	n = snprintf(out, outlen, "%.*s/" TWILIO_API_VERSION
	    "/Accounts/%s/Calls%s", (int)base_len, api_base, account_sid, tail);
	if (n < 0 || (size_t)n >= outlen) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

int
twilio_calls_url(const char *api_base, const char *account_sid, char *out,
    size_t outlen)
{
	return api_url(api_base, account_sid, ".json", out, outlen);
}

int
twilio_call_url(const char *api_base, const char *account_sid,
    const char *call_sid, char *out, size_t outlen)
{
	char tail[TWILIO_SID_LEN + 8];

	if (outlen > 0)
		out[0] = '\0';
	if (!twilio_sid_valid(call_sid, "CA"))
		return -1;
	snprintf(tail, sizeof(tail), "/%s.json", call_sid);
	return api_url(api_base, account_sid, tail, out, outlen);
}

/*
 * Appends len bytes of s to buf (cap bytes, NUL-terminated), control
 * characters dropped. When it does not all fit it is cut where a character
 * begins, so that no UTF-8 sequence is left half.
 */
static void
append_text(char *buf, size_t cap, const char *s, size_t len)
{
	size_t n = strlen(buf), start = n, k;
	bool cut = false;

	for (size_t i = 0; i < len && !cut; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch == 0x7f)
			continue;
		if (n + 1 >= cap)
			cut = true;
		else
			buf[n++] = (char)ch;
	}
	if (cut) {
		/* buf[k - 1] begins the last character: back over at most
		 * three continuation bytes (10xxxxxx) to it, and drop that
		 * character when fewer bytes came than its first one says. */
		k = n;
		while (k > start && n - k < 3 &&
		    ((unsigned char)buf[k - 1] & 0xc0) == 0x80)
			k--;
		if (k > start) {
			unsigned char ch = (unsigned char)buf[k - 1];
			size_t need = ch >= 0xf0 ? 4 : ch >= 0xe0 ? 3 :
			    ch >= 0xc0 ? 2 : 1;

			if (n - (k - 1) < need)
				n = k - 1;
		}
	}
	buf[n] = '\0';
}

/* The string member key of obj: true with its text and length. */
static bool
json_text(struct json_object *obj, const char *key, const char **s,
    size_t *len)
{
	struct json_object *f;

	if (!json_object_object_get_ex(obj, key, &f) ||
	    !json_object_is_type(f, json_type_string))
		return false;
	*s = json_object_get_string(f);
	*len = (size_t)json_object_get_string_len(f);
	return true;
}

/*
 * Twilio's error in an answer, {"code": 21211, "message": "...", ...}, as
 * "twilio CODE: MESSAGE" into buf ("twilio CODE" without a message, "twilio
 * HTTP STATUS: MESSAGE" without a code); "" when the body is no such
 * error. *code is its code, or -1.
 */
static void
error_words(const struct outcome_report *r, char *buf, size_t len,
    int64_t *code)
{
	struct json_object *root = NULL, *f;
	const char *msg = NULL;
	size_t msg_len = 0;

	buf[0] = '\0';
	*code = -1;
	if (r->body == NULL || util_json_object(r->body, r->body_len,
	    TWILIO_JSON_DEPTH, &root) != UTIL_JSON_OK)
		return;
	if (json_object_object_get_ex(root, "code", &f) &&
	    json_object_is_type(f, json_type_int) &&
	    json_object_get_int64(f) >= 0 && json_object_get_int64(f) <= INT32_MAX)
		*code = json_object_get_int64(f);
	if (!json_text(root, "message", &msg, &msg_len) || msg_len == 0)
		msg = NULL;
	if (*code >= 0)
		snprintf(buf, len, "twilio %" PRId64 "%s", *code,
		    msg != NULL ? ": " : "");
	else if (msg != NULL)
		snprintf(buf, len, "twilio HTTP %ld: ", r->http_status);
	if (msg != NULL)
		append_text(buf, len, msg, msg_len);
	json_object_put(root);
}

/* Twilio's words for a failure, or its HTTP status when it gave none. */
static void
failure_reason(const struct outcome_report *r, const char *words, char *buf,
    size_t len)
{
	if (words[0] != '\0')
		snprintf(buf, len, "%s", words);
	else
		snprintf(buf, len, "twilio HTTP %ld", r->http_status);
}

/* The reason of a pause for refused credentials, with Twilio's words cut
 * so that the advice after them is never cut. */
static void
pause_reason(const struct outcome_report *r, const char *words, char *buf,
    size_t len)
{
	char cut[TWILIO_PAUSE_WORDS_MAX + 1] = "";

	append_text(cut, sizeof(cut), words, strlen(words));
	snprintf(buf, len, "twilio refused the credentials (%ld%s%s): "
	    TWILIO_PAUSE_ADVICE, r->http_status, cut[0] != '\0' ? ", " : "",
	    cut);
}

/* A 2xx answer to POST .../Calls.json: placed with its sid, or, when it
 * names none, a call that may exist. */
static void
read_created(const struct outcome_report *r, struct outcome *out)
{
	struct json_object *root = NULL;
	const char *sid;
	size_t len;

	out->kind = OUTCOME_UNKNOWN;
	if (r->body == NULL || util_json_object(r->body, r->body_len,
	    TWILIO_JSON_DEPTH, &root) != UTIL_JSON_OK)
		util_err(out->reason, sizeof(out->reason), "twilio answered "
		    "HTTP %ld, not with a JSON object: the call may exist",
		    r->http_status);
	else if (!json_text(root, "sid", &sid, &len) ||
	    !sid_valid(sid, len, "CA"))
		util_err(out->reason, sizeof(out->reason), "twilio answered "
		    "HTTP %ld without a good call sid: the call may exist",
		    r->http_status);
	else {
		out->kind = OUTCOME_PLACED;
		memcpy(out->id, sid, len + 1);
	}
	json_object_put(root);
}

/*
 * Reads Twilio's error in r into words (CAMPAIGN_REASON_MAX + 1 bytes) and
 * *code, then judges the delivery as every API's is judged, with those
 * words, cut on a character's edge, for a 429 / 503: see
 * outcome_judge_delivery.
 */
static bool
judge_delivery(const struct outcome_report *r, const struct outcome_policy *p,
    char *words, int64_t *code, struct outcome *out)
{
	char said[OUTCOME_DETAIL_MAX + 1] = "";

	error_words(r, words, CAMPAIGN_REASON_MAX + 1, code);
	append_text(said, sizeof(said), words, strlen(words));
	return outcome_judge_delivery(r, p, "twilio", said, out);
}

void
twilio_judge(const struct outcome_report *r, const struct outcome_policy *p,
    struct outcome *out)
{
	char words[CAMPAIGN_REASON_MAX + 1];
	int64_t code;

	memset(out, 0, sizeof(*out));
	if (r->body_overflow) {
		/* Only a 2xx answer is cut short: Twilio took the call. */
		out->kind = OUTCOME_UNKNOWN;
		util_err(out->reason, sizeof(out->reason),
		    "twilio answer too large: the call may exist");
		return;
	}
	if (judge_delivery(r, p, words, &code, out))
		return;
	if (r->http_status >= 200 && r->http_status <= 299) {
		read_created(r, out);
		return;
	}
	if (r->http_status == 401 || r->http_status == 403) {
		out->kind = OUTCOME_PAUSE;
		pause_reason(r, words, out->reason, sizeof(out->reason));
		return;
	}
	/* Twilio refused the call (3xx, 4xx); past those, it may have taken
	 * it before failing (5xx). */
	out->kind = r->http_status >= 300 && r->http_status <= 499 ?
	    OUTCOME_FAILED : OUTCOME_UNKNOWN;
	failure_reason(r, words, out->reason, sizeof(out->reason));
}

static void
call_state_clear(struct twilio_call_state *out)
{
	memset(out, 0, sizeof(*out));
	out->status = STATUS_IDLE;
	out->duration_s = -1;
	out->answered_by = ANSWERED_BY_NONE;
}

/*
 * A member of a call that may be null: 1 with *f when it is a string, 0
 * when it is null or absent, -1 with err when it is anything else.
 */
static int
optional_text(struct json_object *root, const char *key,
    struct json_object **f, char *err, size_t errlen)
{
	if (!json_object_object_get_ex(root, key, f) ||
	    json_object_is_type(*f, json_type_null))
		return 0;
	if (!json_object_is_type(*f, json_type_string))
		return util_err(err, errlen, "call %s not a string", key);
	return 1;
}

/* "duration": a string of digits, or null or absent (-1): 0, or -1. */
static int
read_duration(struct json_object *root, int64_t *out, char *err,
    size_t errlen)
{
	struct json_object *f;
	const char *errstr;
	uint64_t n;
	int present = optional_text(root, "duration", &f, err, errlen);

	*out = -1;
	if (present != 1)
		return present;
	n = util_strtou64(json_object_get_string(f),
	    (size_t)json_object_get_string_len(f), 0, WEBHOOK_DURATION_MAX,
	    &errstr);
	if (errstr != NULL)
		return util_err(err, errlen, "call duration %s", errstr);
	*out = (int64_t)n;
	return 0;
}

/* "answered_by": a string, or null or absent: 0, or -1. */
static int
read_answered_by(struct json_object *root, enum answered_by *out, char *err,
    size_t errlen)
{
	struct json_object *f;
	size_t len;
	int present = optional_text(root, "answered_by", &f, err, errlen);

	*out = ANSWERED_BY_NONE;
	if (present != 1)
		return present;
	len = (size_t)json_object_get_string_len(f);
	/* A word Twilio adds later: detection ran, its verdict not ours. */
	if (len > 0 && answered_by_parse(json_object_get_string(f), len,
	    out) == -1)
		*out = ANSWERED_BY_UNKNOWN;
	return 0;
}

int
twilio_read_call(const char *body, size_t len, struct twilio_call_state *out,
    char *err, size_t errlen)
{
	struct json_object *root = NULL;
	const char *s;
	size_t n;
	int rc = -1;

	call_state_clear(out);
	if (body == NULL || util_json_object(body, len, TWILIO_JSON_DEPTH,
	    &root) != UTIL_JSON_OK) {
		util_err(err, errlen, "call answer not a JSON object");
		goto done;
	}
	if (!json_text(root, "sid", &s, &n) || !sid_valid(s, n, "CA")) {
		util_err(err, errlen, "call answer has no good sid");
		goto done;
	}
	memcpy(out->sid, s, n + 1);
	if (!json_text(root, "status", &s, &n) ||
	    status_parse(s, n, &out->status) == -1) {
		util_err(err, errlen, "call status missing or not a known word");
		goto done;
	}
	if (read_duration(root, &out->duration_s, err, errlen) == -1 ||
	    read_answered_by(root, &out->answered_by, err, errlen) == -1)
		goto done;
	rc = 0;

done:
	if (rc != 0)
		call_state_clear(out);
	json_object_put(root);
	return rc;
}

enum twilio_query
twilio_judge_query(const struct outcome_report *r,
    struct twilio_call_state *state, char *reason, size_t reasonlen)
{
	/* A query is never tried again here: its caller asks later. */
	const struct outcome_policy once = { 1, 1, 0 };
	char words[CAMPAIGN_REASON_MAX + 1], err[OUTCOME_DETAIL_MAX + 1];
	struct outcome o;
	int64_t code;

	call_state_clear(state);
	util_err(reason, reasonlen, "%s", "");
	if (r->body_overflow) {
		util_err(reason, reasonlen, "twilio answer too large");
		return TWILIO_QUERY_FAILED;
	}
	memset(&o, 0, sizeof(o));
	if (judge_delivery(r, &once, words, &code, &o)) {
		util_err(reason, reasonlen, "%s", o.reason);
		return TWILIO_QUERY_FAILED;
	}
	if (r->http_status == 200) {
		if (twilio_read_call(r->body, r->body_len, state, err,
		    sizeof(err)) == 0)
			return TWILIO_QUERY_FOUND;
		util_err(reason, reasonlen, "twilio %s", err);
		return TWILIO_QUERY_FAILED;
	}
	if (r->http_status == 401 || r->http_status == 403) {
		pause_reason(r, words, reason, reasonlen);
		return TWILIO_QUERY_REFUSED;
	}
	failure_reason(r, words, reason, reasonlen);
	/* Only Twilio's own 20404 says the call is not there: a 404 from
	 * a proxy or a wrong API base says nothing about it. */
	return r->http_status == 404 && code == 20404 ?
	    TWILIO_QUERY_NOT_FOUND : TWILIO_QUERY_FAILED;
}

/* One form parameter, decoded; name and value freed with curl_free. */
struct param {
	char *name, *value;
	size_t name_len, value_len;
};

static int
bytes_order(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c;
	return (alen > blen) - (alen < blen);
}

/* Twilio's order: by name, then by value, byte by byte. */
static int
param_order(const void *a, const void *b)
{
	const struct param *x = a, *y = b;
	int c = bytes_order(x->name, x->name_len, y->name, y->name_len);

	return c != 0 ? c :
	    bytes_order(x->value, x->value_len, y->value, y->value_len);
}

/* Decodes the form's parameters into params (TWILIO_SIGNED_PARAMS_MAX
 * room): how many, or -1 for too many or no memory. What was decoded is
 * in params either way, for params_free. */
static int
params_decode(const char *form, size_t len, struct param *params)
{
	const char *p = form;
	struct webhook_pair pair;
	int n = 0;

	while (webhook_form_next(&p, form + len, &pair)) {
		struct param *q = &params[n];

		if (n == TWILIO_SIGNED_PARAMS_MAX)
			return -1;
		n++;
		q->name = webhook_form_decode(pair.name, pair.name_len,
		    &q->name_len);
		q->value = webhook_form_decode(pair.value, pair.value_len,
		    &q->value_len);
		if (q->name == NULL || q->value == NULL)
			return -1;
	}
	return n;
}

static void
params_free(struct param *params, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		curl_free(params[i].name);
		curl_free(params[i].value);
	}
}

/* The text Twilio signs, url then the sorted parameters, into a buffer
 * to free: NULL when out of memory. Decoding only shortens a form, so
 * url_len + form_len bytes always hold it. */
static char *
signed_text(const char *url, size_t url_len, struct param *params, int n,
    size_t form_len, size_t *len)
{
	char *text = malloc(url_len + form_len + 1);

	if (text == NULL)
		return NULL;
	memcpy(text, url, url_len);
	*len = url_len;
	qsort(params, (size_t)n, sizeof(*params), param_order);
	for (int i = 0; i < n; i++) {
		memcpy(text + *len, params[i].name, params[i].name_len);
		*len += params[i].name_len;
		memcpy(text + *len, params[i].value, params[i].value_len);
		*len += params[i].value_len;
	}
	return text;
}

int
twilio_signature(const char *token, const char *url, const char *form,
    size_t form_len, char out[TWILIO_SIGNATURE_LEN + 1])
{
	struct param params[TWILIO_SIGNED_PARAMS_MAX];
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	char *text = NULL;
	size_t text_len = 0;
	int n = 0, rc = -1;

	out[0] = '\0';
	memset(params, 0, sizeof(params));
	if (token == NULL || token[0] == '\0' || url == NULL ||
	    strlen(url) > TWILIO_URL_MAX || (form == NULL && form_len > 0) ||
	    form_len > WEBHOOK_BODY_MAX)
		goto done;
	if (form != NULL && (n = params_decode(form, form_len, params)) == -1)
		goto done;
	text = signed_text(url, strlen(url), params, n, form_len, &text_len);
	if (text == NULL || HMAC(EVP_sha1(), token, (int)strlen(token),
	    (const unsigned char *)text, text_len, mac, &mac_len) == NULL ||
	    mac_len != 20)
		goto done;
	EVP_EncodeBlock((unsigned char *)out, mac, (int)mac_len);
	rc = 0;

done:
	params_free(params, TWILIO_SIGNED_PARAMS_MAX);
	free(text);
	return rc;
}

bool
twilio_signature_ok(const char *token, const char *url, const char *form,
    size_t form_len, const char *header)
{
	char expected[TWILIO_SIGNATURE_LEN + 1];

	if (header == NULL || strlen(header) != TWILIO_SIGNATURE_LEN)
		return false;
	if (twilio_signature(token, url, form, form_len, expected) == -1)
		return false;
	return CRYPTO_memcmp(expected, header, TWILIO_SIGNATURE_LEN) == 0;
}

/*
 * Opens path for its token: a regular file others may neither read nor
 * write. The descriptor, or -1 with err. Opened without blocking (a FIFO
 * would wait for a writer) and checked through the descriptor, so the
 * file checked is the file read.
 */
static int
token_open(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

	if (fd == -1)
		return util_err(err, errlen, "token file %s: %s", path,
		    strerror(errno));
	if (fstat(fd, &st) == -1) {
		util_err(err, errlen, "token file %s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		util_err(err, errlen, "token file %s is not a regular file",
		    path);
		goto fail;
	}
	if ((st.st_mode & (S_IROTH | S_IWOTH)) != 0) {
		util_err(err, errlen, "token file %s has mode %04o: others may "
		    "%s it; chmod o-rwx it (0600, or 0640 for a group)", path,
		    (unsigned)(st.st_mode & 07777),
		    (st.st_mode & S_IROTH) != 0 ? "read" : "write");
		goto fail;
	}
	return fd;

fail:
	close(fd);
	return -1;
}

/* The first line of the len bytes in buf as a token: its length, or -1. */
static int
token_line(const char *path, const char *buf, size_t len, bool whole,
    char *err, size_t errlen)
{
	const char *nl = memchr(buf, '\n', len);
	size_t n = nl != NULL ? (size_t)(nl - buf) : len;

	if (nl == NULL && !whole)
		return util_err(err, errlen, "token file %s: first line longer "
		    "than %d bytes", path, TWILIO_TOKEN_MAX);
	while (n > 0 && util_is_blank(buf[n - 1]))
		n--;
	if (n == 0)
		return util_err(err, errlen, "token file %s: no token on its "
		    "first line", path);
	if (n > TWILIO_TOKEN_MAX)
		return util_err(err, errlen, "token file %s: token longer than "
		    "%d bytes", path, TWILIO_TOKEN_MAX);
	for (size_t i = 0; i < n; i++)
		if (buf[i] <= ' ' || buf[i] >= 0x7f)
			return util_err(err, errlen, "token file %s: the token has "
			    "characters other than printable ASCII (or blanks)",
			    path);
	return (int)n;
}

int
twilio_read_token(const char *path, char *out, size_t outlen, char *err,
    size_t errlen)
{
	/* A first line may end in blanks and a CR: room for some past the
	 * longest token, and one byte more to tell a longer line. */
	char buf[TWILIO_TOKEN_MAX + 64];
	size_t len = 0;
	ssize_t got = 1;
	int fd = -1, n = -1;

	if (outlen > 0)
		out[0] = '\0';
	if ((fd = token_open(path, err, errlen)) == -1)
		goto done;
	while (len < sizeof(buf) && got != 0) {
		got = read(fd, buf + len, sizeof(buf) - len);
		if (got == -1 && errno != EINTR) {
			util_err(err, errlen, "token file %s: %s", path,
			    strerror(errno));
			goto done;
		}
		if (got > 0)
			len += (size_t)got;
	}
	n = token_line(path, buf, len, got == 0, err, errlen);
	if (n != -1 && (size_t)n >= outlen) {
		util_err(err, errlen, "token file %s: no room for its token",
		    path);
		n = -1;
	}
	if (n != -1) {
		memcpy(out, buf, (size_t)n);
		out[n] = '\0';
	}

done:
	explicit_bzero(buf, sizeof(buf));
	if (fd != -1)
		close(fd);
	return n == -1 ? -1 : 0;
}
