/* The kernel's function names, looked up by address. */
#ifndef FRAME_LIB_KSYMS_H
#define FRAME_LIB_KSYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The function containing addr, or NULL; *offset gets addr minus the function's start. */
const char *ksym_lookup(uint64_t addr, uint64_t *offset);

/* "name+0xoff" for addr (or "?"), into buf; returns buf. A return address (is_return) is looked
 * up one byte earlier: the call may be the last instruction of its function (a noreturn call). */
const char *symbolize(uint64_t addr, bool is_return, char *buf, size_t size);

/* The source line of addr in the kernel's code, the frame's and the client's ("main.c" relative to
 * the kernel's directory, "sdk/frame/task/task.c"), or false. A return address (is_return) is
 * looked up one byte earlier. */
bool ksym_line(uint64_t addr, bool is_return, const char **file, int *line);

#endif
