/*
 * Unit tests for the journal: write and replay, a truncated last line, a
 * journal of another list, a corrupt line named file:line, a failed write
 * recovered, and one journal per process.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "campaign.h"
#include "history.h"
#include "journal.h"
#include "status.h"

#define T0 1700000000000LL  /* an arbitrary wall-clock start, in ms */
#define ERR_MAX 1024
#define DIR_MAX_TEST 64
#define PATH_MAX_TEST 128
#define FILE_MAX (1 << 16)  /* the tests' journals are a few KiB */

static const char *const five[] = {
	"13018040009", "19842068287", "15512459377", "13018040009", "18582210308",
};
static const char *const other[] = {
	"13018040009", "19842068287", "15512459377", "13018040009", "18582210309",
};

struct fixture {
	char dir[DIR_MAX_TEST];
	char path[PATH_MAX_TEST];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_journal.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/journal", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	static const char *const suffixes[] = { "", ".lock", ".tmp" };
	char p[PATH_MAX_TEST + 8];
	size_t i;

	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", f->path, suffixes[i]);
		unlink(p);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static void
key_for(size_t row, unsigned char key[CAMPAIGN_KEY_BYTES])
{
	size_t i;

	for (i = 0; i < CAMPAIGN_KEY_BYTES; i++)
		key[i] = (unsigned char)(row * 31 + i * 7 + 0xa0);
}

static struct campaign *
fresh(const char *const *phones)
{
	struct campaign *c = campaign_new(phones, 5, 3, 64);

	assert_non_null(c);
	return c;
}

/* Appends what changed since *v, as hub_unlock does, and moves *v on. */
static void
append(struct journal *j, struct campaign *c, uint64_t *v)
{
	char err[ERR_MAX];

	assert_int_equal(journal_append(j, c, *v, err, sizeof(err)), 0);
	*v = campaign_version(c);
}

static void
dial(struct campaign *c, size_t want, int64_t now)
{
	unsigned char key[CAMPAIGN_KEY_BYTES];
	size_t row = SIZE_MAX;

	key_for(want, key);
	assert_int_equal(campaign_next_dial(c, key, now, &row), 0);
	assert_int_equal(row, want);
}

static void
hook(struct campaign *c, size_t row, const char *id, enum status s,
    int64_t now)
{
	unsigned char key[CAMPAIGN_KEY_BYTES];
	struct campaign_report r = campaign_report_of(s);

	key_for(row, key);
	assert_int_equal(campaign_webhook(c, row, key, id, &r, now),
	    CAMPAIGN_APPLIED);
}

/*
 * A run as the threads make it, each step appended: start, rows 0..2
 * dialed, row 0 completed, row 1 ringing, row 2 failed by the API, row 3
 * dialed and waiting to be sent again. Leaves the journal open.
 */
static struct journal *
write_run(const char *path, struct campaign *c)
{
	struct journal_replay r;
	struct journal *j;
	char err[ERR_MAX];
	uint64_t v;

	j = journal_open(path, c, &r, err, sizeof(err));
	assert_non_null(j);
	assert_int_equal(r.rows, 0);
	v = campaign_version(c);
	assert_int_equal(campaign_start(c), 0);
	append(j, c, &v);
	dial(c, 0, T0 + 1);
	dial(c, 1, T0 + 2);
	append(j, c, &v);
	dial(c, 2, T0 + 3);
	append(j, c, &v);
	assert_int_equal(campaign_dial_ok(c, 0, "1234", T0), CAMPAIGN_APPLIED);
	append(j, c, &v);
	hook(c, 0, "1234", STATUS_RINGING, T0 + 20);
	hook(c, 1, "1235", STATUS_RINGING, T0 + 21);
	append(j, c, &v);
	hook(c, 0, NULL, STATUS_COMPLETED, T0 + 30);
	append(j, c, &v);
	campaign_dial_failed(c, 2, "api: unknown \"phone\"\n", T0 + 40);
	append(j, c, &v);
	dial(c, 3, T0 + 50);
	append(j, c, &v);
	assert_int_equal(campaign_dial_wait(c, 3, T0), 0);
	append(j, c, &v);
	return j;
}

/* Row's history in a and in b: the same events, in the same order. */
static void
assert_same_events(const struct campaign *a, const struct campaign *b,
    size_t row)
{
	struct campaign_event ea[CAMPAIGN_EVENTS_MAX], eb[CAMPAIGN_EVENTS_MAX];
	size_t n = campaign_events(a, row, ea, CAMPAIGN_EVENTS_MAX), i;

	assert_int_equal(campaign_events(b, row, eb, CAMPAIGN_EVENTS_MAX), n);
	for (i = 0; i < n; i++) {
		assert_int_equal(ea[i].at_ms, eb[i].at_ms);
		assert_int_equal(ea[i].status, eb[i].status);
		assert_int_equal(ea[i].source, eb[i].source);
		assert_int_equal(ea[i].seq, eb[i].seq);
		assert_int_equal(ea[i].provider_s, eb[i].provider_s);
		assert_int_equal(ea[i].applied, eb[i].applied);
	}
}

static void
assert_same_rows(const struct campaign *a, const struct campaign *b)
{
	size_t i;
	int m;

	for (i = 0; i < campaign_size(a); i++) {
		struct campaign_row ra = *campaign_row(a, i);
		const struct campaign_row *rb = campaign_row(b, i);

		assert_int_equal(ra.status, rb->status);
		assert_int_equal(ra.attempts, rb->attempts);
		assert_int_equal(ra.hooked, rb->hooked);
		assert_int_equal(ra.waiting, rb->waiting);
		if (ra.call_id == NULL)
			assert_null(rb->call_id);
		else
			assert_string_equal(ra.call_id, rb->call_id);
		if (ra.reason == NULL)
			assert_null(rb->reason);
		else
			assert_string_equal(ra.reason, rb->reason);
		for (m = 0; m < MARK_COUNT; m++)
			assert_int_equal(ra.at_ms[m], rb->at_ms[m]);
		assert_int_equal(ra.answered_by, rb->answered_by);
		assert_int_equal(ra.duration_s, rb->duration_s);
		assert_int_equal(ra.events, rb->events);
		assert_same_events(a, b, i);
		if (ra.status != STATUS_IDLE)
			assert_memory_equal(campaign_key(a, i), campaign_key(b, i),
			    CAMPAIGN_KEY_BYTES);
	}
}

static void
read_file(const char *path, char *buf, size_t cap, size_t *len)
{
	FILE *fp = fopen(path, "r");

	assert_non_null(fp);
	*len = fread(buf, 1, cap - 1, fp);
	buf[*len] = '\0';
	fclose(fp);
}

static void
write_file(const char *path, const char *text, size_t len)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static void
test_missing_journal_is_made_with_a_header(void **state)
{
	struct fixture *f = *state;
	struct campaign *c = fresh(five);
	struct journal_replay r;
	struct journal *j;
	struct stat st;
	char err[ERR_MAX], text[4096];
	size_t len;

	assert_int_equal(journal_replay(f->path, c, &r, err, sizeof(err)), 0);
	assert_int_equal(r.lines, 0);
	j = journal_open(f->path, c, &r, err, sizeof(err));
	assert_non_null(j);
	assert_true(journal_healthy(j));
	assert_string_equal(journal_path(j), f->path);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);   /* it holds the keys */
	read_file(f->path, text, sizeof(text), &len);
	assert_non_null(strstr(text, "\"numdialer_journal\":2"));
	assert_non_null(strstr(text, "\"count\":5"));
	/* The header and the list, two whole lines. */
	assert_int_equal(text[len - 1], '\n');
	assert_non_null(strstr(strchr(text, '\n'), "{\"phones\":[\"13018040009\""));
	assert_ptr_equal(strchr(strchr(text, '\n') + 1, '\n'), text + len - 1);
	journal_close(j);
	campaign_free(c);
}

