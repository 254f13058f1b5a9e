/* The page-frame allocator's private side: boot-time setup, and typed pages for the frame's own use. */
#ifndef FRAME_MM_FRAME_ALLOC_H
#define FRAME_MM_FRAME_ALLOC_H

#include <frame/mm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Per-page metadata: 16 bytes for every 4 KiB of RAM (Linux's struct page is 64). */
struct page_meta {
	uint32_t refs; /* references to an allocated page (the head's, for a segment) */
	uint16_t gen;  /* bumped at every free, never 0: a stale or zeroed handle does not match */
	uint8_t state; /* enum page_state */
	uint8_t reserved_;
	union {
		struct {
			uint32_t prev, next; /* free list, by frame number */
		} free;
		struct {
			uint32_t maps;	/* how many address spaces map it */
			uint32_t pages; /* a segment head: its length */
		} used;
	};
};

enum page_state {
	PAGE_ABSENT = 0, /* not RAM, or RAM the frame never hands out (kernel image, modules) */
	PAGE_FREE,
	PAGE_UNTYPED,	   /* a client's frame */
	PAGE_SEGMENT,	   /* the first frame of a client's segment */
	PAGE_SEGMENT_TAIL, /* the other frames of a segment */
	PAGE_TYPED,	   /* the frame's own (stacks, heap): never handed out */
	PAGE_PRIVATE,	   /* the frame's private memory (metadata, page tables): read-only in the linear map */
};

/* Find every usable frame and build the free list; reserves the metadata array itself. */
void frame_allocator_init(void);
/* A page for the frame's own use (zeroed), as a physical address; 0 when memory is out. */
uint64_t typed_frame_alloc(void);
void typed_frame_free(uint64_t phys);
/* A run of contiguous pages for the frame's own use (zeroed), as a physical address; 0 when no
 * such run is free. Freed with typed_run_free() and the same length. */
uint64_t typed_run_alloc(size_t pages);
void typed_run_free(uint64_t phys, size_t pages);
/* A 2 MiB chunk of private memory (mm/linear_map.c: read-only in the linear map, writable at
 * linear_map_private()), for good, as a physical address; 0 when no 2 MiB-aligned run of free
 * frames is left or the private map is full. Not zeroed. */
uint64_t private_chunk_alloc(void);
/* Where the page metadata lies in physical memory, and its size in bytes (for tests). */
uint64_t frame_meta_phys(size_t *bytes);
/* Counting the mappings of a client frame, so a mapped frame is never freed. */
void frame_map_count(struct frame f, int delta);
/* Where a live client frame is in physical memory (for mm's own mapping code); 0 if f is not
 * live. */
uint64_t frame_phys(struct frame f);
/* Where a live client segment starts in physical memory, or 0 if s is not live. */
uint64_t segment_phys(struct segment s);
/* A DMA mapping takes (take) or drops a reference to a live segment. While a mapping holds
 * one, the client may not drop its own last reference (segment_put() panics). */
void segment_dma_hold(struct segment s, bool take);
/* The handle of the live client frame at phys (which a page table maps); panics otherwise. */
struct frame frame_at_phys(uint64_t phys);

struct boot_info;
/* Boot time: whether frame pfn is one the allocator must not manage, given spans[n] ([first, last)
 * in frames: the first MiB, the kernel image, the metadata, the modules) and every frame a
 * region of bi's memory map that is not usable touches (rounded outward). Returns the furthest
 * end of the spans pfn is in, or 0 with *next the first reserved frame after pfn (UINT64_MAX if
 * none). Exposed for the frame's tests. */
uint64_t frame_reserved_at(const struct boot_info *bi, uint64_t pfn, const uint64_t (*spans)[2], size_t n,
			   uint64_t *next);

#endif
