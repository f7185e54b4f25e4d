/* sender: the webhook thread, its timer heap and its libcurl multi loop. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "sender.h"
#include "util.h"

#define SENDER_TIMEOUT_S 60L        /* one webhook's answer, at most */
#define SENDER_CONNECT_TIMEOUT_S 10L
#define SENDER_POLL_MS 1000         /* longest sleep with nothing due */
#define SENDER_MAXCONNECTS 64L      /* idle connections kept for reuse */
#define SENDER_BODY_MAX 96          /* bytes of one webhook body */
#define SENDER_HEAP_FIRST 64        /* timers first made room for */

/* On the stack of a sender_place that waits; done is written under the
 * sender's lock, and the waiter is gone once it is seen set. */
struct waiter {
	int done;
};

struct call {
	long long id;
	char name[SENDER_NAME_MAX];
	struct sender_step steps[SENDER_STEPS_MAX];
	size_t nsteps;
	const struct sender_voice *voice; /* NULL: the default body */
	void *ctx;                /* the voice's; not owned */
	size_t step;              /* the webhook on the wire or due next */
	unsigned char order[SENDER_STEPS_MAX]; /* the steps, in the order
	                           * they are sent */
	int reversed;             /* order was reversed once (hook-reorder) */
	int decided;              /* the faults of this step are known */
	int drop;                 /* this step is not sent (hook-drop) */
	int again;                /* this step goes once more (hook-duplicate) */
	int repeat;               /* this step's send is the second */
	char *url;                /* owned; NULL with a voice */
	struct sender_request req; /* the voice's request for this step,
	                           * kept for a second send; owned */
	int rendered;             /* req holds this step's request */
	struct waiter *waiter;    /* a POST /call answer waiting on the first
	                           * webhook, or NULL; not owned */
	CURL *easy;               /* while a webhook is on the wire */
	struct call *prev, *next; /* in the sender's on-the-wire list */
	char body[SENDER_BODY_MAX];
};

struct timer {
	int64_t due_ms;
	uint64_t seq;             /* keeps timers due together in order */
	struct call *call;        /* owned by the heap while in it */
};

struct sender {
	pthread_mutex_t lock;     /* guards heap, seq, rng, stopping, waiters */
	pthread_cond_t answered;  /* a waiter is done */
	struct timer *heap;
	size_t nheap, capheap;
	uint64_t seq;
	uint64_t rng;
	unsigned delay_max_ms;
	int stopping;

	/* The thread's own, untouched by others once it runs. */
	pthread_t thread;
	int running;
	CURLM *multi;
	struct curl_slist *headers;
	CURL **idle;              /* easy handles kept for reuse; owned */
	size_t nidle, capidle;
	struct call *wire;        /* calls with a webhook on the wire; owned */
	struct stats *stats;      /* borrowed */
	struct faults *faults;    /* borrowed; NULL: none */
};

/* splitmix64: a random delay in 0..delay_max_ms. Lock held. */
static int64_t
sender_delay(struct sender *s)
{
	if (s->delay_max_ms == 0)
		return 0;
	return (int64_t)(util_splitmix64(&s->rng) %
	    ((uint64_t)s->delay_max_ms + 1));
}

static int
sender_before(const struct timer *a, const struct timer *b)
{
	return a->due_ms < b->due_ms ||
	    (a->due_ms == b->due_ms && a->seq < b->seq);
}

static void
sender_swap(struct timer *a, struct timer *b)
{
	struct timer t = *a;

	*a = *b;
	*b = t;
}

/* Queues c's next webhook at due_ms: 0 or -1. Lock held. From a thread
 * other than the sender's, wake says to wake it. */