static void
test_replay_restores_every_row_and_the_dialer_resumes(void **state)
{
	struct fixture *f = *state;
	struct campaign *c = fresh(five), *back = fresh(five);
	struct journal *j = write_run(f->path, c);
	struct journal_replay r;
	struct campaign_counts k;
	unsigned char key[CAMPAIGN_KEY_BYTES];
	char err[ERR_MAX];
	size_t row;

	journal_close(j);
	assert_int_equal(journal_replay(f->path, back, &r, err, sizeof(err)), 0);
	assert_true(r.started);
	assert_false(r.truncated);
	assert_int_equal(r.rows, 4);
	assert_int_equal(r.done, 2);
	assert_int_equal(r.in_flight, 2);
	assert_same_rows(c, back);
	assert_string_equal(campaign_row(back, 2)->reason,
	    "api: unknown \"phone\"\n");
	/* The row waiting for its retry is to be sent again. */
	assert_true(campaign_row(back, 3)->waiting);
	assert_int_equal(campaign_waiting_row(back, &row), 0);
	assert_int_equal(row, 3);
	assert_null(campaign_pause_reason(back));

	campaign_counts(back, &k);
	assert_true(k.started);
	assert_int_equal(k.dialed, 4);
	assert_int_equal(k.in_flight, 2);
	assert_int_equal(k.done, 2);
	/* The next row, never an earlier one; a call in flight keeps its key,
	 * so its webhooks are still taken. */
	key_for(4, key);
	assert_int_equal(campaign_next_dial(back, key, T0 + 60, &row), 0);
	assert_int_equal(row, 4);
	hook(back, 1, "1235", STATUS_COMPLETED, T0 + 70);
	key_for(0, key);
	assert_int_equal(campaign_check_key(back, 1, key), CAMPAIGN_BAD_KEY);
	campaign_free(c);
	campaign_free(back);
}

