/* The frame's side of panics: CPU exceptions, broken preconditions, and the symbol table. */
#ifndef FRAME_PANIC_REPORT_H
#define FRAME_PANIC_REPORT_H

#include <frame/compiler.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct trap_frame;

/* Report a CPU exception taken in the kernel and power off with failure. */
FRAME_NORETURN void panic_exception(const struct trap_frame *tf);

/* The function containing addr, or NULL; *offset gets addr minus the function's start. */
const char *ksym_lookup(uint64_t addr, uint64_t *offset);

/* "name+0xoff" for addr (or "?"), into buf; returns buf. A return address (is_return) is looked
 * up one byte earlier: the call may be the last instruction of its function (a noreturn call). */
const char *symbolize(uint64_t addr, bool is_return, char *buf, size_t size);

#endif
