/*
 * main: start-up (settings, number list, campaign and its journal,
 * listening socket), the request threads, and stopping on a signal.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "campaign.h"
#include "compliance.h"
#include "dialer.h"
#include "events.h"
#include "full.h"
#include "gate.h"
#include "hex.h"
#include "http.h"
#include "hub.h"
#include "journal.h"
#include "metrics.h"
#include "numbers.h"
#include "outbox.h"
#include "routes.h"
#include "settings.h"
#include "twilio.h"
#include "util.h"
#include "wire.h"

#define MAIN_REQUEST_THREADS 4      /* handlers only touch memory, and no
                                       thread waits on a peer: a few do */
#define MAIN_LISTEN_BACKLOG 4096    /* every page re-polls at once after a
                                       change; the kernel caps it (somaxconn) */
/*
 * The FastCGI socket is the web server's alone: whoever connects to it may
 * pose as the web server (set any parameter, send requests as slowly as it
 * likes). Its owner only, or with NUMDIALER_SOCKET_GROUP, that group too,
 * for a web server whose workers run as another user (nginx: www-data).
 */
#define MAIN_SOCKET_MODE 0600
#define MAIN_SOCKET_GROUP_MODE 0660
#define MAIN_SOCKET_UMASK 0177      /* bind makes the file this tight */
#define MAIN_LOG_PER_ROW 4          /* changes a row makes in one pass: dialing,
                                       ringing, answered, ended */
#define MAIN_LOG_MIN 4096           /* change log entries, whatever the list */
#define MAIN_LOG_MAX ((size_t)1 << 20)  /* past it a slow page gets the list */
#define MAIN_STOP_WAIT_MS 5000      /* for the request threads to leave */
#define MAIN_FDS_WANTED (EVENTS_WATCHERS_HARD + FULL_WAITERS_MAX + 1024)
#define MAIN_ERR_MAX 1024

/* The release (the VERSION file), given by the Makefile. */
#ifndef NUMDIALER_VERSION
#error "NUMDIALER_VERSION is not defined: build with make"
#endif
#define MAIN_INSTANCE_BYTES (HUB_INSTANCE_LEN / 2)

/* What the request threads share with the main thread. */
struct main_requests {
	struct hub *hub;
	struct gate *gate;            /* where connections come from */
	struct outbox *outbox;        /* where answers go */
	int listen_fd;
	pthread_mutex_t lock;         /* guards running */
	pthread_cond_t ended;         /* signalled as each thread leaves */
	unsigned running;
	atomic_bool failed;           /* the listening socket broke */
};

/*
 * Each parked long-poll holds a connection: lift the soft limit on open
 * files toward what EVENTS_WATCHERS_HARD needs. Returns the limit in force.
 */
static rlim_t
main_raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 0;
	if (rl.rlim_cur < MAIN_FDS_WANTED) {
		rl.rlim_cur = rl.rlim_max != RLIM_INFINITY &&
		    rl.rlim_max < MAIN_FDS_WANTED ? rl.rlim_max : MAIN_FDS_WANTED;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur;
}

/* The group named by name (a name, or a number), into *gid: 0, or -1 with
 * the reason in err. */
static int
main_group(const char *name, gid_t *gid, char *err, size_t errlen)
{
	const char *why;
	struct group *gr;
	uint64_t n;

	n = util_strtou64(name, strlen(name), 0, UINT32_MAX - 1, &why);
	if (why == NULL) {
		*gid = (gid_t)n;
		return 0;
	}
	errno = 0;
	gr = getgrnam(name);
	if (gr == NULL)
		return util_err(err, errlen, "NUMDIALER_SOCKET_GROUP: %s: %s",
		    name, errno != 0 ? strerror(errno) : "no such group");
	*gid = gr->gr_gid;
	return 0;
}

/* Gives the socket file at path to group (none when empty), and its mode:
 * 0, or -1 with the reason in err. */
static int
main_socket_access(const char *path, const char *group, char *err,
    size_t errlen)
{
	gid_t gid = 0;

	if (group[0] == '\0') {
		if (chmod(path, MAIN_SOCKET_MODE) != 0)
			return util_err(err, errlen, "NUMDIALER_SOCKET: %s: %s",
			    path, strerror(errno));
		return 0;
	}
	if (main_group(group, &gid, err, errlen) != 0)
		return -1;
	/* The group first: the mode lets it in. */
	if (chown(path, (uid_t)-1, gid) != 0 ||
	    chmod(path, MAIN_SOCKET_GROUP_MODE) != 0)
		return util_err(err, errlen, "NUMDIALER_SOCKET_GROUP: %s: %s: %s",
		    group, path, strerror(errno));
	return 0;
}