static void
test_open_rewrites_and_appends_after_a_restart(void **state)
{
	struct fixture *f = *state;
	struct campaign *c = fresh(five), *second = fresh(five), *third;
	struct journal *j = write_run(f->path, c);
	struct journal_replay r;
	char err[ERR_MAX], text[FILE_MAX];
	size_t len, lines = 0, i;
	uint64_t v;

	journal_close(j);
	j = journal_open(f->path, second, &r, err, sizeof(err));
	assert_non_null(j);
	assert_int_equal(r.rows, 4);
	/* Rewritten as header, list, start and one line per dialed row. */
	read_file(f->path, text, sizeof(text), &len);
	for (i = 0; i < len; i++)
		lines += text[i] == '\n';
	assert_int_equal(lines, 7);
	v = campaign_version(second);
	dial(second, 4, T0 + 80);
	append(j, second, &v);
	/* A pause survives a restart, with its reason. */
	campaign_pause(second, "5 calls in a row could not be placed");
	append(j, second, &v);
	journal_close(j);

	third = fresh(five);
	assert_int_equal(journal_replay(f->path, third, &r, err, sizeof(err)), 0);
	assert_int_equal(r.rows, 5);
	assert_same_rows(second, third);
	assert_string_equal(campaign_pause_reason(third),
	    "5 calls in a row could not be placed");
	campaign_free(c);
	campaign_free(second);
	campaign_free(third);
}

static void
test_truncated_last_line_is_dropped(void **state)
{
	struct fixture *f = *state;
	struct campaign *c = fresh(five), *back = fresh(five), *again;
	struct journal *j = write_run(f->path, c);
	struct journal_replay r;
	static const char cut[] = "{\"row\":4,\"status\":\"dia";
	char err[ERR_MAX], text[FILE_MAX];
	size_t len;
	uint64_t v;

	journal_close(j);
	read_file(f->path, text, sizeof(text) - sizeof(cut), &len);
	memcpy(text + len, cut, sizeof(cut) - 1);
	write_file(f->path, text, len + sizeof(cut) - 1);

	assert_int_equal(journal_replay(f->path, back, &r, err, sizeof(err)), 0);
	assert_true(r.truncated);
	assert_int_equal(r.rows, 4);
	assert_same_rows(c, back);
	campaign_free(back);

	/* Opening drops the cut line for good: the next append is not glued
	 * to it, and the journal still reads. */
	back = fresh(five);
	j = journal_open(f->path, back, &r, err, sizeof(err));
	assert_non_null(j);
	assert_true(r.truncated);
	v = campaign_version(back);
	dial(back, 4, T0 + 90);
	append(j, back, &v);
	journal_close(j);
	again = fresh(five);
	assert_int_equal(journal_replay(f->path, again, &r, err, sizeof(err)), 0);
	assert_false(r.truncated);
	assert_int_equal(r.rows, 5);
	campaign_free(c);
	campaign_free(back);
	campaign_free(again);
}

