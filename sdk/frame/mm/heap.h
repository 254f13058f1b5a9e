/* The heap's private side: its area of the kernel's address space, for the sanitizer, the
 * page-fault report and the tests. */
#ifndef FRAME_MM_HEAP_H
#define FRAME_MM_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The heap's area: slots 256..507 of the top PDPT (shared by every address space), 4 KiB pages.
 * Only the first part of it is used: the ring, 4 times the usable RAM rounded up to a GiB. */
#define HEAP_AREA_BASE 0xffffffc000000000ull
#define HEAP_AREA_SIZE (252ull << 30)
/* A freed small block is handed out again only after this many more small blocks were freed. */
#define HEAP_QUARANTINE 256

/* Set up the heap's area: its page directories and maps (after the frame allocator). */
void heap_init(void);

/* The ring's map of mapped pages (a bit per page) and its length in pages, for the inline
 * heap_page_mapped() (the address sanitizer asks on every client access to the heap). */
extern const uint64_t *heap_mapped_map;
extern uint64_t heap_ring_pages;

/* Whether the heap has the page of va mapped now (false outside its ring): a bitmap read, no
 * page walk, any context. */
static inline bool heap_page_mapped(uint64_t va)
{
	uint64_t i = (va - HEAP_AREA_BASE) / 4096;
	return va >= HEAP_AREA_BASE && i < heap_ring_pages && (heap_mapped_map[i / 64] >> (i % 64) & 1);
}
/* The block whose slot (payload, alignment padding and red zone; a big block's whole run) holds
 * addr: where the block starts, its size, and whether it is live (false: freed, in the
 * quarantine or junk; or freed last on pages given back, among the last 16 given back). false
 * when no block is known there. Any context (for reports). */
bool heap_block_of(uint64_t addr, uint64_t *start, size_t *size, bool *live);

/* Whether size bytes at p can be read without faulting on a page the heap gave back (their first
 * and last pages are mapped); always true outside the heap's area. The frame's handle checks ask
 * before they read a handle's magic: a stale handle may point into a block whose page is gone.
 * Any context. */
static inline bool heap_readable(const void *p, size_t size)
{
	uint64_t first = (uint64_t)p, last = first + (size ? size - 1 : 0);
	bool in_area = first - HEAP_AREA_BASE < HEAP_AREA_SIZE || last - HEAP_AREA_BASE < HEAP_AREA_SIZE;
	return !in_area || (heap_page_mapped(first) && heap_page_mapped(last));
}

/* For tests: restrict the ring to a window of pages pages (a multiple of 512), none of them
 * mapped or cooling, at the first 2 MiB boundary past the cursor where one fits, and put the
 * cursor at its start, so that a lap is short: the cursor goes round the window, and its laps
 * are the ring's laps (pages given back cool until the lap after next). 0 gives the whole ring
 * back. Returns the window's first address (0 if none fits before the ring's end). */
uint64_t heap_ring_window(uint64_t pages);

#endif
