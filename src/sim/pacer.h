/*
 * pacer: Twilio's calls-per-second queue. Calls are taken at any rate, but
 * leave the queue (are dialed) one at a time, 1/N of a second apart, first
 * in first out: a call's turn is the later of now and the last turn given
 * plus that spacing. Safe from any thread.
 */
#ifndef NUMDIALER_SIM_PACER_H
#define NUMDIALER_SIM_PACER_H

#include <pthread.h>
#include <stdint.h>

#define PACER_CPS_MAX 1000  /* calls per second at most */

struct pacer {
	pthread_mutex_t lock;   /* guards next_us */
	int64_t spacing_us;
	int64_t next_us;        /* the earliest the next turn may be */
};

/* Sets p up for cps calls per second (1..PACER_CPS_MAX): 0 or -1. */
int pacer_init(struct pacer *p, unsigned cps);

/* Frees what pacer_init took. */
void pacer_destroy(struct pacer *p);

/* The turn (CLOCK_MONOTONIC us) of a call taken at now_us. */
int64_t pacer_turn(struct pacer *p, int64_t now_us);

#endif
