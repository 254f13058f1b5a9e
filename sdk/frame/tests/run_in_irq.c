/* Runs a test's function in interrupt context: see run_in_irq.h. */
#include "tests/run_in_irq.h"
#include <frame/irq.h>
#include <frame/sync.h>
#include <frame/timer.h>
#include <stddef.h>

static int (*irq_fn)(void);
static int irq_result;
static struct semaphore irq_done = SEMAPHORE_INIT("run_in_irq", 0);

static void call_in_irq(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	irq_result = in_interrupt() ? irq_fn() : -1;
	sem_up(&irq_done);
}

int run_in_irq(int (*fn)(void))
{
	static struct timer timer = TIMER_INIT(call_in_irq, NULL);
	irq_fn = fn;
	timer_start(&timer, MSEC(1), NSEC(0));
	return sem_down(&irq_done, SEC(1)) == ERR_OK ? irq_result : -1;
}
