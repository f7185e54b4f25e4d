/*
 * journal: the campaign on disk, so a restarted process carries on. A file
 * of JSON lines: a header naming the list, the list itself, then each row
 * change (the row as it is after it, its history included), the start and
 * the pauses, appended before anyone is told of them.
 */
#ifndef NUMDIALER_JOURNAL_H
#define NUMDIALER_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "campaign.h"
#include "numbers.h"

#define JOURNAL_FORMAT 2         /* the header's "numdialer_journal" */
#define JOURNAL_FORMAT_NO_LIST 1 /* an older journal without the list: read,
                                    with the list file as its list */
#define JOURNAL_LINE_MAX 4096    /* longest line replay reads; a row's line
                                    is under 2,600 bytes, its 16 events
                                    and an id and reason escaped at length
                                    included */
#define JOURNAL_ATTEMPTS_MAX 1000000  /* most POST /call tries a row may claim */

/* What a replay found. */
struct journal_replay {
	size_t lines;       /* whole lines read, the header included */
	size_t rows;        /* rows restored: dialed at least once */
	size_t in_flight;   /* of them, calls not ended */
	size_t done;        /* of them, calls ended */
	bool started;
	bool truncated;     /* the last line was cut short, and dropped: a
	                       crash in the middle of a write */
};

struct journal;

/*
 * The list the journal at path was started with, from its own copy, so a
 * restarted process dials that list whatever became of the list file.
 * Returns 0 with *out filled (free it with numbers_free); 1 when there is
 * no journal at path or it holds no list (format 1); -1 with the reason in
 * err for a journal that cannot be read or whose list is damaged.
 */
int journal_list(const char *path, struct numbers *out, char *err,
    size_t errlen);

/*
 * Reads the journal at path into c, a campaign fresh from campaign_new
 * over the list the journal must belong to: each row record is restored
 * (the last one of a row wins), then campaign_restore_finish rebuilds the
 * counters. A missing or empty file restores nothing. Writes nothing.
 * Returns 0 and fills *out; -1 with the reason in err (errlen bytes):
 * "path:line: what" for a bad line, "path: ..." for a journal of another
 * list or rows that cannot come from one pass. c is then half restored:
 * the caller frees it.
 */
int journal_replay(const char *path, struct campaign *c,
    struct journal_replay *out, char *err, size_t errlen);

/*
 * Takes path for this process (a lock on path.lock: a second process on
 * the same journal is refused), replays it into c as journal_replay, then
 * writes c's state afresh (header, start, every dialed row) to path.tmp,
 * flushes it to disk and renames it over path, and keeps it open for
 * appending. The file is made mode 0600: it holds the webhook keys.
 * Returns the journal, freed with journal_close; NULL with err as
 * journal_replay, or naming the file and the system's error.
 */
struct journal *journal_open(const char *path, struct campaign *c,
    struct journal_replay *out, char *err, size_t errlen);

/*
 * Appends what changed in c after version since: the start, once, and each
 * row changed, as it is now; one write(2) to a descriptor opened O_APPEND,
 * so once it returns the kernel has it and a crash of the process loses
 * none of it (a crash of the machine may: no fsync). Call with c's lock
 * held, before anyone hears of the change. Returns 0, or -1 with the reason
 * in err: the file is cut back to its last whole line, and each append
 * writes every dialed row until one succeeds.
 */
int journal_append(struct journal *j, const struct campaign *c,
    uint64_t since, char *err, size_t errlen);

/* False while the last append failed: the disk is behind the memory. */
bool journal_healthy(const struct journal *j);

/* The path it writes; never NULL. */
const char *journal_path(const struct journal *j);

/*
 * Whether a program could keep its journal at path: the directory takes
 * new files (path.lock is made there when missing) and path, when it
 * exists, is a file that can be appended to, reached through no symbolic
 * link. Takes no lock, writes nothing to the journal. 0, or -1 with the
 * reason in err.
 */
int journal_writable(const char *path, char *err, size_t errlen);

/* Closes the file and drops the lock; takes NULL. */
void journal_close(struct journal *j);

#endif
