/*
 * wire: FastCGI answers on the connection. libfcgi's own writer cannot be
 * used for them: it writes a request's output through its stream only
 * while the thread that made the answer waits on the web server, and
 * FCGX_CreateWriter's stream never writes FCGI_END_REQUEST (it counts two
 * writers) and leaks its request record. So the records are written here,
 * as libfcgi writes them, from an answer held whole in memory.
 *
 * The records of an answer of n bytes: record i (0 <= i < records) is an
 * FCGI_Header and bytes [i*FCGI_MAX_LENGTH, ...) of the answer, every one
 * full but the last; then the tail (the empty FCGI_STDOUT record and
 * FCGI_END_REQUEST). So where a write stopped is one number, the bytes
 * sent, and record i starts at i * (FCGI_HEADER_LEN + FCGI_MAX_LENGTH).
 */
#include "wire.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <fastcgi.h>

#include "util.h"

#define WIRE_IOV_RECORDS 32     /* records handed to one sendmsg */
#define WIRE_SPAN (FCGI_HEADER_LEN + FCGI_MAX_LENGTH)  /* a full record */
#define WIRE_DRAIN_BYTES 4096   /* read at a time and thrown away */
#define WIRE_RETRY_MS 100       /* a stalled write is tried again this often */

/* The end of every answer: no more FCGI_STDOUT, the request complete. */
struct wire_tail {
	FCGI_Header stdout_end;
	FCGI_EndRequestRecord end;
};

FCGI_Header
wire_header(int type, int request_id, size_t content_len)
{
	FCGI_Header h;

	memset(&h, 0, sizeof(h));
	h.version = FCGI_VERSION_1;
	h.type = (unsigned char)type;
	h.requestIdB1 = (unsigned char)(request_id >> 8);
	h.requestIdB0 = (unsigned char)request_id;
	h.contentLengthB1 = (unsigned char)(content_len >> 8);
	h.contentLengthB0 = (unsigned char)content_len;
	return h;
}

static size_t
wire_content(const struct wire *w)
{
	return w->answer->head_len + w->answer->len;
}

static size_t
wire_records(size_t content)
{
	return (content + FCGI_MAX_LENGTH - 1) / FCGI_MAX_LENGTH;
}

/* Starts sending answer, the whole reply or (part) a piece of it. */
static void
wire_start(struct wire *w, const struct http_answer *answer, int request_id,
    bool part)
{
	size_t content;

	memset(w, 0, sizeof(*w));
	w->answer = answer;
	w->request_id = request_id;
	w->part = part;
	content = wire_content(w);
	w->size = content + wire_records(content) * FCGI_HEADER_LEN +
	    (part ? 0 : sizeof(struct wire_tail));
}

void
wire_init(struct wire *w, const struct http_answer *answer, int request_id)
{
	wire_start(w, answer, request_id, false);
}

size_t
wire_left(const struct wire *w)
{
	return w->size - w->sent;
}

/* Points iov at bytes [off, off + len) of the answer, which may lie in its
 * head, its body or both: the iovecs used (1 or 2). */
static int
wire_bytes(const struct http_answer *a, size_t off, size_t len,
    struct iovec *iov)
{
	int n = 0;

	if (off < a->head_len) {
		size_t take = len < a->head_len - off ? len : a->head_len - off;

		iov[n].iov_base = (char *)a->head + off;
		iov[n++].iov_len = take;
		off += take;
		len -= take;
	}
	if (len > 0) {
		iov[n].iov_base = (char *)a->body + (off - a->head_len);
		iov[n++].iov_len = len;
	}
	return n;
}

/*
 * Points iov at what is left to send, from w->sent: up to WIRE_IOV_RECORDS
 * records (their headers made in heads), then the tail once the last
 * record is in. Returns the iovecs used.
 */
static int
wire_batch(const struct wire *w, FCGI_Header *heads, struct wire_tail *tail,
    struct iovec *iov)
{
	size_t content = wire_content(w), records = wire_records(content);
	size_t tail_at = content + records * FCGI_HEADER_LEN;
	size_t rec, skip, k;
	int n = 0;

