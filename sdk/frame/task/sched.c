/*
 * The scheduler: which task runs, switching to it, and blocking and waking. The policy (which
 * runnable task is next) is replaceable through struct sched_ops; the mechanism (states, the
 * switch, the checks that keep a policy from running a task twice) stays here. Everything runs
 * with interrupts off: on one CPU that is the scheduler's lock.
 */
#include "lib/hot.h"
#include "core/trace.h"
#include "mm/kasan.h"
#include "task/sched.h"
#include "irq/irq.h"
#include "sync/wait.h"
#include "timer/timer.h"
#include "arch/x86_64/entry.h"
#include "arch/x86_64/x86.h"
#include "mm/kernel_area.h"
#include "lib/format.h"
#include "mm/heap.h"
#include <frame/irq.h>
#include <frame/panic.h>
#include <frame/string.h>

#define TASK_MAGIC 0x5441534bu /* "TASK" */
#define IDLE_STACK (8 * 1024)

static struct task main_task, idle_task;
HOT_DATA static const struct sched_ops *policy;
static struct task *last_blocked; /* for the deadlock report */
static unsigned spawned_live;	  /* tasks spawned and not joined yet: while any, the policy stays */
static struct task *spawned;	  /* those tasks, newest first (through spawned_next) */

/* --- the default policy: round robin --------------------------------------------------------- */

HOT_DATA static struct task *rr_head, *rr_tail;

HOT_PATH static void rr_enqueue(struct task *t)
{
	t->rr_next = NULL;
	if (rr_tail)
		rr_tail->rr_next = t;
	else
		rr_head = t;
	rr_tail = t;
}

HOT_PATH static struct task *rr_pick_next(void)
{
	struct task *t = rr_head;
	if (t) {
		rr_head = t->rr_next;
		if (!rr_head)
			rr_tail = NULL;
		t->rr_ticks = 0;
	}
	return t;
}

static bool rr_tick(struct task *current)
{
	return current && ++current->rr_ticks >= TASK_TIME_SLICE_TICKS;
}

static const struct sched_ops round_robin = {"round-robin", rr_enqueue, rr_pick_next, rr_tick};

/* --- the mechanism ----------------------------------------------------------------------------- */

/* A live task: the frame's own memory (a pointer a client forged or overwrote, in a lock or a
 * wait queue, cannot pass for one) with the task's magic. */
bool task_live(const struct task *t)
{
	return t && kasan_frame_owns(t, sizeof(*t)) && t->magic == TASK_MAGIC;
}

static const char *state_name(enum task_state s)
{
	switch (s) {
	case TASK_READY:
		return "ready";
	case TASK_RUNNING:
		return "running already";
	case TASK_BLOCKED:
		return "waiting (sleeping or blocked), not runnable";
	case TASK_FINISHED:
		return "finished";
	}
	return "in an unknown state";
}

HOT_PATH static void enqueue(struct task *t)
{
	t->state = TASK_READY;
	if (policy == &round_robin)
		rr_enqueue(t); /* the frame's own policy: a direct call */
	else
		policy->enqueue(t);
}

/* The policy's choice, checked: only a task given to enqueue() and not picked since may run.
 * The frame's own round robin gives back only what it was given: nothing to check. */
HOT_PATH static struct task *pick_next(void)
{
	if (policy == &round_robin)
		return rr_pick_next();
	struct task *t = policy->pick_next();
	if (!t)
		return NULL;
	if (!task_live(t) || t == &idle_task)
		panic("scheduler policy \"%s\": pick_next() returned %p, which is not a task it was given",
		      policy->name, (void *)t);
	if (t->state != TASK_READY)
		panic("scheduler policy \"%s\": pick_next() returned task '%s', which is %s (only a task given to "
		      "enqueue() and not picked since may run)",
		      policy->name, t->name, state_name(t->state));
	return t;
}

HOT_PATH void schedule(void)
{
	struct task *prev = cpu_local.current, *next;
	if (prev->state == TASK_RUNNING && prev != &idle_task)
		enqueue(prev);
	next = pick_next();
	if (!next)
		next = &idle_task;
	cpu_local.need_resched = false;
	next->state = TASK_RUNNING;
	if (next == prev)
		return;
	trace_event(TRACE_SWITCH, prev->state, (uint64_t)prev, (uint64_t)next);
	cpu_local.current = next;
	context_switch(&prev->rsp, next->rsp);
}

void sched_wake(struct task *t)
{
	if (t->state != TASK_BLOCKED)
		return;
	trace_event(TRACE_WAKE, 0, (uint64_t)t, (uint64_t)cpu_local.current);
	enqueue(t);
	if (cpu_local.current == &idle_task)
		cpu_local.need_resched = true;
}

static void wake_on_timer(struct timer *timer, void *ctx)
{
	(void)timer;
	struct task *t = ctx;
	t->timed_out = true;
	if (t->waiting)
		wait_entry_unlink(t->waiting);
	sched_wake(t);
}

