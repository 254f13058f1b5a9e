/* The kernel area: 4 KiB mappings in the kernel half for task stacks (with guard pages) and device registers. */
#ifndef FRAME_MM_KERNEL_AREA_H
#define FRAME_MM_KERNEL_AREA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A stack of size bytes (a multiple of 4 KiB, at most KERNEL_AREA_STACK_MAX) in fresh zeroed
 * frames, with an unmapped guard page right below it. owner names it in overflow reports
 * ("the stack of task 'worker'") and must outlive the stack. Returns its lowest address, or 0
 * when memory is out. */
uint64_t kernel_area_stack_alloc(size_t size, const char *owner);
/* Unmap a stack from kernel_area_stack_alloc() and free its frames. */
void kernel_area_stack_free(uint64_t low);
/* Whether [lo, hi) lies inside one live stack (for backtraces). */
bool kernel_area_stack_contains(uint64_t lo, uint64_t hi);

/* Map size bytes of device memory at physical address phys, writable, never executable, with
 * a cache attribute (PTE_CACHE_UC or PTE_CACHE_WC). owner names the frame's own device ("the
 * local APIC"), and such a mapping stays for good; NULL marks a driver's window, which
 * kernel_area_unmap_device() removes. Returns the address of phys itself (phys need not be
 * page aligned), or NULL when the area is full or memory is out. The caller checks that the
 * range is device memory. */
volatile void *kernel_area_map_device(uint64_t phys, uint64_t size, uint64_t cache, const char *owner);
/* The frame's own device registers, uncached, for good: kernel_area_map_device(..., owner). */
volatile void *kernel_area_map_mmio(uint64_t phys, size_t size, const char *owner);
/* Unmap a driver's window (owner NULL) from kernel_area_map_device(), at the address it gave. */
void kernel_area_unmap_device(volatile void *addr);
/* Whether a live mapping other than except's (NULL: none excepted) covers part of [phys, phys +
 * size); *owner gets its owner: the frame's device if one of them is, NULL for drivers' windows. */
bool kernel_area_device_mapped(uint64_t phys, uint64_t size, const char *except, const char **owner);

/* Set up the area's page directories (after the frame allocator). */
void kernel_area_init(void);

struct stack_guard;
/* The stack whose guard (the unmapped space below it in its slot) holds addr, or NULL. The
 * result is only valid until the next call. */
const struct stack_guard *kernel_area_guard_of(uint64_t addr);

#define KERNEL_AREA_STACK_MAX (252 * 1024)
/* The GiB of stack slots, one KERNEL_AREA_STACK_SLOT each (the address sanitizer keeps their shadow). */
#define KERNEL_AREA_STACKS 0xffffffff00000000ull
#define KERNEL_AREA_STACKS_SIZE (1ull << 30)
#define KERNEL_AREA_STACK_SLOT (256 * 1024ull)

#endif