static int
sender_push(struct sender *s, struct call *c, int64_t due_ms, int wake)
{
	struct timer *h;
	size_t i, parent, cap;

	if (s->nheap == s->capheap) {
		cap = s->capheap != 0 ? 2 * s->capheap : SENDER_HEAP_FIRST;
		h = realloc(s->heap, cap * sizeof *h);
		if (h == NULL)
			return -1;
		s->heap = h;
		s->capheap = cap;
	}
	i = s->nheap++;
	s->heap[i] = (struct timer){due_ms, s->seq++, c};
	while (i > 0) {
		parent = (i - 1) / 2;
		if (!sender_before(&s->heap[i], &s->heap[parent]))
			break;
		sender_swap(&s->heap[i], &s->heap[parent]);
		i = parent;
	}
	/* A new earliest timer: the thread may be asleep past it. */
	if (i == 0 && wake)
		curl_multi_wakeup(s->multi);
	return 0;
}

/* Takes the earliest timer's call off the heap. Lock held; heap not empty. */
static struct call *
sender_pop(struct sender *s)
{
	struct call *c = s->heap[0].call;
	size_t i = 0, l, r, least;

	s->heap[0] = s->heap[--s->nheap];
	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		least = i;
		if (l < s->nheap && sender_before(&s->heap[l], &s->heap[least]))
			least = l;
		if (r < s->nheap && sender_before(&s->heap[r], &s->heap[least]))
			least = r;
		if (least == i)
			break;
		sender_swap(&s->heap[i], &s->heap[least]);
		i = least;
	}
	return c;
}

static size_t
sender_discard(char *ptr, size_t size, size_t nmemb, void *arg)
{
	(void)ptr;
	(void)arg;
	return size * nmemb;
}

/* An easy handle set up for webhooks, reused when one is idle, or NULL. */
static CURL *
sender_easy(struct sender *s)
{
	CURL *e;

	if (s->nidle > 0)
		return s->idle[--s->nidle];
	e = curl_easy_init();
	if (e == NULL)
		return NULL;
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, s->headers);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sender_discard);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, SENDER_TIMEOUT_S);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, SENDER_CONNECT_TIMEOUT_S);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	return e;
}

/* Keeps e for the next webhook, or frees it when there is no room. */
static void
sender_idle(struct sender *s, CURL *e)
{
	CURL **p;
	size_t cap;

	if (s->nidle == s->capidle) {
		cap = s->capidle != 0 ? 2 * s->capidle : SENDER_HEAP_FIRST;
		p = realloc(s->idle, cap * sizeof *p);
		if (p == NULL) {
			curl_easy_cleanup(e);
			return;
		}
		s->idle = p;
		s->capidle = cap;
	}
	s->idle[s->nidle++] = e;
}

/* The index, in c's steps, of the step that goes now. */
static size_t
sender_index(const struct call *c)
{
	return c->order[c->step];
}

/* The step of c that goes now. */
static const struct sender_step *
sender_step(const struct call *c)
{
	return &c->steps[sender_index(c)];
}

/* Where c's webhook on the wire went, for the logs. */
static const char *
sender_url(const struct call *c)
{
	return c->rendered ? c->req.url : c->url;
}

/* Frees what a voice rendered, and forgets it. */
static void
sender_request_free(struct sender_request *r)
{
	free(r->url);
	free(r->body);
	curl_slist_free_all(r->headers);
	memset(r, 0, sizeof *r);
}

/*
 * The wait before c's step i: its hold, or a random one; then what the
 * voice makes of it. Takes the lock for the draw only, so the voice never
 * runs under it.
 */
static int64_t
sender_wait(struct sender *s, struct call *c, size_t i)
{
	int64_t ms = c->steps[i].hold_ms;

	if (ms < 0) {
		pthread_mutex_lock(&s->lock);
		ms = sender_delay(s);
		pthread_mutex_unlock(&s->lock);
	}
	if (c->voice != NULL)
		ms = c->voice->delay(c->ctx, i, ms);
	return ms > 0 ? ms : 0;
}