static void
test_journal_of_another_list_is_refused(void **state)
{
	struct fixture *f = *state;
	struct campaign *c = fresh(five), *foreign = fresh(other), *shorter;
	struct campaign *opener = fresh(other), *mine = fresh(five);
	struct journal *j = write_run(f->path, c);
	struct journal_replay r;
	char err[ERR_MAX], want[ERR_MAX];

	journal_close(j);
	assert_int_equal(journal_replay(f->path, foreign, &r, err, sizeof(err)),
	    -1);
	/* The file and why; no line: the journal is whole, just not ours. */
	snprintf(want, sizeof(want), "%s: journal of another list", f->path);
	assert_non_null(strstr(err, want));
	assert_null(journal_open(f->path, opener, &r, err, sizeof(err)));
	assert_non_null(strstr(err, "another list"));
	/* Refusing it left it as it was. */
	assert_int_equal(journal_replay(f->path, mine, &r, err, sizeof(err)), 0);
	assert_same_rows(c, mine);

	shorter = campaign_new(five, 4, 3, 8);
	assert_non_null(shorter);
	assert_int_equal(journal_replay(f->path, shorter, &r, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "(5 numbers"));
	assert_non_null(strstr(err, "(4 numbers"));
	campaign_free(c);
	campaign_free(foreign);
	campaign_free(opener);
	campaign_free(mine);
	campaign_free(shorter);
}

/* Replaces line lineno (from 1) of the journal with text and expects
 * replay to fail naming path:lineno and reason. */
