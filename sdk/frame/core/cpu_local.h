/* This CPU's state: what every part of the frame may ask about the CPU it runs on (which task
 * is current, whether it is in interrupt context, what it holds), apart from who changes it. */
#ifndef FRAME_CORE_CPU_LOCAL_H
#define FRAME_CORE_CPU_LOCAL_H

#include "check.h"
#include "arch/x86_64/x86.h"
#include <frame/irq.h>
#include <stdbool.h>

struct task;

struct cpu_local {
	struct task *current;	/* the task on the CPU; changed only by the scheduler */
	struct task *idle;	/* runs when no task can */
	unsigned irq_depth;	/* > 0: in interrupt context (irq_dispatch) */
	unsigned preempt_count; /* preempt_disable() depth */
	unsigned spin_count;	/* spinlocks held (sync/lock.c) */
	const char *last_spin;	/* the name of the last one taken, for reports */
	bool need_resched;	/* switch tasks at the next chance (the scheduler, the tick) */
	bool fast_syscall;	/* in a fast system-call handler (user/user.c) */
};
extern struct cpu_local cpu_local;

/* The checks every function that may sleep makes first, naming its caller. */
#define REQUIRE_MAY_SLEEP() REQUIRE_MAY_SLEEP_FLAGS(read_rflags())
/* The same, given the flags register as read (by cli_save(), say): one read serves both. */
#define REQUIRE_MAY_SLEEP_FLAGS(flags) \
	do { \
		REQUIRE(!cpu_local.fast_syscall, \
			"may not sleep in a fast system-call handler (it runs with interrupts " \
			"off: return USER_FAST_SLOW to handle the call in the task)"); \
		REQUIRE(cpu_local.irq_depth == 0, "may not sleep in interrupt context"); \
		REQUIRE(cpu_local.spin_count == 0, "may not sleep while holding a spinlock (\"%s\")", \
			cpu_local.last_spin); \
		REQUIRE(cpu_local.preempt_count == 0, \
			"may not sleep with preemption disabled (a preempt_disable() without its preempt_enable())"); \
		REQUIRE((flags)&RFLAGS_IF, \
			"may not sleep with interrupts disabled (an irq_save() without its irq_restore())"); \
	} while (0)

#endif