bool sched_block(uint64_t deadline)
{
	struct task *t = cpu_local.current;
	uint64_t now = jiffies();
	t->timed_out = false;
	if (deadline != UINT64_MAX) {
		if (deadline <= now)
			return t->timed_out = true;
		timer_start_at(&t->timer, deadline);
	}
	t->state = TASK_BLOCKED;
	last_blocked = t;
	schedule();
	if (deadline != UINT64_MAX)
		timer_cancel(&t->timer);
	return t->timed_out;
}

void sched_tick(void)
{
	struct task *cur = cpu_local.current;
	if (policy->tick(cur == &idle_task ? NULL : cur))
		cpu_local.need_resched = true;
}

HOT_PATH void sched_irq_exit(void)
{
	if (cpu_local.need_resched && !cpu_local.preempt_count && !cpu_local.spin_count && !cpu_local.irq_depth)
		schedule();
}

/* The idle task: runs when nothing else can, sleeping until the next interrupt. With no timer
 * pending and no interrupt line that could wake a task, nothing ever will: that is a deadlock. */
static int64_t idle(void *arg)
{
	(void)arg;
	for (;;) {
		cli();
		schedule();
		if (!timer_any_pending() && !irq_lines_can_wake())
			panic("deadlock: every task waits (task '%s' among them) and nothing can wake one: no timer is "
			      "pending and no interrupt line is enabled",
			      last_blocked ? last_blocked->name : "?");
		sti_hlt();
	}
	return 0;
}

void task_setup(struct task *t, const char *name, task_fn fn, void *arg)
{
	size_t n = strlen(name) < TASK_NAME_MAX ? strlen(name) : TASK_NAME_MAX;
	t->magic = TASK_MAGIC;
	memcpy(t->name, name, n);
	t->name[n] = '\0';
	memcpy(t->owner, "the stack of task '", 19);
	memcpy(t->owner + 19, t->name, n);
	memcpy(t->owner + 19 + n, "'", 2);
	t->fn = fn;
	t->arg = arg;
	timer_init(&t->timer, wake_on_timer, t);
	trace_task_name(t, t->name);
}

void task_stack_init(struct task *t, uint64_t top)
{
	uint64_t *sp = (uint64_t *)top;
	*--sp = 0; /* task_trampoline runs with a 16-byte aligned stack */
	*--sp = 0;
	*--sp = (uint64_t)task_trampoline;
	for (int i = 0; i < 6; i++) /* rbp rbx r12 r13 r14 r15 */
		*--sp = 0;
	t->rsp = (uint64_t)sp;
}

void sched_init(void)
{
	policy = &round_robin;
	task_setup(&main_task, "main", NULL, NULL);
	main_task.state = TASK_RUNNING;
	cpu_local.current = &main_task;
	task_setup(&idle_task, "idle", idle, NULL);
	idle_task.stack_low = kernel_area_stack_alloc(IDLE_STACK, idle_task.owner);
	if (!idle_task.stack_low)
		panic("sched_init: no memory for the idle task's stack");
	task_stack_init(&idle_task, idle_task.stack_low + IDLE_STACK);
	idle_task.state = TASK_READY; /* never enqueued: schedule() falls back to it */
	cpu_local.idle = &idle_task;
}

void sched_set_policy(const struct sched_ops *ops)
{
	REQUIRE(!ops || (ops->name && ops->enqueue && ops->pick_next && ops->tick),
		"each of the policy's functions (and its name) must be set");
	REQUIRE(cpu_local.irq_depth == 0, "the policy is set by a task, not in interrupt context");
	REQUIRE(spawned_live == 0, "%u spawned task(s) are not joined yet: set the policy while only \"main\" exists",
		spawned_live);
	IRQ_OFF_SCOPE();
	policy = ops ? ops : &round_robin;
}

void sched_start(struct task *t)
{
	IRQ_OFF_SCOPE();
	spawned_live++;
	t->spawned_next = spawned;
	spawned = t;
	enqueue(t);
}

const char *sched_current_name(void)
{
	return cpu_local.current ? cpu_local.current->name : "none";
}

void sched_forget(const struct task *t)
{
	IRQ_OFF_SCOPE();
	struct task **p = &spawned;
	while (*p != t)
		p = &(*p)->spawned_next;
	*p = t->spawned_next;
	spawned_live--;
	if (last_blocked == t)
		last_blocked = NULL;
}

/* Returning from kernel_main() ends the machine, so every task must have ended and been joined
 * first: a task still running would be cut off mid-work, silently. power_off() is the way to stop
 * everything on purpose. */
void sched_main_returned(void)
{
	IRQ_OFF_SCOPE();
	if (!spawned)
		return;
	struct task *oldest = spawned;
	while (oldest->spawned_next)
		oldest = oldest->spawned_next;
	const char *state = oldest->state == TASK_FINISHED  ? "has finished but was never joined"
			    : oldest->state == TASK_BLOCKED ? "is still waiting (sleeping or blocked)"
							    : "is still running";
	char more[48] = "";
	if (spawned_live > 1)
		format_buf(more, sizeof(more), " (and %u more task(s) not joined)", spawned_live - 1);
	panic("kernel_main() returned while task '%s' %s%s: join every task with task_join() before returning, or "
	      "call power_off() to stop everything on purpose",
	      oldest->name, state, more);
}

bool main_task_is(const struct task *t)
{
	return t == &main_task;
}
