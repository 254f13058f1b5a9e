/**
 * @file task.h
 * @brief Kernel tasks: spawn, yield, sleep, exit, join, preemption, and scheduling policies.
 * @ingroup frame_task
 */
#ifndef FRAME_TASK_H
#define FRAME_TASK_H

#include <frame/compiler.h>
#include <frame/error.h>
#include <frame/timer.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * @defgroup frame_task Tasks
 * @brief Kernel tasks on guarded stacks, a preemptive round-robin scheduler, and the hooks to
 * replace its policy.
 *
 * kernel_main() itself runs as the task "main". Other tasks start with task_spawn() and end by
 * returning from their entry function (or calling task_exit()); every spawned task must be
 * joined with task_join(), which hands back its exit value and frees its stack. Returning from
 * kernel_main() while a spawned task is not joined (still running, waiting, or finished) panics,
 * naming the task: `kernel_main() returned while task 'worker' is still running: join every task
 * with task_join() before returning, or call power_off() to stop everything on purpose`.
 * power_off() ends the machine whatever runs.
 *
 * @code
 * static int64_t worker(void *arg) { ...; return 42; }
 *
 * struct task *t;
 * if (task_spawn(&t, "worker", worker, NULL, NULL) != ERR_OK)
 *         panic("no memory for a task");
 * int64_t value = task_join(t);           // waits until worker returns; value is 42
 * @endcode
 *
 * The timer tick preempts a task whose time slice (#TASK_TIME_SLICE_TICKS ticks) is over, unless
 * it disabled preemption (preempt_disable()) or holds a spinlock. Every task has its own stack with
 * an unmapped guard page below it: an overflow panics with "stack overflow: the stack of task
 * 'name' is full".
 *
 * Functions that may sleep (task_yield(), task_sleep(), task_join(), mutex_lock(),
 * wait_queue_wait(), ...) panic when called in interrupt context, while holding a spinlock, with
 * preemption disabled or with interrupts disabled. See the concurrency rules in the docs.
 * @{
 */

/** @brief A kernel task. Opaque: use the functions below. */
struct task;

/** @brief What a task runs: returns the task's exit value, which task_join() hands back. */
typedef int64_t (*task_fn)(void *arg);

/** @brief The stack size of a task spawned without options: 16 KiB. */
#define TASK_STACK_DEFAULT (16 * 1024)
/** @brief The largest stack a task may ask for: 252 KiB. */
#define TASK_STACK_MAX (252 * 1024)
/** @brief The longest task name kept (longer ones are cut). */
#define TASK_NAME_MAX 31
/** @brief The default policy's time slice: ticks a task runs before the next task's turn. */
#define TASK_TIME_SLICE_TICKS 10

/** @brief Options for task_spawn(); NULL means all defaults. */
struct task_options {
	size_t stack_size; /**< Bytes, rounded up to 4 KiB; 0 means #TASK_STACK_DEFAULT. At most #TASK_STACK_MAX. */
	void *data;	   /**< The task's initial per-task data (see task_data()). */
};

/**
 * @brief Create a task that runs `fn(arg)` and make it runnable.
 * @param out receives the task, to be joined with task_join().
 * @param name a name for reports and logs (copied; cut to #TASK_NAME_MAX characters).
 * @param fn the entry function; its return value is the exit value.
 * @param arg passed to @p fn.
 * @param options stack size and per-task data, or NULL for the defaults.
 * @retval ERR_OK the task exists and will run when the scheduler picks it.
 * @retval ERR_NOMEM no memory for its stack or its bookkeeping.
 * @par Panics
 * If @p out, @p name or @p fn is NULL, or the stack size exceeds #TASK_STACK_MAX.
 * @par Context
 * Tasks only, not interrupt context (panics).
 */
FRAME_MUST_CHECK enum err task_spawn(struct task **out, const char *name, task_fn fn, void *arg,
				     const struct task_options *options);

/**
 * @brief Wait until @p task has finished, then free it (its stack and bookkeeping) and return its
 * exit value. @p task must not be used again afterwards.
 * @param task a task from task_spawn(), not joined yet (it may have finished already).
 * @return The task's exit value: what its entry function returned, or what it gave task_exit().
 * @par Panics
 * If @p task is not a live task (never spawned, or already joined), is the calling task itself,
 * or is already being joined by another task; and where sleeping is forbidden.
 * @par Context
 * May sleep: tasks only (panics in interrupt context, while holding a spinlock, or with
 * preemption or interrupts disabled).
 */
int64_t task_join(struct task *task);

/**
 * @brief End the calling task with exit value @p value (as if its entry function returned it).
 * Never returns.
 * @param value the exit value, which task_join() hands back.
 * @par Panics
 * When called by "main" (return from kernel_main() instead), or where sleeping is forbidden.
 * @par Context
 * May sleep: tasks only (panics in interrupt context, while holding a spinlock, or with
 * preemption or interrupts disabled).
 */
FRAME_NORETURN void task_exit(int64_t value);

/**
 * @brief Let other runnable tasks run; returns when the scheduler picks this task again (at
 * once, if nothing else is runnable).
 * @par Panics
 * Where sleeping is forbidden.
 * @par Context
 * May sleep: tasks only (panics in interrupt context, while holding a spinlock, or with
 * preemption or interrupts disabled).
 */
void task_yield(void);

/**
 * @brief Sleep for at least @p how_long, by time_now_ns() and so by the reference clock: never
 * early. @p how_long is rounded up to whole ticks (at least one) and one more is added (the
 * current tick is partly over), so the task wakes up to two ticks late, later if others run.
 * @param how_long how long to sleep, e.g. `MSEC(10)`.
 * @par Panics
 * Where sleeping is forbidden.
 * @par Context
 * May sleep: tasks only (panics in interrupt context, while holding a spinlock, or with
 * preemption or interrupts disabled).
 */
void task_sleep(struct duration how_long);

/**
 * @brief The task that is running now ("main" for kernel_main()).
 * @return The calling task; never NULL.
 * @par Context
 * Any, including interrupt handlers and timer callbacks; there it is the interrupted task.
 */
struct task *task_current(void);

/**
 * @brief The task's name.
 * @param task a live task (spawned and not joined yet, or "main").
 * @return The name given to task_spawn(), cut to #TASK_NAME_MAX characters; valid until the task
 * is joined.
 * @par Panics
 * If @p task is not a live task.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
const char *task_name(const struct task *task);

/**
 * @brief The task's per-task data pointer (NULL unless set).
 * @param task a live task (spawned and not joined yet, or "main").
 * @return What task_set_data() or task_options::data set last, or NULL.
 * @par Panics
 * If @p task is not a live task.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
void *task_data(const struct task *task);

/**
 * @brief Set the task's per-task data pointer. The frame never looks at it.
 * @param task a live task (spawned and not joined yet, or "main").
 * @param data the new pointer (may be NULL); task_data() returns it from now on.
 * @par Panics
 * If @p task is not a live task.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
void task_set_data(struct task *task, void *data);

/**
 * @brief Disable preemption until the matching preempt_enable(). Nests: preemption comes back
 * when every preempt_disable() has had its preempt_enable(). Interrupts still arrive.
 * @par Panics
 * If nested 1000 deep (a missing preempt_enable()).
 * @par Context
 * Tasks only, not interrupt context (panics): a handler is never preempted.
 */
void preempt_disable(void);

/**
 * @brief Undo one preempt_disable(); at the outermost one, switch tasks if a switch was due.
 * @par Panics
 * If preemption is not disabled (more enables than disables).
 * @par Context
 * Tasks only, not interrupt context (panics): a handler is never preempted.
 */
void preempt_enable(void);

/**
 * @brief Whether preemption is disabled now (by preempt_disable() or a held spinlock).
 * @return true if the timer tick may not switch away from the calling task now.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
bool preempt_disabled(void);

/**
 * @brief A scheduling policy: which runnable task runs next. The frame does the switching, and
 * calls these with interrupts off (they must not sleep or block; they may be called from an
 * interrupt handler).
 *
 * The frame checks the policy: a task handed back by pick_next() must be one that was given to
 * enqueue() and not picked since. Handing back a finished, running, waiting or never-enqueued
 * task panics naming the policy, so a buggy policy can never run a task twice at once.
 */
struct sched_ops {
	const char *name; /**< For reports, e.g. "round-robin". */
	/** @brief @p task became runnable: remember it. */
	void (*enqueue)(struct task *task);
	/** @brief Remove and return the task to run next, or NULL when none is runnable (the CPU idles). */
	struct task *(*pick_next)(void);
	/**
	 * @brief Called on every timer tick with the running task (or NULL when the CPU is idle),
	 * in interrupt context.
	 * @return true to preempt @p current (it is enqueued again and pick_next() decides).
	 */
	bool (*tick)(struct task *current);
};

/**
 * @brief Replace the scheduling policy. Call it while "main" is the only task (before spawning,
 * or once every spawned task is joined).
 * @param ops the policy, which must stay valid while it is in use; NULL brings back the default
 * round-robin policy.
 * @par Panics
 * If any of its functions is NULL, or a spawned task is not joined yet.
 * @par Context
 * Tasks only, not interrupt context (panics).
 */
void sched_set_policy(const struct sched_ops *ops);

/** @} */
#endif
