/*
 * hub: the lock with its journal writes, the registered wake-ups after a
 * change, the process's clock and its random source. The shared struct
 * itself is filled in by main.
 */
#include "hub.h"

#include <errno.h>
#include <stdio.h>
#include <sys/random.h>
#include <time.h>

#include "journal.h"
#include "metrics.h"
#include "util.h"

#define HUB_ERR_MAX 1024
#define HUB_JOURNAL_RETRY_MS 1000  /* between tries of a failed journal write */

static int64_t hub_clock_offset_ms;  /* wall clock minus monotonic, at start */

static void
hub_clock_init(void)
{
	struct timespec wall;

	clock_gettime(CLOCK_REALTIME, &wall);
	hub_clock_offset_ms = (int64_t)wall.tv_sec * 1000 +
	    wall.tv_nsec / 1000000 - util_mono_ms();
}

void
hub_lock(struct hub *h)
{
	pthread_mutex_lock(&h->lock);
	if (h->journal != NULL)
		h->locked_version = campaign_version(h->campaign);
}

/* Says why the journal cannot be written ("" once it can again). */
static void
hub_set_stuck(struct hub *h, const char *why)
{
	pthread_mutex_lock(&h->stuck_lock);
	util_err(h->stuck, sizeof(h->stuck), "%s", why);
	pthread_mutex_unlock(&h->stuck_lock);
}

bool
hub_stuck(struct hub *h, char *buf, size_t len)
{
	bool stuck;

	pthread_mutex_lock(&h->stuck_lock);
	stuck = h->stuck[0] != '\0';
	if (stuck)
		snprintf(buf, len, "%s", h->stuck);
	pthread_mutex_unlock(&h->stuck_lock);
	return stuck;
}

/*
 * Appends the changes made under this hold of the lock, and does not let
 * go until they are written: whoever holds the lock is about to tell the
 * world (send a POST /call, answer a webhook), and telling before writing
 * is what would dial a number twice after a crash. So a full disk holds
 * the dialer, the webhooks (the API waits for their answers) and the
 * pages, and says so once; everything moves again once a write succeeds.
 */
static void
hub_journal(struct hub *h)
{
	char err[HUB_ERR_MAX];
	struct timespec pause = { HUB_JOURNAL_RETRY_MS / 1000,
	    (HUB_JOURNAL_RETRY_MS % 1000) * 1000000L };
	unsigned failures = 0;

	while (journal_append(h->journal, h->campaign, h->locked_version, err,
	    sizeof(err)) != 0) {
		metrics_journal_write(false);
		if (failures++ == 0) {
			fprintf(stderr, "numdialer: %s; everything waits, "
			    "trying again every %d ms\n", err,
			    HUB_JOURNAL_RETRY_MS);
			hub_set_stuck(h, err);
		}
		nanosleep(&pause, NULL);
	}
	metrics_journal_write(true);
	if (failures > 0) {
		hub_set_stuck(h, "");
		fprintf(stderr, "numdialer: journal %s: written again after %u "
		    "tries\n", journal_path(h->journal), failures + 1);
	}
}

void
hub_unlock(struct hub *h)
{
	if (h->journal != NULL &&
	    campaign_version(h->campaign) != h->locked_version)
		hub_journal(h);
	pthread_mutex_unlock(&h->lock);
}

int
hub_on_change(struct hub *h, void (*fn)(void *arg), void *arg, bool history)
{
	size_t n = atomic_load(&h->nwakers);

	if (n == HUB_WAKERS_MAX)
		return -1;
	h->wakers[n].fn = fn;
	h->wakers[n].arg = arg;
	h->wakers[n].history = history;
	/* Published after it is filled: a hub_changed that sees the count
	 * sees the entry. */
	atomic_store(&h->nwakers, n + 1);
	return 0;
}

void
hub_changed(struct hub *h)
{
	size_t i, n = atomic_load(&h->nwakers);

	for (i = 0; i < n; i++)
		h->wakers[i].fn(h->wakers[i].arg);
}

void
hub_noted(struct hub *h)
{
	size_t i, n = atomic_load(&h->nwakers);

	for (i = 0; i < n; i++)
		if (h->wakers[i].history)
			h->wakers[i].fn(h->wakers[i].arg);
}

/*
 * Wall-clock time read once, then moved on by the monotonic clock: a step
 * of the system clock neither expires every call at once nor holds them.
 */
int64_t
hub_now_ms(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, hub_clock_init);
	return hub_clock_offset_ms + util_mono_ms();
}

int
hub_random(void *buf, size_t len)
{
	unsigned char *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = getrandom(p + got, len - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)n;
	}
	return 0;
}
