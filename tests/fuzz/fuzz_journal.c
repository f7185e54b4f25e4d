/* fuzz_journal: libFuzzer target for the journal's replay (journal_replay)
 * and its copy of the list (journal_list), the file a restarted program
 * trusts. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "campaign.h"
#include "journal.h"
#include "numbers.h"

#define FUZZ_ERR_MAX 512
#define FUZZ_PATH_MAX 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The list every input is replayed against (the seeds' list). */
static const char *const fuzz_phones[] = {
	"13018040009", "19842068287", "15512459377",
};
#define FUZZ_ROWS (sizeof(fuzz_phones) / sizeof(fuzz_phones[0]))

static void
fuzz_write(const char *path, const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
}

/* The contract: a replay that succeeds leaves a campaign whose counts
 * agree with its rows, in flight within its calls, each row's history
 * within its bound and as long as the row says; one that fails says
 * why in a terminated message. journal_list answers -1, 0 or 1. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[FUZZ_PATH_MAX];
	struct campaign *c;
	struct journal_replay r;
	struct campaign_counts k;
	struct numbers n;
	struct campaign_event events[CAMPAIGN_EVENTS_MAX];
	char err[FUZZ_ERR_MAX];
	size_t i, flying = 0, done = 0;
	int rc;

	if (path[0] == '\0')
		snprintf(path, sizeof(path), "/tmp/fuzz_journal.%d", (int)getpid());
	fuzz_write(path, data, size);
	c = campaign_new(fuzz_phones, FUZZ_ROWS, 3, 64);
	if (c == NULL)
		abort();
	memset(err, 'x', sizeof(err));
	rc = journal_replay(path, c, &r, err, sizeof(err));
	if (rc == 0) {
		campaign_counts(c, &k);
		for (i = 0; i < FUZZ_ROWS; i++) {
			enum status s = campaign_row(c, i)->status;
			unsigned count = campaign_row(c, i)->events;

			flying += status_in_flight(s);
			done += status_is_terminal(s);
			if (count > CAMPAIGN_EVENTS_MAX ||
			    campaign_events(c, i, events, CAMPAIGN_EVENTS_MAX) !=
			    count)
				abort();
		}
		if (flying != k.in_flight || done != k.done ||
		    r.rows != flying + done)
			abort();
	} else if (rc != -1 || memchr(err, '\0', sizeof(err)) == NULL) {
		abort();
	}
	campaign_free(c);
	rc = journal_list(path, &n, err, sizeof(err));
	if (rc == 0)
		numbers_free(&n);
	else if (rc != 1 && rc != -1)
		abort();
	unlink(path);
	return 0;
}