static void
expect_bad_line(const char *path, size_t lineno, const char *text,
    const char *reason)
{
	char orig[FILE_MAX], out[FILE_MAX], err[ERR_MAX], want[ERR_MAX];
	struct campaign *c = fresh(five);
	struct journal_replay r;
	size_t len, at = 0, line = 1, o = 0;

	read_file(path, orig, sizeof(orig), &len);
	while (at < len) {
		const char *nl = memchr(orig + at, '\n', len - at);
		size_t n = (size_t)(nl - (orig + at)) + 1;

		if (line == lineno) {
			o += (size_t)snprintf(out + o, sizeof(out) - o, "%s\n", text);
		} else {
			memcpy(out + o, orig + at, n);
			o += n;
		}
		at += n;
		line++;
	}
	write_file(path, out, o);
	assert_int_equal(journal_replay(path, c, &r, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:%zu: ", path, lineno);
	if (strncmp(err, want, strlen(want)) != 0 || strstr(err, reason) == NULL)
		fail_msg("want \"%s...%s\", got \"%s\"", want, reason, err);
	write_file(path, orig, len);
	campaign_free(c);
}

static void
test_corrupt_line_is_named_file_and_line(void **state)
{
	struct fixture *f = *state;
	struct campaign *c = fresh(five);
	struct journal *j = write_run(f->path, c);
	static const char key[] = "\"key\":\"a0a7aeb5bcc3cad1d8dfe6edf4fb0209\"";

	journal_close(j);
	expect_bad_line(f->path, 4, "{\"row\":0,\"status\":\"dial", "not one JSON");
	expect_bad_line(f->path, 4, "[1,2]", "not one JSON object");
	expect_bad_line(f->path, 4, "", "not one JSON object");
	expect_bad_line(f->path, 5, "{\"row\":5,\"status\":\"dialing\","
	    "\"attempts\":1,", "not one JSON");
	expect_bad_line(f->path, 5, "{\"row\":5,\"status\":\"dialing\","
	    "\"attempts\":1,\"key\":\"00\"}", "\"row\"");
	expect_bad_line(f->path, 5, "{\"row\":0,\"status\":\"bogus\","
	    "\"attempts\":1}", "\"status\"");
	expect_bad_line(f->path, 5, "{\"row\":0,\"status\":\"idle\","
	    "\"attempts\":1}", "\"status\"");
	expect_bad_line(f->path, 5, "{\"row\":0,\"status\":\"dialing\","
	    "\"attempts\":-1}", "\"attempts\"");
	expect_bad_line(f->path, 5, "{\"row\":0,\"status\":\"dialing\","
	    "\"attempts\":1,\"key\":\"A0a7aeb5bcc3cad1d8dfe6edf4fb0209\"}",
	    "\"key\"");
	expect_bad_line(f->path, 5, "{\"row\":0,\"status\":\"dialing\","
	    "\"attempts\":1,\"dialed_at\":\"soon\",", "not one JSON");
	expect_bad_line(f->path, 5, "{\"row\":0,\"status\":\"dialing\","
	    "\"attempts\":1,\"dialed_at\":-5,", "not one JSON");
	{
		char line[512];

		snprintf(line, sizeof(line), "{\"row\":0,\"status\":\"dialing\","
		    "\"attempts\":1,\"dialed_at\":-5,%s}", key);
		expect_bad_line(f->path, 5, line, "\"dialed_at\"");
		snprintf(line, sizeof(line), "{\"row\":0,\"status\":\"dialing\","
		    "\"attempts\":1,\"id\":7,%s}", key);
		expect_bad_line(f->path, 5, line, "\"id\"");
		snprintf(line, sizeof(line), "{\"row\":0,\"status\":\"ringing\","
		    "\"attempts\":1,%s} trailing", key);
		expect_bad_line(f->path, 5, line, "not one JSON");
	}
	expect_bad_line(f->path, 3, "{\"started\":false}", "\"started\"");
	expect_bad_line(f->path, 1, "{\"row\":0}", "no header");
	expect_bad_line(f->path, 1, "{\"numdialer_journal\":3,\"count\":5,"
	    "\"phones_fnv1a64\":\"0\"}", "format 3");
	campaign_free(c);
}

/* An editor's last newline (blank lines at the end) is nothing; a blank
 * line amid the others is damage, named by its line. */
static void
test_blank_lines_at_the_end(void **state)
{
	struct fixture *f = *state;
	struct campaign *c = fresh(five), *back = fresh(five);
	struct journal *j = write_run(f->path, c);
	struct journal_replay r;
	char err[ERR_MAX], text[FILE_MAX];
	size_t len;

	journal_close(j);
	read_file(f->path, text, sizeof(text), &len);
	memcpy(text + len, "\n  \n", 4);
	write_file(f->path, text, len + 4);
	assert_int_equal(journal_replay(f->path, back, &r, err, sizeof(err)), 0);
	assert_int_equal(r.rows, 4);
	assert_same_rows(c, back);
	campaign_free(back);
	campaign_free(c);
}

static void
test_rows_that_cannot_come_from_one_pass_are_refused(void **state)
{
	struct fixture *f = *state;
	struct campaign *c = fresh(five), *back = fresh(five);
	struct journal *j;
	struct journal_replay r;
	char err[ERR_MAX], text[FILE_MAX], *started;
	size_t len;

	j = write_run(f->path, c);
	journal_close(j);
	read_file(f->path, text, sizeof(text), &len);
	/* Without its start line, dialed rows make no sense. */
	started = strstr(text, "{\"started\":true}\n");
	assert_non_null(started);
	memmove(started, started + strlen("{\"started\":true}\n"),
	    strlen(started + strlen("{\"started\":true}\n")) + 1);
	write_file(f->path, text, strlen(text));
	assert_int_equal(journal_replay(f->path, back, &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "one pass"));
	assert_int_equal(strncmp(err, f->path, strlen(f->path)), 0);
	assert_int_equal(err[strlen(f->path)], ':');
	campaign_free(c);
	campaign_free(back);
}

static void
test_failed_write_is_cut_back_and_written_again(void **state)
{
	struct fixture *f = *state;
	struct campaign *c = fresh(five), *back = fresh(five);
	struct journal *j = write_run(f->path, c);
	struct journal_replay r;
	struct rlimit old, tight;
	struct stat st;
	char err[ERR_MAX];
	uint64_t v = campaign_version(c);

	/* A file size limit at the current size makes the next write fail
	 * (EFBIG), as a full disk would. */
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_IGN);
	tight = old;
	tight.rlim_cur = (rlim_t)st.st_size + 10;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &tight), 0);
	hook(c, 1, NULL, STATUS_ANSWERED, T0 + 100);
	assert_int_equal(journal_append(j, c, v, err, sizeof(err)), -1);
	assert_false(journal_healthy(j));
	assert_non_null(strstr(err, "append failed"));
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal((rlim_t)st.st_size + 10, tight.rlim_cur);  /* cut back */
	v = campaign_version(c);
	hook(c, 3, "99", STATUS_RINGING, T0 + 110);

	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	/* Only row 3 changed since v, but the answer of row 1 was lost: the
	 * append after a failure writes every row. */
	append(j, c, &v);
	assert_true(journal_healthy(j));
	journal_close(j);
	assert_int_equal(journal_replay(f->path, back, &r, err, sizeof(err)), 0);
	assert_false(r.truncated);
	assert_same_rows(c, back);
	assert_int_equal(campaign_row(back, 1)->status, STATUS_ANSWERED);
	campaign_free(c);
	campaign_free(back);
}