	if (w->sent >= tail_at && !w->part) {
		iov[0].iov_base = (char *)tail + (w->sent - tail_at);
		iov[0].iov_len = sizeof(*tail) - (w->sent - tail_at);
		return 1;
	}
	rec = w->sent / WIRE_SPAN;
	skip = w->sent % WIRE_SPAN;    /* into record rec, its header first */
	for (k = 0; k < WIRE_IOV_RECORDS && rec < records; k++, rec++) {
		size_t start = rec * FCGI_MAX_LENGTH;
		size_t len = content - start < FCGI_MAX_LENGTH ?
		    content - start : FCGI_MAX_LENGTH;

		heads[k] = wire_header(FCGI_STDOUT, w->request_id, len);
		if (skip < FCGI_HEADER_LEN) {
			iov[n].iov_base = (char *)&heads[k] + skip;
			iov[n++].iov_len = FCGI_HEADER_LEN - skip;
			skip = 0;
		} else {
			skip -= FCGI_HEADER_LEN;
		}
		n += wire_bytes(w->answer, start + skip, len - skip, iov + n);
		skip = 0;
	}
	if (rec == records && !w->part) {
		iov[n].iov_base = tail;
		iov[n++].iov_len = sizeof(*tail);
	}
	return n;
}

enum wire_result
wire_send(struct wire *w, int fd, bool wait)
{
	FCGI_Header heads[WIRE_IOV_RECORDS];
	struct iovec iov[3 * WIRE_IOV_RECORDS + 1];
	struct wire_tail tail;
	int flags = MSG_NOSIGNAL | (wait ? 0 : MSG_DONTWAIT);

	memset(&tail, 0, sizeof(tail));
	tail.stdout_end = wire_header(FCGI_STDOUT, w->request_id, 0);
	tail.end.header = wire_header(FCGI_END_REQUEST, w->request_id,
	    sizeof(tail.end.body));
	tail.end.body.protocolStatus = FCGI_REQUEST_COMPLETE;
	while (w->sent < w->size) {
		struct msghdr msg;
		ssize_t done;

		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = iov;
		msg.msg_iovlen = (size_t)wire_batch(w, heads, &tail, iov);
		done = sendmsg(fd, &msg, flags);
		if (done < 0) {
			if (errno == EINTR)
				continue;
			if (!wait && (errno == EAGAIN || errno == EWOULDBLOCK))
				return WIRE_WOULD_BLOCK;
			return WIRE_FAILED;
		}
		w->sent += (size_t)done;
	}
	return WIRE_SENT;
}

/*
 * A blocking send under SO_SNDTIMEO is no bound on a stalled peer: a write
 * that filled the buffer at once and then waited returns that count when
 * its time is up, as if the peer had taken it, and the next write waits
 * again. So the wait is a poll, and progress is what the peer made room
 * for. poll says a socket is writable only once most of its buffer is
 * free (a quarter of it, for a unix socket), while a write goes through
 * as soon as there is any room: so the wait tries a write again every
 * WIRE_RETRY_MS, and room made is seen within that, not only when the
 * deadline comes.
 */
enum wire_result
wire_send_within(struct wire *w, int fd, int stall_ms)
{
	int64_t last = util_mono_ms(), now, wait;
	enum wire_result r;
	size_t before;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };

		before = wire_left(w);
		if ((r = wire_send(w, fd, false)) != WIRE_WOULD_BLOCK)
			return r;
		now = util_mono_ms();
		if (wire_left(w) < before)
			last = now;
		if (now - last >= stall_ms)
			return WIRE_FAILED;
		wait = last + stall_ms - now;
		if (poll(&p, 1, (int)(wait < WIRE_RETRY_MS ? wait : WIRE_RETRY_MS)) <
		    0 && errno != EINTR)
			return WIRE_FAILED;
	}
}

enum wire_result
wire_send_part(int fd, int request_id, const struct http_answer *part,
    int stall_ms)
{
	struct wire w;

	wire_start(&w, part, request_id, true);
	return wire_send_within(&w, fd, stall_ms);
}

void
wire_drain(int fd)
{
	char trash[WIRE_DRAIN_BYTES];

	while (recv(fd, trash, sizeof(trash), MSG_DONTWAIT) > 0)
		;
}

void
wire_close(int fd)
{
	wire_drain(fd);
	close(fd);
}

void
wire_done(const struct wire_keeper *k, int fd, bool keep, bool sent)
{
	if (keep && sent && k != NULL && k->fn != NULL)
		k->fn(k->arg, fd);
	else
		wire_close(fd);
}
