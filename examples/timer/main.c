// timer: a periodic timer callback wakes a task sleeping on a wait queue. The task prints
// "tick 1" to "tick 10", one every 100 ms, then how long that took by the clock. Shows timers,
// wait queues, an atomic counter, and spawning and joining a task; no interrupt controller,
// timer chip or context switch in sight: each of those is inside a checked frame call.
#include <frame/frame.h>

#define TICKS 10      // how many lines the task prints
#define PERIOD_MS 100 // the timer's period

// Shared between the timer callback (interrupt context) and the task. An atomic counter needs
// no lock: each change is one indivisible step that no interrupt can split.
static atomic_t ticks = ATOMIC_INIT(0);
static struct wait_queue tick_queue = WAIT_QUEUE_INIT("tick"); // where the task sleeps

// The timer callback. It runs in interrupt context, from the frame's 1000 Hz tick: it must be
// short and must not sleep (no task_sleep(), no mutex_lock(), no wait_queue_wait(); the frame
// panics if it tries). Counting and waking a task are fine.
static void on_timer(struct timer *timer, void *ctx)
{
	(void)timer;
	(void)ctx;
	atomic_inc(&ticks);
	wait_queue_wake_one(&tick_queue); // the task re-checks its condition when it runs
}

static struct timer ticker = TIMER_INIT(on_timer, NULL); // set up at compile time, not started

// The condition the task waits for: the timer has fired more often than the task has printed.
static bool tick_pending(void *ctx)
{
	const int64_t *printed = ctx;
	return atomic_load(&ticks) > *printed;
}

// The task: start the timer, then sleep until each tick and print it. Returns the elapsed
// time in nanoseconds, which task_join() hands back to kernel_main().
static int64_t ticker_task(void *arg)
{
	(void)arg;
	// time_now_ns(): nanoseconds since boot, from the CPU's cycle counter.
	uint64_t start = time_now_ns();
	timer_start(&ticker, MSEC(PERIOD_MS), MSEC(PERIOD_MS)); // first in 100 ms, then every 100 ms
	for (int64_t printed = 0; printed < TICKS; printed++) {
		// Sleeps until tick_pending() holds. The frame checks the condition with interrupts
		// off before sleeping, so a tick that fires in between is never lost.
		if (wait_queue_wait(&tick_queue, tick_pending, &printed, SEC(1)) != ERR_OK)
			panic("no tick for a whole second"); // ERR_TIMEOUT: the timer stopped
		console_printf("tick %lld\n", (long long)printed + 1);
	}
	uint64_t elapsed = time_now_ns() - start;
	timer_cancel(&ticker); // a periodic timer runs until cancelled
	return (int64_t)elapsed;
}

void kernel_main(void) // runs as the task "main", interrupts on, the tick running
{
	console_printf("%d ticks, one every %d ms, from the %s\n", TICKS, PERIOD_MS, timer_source());
	struct task *task; // replaces: a hand-built stack and a context switch
	if (task_spawn(&task, "ticker", ticker_task, NULL, NULL) != ERR_OK)
		panic("no memory for a task");
	int64_t ns = task_join(task); // sleeps until ticker_task returns, then frees its stack
	console_printf("elapsed: %lld.%03lld ms\n", (long long)(ns / 1000000), (long long)(ns / 1000 % 1000));
} // returning from kernel_main powers off with success (once every spawned task is joined)