static void
test_second_process_on_one_journal_is_refused(void **state)
{
	struct fixture *f = *state;
	struct campaign *c = fresh(five), *d = fresh(five);
	struct journal_replay r;
	struct journal *j, *k;
	char err[ERR_MAX];

	j = journal_open(f->path, c, &r, err, sizeof(err));
	assert_non_null(j);
	/* flock locks belong to the open file: a second open conflicts, as a
	 * second process would. */
	k = journal_open(f->path, d, &r, err, sizeof(err));
	assert_null(k);
	assert_non_null(strstr(err, "in use by another running numdialer"));
	journal_close(j);
	k = journal_open(f->path, d, &r, err, sizeof(err));
	assert_non_null(k);
	journal_close(k);
	campaign_free(c);
	campaign_free(d);
}

/* The journal keeps the list it was started with: a restarted process
 * dials that one, whatever became of the list file. */
static void
test_journal_keeps_its_list(void **state)
{
	struct fixture *f = *state;
	struct campaign *c = fresh(five);
	struct journal *j = write_run(f->path, c);
	struct numbers n;
	char err[ERR_MAX], text[FILE_MAX], *p;
	size_t len, i;

	journal_close(j);
	assert_int_equal(journal_list(f->path, &n, err, sizeof(err)), 0);
	assert_int_equal(n.count, 5);
	for (i = 0; i < 5; i++)
		assert_string_equal(n.phones[i], five[i]);
	numbers_free(&n);

	/* A list changed in the file (one digit) no longer matches its
	 * header: refused, naming the file. */
	read_file(f->path, text, sizeof(text), &len);
	p = strstr(text, "19842068287");
	assert_non_null(p);
	p[1] = '8';
	write_file(f->path, text, len);
	assert_int_equal(journal_list(f->path, &n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, f->path));
	assert_non_null(strstr(err, "not the one its header names"));

	/* No journal, or one of format 1: no list of its own. */
	unlink(f->path);
	assert_int_equal(journal_list(f->path, &n, err, sizeof(err)), 1);
	write_file(f->path, "{\"numdialer_journal\":1,\"count\":5,"
	    "\"phones_fnv1a64\":\"0\"}\n", 55);
	assert_int_equal(journal_list(f->path, &n, err, sizeof(err)), 1);
	campaign_free(c);
}

/* No file the journal writes is opened through a symbolic link: a link at
 * JOURNAL.tmp does not get the keys written to its target, a journal path
 * that is a link is refused, and the journal stays 0600. */
static void
test_links_are_never_followed(void **state)
{
	struct fixture *f = *state;
	struct campaign *c = fresh(five);
	struct journal_replay r;
	struct journal *j;
	struct stat st;
	char err[ERR_MAX], tmp[PATH_MAX_TEST + 8], target[PATH_MAX_TEST + 8];
	char text[64];
	size_t len;

	snprintf(tmp, sizeof(tmp), "%s.tmp", f->path);
	snprintf(target, sizeof(target), "%s/target", f->dir);
	write_file(target, "precious\n", 9);
	assert_int_equal(chmod(target, 0644), 0);
	assert_int_equal(symlink(target, tmp), 0);
	j = journal_open(f->path, c, &r, err, sizeof(err));
	assert_non_null(j);
	journal_close(j);
	read_file(target, text, sizeof(text), &len);
	assert_int_equal(len, 9);
	assert_memory_equal(text, "precious\n", 9);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);

	/* The journal's path itself a link: refused, the link left alone. */
	assert_int_equal(unlink(f->path), 0);
	assert_int_equal(symlink(target, f->path), 0);
	assert_null(journal_open(f->path, c, &r, err, sizeof(err)));
	assert_non_null(strstr(err, "symbolic link"));
	assert_int_equal(journal_replay(f->path, c, &r, err, sizeof(err)), -1);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	read_file(target, text, sizeof(text), &len);
	assert_int_equal(len, 9);
	unlink(target);
	campaign_free(c);
}

/* What the provider adds to a webhook: who answered, the length, its
 * sequence number and its time (a second before now, at most the latest a
 * history keeps). */
