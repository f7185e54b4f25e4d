/*
 * compliance: the do-not-call file and the calling hours, fed into the
 * campaign (see compliance.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compliance.h"
#include "dnc.h"
#include "e164.h"
#include "hours.h"
#include "util.h"

#define COMPLIANCE_ERR_MAX 512

struct compliance {
	const struct settings *settings;
	struct dnc *dnc;                 /* NULL: no do-not-call file */
	struct dnc_stamp stamp;          /* of the file dnc was read from */
	bool dnc_bad;                    /* the file cannot be read now */
	char dnc_err[COMPLIANCE_ERR_MAX];
	bool hours_set;
	struct hours hours;
	int64_t next_change[CAMPAIGN_ZONES_MAX]; /* per zone; 0: work it out */
};

/* Takes the do-not-call file's stamp into *stamp: 0, or -1 with
 * k->dnc_err. */
static int
compliance_stamp_dnc(struct compliance *k, struct dnc_stamp *stamp)
{
	if (dnc_stamp(k->settings->dnc, stamp) != 0)
		return util_err(k->dnc_err, sizeof(k->dnc_err), "%s: %s",
		    k->settings->dnc, strerror(errno));
	return 0;
}

/* Reads the do-not-call file, whose stamp was taken first, into k->dnc:
 * 0, or -1 with k->dnc_err (the set in hand is kept). */
static int
compliance_read_dnc(struct compliance *k, const struct dnc_stamp *stamp)
{
	struct dnc *set;

	if (dnc_load(k->settings->dnc, k->settings->country_code, &set,
	    k->dnc_err, sizeof(k->dnc_err)) != 0)
		return -1;
	dnc_free(k->dnc);
	k->dnc = set;
	k->stamp = *stamp;
	return 0;
}

struct compliance *
compliance_new(const struct settings *s, char *err, size_t errlen)
{
	struct compliance *k = calloc(1, sizeof(*k));
	struct dnc_stamp stamp;

	if (k == NULL) {
		util_err(err, errlen, "out of memory");
		return NULL;
	}
	k->settings = s;
	if (s->dnc[0] != '\0' && (compliance_stamp_dnc(k, &stamp) != 0 ||
	    compliance_read_dnc(k, &stamp) != 0)) {
		util_err(err, errlen, "do-not-call list: %s", k->dnc_err);
		compliance_free(k);
		return NULL;
	}
	if (s->call_hours[0] != '\0') {
		if (hours_parse(s->call_hours, &k->hours, err, errlen) != 0) {
			compliance_free(k);
			return NULL;
		}
		k->hours_set = true;
	}
	return k;
}

void
compliance_free(struct compliance *k)
{
	if (k == NULL)
		return;
	dnc_free(k->dnc);
	free(k);
}

/* The campaign's question before each dial (hub lock held): whether phone
 * is on the do-not-call list. Numbers compare in E.164 form; one that
 * cannot be made so matches nothing on the list, which holds only such. */
static bool
compliance_blocked(const char *phone, void *arg)
{
	struct compliance *k = arg;
	char e164[E164_MAX + 1];

	if (k->dnc == NULL || e164_normalize(phone, k->settings->country_code,
	    e164) != 0)
		return false;
	return dnc_contains(k->dnc, e164);
}

/* Skips every row of c on the list that may still be dialed (lock held):
 * how many. */
static size_t
compliance_skip_listed(struct compliance *k, struct campaign *c,
    int64_t now_ms)
{
	size_t i, n = campaign_size(c), skipped = 0;

	if (k->dnc == NULL || dnc_size(k->dnc) == 0)
		return 0;
	for (i = 0; i < n; i++) {
		const struct campaign_row *r = campaign_row(c, i);

		if ((r->status == STATUS_IDLE || r->redial) &&
		    compliance_blocked(r->phone, k) &&
		    campaign_skip(c, i, "do not call", now_ms) == 0)
			skipped++;
	}
	return skipped;
}

size_t
compliance_attach(struct compliance *k, struct campaign *c, int64_t now_ms)
{
	campaign_set_blocked(c, compliance_blocked, k);
	return compliance_skip_listed(k, c, now_ms);
}

