/* The frame's side of panics: CPU exceptions taken in the kernel. */
#ifndef FRAME_CORE_PANIC_REPORT_H
#define FRAME_CORE_PANIC_REPORT_H

#include <frame/compiler.h>
#include <stdint.h>

struct trap_frame;

/* Report a CPU exception taken in the kernel and power off with failure. */
FRAME_NORETURN void panic_exception(const struct trap_frame *tf);

#endif