static void
provider_hook(struct campaign *c, size_t row, enum status s, int64_t seq,
    enum answered_by who, int64_t duration, int64_t now)
{
	unsigned char key[CAMPAIGN_KEY_BYTES];
	struct campaign_report r = campaign_report_of(s);

	key_for(row, key);
	r.seq = seq;
	r.provider_s = now / 1000 - 1 < HISTORY_PROVIDER_MAX ? now / 1000 - 1 :
	    HISTORY_PROVIDER_MAX;
	r.answered_by = who;
	r.duration_s = duration;
	campaign_webhook(c, row, key, NULL, &r, now);
}

/* A restart shows the same history: every row's events, applied or not,
 * with what the provider gave, who answered and the call's length. */
static void
test_history_survives_a_restart(void **state)
{
	struct fixture *f = *state;
	struct campaign *c = fresh(five), *back = fresh(five);
	struct journal *j = write_run(f->path, c);
	struct journal_replay r;
	struct campaign_event ev[CAMPAIGN_EVENTS_MAX];
	char err[ERR_MAX], text[FILE_MAX];
	uint64_t v = campaign_version(c);
	size_t len;

	provider_hook(c, 1, STATUS_IDLE, -1, ANSWERED_BY_MACHINE_END_BEEP, -1,
	    T0 + 90);
	provider_hook(c, 1, STATUS_ANSWERED, 2, ANSWERED_BY_NONE, -1, T0 + 91);
	provider_hook(c, 1, STATUS_COMPLETED, 3000, ANSWERED_BY_NONE, 61,
	    T0 + 92);
	provider_hook(c, 1, STATUS_RINGING, 1, ANSWERED_BY_NONE, -1, T0 + 93);
	append(j, c, &v);
	journal_close(j);
	read_file(f->path, text, sizeof(text), &len);
	assert_non_null(strstr(text, "\"answered_by\":\"machine_end_beep\""));
	assert_non_null(strstr(text, "\"duration_s\":61"));
	assert_non_null(strstr(text, "[1700000000092,\"completed\",\"webhook\","
	    "3000,1699999999,true]"));
	assert_non_null(strstr(text, "[1700000000000,\"dialing\",\"api\",null,"
	    "null,true]"));

	assert_int_equal(journal_replay(f->path, back, &r, err, sizeof(err)), 0);
	assert_same_rows(c, back);
	assert_int_equal(campaign_events(back, 1, ev, CAMPAIGN_EVENTS_MAX), 5);
	assert_false(ev[4].applied);
	assert_int_equal(campaign_row(back, 1)->duration_s, 61);
	campaign_free(c);
	campaign_free(back);
}

/* The longest row line a campaign can make (16 events, each field at its
 * widest; an id and a reason that JSON escapes at length) is under
 * JOURNAL_LINE_MAX, and replays. */
static void
test_the_longest_row_line_fits(void **state)
{
	struct fixture *f = *state;
	struct campaign *c = fresh(five), *back = fresh(five);
	struct journal_replay r;
	struct journal *j;
	char err[ERR_MAX], text[FILE_MAX], id[CAMPAIGN_ID_MAX + 1];
	char reason[CAMPAIGN_REASON_MAX + 1];
	size_t i, len, at = 0, longest = 0;
	uint64_t v;

	j = journal_open(f->path, c, &r, err, sizeof(err));
	assert_non_null(j);
	v = campaign_version(c);
	assert_int_equal(campaign_start(c), 0);
	dial(c, 0, T0);
	memset(id, '"', CAMPAIGN_ID_MAX);
	id[CAMPAIGN_ID_MAX] = '\0';
	memset(reason, '\001', CAMPAIGN_REASON_MAX);
	reason[CAMPAIGN_REASON_MAX] = '\0';
	assert_int_equal(campaign_dial_ok(c, 0, id, T0), CAMPAIGN_APPLIED);
	campaign_dial_unknown(c, 0, reason, T0);
	for (i = 0; i < CAMPAIGN_EVENTS_MAX; i++)
		provider_hook(c, 0, STATUS_NO_ANSWER, CAMPAIGN_SEQ_MAX,
		    ANSWERED_BY_MACHINE_END_SILENCE, CAMPAIGN_DURATION_MAX,
		    CAMPAIGN_MS_MAX - 2000);
	append(j, c, &v);
	/* Rewritten whole at the next open. */
	journal_close(j);
	j = journal_open(f->path, back, &r, err, sizeof(err));
	assert_non_null(j);
	journal_close(j);
	read_file(f->path, text, sizeof(text), &len);
	while (at < len) {
		size_t n = strcspn(text + at, "\n");

		if (n > longest)
			longest = n;
		at += n + 1;
	}
	assert_true(longest > 2000);
	assert_true(longest < JOURNAL_LINE_MAX);
	assert_same_rows(c, back);
	assert_int_equal(campaign_row(back, 0)->events, CAMPAIGN_EVENTS_MAX);
	campaign_free(c);
	campaign_free(back);
}

