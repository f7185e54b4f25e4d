/*
 * render: the campaign as the JSON of GET /events, built with json-c. The
 * shape is documented in docs/ARCHITECTURE.md; only known fields are sent.
 */
#include "render.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "status.h"

/* Keys are string literals: json-c may keep the pointer and skip the copy,
 * and each key is added once per object. */
#define RENDER_ADD_FLAGS \
	(JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_ADD_CONSTANT_KEY)

static const char *const render_mark_keys[MARK_COUNT] = {
	[MARK_DIALED] = "dialed_at",
	[MARK_RINGING] = "ringing_at",
	[MARK_ANSWERED] = "answered_at",
	[MARK_ENDED] = "ended_at",
};

struct render_walk {
	const struct campaign *campaign;
	struct json_object *calls;
	bool failed;        /* out of memory somewhere: the whole render fails */
};

/* Adds val (which may be NULL after a failed allocation) to obj under a
 * literal key. Takes val in every case: 0, or -1 having freed it. */
static int
render_put(struct json_object *obj, const char *key, struct json_object *val)
{
	if (val == NULL)
		return -1;
	if (json_object_object_add_ex(obj, key, val, RENDER_ADD_FLAGS) != 0) {
		json_object_put(val);
		return -1;
	}
	return 0;
}

static struct json_object *
render_row(const struct campaign_row *r, size_t row)
{
	struct json_object *call = NULL;
	int fail = 0;
	int m;

	call = json_object_new_object();
	if (call == NULL)
		return NULL;
	fail |= render_put(call, "row", json_object_new_uint64(row));
	fail |= render_put(call, "phone", json_object_new_string(r->phone));
	fail |= render_put(call, "status",
	    json_object_new_string(status_name(r->status)));
	if (r->call_id != NULL)
		fail |= render_put(call, "id", json_object_new_string(r->call_id));
	if (r->reason != NULL)
		fail |= render_put(call, "reason",
		    json_object_new_string(r->reason));
	fail |= render_put(call, "attempts", json_object_new_uint64(r->attempts));
	for (m = 0; m < MARK_COUNT; m++)
		if (r->at_ms[m] != 0)
			fail |= render_put(call, render_mark_keys[m],
			    json_object_new_int64(r->at_ms[m]));
	if (fail) {
		json_object_put(call);
		return NULL;
	}
	return call;
}

/* campaign_changes_since's callback, and the loop body of a full render. */
static void
render_add_row(size_t row, void *arg)
{
	struct render_walk *w = arg;
	struct json_object *call;

	if (w->failed)
		return;
	call = render_row(campaign_row(w->campaign, row), row);
	if (call == NULL || json_object_array_add(w->calls, call) != 0) {
		json_object_put(call);
		w->failed = true;
	}
}

char *
render_events(const struct campaign *c, const char *instance,
    const uint64_t *since, size_t *len)
{
	struct json_object *root = NULL, *calls = NULL;
	struct render_walk walk;
	struct campaign_counts counts;
	const char *text;
	char *out = NULL;
	bool full = since == NULL;
	size_t i, n = campaign_size(c);
	int fail = 0;

	root = json_object_new_object();
	if (root == NULL)
		goto fail;
	walk.campaign = c;
	walk.calls = NULL;
	walk.failed = false;
	if (!full) {
		calls = json_object_new_array();
		if (calls == NULL)
			goto fail;
		walk.calls = calls;
		if (campaign_changes_since(c, *since, render_add_row, &walk) != 0)
			full = true;
	}
	if (full) {
		/* A failed diff called nothing; start again from an empty array
		 * sized for every row. */
		json_object_put(calls);
		calls = json_object_new_array_ext(n > INT_MAX ? INT_MAX : (int)n);
		if (calls == NULL)
			goto fail;
		walk.calls = calls;
		for (i = 0; i < n && !walk.failed; i++)
			render_add_row(i, &walk);
	}
	if (walk.failed)
		goto fail;

	campaign_counts(c, &counts);
	fail |= render_put(root, "instance",
	    json_object_new_string(instance != NULL ? instance : ""));
	fail |= render_put(root, "version",
	    json_object_new_uint64(campaign_version(c)));
	fail |= render_put(root, "full", json_object_new_boolean(full));
	fail |= render_put(root, "started", json_object_new_boolean(counts.started));
	fail |= render_put(root, "total", json_object_new_uint64(counts.total));
	fail |= render_put(root, "dialed", json_object_new_uint64(counts.dialed));
	fail |= render_put(root, "in_flight",
	    json_object_new_uint64(counts.in_flight));
	fail |= render_put(root, "done", json_object_new_uint64(counts.done));
	fail |= render_put(root, "limit", json_object_new_uint64(counts.limit));
	fail |= render_put(root, "calls", calls);
	calls = NULL;
	if (fail)
		goto fail;

	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
	if (text == NULL)
		goto fail;
	out = strdup(text);
	if (out != NULL && len != NULL)
		*len = strlen(out);
fail:
	json_object_put(calls);
	json_object_put(root);
	return out;
}
