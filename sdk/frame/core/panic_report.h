/* The frame's side of panics: CPU exceptions taken in the kernel. */
#ifndef FRAME_CORE_PANIC_REPORT_H
#define FRAME_CORE_PANIC_REPORT_H

#include <frame/compiler.h>
#include <stdint.h>

struct trap_frame;

/* Lines the next panic report prints after its backtrace (the address sanitizer's "allocated at"),
 * each ending in a newline; text must stay valid until then. */
void panic_details(const char *text);

/* Report a CPU exception taken in the kernel and power off with failure. */
FRAME_NORETURN void panic_exception(const struct trap_frame *tf);

#endif
