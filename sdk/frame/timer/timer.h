/* The timers' private side: the tick's work, deadlines in jiffies, and the timers the scheduler sets. */
#ifndef FRAME_TIMER_TIMER_H
#define FRAME_TIMER_TIMER_H

#include <frame/timer.h>
#include <stdbool.h>
#include <stdint.h>

/* Run every timer that is due: from the tick, in interrupt context. */
void timer_tick(void);
/* Whether any timer is pending (the idle task's deadlock check). */
bool timer_any_pending(void);
/* Start a one-shot timer that fires at tick expires. Interrupts must be off. */
void timer_start_at(struct timer *timer, uint64_t expires);
/* d in ticks, rounded up, at least one. */
uint64_t ticks_for(struct duration d);
/* The first tick (in jiffies) at which at least d has passed from now; UINT64_MAX for FOREVER. */
uint64_t deadline_after(struct duration d);

#endif
