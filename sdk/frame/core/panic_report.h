/* The frame's side of panics: CPU exceptions taken in the kernel. */
#ifndef FRAME_CORE_PANIC_REPORT_H
#define FRAME_CORE_PANIC_REPORT_H

#include <frame/compiler.h>
#include <stdint.h>

struct trap_frame;

/* Lines the next panic report prints after its backtrace (the address sanitizer's "allocated at"),
 * each ending in a newline; text must stay valid until then. */
void panic_details(const char *text);

/* The stack frame (its rbp) of the caller's callers whose return address is ret: where a report
 * on the client code at ret starts its backtrace (the caller's frame if none is). */
uint64_t panic_frame_of(uint64_t ret);
/* A panic whose backtrace starts at the frame rbp points at (the frame's own report functions
 * leave themselves out, so the first entry is the client's code). */
FRAME_NORETURN void panic_from(uint64_t rbp, const char *file, int line, const char *func, const char *fmt, ...)
	FRAME_PRINTF(5, 6);

/* Report a CPU exception taken in the kernel and power off with failure. */
FRAME_NORETURN void panic_exception(const struct trap_frame *tf);

#endif
