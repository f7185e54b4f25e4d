/*
 * answer: what a handler of the simulator's HTTP side answers, for the one
 * function that writes it (api.c): a JSON body, the headers it asks for,
 * or no answer at all, and when.
 */
#ifndef NUMDIALER_SIM_ANSWER_H
#define NUMDIALER_SIM_ANSWER_H

#include <json-c/json.h>

struct answer {
	struct json_object *body; /* owned; NULL: none */
	unsigned retry_after;     /* seconds; 0: no Retry-After header */
	const char *allow;        /* an Allow header (405); static; NULL */
	const char *realm;        /* a 401 asking for basic credentials in
	                             this realm (WWW-Authenticate); static */
	int drop;                 /* close the connection without answering */
	unsigned delay_ms;        /* answer this much later */
};

#endif
