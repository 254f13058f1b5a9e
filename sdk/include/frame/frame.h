/**
 * @file frame.h
 * @brief The whole frame API in one include, and the kernel's entry point.
 *
 * A kernel built on the frame includes this header and defines kernel_main(). The frame boots
 * the machine (long mode, page tables, CPU exception handlers, console, boot information) and
 * then calls kernel_main(); when it returns (every spawned task joined) the machine powers off
 * with success.
 */
#ifndef FRAME_FRAME_H
#define FRAME_FRAME_H

#include <frame/atomic.h>
#include <frame/boot.h>
#include <frame/compiler.h>
#include <frame/console.h>
#include <frame/dma.h>
#include <frame/error.h>
#include <frame/heap.h>
#include <frame/io.h>
#include <frame/irq.h>
#include <frame/ktest.h>
#include <frame/log.h>
#include <frame/mm.h>
#include <frame/panic.h>
#include <frame/pci.h>
#include <frame/power.h>
#include <frame/string.h>
#include <frame/sync.h>
#include <frame/task.h>
#include <frame/timer.h>
#include <frame/trace.h>
#include <frame/user.h>
#include <frame/vm.h>

/**
 * @brief Your kernel's entry point: define it once in your kernel.
 *
 * Called by the frame once the machine is set up, as the task "main" on a 32 KiB stack, with
 * interrupts on and the tick running. Returning from it powers the machine off with
 * #POWER_EXIT_SUCCESS once every task it spawned has been joined (task_join()). A task still
 * running, waiting, or finished and never joined makes the return panic, naming the task: join
 * it, or call power_off() to stop everything on purpose.
 */
void kernel_main(void);

#endif
