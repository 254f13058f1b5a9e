/* Kernel tasks: spawn, join, exit, yield, sleep, per-task data and preemption control. */
#include "lib/hot.h"
#include "core/trace.h"
#include "mm/kasan.h"
#include "task/sched.h"
#include "sync/lock.h"
#include "timer/timer.h"
#include "arch/x86_64/x86.h"
#include "mm/kernel_area.h"
#include <frame/heap.h>
#include <frame/mm.h>
#include <frame/irq.h>
#include <frame/panic.h>
#include <frame/string.h>
#include "lib/format.h"
#include "lib/ksyms.h"

FRAME_NORETURN void task_start(void);
FRAME_NORETURN static void finish(int64_t value);

enum err task_spawn(struct task **out, const char *name, task_fn fn, void *arg, const struct task_options *options)
{
	REQUIRE(out != NULL && name != NULL && fn != NULL, "out, name and fn must not be NULL");
	CLIENT_OBJECT(out);
	size_t size = options && options->stack_size ? options->stack_size : TASK_STACK_DEFAULT;
	REQUIRE(size <= TASK_STACK_MAX, "stack_size %zu is above TASK_STACK_MAX (%u)", size, TASK_STACK_MAX);
	REQUIRE(cpu_local.irq_depth == 0, "tasks are spawned by tasks, not in interrupt context");
	size = (size + PAGE_SIZE - 1) / PAGE_SIZE * PAGE_SIZE;
	struct task *t = HEAP_NEW(struct task);
	if (!t)
		return ERR_NOMEM;
	task_setup(t, name, fn, arg);
	t->data = options ? options->data : NULL;
	t->stack_low = kernel_area_stack_alloc(size, t->owner);
	if (!t->stack_low) {
		t->magic = 0;
		heap_free(t);
		return ERR_NOMEM;
	}
	task_stack_init(t, t->stack_low + size);
	*out = t;
	sched_start(t);
	return ERR_OK;
}

/* A task must end as it began: no lock held, preemption and interrupts on. how says how it
 * ended, for the report. */
static void check_clean_end(const struct task *t, const char *how)
{
	const char *rule = cpu_local.spin_count	     ? "while holding spinlock"
			   : t->mutexes		     ? "while holding mutex"
			   : cpu_local.preempt_count ? "with preemption disabled"
			   : !irq_enabled()	     ? "with interrupts disabled"
						     : NULL;
	const char *what = cpu_local.spin_count ? cpu_local.last_spin : t->mutexes ? mutex_name(t->last_mutex) : NULL;
	if (rule)
		panic("task '%s' %s %s%s%s%s: a task must release what it holds before it ends", t->name, how, rule,
		      what ? " \"" : "", what ? what : "", what ? "\"" : "");
}

/* A new task's first C code (from task_trampoline): interrupts on, run, exit. */
void task_start(void)
{
	struct task *t = cpu_local.current;
	sti();
	int64_t value = t->fn(t->arg);
	char how[96];
	uint64_t off;
	const char *fn = ksym_lookup((uint64_t)t->fn, &off);
	format_buf(how, sizeof(how), "returned from %s()", fn ? fn : "its entry function");
	check_clean_end(t, how);
	finish(value);
}

static void finish(int64_t value)
{
	struct task *t = cpu_local.current;
	cli();
	trace_event(TRACE_EXIT, 0, (uint64_t)t, (uint64_t)value);
	t->exit_value = value;
	t->state = TASK_FINISHED;
	if (t->joiner)
		sched_wake(t->joiner);
	schedule();
	panic("task_exit: finished task '%s' was scheduled again", t->name);
}

void task_exit(int64_t value)
{
	/* first: in a handler the current task is the interrupted one, perhaps "main" */
	REQUIRE(cpu_local.irq_depth == 0, "may not sleep in interrupt context");
	REQUIRE(!main_task_is(cpu_local.current), "the task \"main\" cannot exit: return from kernel_main() instead");
	check_clean_end(cpu_local.current, "called task_exit()");
	finish(value);
	__builtin_unreachable();
}

int64_t task_join(struct task *task)
{
	REQUIRE_MAY_SLEEP();
	{
		IRQ_OFF_SCOPE(); /* first: another joiner must not slip in between check and claim */
		REQUIRE(task_live(task), "%p is not a live task (never spawned, or joined already)", (void *)task);
		REQUIRE(task != cpu_local.current, "a task cannot join itself (it would wait forever)");
		REQUIRE(!main_task_is(task) && task != cpu_local.idle, "task '%s' belongs to the frame", task->name);
		REQUIRE(task->joiner == NULL, "task '%s' is being joined by task '%s' already", task->name,
			task->joiner ? task->joiner->name : "");
		task->joiner = cpu_local.current;
		trace_event(TRACE_JOIN, 0, (uint64_t)cpu_local.current, (uint64_t)task);
		while (task->state != TASK_FINISHED)
			sched_block(UINT64_MAX);
	}
	int64_t value = task->exit_value;
	kernel_area_stack_free(task->stack_low);
	sched_forget(task);
	task->magic = 0;
	heap_free(task);
	return value;
}

HOT_PATH void task_yield(void)
{
	IRQ_OFF_SCOPE();
	REQUIRE_MAY_SLEEP_FLAGS(irq_scope_); /* one read of the flags for the check and the scope */
	schedule();
}

void task_sleep(struct duration how_long)
{
	REQUIRE_MAY_SLEEP();
	IRQ_OFF_SCOPE();
	uint64_t deadline = deadline_after(how_long);
	trace_event(TRACE_SLEEP, 0, (uint64_t)cpu_local.current, deadline);
	while (!sched_block(deadline))
		; /* woken early (never by the frame itself): sleep on */
}

struct task *task_current(void)
{
	return cpu_local.current;
}

const char *task_name(const struct task *task)
{
	REQUIRE(task_live(task), "%p is not a live task", (const void *)task);
	kasan_readable(task->name, strlen(task->name) + 1); /* the client may read it, not write it */
	return task->name;
}

void *task_data(const struct task *task)
{
	REQUIRE(task_live(task), "%p is not a live task", (const void *)task);
	return task->data;
}

void task_set_data(struct task *task, void *data)
{
	REQUIRE(task_live(task), "%p is not a live task", (void *)task);
	task->data = data;
}

void preempt_disable(void)
{
	REQUIRE(cpu_local.irq_depth == 0,
		"preemption belongs to a task: not in interrupt context (a handler is never preempted)");
	REQUIRE(cpu_local.preempt_count < 1000, "preempt_disable() nested 1000 deep: a missing preempt_enable()?");
	cpu_local.preempt_count++;
}

void preempt_enable(void)
{
	REQUIRE(cpu_local.irq_depth == 0,
		"preemption belongs to a task: not in interrupt context (a handler is never preempted)");
	REQUIRE(cpu_local.preempt_count > 0,
		"preemption is not disabled (a preempt_enable() without its preempt_disable())");
	uint64_t f = cli_save();
	cpu_local.preempt_count--;
	if (f & RFLAGS_IF)
		sched_irq_exit(); /* a switch that came due while preemption was off */
	cli_restore(f);
}

bool preempt_disabled(void)
{
	return cpu_local.preempt_count || cpu_local.spin_count;
}
