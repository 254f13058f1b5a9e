/**
 * @file power.h
 * @brief Turning the machine off with an exit code.
 * @ingroup frame_power
 */
#ifndef FRAME_POWER_H
#define FRAME_POWER_H

#include <frame/compiler.h>

/**
 * @defgroup frame_power Power
 * @brief Ending the kernel and telling the outside world whether it succeeded.
 * @{
 */

/** @brief How the kernel ended. */
enum power_exit {
	POWER_EXIT_SUCCESS, /**< QEMU exits with status 33 (the kernel wrote 0x10 to isa-debug-exit). */
	POWER_EXIT_FAILURE, /**< QEMU exits with status 35 (0x11); panics end this way too. */
};

/**
 * @brief Turn the machine off.
 *
 * Under QEMU with `-device isa-debug-exit,iobase=0xf4,iosize=0x04` (what `make run` and the
 * test harness use) QEMU exits at once with status 33 for #POWER_EXIT_SUCCESS or 35 for
 * #POWER_EXIT_FAILURE. Without that device the frame tries QEMU's and Bochs' ACPI shutdown
 * ports (the exit code is then lost) and otherwise halts the CPU for good.
 * It ends the machine whatever still runs: tasks, timers, interrupts. Returning from
 * `kernel_main()` is the same as `power_off(POWER_EXIT_SUCCESS)`, but only once every spawned task
 * is joined (otherwise it panics, naming the task).
 * @param how success or failure.
 * @par Panics
 * If @p how is not a ::power_exit.
 * @par Context
 * Any, including interrupt handlers and timer callbacks. Never returns.
 */
FRAME_NORETURN void power_off(enum power_exit how);

/** @} */
#endif
