/* pacer: the turns of the calls-per-second queue. */
#include "pacer.h"

#define PACER_US_PER_S 1000000

int
pacer_init(struct pacer *p, unsigned cps)
{
	if (cps == 0 || cps > PACER_CPS_MAX)
		return -1;
	p->spacing_us = PACER_US_PER_S / (int64_t)cps;
	p->next_us = 0;
	return pthread_mutex_init(&p->lock, NULL) == 0 ? 0 : -1;
}

void
pacer_destroy(struct pacer *p)
{
	pthread_mutex_destroy(&p->lock);
}

int64_t
pacer_turn(struct pacer *p, int64_t now_us)
{
	int64_t turn;

	pthread_mutex_lock(&p->lock);
	turn = now_us > p->next_us ? now_us : p->next_us;
	p->next_us = turn + p->spacing_us;
	pthread_mutex_unlock(&p->lock);
	return turn;
}
