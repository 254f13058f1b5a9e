/**
 * @file trace.h
 * @brief Marks of the kernel's own in the frame's trace (make trace).
 * @ingroup frame_trace
 */
#ifndef FRAME_TRACE_H
#define FRAME_TRACE_H

#include <stdint.h>

/**
 * @defgroup frame_trace Trace
 * @brief The kernel's own events on the timeline of `make trace`.
 *
 * The frame records what it does (task switches, sleeping, waiting and waking, interrupts, timer
 * callbacks, user mode, panics) into a ring buffer, always; `make trace` boots the kernel, receives
 * the ring at power-off and draws it as a timeline (docs/seeing.md). trace_mark() adds a point
 * of the kernel's own to it, on the lane of the task (or the interrupt) that made it.
 * @{
 */

/**
 * @brief Put a named point with a value on the trace's timeline.
 *
 * The point shows on the lane of the current task, or on the interrupts lane when called from an
 * interrupt handler or a timer callback, with @p name and @p value in its details. It costs a few
 * stores; with tracing off (`trace=off` on the command line) nothing is recorded.
 * @param name what happened: a string the kernel keeps for good, in its read-only data (a string
 *             literal, such as `"frame done"`); the host reads up to 47 bytes of it at power-off.
 * @param value any number that goes with it (a count, a size, an index).
 * @par Panics
 * If @p name is NULL or not in the kernel image's read-only data (a buffer on the stack or the
 * heap would be gone or changed by the time the trace is sent).
 * @par Context
 * Any: tasks, interrupt handlers, timer callbacks, fast system-call handlers.
 */
void trace_mark(const char *name, uint64_t value);

/** @} */
#endif