/* A journal written before histories (no events, no who answered, no
 * length) is read: its rows come back with none. */
static void
test_a_journal_without_events_is_read(void **state)
{
	struct fixture *f = *state;
	struct campaign *c = fresh(five), *back = fresh(five);
	struct journal *j = write_run(f->path, c);
	struct journal_replay r;
	char err[ERR_MAX], text[FILE_MAX], *p, *end;
	size_t len;

	journal_close(j);
	read_file(f->path, text, sizeof(text), &len);
	/* Cut every "events":[...], from the file. */
	while ((p = strstr(text, "\"events\":[")) != NULL) {
		end = strstr(p, "]],");
		assert_non_null(end);
		memmove(p, end + 3, strlen(end + 3) + 1);
	}
	write_file(f->path, text, strlen(text));
	assert_int_equal(journal_replay(f->path, back, &r, err, sizeof(err)), 0);
	assert_int_equal(r.rows, 4);
	assert_int_equal(campaign_row(back, 0)->status, STATUS_COMPLETED);
	assert_int_equal(campaign_row(back, 0)->events, 0);
	assert_int_equal(campaign_row(back, 0)->duration_s, -1);
	campaign_free(c);
	campaign_free(back);
}

/* Bad events and provider fields are named like any bad field. */
static void
test_bad_events_are_named(void **state)
{
	struct fixture *f = *state;
	struct campaign *c = fresh(five);
	struct journal *j = write_run(f->path, c);
	static const char head[] = "{\"row\":0,\"status\":\"ringing\","
	    "\"attempts\":1,\"key\":\"a0a7aeb5bcc3cad1d8dfe6edf4fb0209\",";
	static const struct { const char *tail, *reason; } bad[] = {
		{ "\"events\":7}", "\"events\"" },
		{ "\"events\":[[1,\"ringing\",\"webhook\",null,null]]}",
		    "\"events\"[0]" },
		{ "\"events\":[[1,\"ring\",\"webhook\",null,null,true]]}",
		    "\"events\"[0]" },
		{ "\"events\":[[1,\"ringing\",\"web\",null,null,true]]}",
		    "\"events\"[0]" },
		{ "\"events\":[[-1,\"ringing\",\"webhook\",null,null,true]]}",
		    "\"events\"[0]" },
		{ "\"events\":[[1,\"ringing\",\"webhook\",65535,null,true]]}",
		    "\"events\"[0]" },
		{ "\"events\":[[1,\"ringing\",\"webhook\",1,\"x\",true]]}",
		    "\"events\"[0]" },
		{ "\"events\":[[1,\"ringing\",\"webhook\",1,2,1]]}",
		    "\"events\"[0]" },
		{ "\"answered_by\":\"robot\"}", "\"answered_by\"" },
		{ "\"duration_s\":-2}", "\"duration_s\"" },
	};
	char line[512];
	size_t i;

	journal_close(j);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "%s%s", head, bad[i].tail);
		expect_bad_line(f->path, 5, line, bad[i].reason);
	}
	campaign_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_missing_journal_is_made_with_a_header, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_replay_restores_every_row_and_the_dialer_resumes,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_open_rewrites_and_appends_after_a_restart, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_truncated_last_line_is_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_journal_of_another_list_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_corrupt_line_is_named_file_and_line, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_rows_that_cannot_come_from_one_pass_are_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_failed_write_is_cut_back_and_written_again, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_second_process_on_one_journal_is_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_journal_keeps_its_list, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_links_are_never_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_blank_lines_at_the_end, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_history_survives_a_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_the_longest_row_line_fits, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_journal_without_events_is_read, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_bad_events_are_named, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
