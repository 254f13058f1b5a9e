/* The scheduler's private side: the task struct, blocking and waking. */
#ifndef FRAME_TASK_SCHED_H
#define FRAME_TASK_SCHED_H

#include <frame/task.h>
#include <frame/sync.h>
#include <frame/timer.h>
#include "core/cpu_local.h"

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
	struct task *rr_next;	   /* the default policy's queue */
	struct task *spawned_next; /* the list of tasks spawned and not joined yet, newest first */
	unsigned rr_ticks;	   /* ticks used of the current time slice */
	struct timer timer;	   /* wakes it from task_sleep() and timed waits */
	bool timed_out;
	struct wait_entry_ *waiting; /* the wait queue entry it sleeps on, if any */
	unsigned mutexes;	     /* mutexes it holds: it must not end holding one */
	const struct mutex *last_mutex;
	char name[TASK_NAME_MAX + 1];
	char owner[TASK_NAME_MAX + 24]; /* "the stack of task 'name'", for overflow reports */
};

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
/* kernel_main() returned: panic, naming one, if a spawned task is not joined yet. */
void sched_main_returned(void);
/* Whether t is a live task (spawned and not joined, or main, or idle). */
bool task_live(const struct task *t);
/* The current task's name, or "none" before tasks exist (for panic reports). */
const char *sched_current_name(void);

#endif
