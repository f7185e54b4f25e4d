/*
 * callbacks: what a Twilio mode call sends. Its steps, made from the path
 * it takes and what its POST asked (initiated first, the answering-machine
 * detection's callback after the answer, the events not asked for quiet),
 * and the voice the sender sends them with: timed by calls_delay, followed
 * by calls_reach, rendered as Twilio's forms with their X-Twilio-Signature.
 */
#ifndef NUMDIALER_SIM_CALLBACKS_H
#define NUMDIALER_SIM_CALLBACKS_H

#include "calls.h"
#include "paths.h"
#include "sender.h"

/* The voice of Twilio calls; its ctx is the call's struct calls_call. */
extern const struct sender_voice callbacks_voice;

/*
 * Makes the steps of a call taking path, as ask asked, into ask->path (the
 * record's view) and out's steps, nsteps and first_before_answer (the
 * sender's view; the rest of out is left alone). A step that lasts waits
 * long_call_ms. Returns 0, or -1 for a path Twilio mode cannot take.
 */
int callbacks_build(const struct path *path, struct calls_ask *ask,
    unsigned long_call_ms, struct sender_call *out);

#endif