static void
sender_unlink(struct sender *s, struct call *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->wire = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

/* Lets a POST /call waiting on c's first webhook answer. */
static void
sender_release(struct sender *s, struct call *c)
{
	if (c->waiter == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	c->waiter->done = 1;
	pthread_cond_broadcast(&s->answered);
	pthread_mutex_unlock(&s->lock);
	c->waiter = NULL;
}

static void
sender_drop(struct sender *s, struct call *c)
{
	sender_release(s, c);
	sender_request_free(&c->req);
	free(c->url);
	free(c);
}

/* The call's webhook attempt is over: the next one is due, or it is done. */
static void
sender_next(struct sender *s, struct call *c)
{
	int64_t due;
	int rc;

	sender_release(s, c);
	sender_request_free(&c->req);
	c->rendered = 0;
	c->decided = c->drop = c->again = c->repeat = 0;
	if (++c->step == c->nsteps) {
		stats_call_done(s->stats);
		sender_drop(s, c);
		return;
	}
	due = util_mono_ms() + sender_wait(s, c, sender_index(c));
	pthread_mutex_lock(&s->lock);
	rc = sender_push(s, c, due, 0);
	pthread_mutex_unlock(&s->lock);
	if (rc != 0) {
		fprintf(stderr, "apisim: call %s: out of memory, its "
		    "later webhooks are dropped\n", c->name);
		sender_drop(s, c);
	}
}

/*
 * The request of c's step that goes now into *view (borrowed from c): the
 * voice's, rendered once per step, or the default JSON. 0, or -1 when it
 * cannot be made.
 */
static int
sender_prepare(struct sender *s, struct call *c, struct sender_request *view)
{
	int len;

	if (c->voice != NULL) {
		if (!c->rendered) {
			memset(&c->req, 0, sizeof c->req);
			if (c->voice->render(c->ctx, sender_index(c),
			    &c->req) != 0)
				return -1;
			c->rendered = 1;
		}
		*view = c->req;
		return 0;
	}
	len = snprintf(c->body, sizeof c->body, "{\"id\": %lld, "
	    "\"status\": \"%s\"}", c->id, sender_step(c)->status);
	if (len < 0 || (size_t)len >= sizeof c->body)
		return -1;
	*view = (struct sender_request){c->url, c->body, (size_t)len,
	    s->headers};
	return 0;
}

/* Puts c's current webhook on the wire. */
static void
sender_send(struct sender *s, struct call *c)
{
	const struct sender_step *step = sender_step(c);
	struct sender_request view;
	int ready;

	if (step->terminal && !c->repeat)
		stats_terminal(s->stats, 1);
	ready = sender_prepare(s, c, &view) == 0;
	c->easy = ready ? sender_easy(s) : NULL;
	if (c->easy == NULL) {
		fprintf(stderr, "apisim: call %s: webhook %s not sent: "
		    "out of resources\n", c->name, step->status);
		stats_webhook(s->stats, 0);
		sender_next(s, c);
		return;
	}
	curl_easy_setopt(c->easy, CURLOPT_URL, view.url);
	/* Webhooks go straight to the dialer, never to the environment's
	 * http_proxy. */
	curl_easy_setopt(c->easy, CURLOPT_PROXY, "");
	curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, view.headers);
	if (view.body != NULL) {
		curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, view.body);
		curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE,
		    (long)view.len);
	} else {
		curl_easy_setopt(c->easy, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(c->easy, CURLOPT_PRIVATE, (void *)c);
	if (curl_multi_add_handle(s->multi, c->easy) != CURLM_OK) {
		fprintf(stderr, "apisim: call %s: webhook %s not sent: "
		    "multi handle refused it\n", c->name, step->status);
		sender_idle(s, c->easy);
		c->easy = NULL;
		stats_webhook(s->stats, 0);
		sender_next(s, c);
		return;
	}
	c->next = s->wire;
	if (s->wire != NULL)
		s->wire->prev = c;
	s->wire = c;
}

/* Takes in the answers of finished webhooks. */
static void
sender_reap(struct sender *s)
{
	struct CURLMsg *m;
	struct call *c;
	char *priv;
	long code;
	int left, ok;

	while ((m = curl_multi_info_read(s->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
		c = (struct call *)(void *)priv;
		code = 0;
		curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &code);
		ok = m->data.result == CURLE_OK && code < 400;
		if (m->data.result != CURLE_OK)
			fprintf(stderr, "apisim: call %s: webhook %s to %s "
			    "failed: %s\n", c->name,
			    sender_step(c)->status, sender_url(c),
			    curl_easy_strerror(m->data.result));
		else if (!ok)
			fprintf(stderr, "apisim: call %s: webhook %s to %s "
			    "failed: HTTP %ld\n", c->name,
			    sender_step(c)->status, sender_url(c), code);
		curl_multi_remove_handle(s->multi, c->easy);
		sender_idle(s, c->easy);
		c->easy = NULL;
		sender_unlink(s, c);
		stats_webhook(s->stats, ok);
		if (c->again) {
			c->again = 0;
			c->repeat = 1;
			sender_send(s, c);
		} else {
			sender_next(s, c);
		}
	}
}

/* Reverses the order of c's webhooks not sent yet. */
static void
sender_reverse(struct call *c)
{
	size_t i = c->step, j = c->nsteps - 1;
	unsigned char t;

	for (; i < j; i++, j--) {
		t = c->order[i];
		c->order[i] = c->order[j];
		c->order[j] = t;
	}
	c->reversed = 1;
}

/*
 * c's webhook is due: the first time, its faults are decided (and a late
 * one is put back on the heap); then it is reached, and sent, or dropped.
 * A quiet step draws no fault: it is no webhook.
 */
static void
sender_due(struct sender *s, struct call *c)
{
	struct faults_effect fx;
	int rc;

	if (!c->decided && !sender_step(c)->quiet) {
		faults_hook(s->faults, c->reversed, &fx);
		c->decided = 1;
		if (fx.reverse)
			sender_reverse(c);
		c->drop = fx.drop;
		c->again = fx.duplicate;
		if (fx.delay_ms > 0) {
			pthread_mutex_lock(&s->lock);
			rc = sender_push(s, c, util_mono_ms() + fx.delay_ms, 0);
			pthread_mutex_unlock(&s->lock);
			if (rc == 0)
				return;
			fprintf(stderr, "apisim: call %s: out of memory, "
			    "webhook sent without its delay\n", c->name);
		}
	}
	if (c->voice != NULL)
		c->voice->reached(c->ctx, sender_index(c));
	if (c->drop || sender_step(c)->quiet) {
		/* The dialer never learns; the call still ends now. */
		if (sender_step(c)->terminal)
			stats_terminal(s->stats, 0);
		sender_next(s, c);
		return;
	}
	sender_send(s, c);
}

/* Starts every webhook now due; returns the ms to sleep until the next. */
static int
sender_start_due(struct sender *s, int *stopping)
{
	struct call *c;
	int64_t wait;

	for (;;) {
		pthread_mutex_lock(&s->lock);
		*stopping = s->stopping;
		if (s->stopping || s->nheap == 0) {
			pthread_mutex_unlock(&s->lock);
			return SENDER_POLL_MS;
		}
		wait = s->heap[0].due_ms - util_mono_ms();
		if (wait > 0) {
			pthread_mutex_unlock(&s->lock);
			return wait < SENDER_POLL_MS ? (int)wait : SENDER_POLL_MS;
		}
		c = sender_pop(s);
		pthread_mutex_unlock(&s->lock);
		sender_due(s, c);
	}
}

/* Drops everything at stop: calls on the wire and calls waiting. */
static void
sender_drain(struct sender *s)
{
	struct call *c;

	while ((c = s->wire) != NULL) {
		sender_unlink(s, c);
		curl_multi_remove_handle(s->multi, c->easy);
		curl_easy_cleanup(c->easy);
		sender_drop(s, c);
	}
	for (;;) {
		pthread_mutex_lock(&s->lock);
		c = s->nheap > 0 ? sender_pop(s) : NULL;
		pthread_mutex_unlock(&s->lock);
		if (c == NULL)
			break;
		sender_drop(s, c);
	}
}

static void *
sender_main(void *arg)
{
	struct sender *s = arg;
	int running, wait, stopping;

	for (;;) {
		wait = sender_start_due(s, &stopping);
		if (stopping)
			break;
		/* Returns at once when a webhook just started has work to do. */
		curl_multi_poll(s->multi, NULL, 0, wait, NULL);
		curl_multi_perform(s->multi, &running);
		sender_reap(s);
	}
	sender_drain(s);
	return NULL;
}

struct sender *
sender_new(struct stats *st, struct faults *faults, unsigned delay_max_ms,
    uint64_t seed)
{
	struct sender *s = NULL;
	int locks = 0;

	s = calloc(1, sizeof *s);
	if (s == NULL)
		goto fail;
	s->stats = st;
	s->faults = faults;
	s->delay_max_ms = delay_max_ms;
	s->rng = seed;
	if (pthread_mutex_init(&s->lock, NULL) != 0)
		goto fail;
	locks = 1;
	if (pthread_cond_init(&s->answered, NULL) != 0)
		goto fail;
	locks = 2;
	s->multi = curl_multi_init();
	s->headers = curl_slist_append(NULL, "Content-Type: application/json");
	if (s->multi == NULL || s->headers == NULL)
		goto fail;
	curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, SENDER_MAXCONNECTS);
	if (pthread_create(&s->thread, NULL, sender_main, s) != 0)
		goto fail;
	s->running = 1;
	return s;
fail:
	if (s != NULL) {
		if (s->multi != NULL)
			curl_multi_cleanup(s->multi);
		curl_slist_free_all(s->headers);
		if (locks == 2)
			pthread_cond_destroy(&s->answered);
		if (locks >= 1)
			pthread_mutex_destroy(&s->lock);
		free(s);
	}
	return NULL;
}

/* A copy of the call given, not yet due; NULL when out of memory or the
 * call is malformed. */
static struct call *
sender_call_new(const struct sender_call *call)
{
	struct call *c;
	size_t i;

	if (call->nsteps == 0 || call->nsteps > SENDER_STEPS_MAX ||
	    (call->voice == NULL && call->url == NULL))
		return NULL;
	c = calloc(1, sizeof *c);
	if (c == NULL)
		return NULL;
	if (call->url != NULL) {
		c->url = strdup(call->url);
		if (c->url == NULL) {
			free(c);
			return NULL;
		}
	}
	c->id = call->id;
	snprintf(c->name, sizeof c->name, "%s", call->name);
	memcpy(c->steps, call->steps, sizeof c->steps);
	c->nsteps = call->nsteps;
	c->voice = call->voice;
	c->ctx = call->ctx;
	for (i = 0; i < c->nsteps; i++)
		c->order[i] = (unsigned char)i;
	return c;
}

int
sender_place(struct sender *s, const struct sender_call *call)
{
	struct waiter w = {0};
	struct call *c = NULL;
	int64_t due;
	int rc = -1;

	c = sender_call_new(call);
	if (c == NULL)
		goto fail;
	if (call->first_before_answer)
		c->waiter = &w;
	due = util_mono_ms();
	if (call->start_ms > due)
		due = call->start_ms;
	if (!call->first_before_answer)
		due += sender_wait(s, c, 0);
	pthread_mutex_lock(&s->lock);
	if (s->stopping || sender_push(s, c, due, 1) != 0) {
		pthread_mutex_unlock(&s->lock);
		goto fail;
	}
	/* The heap owns c now; the thread marks w done before it lets go. */
	c = NULL;
	if (call->first_before_answer)
		while (!w.done)
			pthread_cond_wait(&s->answered, &s->lock);
	pthread_mutex_unlock(&s->lock);
	rc = 0;
fail:
	if (c != NULL)
		free(c->url);
	free(c);
	return rc;
}

void
sender_stop(struct sender *s)
{
	if (!s->running)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = 1;
	curl_multi_wakeup(s->multi);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	s->running = 0;
}

void
sender_free(struct sender *s)
{
	if (s == NULL)
		return;
	sender_stop(s);
	while (s->nidle > 0)
		curl_easy_cleanup(s->idle[--s->nidle]);
	free(s->idle);
	free(s->heap);
	curl_multi_cleanup(s->multi);
	curl_slist_free_all(s->headers);
	pthread_cond_destroy(&s->answered);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
