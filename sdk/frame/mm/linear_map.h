/* The linear map: all physical memory at LINEAR_BASE + physical address, for the frame's own use;
 * the frame's own memory in it read-only, and writable in a map of its own. */
#ifndef FRAME_MM_LINEAR_MAP_H
#define FRAME_MM_LINEAR_MAP_H

#include "arch/x86_64/layout.h"
#include "mm/kernel_map.h"
#include "mm/page_table.h"
#include <frame/panic.h>
#include <stdint.h>

/* The private map: 2 MiB slots, one per chunk, in a GiB of the linear map's PDPT. */
#define LINEAR_PRIVATE_SLOT 511
#define LINEAR_PRIVATE_BASE (LINEAR_BASE + LINEAR_PRIVATE_SLOT * (1ull << 30))
/* By 2 MiB page of RAM: its slot in the private map + 1, 0 if it is not private. */
extern uint16_t linear_map_slot_[LINEAR_MAX_GIB * 512];
/* Panics: phys is no private memory (for linear_map_private()). */
FRAME_NORETURN void linear_map_not_private_(uint64_t phys);

/* Make sure [phys, phys + len) is mapped; returns its linear address, or NULL if it is beyond
 * what the linear map can cover (LINEAR_MAX_GIB). */
void *linear_map_ensure(uint64_t phys, uint64_t len);
/* Map every usable RAM region and the boot modules, then drop the early identity map. */
void linear_map_init(void);
/* Once the kernel image runs from its own mapping (kernel_map_init()): make the linear map's
 * first GiB not executable and the kernel image's pages in it read-only. */
void linear_map_seal(void);
/* Make the 2 MiB page of RAM at chunk (2 MiB aligned, in the linear map, not the kernel image's)
 * the frame's private memory: read-only in the linear map, writable in the private map. Returns
 * its writable address, or NULL when the private map is full. */
void *linear_map_make_private(uint64_t chunk);
/* Where the frame writes its private memory at phys: the kernel image at KERNEL_BASE, a private
 * chunk in the private map. Panics for any other page: it is no page table nor metadata. Inline:
 * every level of a page-table walk asks it. */
static inline void *linear_map_private(uint64_t phys)
{
	if (phys >= KERNEL_PHYS && phys < (uint64_t)__kernel_end - KERNEL_BASE)
		return (void *)(KERNEL_BASE + phys);
	uint64_t slot = phys < LINEAR_MAX_GIB * (1ull << 30) ? linear_map_slot_[phys / PAGE_2M] : 0;
	if (!slot)
		linear_map_not_private_(phys);
	return (void *)(LINEAR_PRIVATE_BASE + (slot - 1) * PAGE_2M + phys % PAGE_2M);
}
/* What the linear map keeps read-only at va ("the kernel image", ...), or NULL if va is not
 * such a page: for panic reports. */
const char *linear_map_read_only(uint64_t va);

#endif
