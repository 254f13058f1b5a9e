/* The scheduler's private side: the task struct, this CPU's state, blocking and waking. */
#ifndef FRAME_TASK_SCHED_H
#define FRAME_TASK_SCHED_H

#include <frame/task.h>
#include <frame/sync.h>
#include <frame/timer.h>
#include "check.h"

enum task_state {
	TASK_READY = 1, /* runnable, given to the policy's enqueue() and not picked since */
	TASK_RUNNING,	/* on the CPU */
	TASK_BLOCKED,	/* sleeping or waiting; only sched_wake() makes it runnable */
	TASK_FINISHED,	/* exited; waits for task_join() */
};

struct wait_entry_;

struct task {
	uint32_t magic;
	enum task_state state;
	uint64_t rsp;	    /* saved stack pointer while switched out */
	uint64_t stack_low; /* 0 for stacks the frame did not allocate (main's boot stack) */
	task_fn fn;
	void *arg, *data;
	int64_t exit_value;
	struct task *joiner;
	struct task *rr_next; /* the default policy's queue */
	unsigned rr_ticks;    /* ticks used of the current time slice */
	struct timer timer;   /* wakes it from task_sleep() and timed waits */
	bool timed_out;
	struct wait_entry_ *waiting; /* the wait queue entry it sleeps on, if any */
	unsigned mutexes;	     /* mutexes it holds: it must not end holding one */
	const struct mutex *last_mutex;
	char name[TASK_NAME_MAX + 1];
	char owner[TASK_NAME_MAX + 24]; /* "the stack of task 'name'", for overflow reports */
};

/* This CPU's scheduling state. */
struct cpu_sched {
	struct task *current, *idle;
	unsigned irq_depth;	/* > 0: in interrupt context */
	unsigned preempt_count; /* preempt_disable() depth */
	unsigned spin_count;	/* spinlocks held */
	const char *last_spin;	/* the name of the last one taken, for reports */
	bool need_resched;	/* switch tasks at the next chance */
};
extern struct cpu_sched cpu_sched;

/* Set up a task's bookkeeping (not its stack). */
void task_setup(struct task *t, const char *name, task_fn fn, void *arg);
/* Build a new task's first stack frame below top: context_switch() "returns" into task_trampoline. */
void task_stack_init(struct task *t, uint64_t top);
/* Hand a freshly spawned task to the policy. */
void sched_start(struct task *t);
/* A spawned task t was joined and is about to be freed. */
void sched_forget(const struct task *t);
/* Whether t is the task "main" (kernel_main's). */
bool main_task_is(const struct task *t);

/* Make the boot code the task "main" and create the idle task. */
void sched_init(void);
/* Give up the CPU: the current task is enqueued again if still RUNNING. Interrupts must be off. */
void schedule(void);
/* Make a BLOCKED task runnable. Interrupts must be off. */
void sched_wake(struct task *t);
/* The tick, in interrupt context: jiffies and timers are done; ask the policy about preemption. */
void sched_tick(void);
/* At the end of an interrupt taken in the kernel: switch tasks if one is due and allowed. */
void sched_irq_exit(void);
/* Block the current task until sched_wake() or the deadline (in jiffies; UINT64_MAX for none).
 * Interrupts must be off. Returns true if the deadline passed. */
bool sched_block(uint64_t deadline);
/* Whether t is a live task (spawned and not joined, or main, or idle). */
bool task_live(const struct task *t);
/* The current task's name, or "none" before tasks exist (for panic reports). */
const char *sched_current_name(void);

/* A mutex's name, for reports (lock.c). */
const char *mutex_name_(const struct mutex *mutex);
/* Whether any timer is pending (timer.c). */
bool timer_any_pending(void);
/* Whether an enabled interrupt line other than the tick could wake a task (irq.c). */
bool irq_lines_can_wake(void);

/* Take a wait entry off its queue (the timeout path). Interrupts must be off. */
void wait_entry_unlink(struct wait_entry_ *w);

/* The checks every function that may sleep makes first, naming its caller. */
#define REQUIRE_MAY_SLEEP() \
	do { \
		REQUIRE(cpu_sched.irq_depth == 0, "may not sleep in interrupt context"); \
		REQUIRE(cpu_sched.spin_count == 0, "may not sleep while holding a spinlock (\"%s\")", \
			cpu_sched.last_spin); \
		REQUIRE(cpu_sched.preempt_count == 0, \
			"may not sleep with preemption disabled (a preempt_disable() without its preempt_enable())"); \
		REQUIRE(irq_enabled(), \
			"may not sleep with interrupts disabled (an irq_save() without its irq_restore())"); \
	} while (0)

/* d in ticks, rounded up, at least one. */
uint64_t ticks_for(struct duration d);
/* The first tick (in jiffies) at which at least d has passed from now; UINT64_MAX for FOREVER. */
uint64_t deadline_after(struct duration d);
/* Start a one-shot timer that fires at tick expires. Interrupts must be off. */
void timer_start_at(struct timer *timer, uint64_t expires);

#endif
