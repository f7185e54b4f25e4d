/* callbacks: a Twilio call's steps, and the voice that signs its callbacks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callbacks.h"
#include "twilio_sign.h"
#include "util.h"

#define CALLBACKS_HEADER_MAX 64  /* bytes of the signature's header line */

_Static_assert(CALLS_STEPS_MAX == SENDER_STEPS_MAX,
    "a call's steps are the same for the record and the sender");

/* The path's words for a step, and what each is in Twilio's terms. */
static const struct {
	const char *word;
	enum calls_step step;
	enum calls_status end;   /* for CALLS_STEP_END */
	const char *twilio;      /* the word in the logs */
	unsigned event;          /* the event that asks for its callback; 0:
	                            always sent */
} callbacks_words[] = {
	{"ringing", CALLS_STEP_RINGING, CALLS_QUEUED, "ringing",
	    CALLS_EVENT_RINGING},
	{"answered", CALLS_STEP_ANSWERED, CALLS_QUEUED, "in-progress",
	    CALLS_EVENT_ANSWERED},
	{"completed", CALLS_STEP_END, CALLS_COMPLETED, "completed", 0},
	{"busy", CALLS_STEP_END, CALLS_BUSY, "busy", 0},
	{"no-answer", CALLS_STEP_END, CALLS_NO_ANSWER, "no-answer", 0},
	{"failed", CALLS_STEP_END, CALLS_FAILED, "failed", 0},
};

/*
 * Appends a step to both views: kind, named word in the logs, quiet when
 * the path says so or nobody asked for its callback. 0, or -1 when there
 * is no room.
 */
static int
callbacks_add(struct calls_ask *ask, struct sender_call *out,
    enum calls_step kind, const char *word, unsigned event,
    const struct path_step *from, int64_t hold_ms)
{
	struct sender_step *s;
	int asked;

	if (out->nsteps == SENDER_STEPS_MAX)
		return -1;
	if (kind == CALLS_STEP_AMD)
		asked = ask->amd_callback != NULL;
	else
		asked = ask->status_callback != NULL &&
		    (event == 0 || (ask->events & event) != 0);
	s = &out->steps[out->nsteps];
	s->status = word;
	s->terminal = from != NULL && from->terminal;
	s->quiet = !asked || (from != NULL && from->quiet);
	s->hold_ms = hold_ms;
	ask->path.steps[out->nsteps] = kind;
	ask->path.nsteps = ++out->nsteps;
	return 0;
}

/* Appends the steps of the path's step st (and the detection after an
 * answer, when asked): 0 or -1. */
static int
callbacks_add_step(const struct path_step *st, struct calls_ask *ask,
    unsigned long_call_ms, struct sender_call *out)
{
	int64_t hold = st->lasts ? (int64_t)long_call_ms : -1;
	size_t i;

	for (i = 0; i < LEN(callbacks_words); i++)
		if (strcmp(callbacks_words[i].word, st->status) == 0)
			break;
	if (i == LEN(callbacks_words))
		return -1;
	if (callbacks_words[i].step == CALLS_STEP_END)
		ask->path.end = callbacks_words[i].end;
	if (callbacks_add(ask, out, callbacks_words[i].step,
	    callbacks_words[i].twilio, callbacks_words[i].event, st,
	    hold) != 0)
		return -1;
	if (callbacks_words[i].step == CALLS_STEP_ANSWERED &&
	    ask->amd != CALLS_AMD_NONE && ask->async_amd &&
	    ask->amd_callback != NULL)
		return callbacks_add(ask, out, CALLS_STEP_AMD, "amd", 0, NULL,
		    -1);
	return 0;
}

int
callbacks_build(const struct path *path, struct calls_ask *ask,
    unsigned long_call_ms, struct sender_call *out)
{
	size_t i;

	out->nsteps = 0;
	ask->path.nsteps = 0;
	ask->path.end = CALLS_COMPLETED;
	/* Initiated goes at the call's turn, with no delay of its own; a path
	 * whose first step beats the answer to the POST has no time for it. */
	if (!path->first_before_answer &&
	    callbacks_add(ask, out, CALLS_STEP_INITIATED, "initiated",
	    CALLS_EVENT_INITIATED, NULL, 0) != 0)
		return -1;
	for (i = 0; i < path->nsteps; i++)
		if (callbacks_add_step(&path->steps[i], ask, long_call_ms,
		    out) != 0)
			return -1;
	out->first_before_answer = path->first_before_answer;
	return 0;
}

static int64_t
callbacks_delay(void *ctx, size_t step, int64_t ms)
{
	return calls_delay(ctx, step, ms);
}

static void
callbacks_reached(void *ctx, size_t step)
{
	calls_reach(ctx, step);
}

/* url with the query text added ('?' or '&'), or NULL. */
static char *
callbacks_query(const char *url, const char *text)
{
	size_t n = strlen(url) + strlen(text) + 2;
	char *full = malloc(n);

	if (full != NULL)
		snprintf(full, n, "%s%c%s", url,
		    strchr(url, '?') != NULL ? '&' : '?', text);
	return full;
}

/* The headers of a callback signed sig: 0 or -1. */
static int
callbacks_headers(struct sender_request *out, const char *sig, int get)
{
	char line[CALLBACKS_HEADER_MAX];
	struct curl_slist *h = NULL, *t;

	snprintf(line, sizeof line, "X-Twilio-Signature: %s", sig);
	h = curl_slist_append(NULL, line);
	if (h == NULL)
		return -1;
	t = curl_slist_append(h, "User-Agent: TwilioProxy/1.1");
	if (t != NULL && !get)
		t = curl_slist_append(h, "Content-Type: "
		    "application/x-www-form-urlencoded");
	if (t == NULL) {
		curl_slist_free_all(h);
		return -1;
	}
	out->headers = h;
	return 0;
}

/* The request of step: its form in the body of a POST or the query of a
 * GET, signed with the account's token. */
static int
callbacks_render(void *ctx, size_t step, struct sender_request *out)
{
	struct calls_call *c = ctx;
	struct form params = {0}, none = {0};
	char sig[TWILIO_SIGN_LEN + 1];
	const char *url;
	char *text = NULL;
	size_t len = 0;
	int get = 0;

	if (calls_callback(c, step, &params, &url, &get) != 0 ||
	    form_encode(&params, &text, &len) != 0)
		goto fail;
	if (get) {
		out->url = callbacks_query(url, text);
	} else {
		out->url = strdup(url);
		out->body = text;
		out->len = len;
		text = NULL;
	}
	if (out->url == NULL ||
	    twilio_sign(calls_token(c), out->url, get ? &none : &params,
	    sig) != 0 || callbacks_headers(out, sig, get) != 0)
		goto fail;
	free(text);
	form_free(&params);
	return 0;
fail:
	free(text);
	form_free(&params);
	free(out->url);
	free(out->body);
	memset(out, 0, sizeof *out);
	return -1;
}

const struct sender_voice callbacks_voice = {
	callbacks_delay,
	callbacks_reached,
	callbacks_render,
};
