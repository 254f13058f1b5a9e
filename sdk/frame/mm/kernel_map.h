/* The kernel image's own mapping: 4 KiB pages, W^X by section, guard pages under its stacks. */
#ifndef FRAME_MM_KERNEL_MAP_H
#define FRAME_MM_KERNEL_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The kernel image's bounds and sections (kernel.ld). */
extern char __kernel_start[], __rodata_start[], __data_start[], __kernel_end[];

/* Replace the boot-time 2 MiB mapping of the kernel image by the final one. */
void kernel_map_init(void);
/* A kernel stack with an unmapped guard page below it. */
struct stack_guard {
	uint64_t page;	   /* the guard page's address */
	const char *owner; /* "the boot stack", ... */
	size_t size;	   /* the stack's size above it */
};

/* Register the page of the kernel image at guard, right below a stack of size bytes, as that
 * stack's guard, and unmap it (now, or in kernel_map_init() if called before). */
void kernel_map_guard(const void *guard, const char *owner, size_t size);
/* The guarded stacks of the image, one by one: the first for NULL, the one after prev, then NULL. */
const struct stack_guard *kernel_map_stack(const struct stack_guard *prev);
/* The stack whose guard page holds addr, or NULL. */
const struct stack_guard *kernel_map_guard_of(uint64_t addr);
/* Whether [lo, hi) lies inside one kernel stack: a guarded stack of the image (boot, IST, user
 * trap) or a task stack of the kernel area. For walking frame pointers safely. */
bool kernel_stack_contains(uint64_t lo, uint64_t hi);

#endif