/*
 * Listens on the unix socket at path, its owner's only, or also group's
 * (see MAIN_SOCKET_MODE). Made here and not with FCGX_OpenSocket, which
 * exits the process on a bind error with errno as its status, and reads
 * any path with a ':' as host:port. A stale socket file is replaced; a
 * live one (something answers) is an error. Returns the descriptor and
 * the file's identity in *made, or -1 with the reason in err. One
 * sequence of system calls with one cleanup, hence its length.
 */
static int
main_listen(const char *path, const char *group, struct stat *made,
    char *err, size_t errlen)
{
	struct sockaddr_un sa;
	struct stat st;
	mode_t mask;
	int fd = -1, probe = -1, rc;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "NUMDIALER_SOCKET: %s: longer than %zu bytes",
		    path, sizeof(sa.sun_path) - 1);
		goto fail;
	}
	memcpy(sa.sun_path, path, strlen(path));

	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "NUMDIALER_SOCKET: %s: exists and is "
			    "not a socket", path);
			goto fail;
		}
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 &&
		    connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			snprintf(err, errlen, "NUMDIALER_SOCKET: %s: another program "
			    "listens on it", path);
			goto fail;
		}
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "NUMDIALER_SOCKET: %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	/* Start-up, one thread: the mask is the process's for a moment. No
	 * one may connect between bind and the mode set after it. */
	mask = umask(MAIN_SOCKET_UMASK);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(mask);
	if (rc != 0 || lstat(path, made) != 0) {
		snprintf(err, errlen, "NUMDIALER_SOCKET: %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	if (main_socket_access(path, group, err, errlen) != 0) {
		unlink(path);
		goto fail;
	}
	if (listen(fd, MAIN_LISTEN_BACKLOG) != 0) {
		snprintf(err, errlen, "NUMDIALER_SOCKET: %s: %s", path,
		    strerror(errno));
		unlink(path);
		goto fail;
	}
	close(probe);
	return fd;
fail:
	if (probe >= 0)
		close(probe);
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Removes the socket file at path if it is still the one made: a program
 * started while this one stops may have made its own there already. */
static void
main_unlink_own(const char *path, const struct stat *made)
{
	struct stat st;

	if (lstat(path, &st) == 0 && st.st_ino == made->st_ino &&
	    st.st_dev == made->st_dev)
		unlink(path);
}

/* The gate's hook: the listening socket failed for good. The main thread
 * does the stopping. */
static void
main_broken(void *arg)
{
	struct main_requests *r = arg;

	atomic_store(&r->failed, true);
	kill(getpid(), SIGTERM);
}

/*
 * Has libfcgi read the request on fd, a connection the gate accepted.
 * libfcgi reads from a connection it is handed only as the one kept from a
 * previous request (keepConnection); otherwise it accepts its own. The
 * gate has seen that the request is well formed and that all of it any
 * route reads has arrived (gate_next): no read waits, and none fails but
 * for memory (libfcgi then closes fd, and fails to accept another on
 * req's listening socket, which is none: -1). libfcgi sets keepConnection
 * from the request's FCGI_KEEP_CONN; it is set again to the gate's keep,
 * which says whether the connection outlives the request, for whoever
 * answers it (here, or the events module). libfcgi never closes or reads
 * fd after this: req is freed with FCGX_Free(req, 0), never finished.
 */
static int
main_read(FCGX_Request *req, int fd, bool keep)
{
	req->ipcFd = fd;
	req->keepConnection = 1;
	if (FCGX_Accept_r(req) != 0)
		return -1;
	req->keepConnection = keep;
	return 0;
}

/*
 * Hands answer to the outbox, which writes it to req's connection and
 * then closes it, or gives it back to the gate when it is kept (nginx's
 * fastcgi_keep_conn): the gate holds it, costing no thread, until its
 * next request has come. Frees what libfcgi held for req (req is ready
 * for the next request). Closing also drops any body the handler refused
 * unread; on a kept connection the outbox reads it away.
 */
static void
main_answer(struct main_requests *r, FCGX_Request *req,
    struct http_answer *answer)
{
	int fd = req->ipcFd, id = req->requestId;
	bool keep = req->keepConnection != 0;

	req->ipcFd = -1;
	FCGX_Free(req, 0);
	outbox_send(r->outbox, fd, id, answer, keep);
}

/* The keeper of the outbox and the events module: a kept connection whose
 * answer is written goes back to the gate. */
static void
main_keep(void *arg, int fd)
{
	gate_keep(arg, fd);
}

/* Closes req's connection without ending its request: an answer written
 * in pieces was cut short, and the web server must see it cut, not whole. */
static void
main_drop(FCGX_Request *req)
{
	int fd = req->ipcFd;

	req->ipcFd = -1;
	FCGX_Free(req, 0);
	wire_close(fd);
}

/* A request thread: waits in the gate, serves each connection whose
 * request has arrived, and hands its answer to the outbox. */
static void *
main_request_run(void *arg)
{
	struct main_requests *r = arg;
	FCGX_Request *req = NULL;
	bool keep;
	int fd;

	while ((fd = gate_next(r->gate, &keep)) >= 0) {
		struct http_answer answer;

		if (req == NULL) {
			req = calloc(1, sizeof(*req));
			if (req == NULL) {
				fprintf(stderr, "numdialer: no memory for a "
				    "request\n");
				close(fd);
				continue;
			}
			FCGX_InitRequest(req, -1, 0);
		}
		if (main_read(req, fd, keep) != 0)
			continue;
		switch (routes_serve(r->hub, req, &answer)) {
		case ROUTES_ANSWERED:
			main_answer(r, req, &answer);
			break;
		case ROUTES_DROPPED:
			main_drop(req);
			break;
		case ROUTES_PARKED:
			req = NULL;    /* the events module owns it now */
			break;
		}
	}
	if (req != NULL) {
		FCGX_Free(req, 1);
		free(req);
	}
	pthread_mutex_lock(&r->lock);
	r->running--;
	pthread_cond_signal(&r->ended);
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/* Waits up to MAIN_STOP_WAIT_MS for every request thread to leave. */
static bool
main_requests_wait(struct main_requests *r)
{
	struct timespec until;
	bool all;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += MAIN_STOP_WAIT_MS / 1000;
	pthread_mutex_lock(&r->lock);
	while (r->running > 0 &&
	    pthread_cond_timedwait(&r->ended, &r->lock, &until) == 0)
		;
	all = r->running == 0;
	pthread_mutex_unlock(&r->lock);
	return all;
}

/* Says what a replay of the journal at path found. */
static void
main_report_replay(const char *path, const struct journal_replay *r)
{
	if (r->truncated)
		fprintf(stderr, "numdialer: %s:%zu: the last line was cut short "
		    "(a crash in the middle of a write): dropped\n", path,
		    r->lines + 1);
	fprintf(stderr, "numdialer: journal %s: %zu rows restored (%zu ended, "
	    "%zu in flight), dialing %s\n", path, r->rows, r->done,
	    r->in_flight, r->started ? "started" : "not started");
}

/*
 * --check with a journal: replays it into a scratch campaign and checks it
 * can be written, so a journal of another list, a bad line or a place the
 * program cannot write is named before anything starts. Returns 0
 * or -1, having printed why.
 */
static int
main_check_journal(const struct settings *s, const struct numbers *numbers)
{
	struct journal_replay replay;
	struct campaign *c;
	char err[MAIN_ERR_MAX];
	int rc = -1;

	c = campaign_new(numbers->phones, numbers->count,
	    (unsigned)s->concurrency, 1);
	if (c == NULL || campaign_set_zones(c, numbers->zones,
	    (unsigned)numbers->zone_count + 1, numbers->zone_names) != 0) {
		fprintf(stderr, "numdialer: out of memory for %zu numbers\n",
		    numbers->count);
		goto done;
	}
	if (journal_replay(s->journal, c, &replay, err, sizeof(err)) != 0 ||
	    journal_writable(s->journal, err, sizeof(err)) != 0) {
		fprintf(stderr, "numdialer: %s\n", err);
		goto done;
	}
	rc = 0;
done:
	campaign_free(c);
	return rc;
}

/* What the stages of a run share. */
struct main_run {
	struct hub hub;
	struct main_requests req;
	const struct settings *settings;
	bool own_socket;              /* listening on settings->socket */
	struct stat sock_file;        /* the socket file made, when own_socket */
	sigset_t stop_signals;
	struct compliance *rules;     /* do-not-call list, calling hours */
	struct dialer *dialer;
	struct events *events;
	struct outbox *outbox;
	struct full *full;
	struct gate *gate;
};

/* The change log's length for a list of count rows. */
static size_t
main_log_size(size_t count)
{
	size_t log_size = count > MAIN_LOG_MAX / MAIN_LOG_PER_ROW ?
	    MAIN_LOG_MAX : count * MAIN_LOG_PER_ROW;

	return log_size < MAIN_LOG_MIN ? MAIN_LOG_MIN : log_size;
}

/*
 * Stage: the do-not-call list read and its rows skipped, the calling
 * hours parsed. 0, or -1 having said why (no dialing without the list).
 */
static int
main_rules(struct main_run *m)
{
	struct hub *hub = &m->hub;
	char err[MAIN_ERR_MAX];
	size_t skipped;

	m->rules = compliance_new(m->settings, err, sizeof(err));
	if (m->rules == NULL) {
		fprintf(stderr, "numdialer: %s\n", err);
		return -1;
	}
	skipped = compliance_attach(m->rules, hub->campaign, hub_now_ms());
	if (m->settings->dnc[0] != '\0')
		fprintf(stderr, "numdialer: do-not-call list %s: %zu rows "
		    "skipped\n", m->settings->dnc, skipped);
	if (m->settings->call_hours[0] != '\0')
		fprintf(stderr, "numdialer: calling hours %s (%s), in each "
		    "row's time zone\n", m->settings->call_hours,
		    m->settings->time_zone[0] != '\0' ?
		    m->settings->time_zone : "local time");
	if (m->settings->redial != 0)
		fprintf(stderr, "numdialer: redials: up to %d calls a row, %d s "
		    "apart\n", m->settings->redial_attempts,
		    m->settings->redial_delay);
	return 0;
}

/*
 * Stage: the campaign over the list (numbers is freed once copied), this
 * run's name, and the journal replayed into it. 0, or -1 having said why.
 */
static int
main_campaign(struct main_run *m, struct numbers *numbers)
{
	const struct settings *settings = m->settings;
	struct hub *hub = &m->hub;
	unsigned char rnd[MAIN_INSTANCE_BYTES];
	char err[MAIN_ERR_MAX];
	size_t count = numbers->count;

	hub->campaign = campaign_new(numbers->phones, count,
	    (unsigned)settings->concurrency, main_log_size(count));
	if (hub->campaign == NULL || campaign_set_zones(hub->campaign,
	    numbers->zones, (unsigned)numbers->zone_count + 1,
	    numbers->zone_names) != 0) {
		numbers_free(numbers);
		fprintf(stderr, "numdialer: out of memory for %zu numbers\n",
		    count);
		return -1;
	}
	numbers_free(numbers);
	campaign_set_failure_pause(hub->campaign,
	    (unsigned)settings->failure_pause);
	campaign_set_redial(hub->campaign, settings->redial,
	    (unsigned)settings->redial_attempts,
	    (int64_t)settings->redial_delay * 1000);
	if (hub_random(rnd, sizeof(rnd)) != 0) {
		fprintf(stderr, "numdialer: getrandom: %s\n", strerror(errno));
		return -1;
	}
	hex_encode(rnd, sizeof(rnd), hub->instance);
	if (settings->journal[0] != '\0') {
		struct journal_replay replay;

		/* Before any thread: nobody hears of the state until it holds
		 * what the journal says, and every change after is written. */
		hub->journal = journal_open(settings->journal, hub->campaign,
		    &replay, err, sizeof(err));
		if (hub->journal == NULL) {
			fprintf(stderr, "numdialer: %s\n", err);
			return -1;
		}
		main_report_replay(settings->journal, &replay);
	}
	hub->process.instance = hub->instance;
	hub->process.journal = hub->journal != NULL;
	hub->process.version = NUMDIALER_VERSION;
	return main_rules(m);
}


/*
 * Stage: the FastCGI listener, the socket of NUMDIALER_SOCKET or the one
 * the web server handed over as standard input. 0, or -1 having said why.
 */
static int
main_listener(struct main_run *m)
{
	char err[MAIN_ERR_MAX];

	if (FCGX_Init() != 0) {
		fprintf(stderr, "numdialer: FCGX_Init failed\n");
		return -1;
	}
	if (m->own_socket) {
		m->req.listen_fd = main_listen(m->settings->socket,
		    m->settings->socket_group, &m->sock_file, err, sizeof(err));
		if (m->req.listen_fd < 0) {
			fprintf(stderr, "numdialer: %s\n", err);
			return -1;
		}
	} else if (FCGX_IsCGI()) {
		fprintf(stderr, "numdialer: standard input is not a listening "
		    "socket: let the web server start the program, or set "
		    "NUMDIALER_SOCKET\n");
		return -1;
	} else {
		m->req.listen_fd = 0;
	}
	return 0;
}

/*
 * Stage: the signals. FCGX_Init installed handlers that only set a flag,
 * which nothing here would notice. Block the stop signals in every thread
 * (threads inherit the mask) and take them in the main thread with
 * sigwait. Writes to a web server that went away must fail with EPIPE, not
 * kill the process.
 */
static void
main_signals(struct main_run *m)
{
	sigemptyset(&m->stop_signals);
	sigaddset(&m->stop_signals, SIGTERM);
	sigaddset(&m->stop_signals, SIGINT);
	sigaddset(&m->stop_signals, SIGHUP);   /* taken, and ignored */
	/* lighttpd's "kill-signal" for libfcgi */
	sigaddset(&m->stop_signals, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &m->stop_signals, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* A file over its size limit is a failed write (EFBIG) the journal
	 * waits out, like a full disk, not the end of the process. */
	signal(SIGXFSZ, SIG_IGN);
}

/* Starts up to MAIN_REQUEST_THREADS request threads: how many started. */
static unsigned
main_requests_start(struct main_requests *r)
{
	pthread_attr_t attr;
	unsigned i;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (i = 0; i < MAIN_REQUEST_THREADS; i++) {
		pthread_t t;

		pthread_mutex_lock(&r->lock);
		r->running++;
		pthread_mutex_unlock(&r->lock);
		if (pthread_create(&t, &attr, main_request_run, r) != 0) {
			pthread_mutex_lock(&r->lock);
			r->running--;
			pthread_mutex_unlock(&r->lock);
			break;
		}
	}
	pthread_attr_destroy(&attr);
	return i;
}

/*
 * Stage: the threads. The dialer first, so that it registers its wake-up
 * first and hears of a change first: a freed slot is worth more than a
 * repainted page. Then the events thread, the outbox's and the full
 * list's (which answers through the outbox), then the
 * request threads, which wait in the gate. 0, or -1 having said why.
 */
static int
main_threads(struct main_run *m)
{
	const struct settings *settings = m->settings;
	struct wire_keeper keeper;
	unsigned serving;

	m->dialer = dialer_start(&m->hub, m->rules);
	if (m->dialer == NULL) {
		fprintf(stderr, "numdialer: cannot start the dialer thread\n");
		return -1;
	}
	/* The gate before the threads that give kept connections back to
	 * it, and freed after them (main_stop). */
	m->gate = gate_new(m->req.listen_fd, ROUTES_BODY_READ_MAX,
	    main_broken, &m->req);
	if (m->gate == NULL) {
		fprintf(stderr, "numdialer: cannot make the gate\n");
		return -1;
	}
	m->req.gate = m->gate;
	m->hub.gate = m->gate;
	keeper.fn = main_keep;
	keeper.arg = m->gate;
	m->events = events_start(&m->hub, &keeper);
	if (m->events == NULL) {
		fprintf(stderr, "numdialer: cannot start the events thread\n");
		return -1;
	}
	m->hub.events = m->events;
	m->outbox = outbox_start(&keeper);
	if (m->outbox == NULL) {
		fprintf(stderr, "numdialer: cannot start the outbox thread\n");
		return -1;
	}
	m->req.outbox = m->outbox;
	m->full = full_start(&m->hub, m->outbox);
	if (m->full == NULL) {
		fprintf(stderr, "numdialer: cannot start the full list's "
		    "thread\n");
		return -1;
	}
	m->hub.full = m->full;
	serving = main_requests_start(&m->req);
	if (serving == 0) {
		fprintf(stderr, "numdialer: cannot start the request threads\n");
		return -1;
	}
	fprintf(stderr, "numdialer: instance %s: %zu numbers from %s, %d at "
	    "once, calls fail after %d s; API %s, webhooks to %s/webhook/; "
	    "FastCGI on %s, %u threads; %s%s\n", m->hub.instance,
	    campaign_size(m->hub.campaign), settings->numbers,
	    settings->concurrency, settings->call_timeout, settings_api(settings),
	    settings->public_url,
	    m->own_socket ? settings->socket : "standard input", serving,
	    m->hub.journal != NULL ? "journal " :
	    "no journal (state in memory only)",
	    m->hub.journal != NULL ? settings->journal : "");
	return 0;
}

/*
 * Stage: the stop, after a signal or a failed start-up. Returns whether
 * everything was freed: false when a request was still being served, and
 * nothing it could reach may be freed under it.
 */
static bool
main_stop(struct main_run *m)
{
	/* No more connections: the request threads leave once they have
	 * served the one they hold, the waiting ones at once. */
	gate_stop(m->gate);
	/* At once, so that a new run can take the path while this one ends. */
	if (m->own_socket && m->req.listen_fd >= 0)
		main_unlink_own(m->settings->socket, &m->sock_file);
	if (!main_requests_wait(&m->req)) {
		/* A thread still serving may wake the dialer or park a watcher:
		 * free nothing it could reach, and let exit end it all. */
		fprintf(stderr, "numdialer: a request is still being served; "
		    "stopping anyway\n");
		return false;
	}
	/* Nothing calls gate_next, hub_changed or outbox_send from here on.
	 * The outbox and the events module give kept connections back to the
	 * gate (stopping: it closes them) until they end: the gate goes
	 * last. The full list's thread before the outbox: it answers its
	 * waiters there. */
	full_stop(m->full);
	m->full = NULL;
	m->hub.full = NULL;
	outbox_stop(m->outbox);
	m->outbox = NULL;
	dialer_stop(m->dialer);
	events_stop(m->events);
	m->dialer = NULL;
	m->events = NULL;
	m->hub.events = NULL;
	gate_free(m->gate);
	m->gate = NULL;
	m->hub.gate = NULL;
	/* Last: the threads that could change the campaign are gone. */
	journal_close(m->hub.journal);
	m->hub.journal = NULL;
	campaign_free(m->hub.campaign);
	m->hub.campaign = NULL;
	compliance_free(m->rules);
	m->rules = NULL;
	return true;
}

/* Everything after the settings and the list are read, stage by stage.
 * Returns the exit status. */
static int
main_run(const struct settings *settings, struct numbers *numbers,
    const char *token)
{
	static struct main_run m;
	rlim_t fds;
	int status = 1, sig = 0;

	metrics_start();
	memset(&m, 0, sizeof(m));
	m.settings = settings;
	m.own_socket = settings->socket[0] != '\0';
	m.req.listen_fd = -1;
	m.req.hub = &m.hub;
	m.hub.settings = settings;
	m.hub.twilio_token = token;
	pthread_mutex_init(&m.hub.lock, NULL);
	pthread_mutex_init(&m.hub.stuck_lock, NULL);
	pthread_mutex_init(&m.req.lock, NULL);
	pthread_cond_init(&m.req.ended, NULL);

	fds = main_raise_fd_limit();
	if (fds < MAIN_FDS_WANTED)
		fprintf(stderr, "numdialer: open files limited to %llu; %d "
		    "waiting pages need about %d\n", (unsigned long long)fds,
		    EVENTS_WATCHERS_HARD, MAIN_FDS_WANTED);
	if (main_campaign(&m, numbers) != 0 || main_listener(&m) != 0)
		goto fail;
	main_signals(&m);
	if (main_threads(&m) != 0)
		goto fail;

	while (sigwait(&m.stop_signals, &sig) != 0 || sig == SIGHUP) {
		/* A reload signal must not wipe the campaign: there is
		 * nothing to reload (the logs are the web server's or the
		 * supervisor's), so it is said and let be. */
		if (sig == SIGHUP)
			fprintf(stderr, "numdialer: SIGHUP: nothing to reload, "
			    "going on\n");
	}
	fprintf(stderr, "numdialer: %s: stopping\n", strsignal(sig));
	status = atomic_load(&m.req.failed) ? 1 : 0;
	if (main_stop(&m) && status == 0)
		fprintf(stderr, "numdialer: stopped\n");
	return status;
fail:
	main_stop(&m);
	return 1;
}

/*
 * The list to dial into *out: the journal's own copy when it has one, so a
 * restarted process never rereads the list file (which may have changed
 * under it, and must not make every restart fail); else the list file.
 * With check (a fresh start), a list file other than the journal's is an
 * error naming both. 0, or -1 having said why.
 */
static int
main_numbers(const struct settings *s, bool check, struct numbers *out)
{
	struct numbers file;
	char err[MAIN_ERR_MAX];
	int rc = 1;
	bool same;

	if (s->journal[0] != '\0')
		rc = journal_list(s->journal, out, err, sizeof(err));
	if (rc < 0)
		goto fail;
	if (rc == 1) {
		if (numbers_load(s->numbers, out, err, sizeof(err)) == 0)
			return 0;
		goto fail;
	}
	if (numbers_load(s->numbers, &file, err, sizeof(err)) != 0) {
		if (check)
			goto fail_list;
		fprintf(stderr, "numdialer: %s; dialing goes on with the list "
		    "in %s\n", err, s->journal);
		return 0;
	}
	same = numbers_equal(out, &file);
	if (!same)
		util_err(err, sizeof(err), "%s holds the list it was started "
		    "with (%zu numbers), and %s is another list now (%zu "
		    "numbers)%s", s->journal, out->count, s->numbers, file.count,
		    check ? ": to dial the new list, move the journal away; "
		    "to go on, put the list back" : "; dialing goes on with "
		    "the journal's");
	numbers_free(&file);
	if (same)
		return 0;
	fprintf(stderr, "numdialer: %s\n", err);
	if (!check)
		return 0;
	numbers_free(out);
	return -1;
fail_list:
	numbers_free(out);
fail:
	fprintf(stderr, "numdialer: %s\n", err);
	return -1;
}

/*
 * The Twilio provider's auth token, from its file into token (outlen
 * bytes): a file others may read is refused. The token itself is never
 * said. 0, or -1 having said why; 0 at once for another provider.
 */
static int
main_token(const struct settings *s, char *token, size_t outlen)
{
	char err[MAIN_ERR_MAX];

	if (s->provider != SETTINGS_PROVIDER_TWILIO)
		return 0;
	if (twilio_read_token(s->twilio_token_file, token, outlen, err,
	    sizeof(err)) == 0)
		return 0;
	fprintf(stderr, "numdialer: NUMDIALER_TWILIO_AUTH_TOKEN_FILE: %s\n",
	    err);
	return -1;
}

int
main(int argc, char **argv)
{
	static struct settings settings;
	static char token[TWILIO_TOKEN_MAX + 1];
	struct numbers numbers;
	char err[MAIN_ERR_MAX];
	bool check = false;

	memset(&numbers, 0, sizeof(numbers));
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		return printf("numdialer %s\n", NUMDIALER_VERSION) > 0 &&
		    fflush(stdout) == 0 ? 0 : 1;
	} else if (argc == 2 && strcmp(argv[1], "--check") == 0) {
		check = true;
	} else if (argc != 1) {
		fprintf(stderr, "usage: %s [--check | --version]\n", argv[0]);
		return 1;
	}
	if (settings_load(&settings, getenv("NUMDIALER_CONF"), err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "numdialer: %s\n", err);
		return 1;
	}
	if (main_token(&settings, token, sizeof(token)) != 0 ||
	    main_numbers(&settings, check, &numbers) != 0)
		return 1;
	if (check) {
		struct compliance *rules = compliance_new(&settings, err,
		    sizeof(err));
		int bad = settings.journal[0] != '\0' &&
		    main_check_journal(&settings, &numbers) != 0;

		if (rules == NULL) {
			fprintf(stderr, "numdialer: %s\n", err);
			bad = 1;
		}
		compliance_free(rules);
		numbers_free(&numbers);
		if (bad)
			return 1;
		return settings_print(&settings, stdout) == 0 &&
		    fflush(stdout) == 0 ? 0 : 1;
	}
	return main_run(&settings, &numbers,
	    settings.provider == SETTINGS_PROVIDER_TWILIO ? token : NULL);
}
