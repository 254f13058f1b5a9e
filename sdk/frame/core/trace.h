/* The trace: a ring of fixed-size events the frame records as it runs (task switches, sleeping,
 * waiting and waking, interrupts, timer callbacks, user mode, panics, the kernel's own marks),
 * sent to the host at power-off as one HOSTLINK_TRACE record (harness/frameharness/trace.py
 * reads it). Recording is a few stores: each hook runs with interrupts off, so no lock. */
#ifndef FRAME_CORE_TRACE_H
#define FRAME_CORE_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include "lib/hot.h"

/* What an event says; arg, a and b for each. The numbers are the record's: trace.py knows them. */
enum trace_kind {
	TRACE_SWITCH = 1,      /* arg: the previous task's state after the switch (why), a: from, b: to */
	TRACE_WAKE = 2,	       /* a: the task woken, b: the task (or interrupted task) that woke it */
	TRACE_SLEEP = 3,       /* a: the task, b: the deadline in jiffies */
	TRACE_WAIT = 4,	       /* a: the task, b: the wait queue's name */
	TRACE_JOIN = 5,	       /* a: the task, b: the task it waits to end */
	TRACE_EXIT = 6,	       /* a: the task, b: its exit value */
	TRACE_IRQ_ENTER = 7,   /* arg: the vector */
	TRACE_IRQ_EXIT = 8,    /* arg: the vector */
	TRACE_TIMER_START = 9, /* a: the callback, b: the timer */
	TRACE_TIMER_END = 10,  /* a: the callback, b: the timer */
	TRACE_USER_ENTER = 11, /* a: the task, b: its struct user_mode */
	TRACE_USER_LEAVE = 12, /* arg: the enum user_return, a: the task */
	TRACE_MARK = 13,       /* a: the name (in .rodata), b: the value; trace_mark() */
	TRACE_PANIC = 14,      /* a: where the panic was raised (or the faulting instruction) */
};

/* Record one event (interrupts off). The task in a and b is a struct task pointer. */
HOT_PATH void trace_event(enum trace_kind kind, uint32_t arg, uint64_t a, uint64_t b);
/* A task's name, for the host to name its lane (when the task is set up). */
void trace_task_name(const void *task, const char *name);
/* Turn recording on or off (on from boot unless the command line says trace=off). */
void trace_enable(bool on);
/* Whether recording is on. */
bool trace_enabled(void);
/* At boot: trace=off on the command line; the record sent at power-off. */
void trace_init(void);

#endif
