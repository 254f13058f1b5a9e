// trace_mark() from a task and from a timer callback (interrupt context): tests/test_trace.py finds
// both marks, with their values, on the main task's lane and on the interrupts lane. With the
// command line "stack", a mark whose name is a buffer on the stack: the frame refuses it.
#include <frame/frame.h>

static atomic_t fired = ATOMIC_INIT(0);

static void on_timer(struct timer *timer, void *ctx)
{
	(void)timer;
	(void)ctx;
	trace_mark("in the callback", 42);
	atomic_inc(&fired);
}

static struct timer timer = TIMER_INIT(on_timer, NULL);

void kernel_main(void)
{
	if (!strcmp(boot_cmdline(), "stack")) {
		char name[8] = "mine";
		trace_mark(name, 1); // panics: not in the kernel's read-only data
	}
	trace_mark("before the timer", 7);
	timer_start(&timer, MSEC(5), MSEC(0));
	while (!atomic_load(&fired))
		task_sleep(MSEC(1));
	console_printf("marked\n");
}