/* Looks at the do-not-call file (no lock held): 1 when it was read anew,
 * 0 when unchanged, -1 when it cannot be read (k->dnc_err says why). */
static int
compliance_look_dnc(struct compliance *k)
{
	struct dnc_stamp now;

	if (k->settings->dnc[0] == '\0')
		return 0;
	if (compliance_stamp_dnc(k, &now) != 0)
		return -1;
	if (!k->dnc_bad && dnc_stamp_equal(&now, &k->stamp))
		return 0;
	return compliance_read_dnc(k, &now) == 0 ? 1 : -1;
}

/* A zone's words in a waiting reason: "08:00 America/Chicago". */
static void
compliance_label(const struct compliance *k, const char *zone, char *buf,
    size_t len)
{
	char start[HOURS_TEXT_MAX + 1] = "?";

	hours_format_start(&k->hours, start, sizeof(start));
	snprintf(buf, len, "%s %s", start, zone != NULL ? zone :
	    k->settings->time_zone[0] != '\0' ? k->settings->time_zone :
	    "local time");
}

/* Works out the hours of every zone whose state is due to change (no
 * lock held), then gives them to the campaign. Returns whether any
 * changed. */
static bool
compliance_hours(struct compliance *k, struct hub *h, int64_t now_ms)
{
	struct campaign *c = h->campaign;
	unsigned z, zones = campaign_zone_count(c);
	bool changed = false;

	if (!k->hours_set)
		return false;
	for (z = 0; z < zones; z++) {
		const char *name = campaign_zone_name(c, z);
		char label[CAMPAIGN_LABEL_MAX + 1];
		int64_t next;
		bool open;

		if (now_ms < k->next_change[z])
			continue;
		if (hours_check(&k->hours, name != NULL ? name :
		    k->settings->time_zone, now_ms, &open, &next) != 0) {
			/* No local time: closed, looked at again in a minute. */
			open = false;
			next = now_ms + 60000;
			fprintf(stderr, "numdialer: calling hours: no local "
			    "time for zone %s; its rows wait\n",
			    name != NULL ? name : "(default)");
		}
		compliance_label(k, name, label, sizeof(label));
		k->next_change[z] = next;
		hub_lock(h);
		campaign_zone_hours(c, z, open, next, label);
		hub_unlock(h);
		changed = true;
	}
	return changed;
}

bool
compliance_refresh(struct compliance *k, struct hub *h, int64_t now_ms)
{
	char why[CAMPAIGN_REASON_MAX + 1];
	bool changed = compliance_hours(k, h, now_ms);
	int look = compliance_look_dnc(k);
	size_t skipped = 0;
	int paused = -1;

	if (look == 0)
		return changed;
	hub_lock(h);
	if (look > 0) {
		skipped = compliance_skip_listed(k, h->campaign, now_ms);
	} else {
		snprintf(why, sizeof(why), "the do-not-call list cannot be "
		    "read: %.160s", k->dnc_err);
		paused = campaign_pause(h->campaign, why);
	}
	hub_unlock(h);
	if (look > 0) {
		if (k->dnc_bad)
			fprintf(stderr, "numdialer: do-not-call list: read "
			    "again; POST /resume goes on\n");
		fprintf(stderr, "numdialer: do-not-call list: %zu numbers, "
		    "%zu more rows skipped\n", dnc_size(k->dnc), skipped);
	} else if (!k->dnc_bad || paused == 0) {
		fprintf(stderr, "numdialer: %s%s\n", why,
		    paused == 0 ? "; dialing paused" : "");
	}
	k->dnc_bad = look < 0;
	return changed || skipped > 0 || paused == 0;
}

int64_t
compliance_next_ms(const struct compliance *k)
{
	int64_t next = INT64_MAX;
	unsigned z;

	if (!k->hours_set)
		return INT64_MAX;
	for (z = 0; z < CAMPAIGN_ZONES_MAX; z++)
		if (k->next_change[z] > 0 && k->next_change[z] < next)
			next = k->next_change[z];
	return next;
}
