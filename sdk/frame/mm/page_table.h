/* The page-table layer: the entry bits, one walk, and map, unmap and protect of one page, for
 * every tree of page tables the frame keeps (user spaces, the kernel area, the linear map, the
 * kernel image). */
#ifndef FRAME_MM_PAGE_TABLE_H
#define FRAME_MM_PAGE_TABLE_H

#include <frame/error.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Entry bits (Intel SDM vol. 3, 4.5). A table's entry gets P and W (and U in the lower half):
 * the rights are decided at the page. */
#define PTE_P (1ull << 0)	       /* present */
#define PTE_W (1ull << 1)	       /* writable */
#define PTE_U (1ull << 2)	       /* user mode may access it */
#define PTE_PWT (1ull << 3)	       /* write-through (bit 0 of the page's index in the PAT) */
#define PTE_PCD (1ull << 4)	       /* cache disabled (bit 1 of that index) */
#define PTE_PS (1ull << 7)	       /* in a directory entry: a 2 MiB page, not a table */
#define PTE_PAT (1ull << 7)	       /* in a 4 KiB page's entry: bit 2 of that index */
#define PTE_AVL_SHIFT 9		       /* bits 9..11 are the software's own */
#define PTE_NX (1ull << 63)	       /* not executable (dropped where the CPU has no NX: the bit is reserved) */
#define PTE_ADDR 0x000ffffffffff000ull /* the physical address of the page or table below */

/* A page's cache attribute, for the PAT as the CPU sets it at reset (WB, WT, UC-, UC, twice);
 * write-combining needs one of the entries PTE_PAT selects reprogrammed first. */
#define PTE_CACHE_WB 0ull		 /* write-back: RAM */
#define PTE_CACHE_UC (PTE_PCD | PTE_PWT) /* uncached: device registers */
#define PTE_CACHE_WC PTE_PWT		 /* write-combining (PAT entry 1, set by pt_init()): a framebuffer */

#define PAGE_2M (2ull << 20) /* the page of a directory entry with PTE_PS */

/* The tables boot.S built (arch/x86_64/boot.S): the kernel-only PML4, the PDPT of its lower
 * half's first 512 GiB (slot 0, and the linear map's slot 256), the PDPT of its top 512 GiB
 * (slot 511), and the directory of 2 MiB pages that maps the first GiB. */
extern uint64_t boot_pml4[512], early_pdpt_low[512], early_pdpt_high[512], early_pd[512];

/* A tree of page tables, or the part of one its owner changes: the top table and its level
 * (4: a PML4, 3: a PDPT, 2: a page directory), the level of its pages (1: 4 KiB, 2: 2 MiB),
 * and where a missing table comes from (a zeroed table's physical address, 0 when none is left):
 * pt_table_alloc(), or a static pool of the kernel image before the allocator runs.
 * The layer takes no lock: its owner keeps calls on one tree from overlapping. */
struct page_table {
	uint64_t *top;
	int top_level, page_level;
	uint64_t (*new_table)(void);
};

/* The entry of the page that holds va; a missing table on the way is made if create. NULL if
 * one is missing (and not made, or none was left). */
uint64_t *pt_walk(const struct page_table *pt, uint64_t va, bool create);
/* Map the page at va to phys with flags (PTE_W, PTE_U, PTE_NX, a PTE_CACHE_*, software bits;
 * P, and PS for 2 MiB pages, are added). ERR_EXIST if something is mapped there already,
 * ERR_NOMEM if a table could not be made. */
enum err pt_map(const struct page_table *pt, uint64_t va, uint64_t phys, uint64_t flags);
/* Give the page mapped at va new flags (as pt_map()) and drop its old translation; false if
 * nothing is mapped there. */
bool pt_protect(const struct page_table *pt, uint64_t va, uint64_t flags);
/* Unmap the page at va and drop its translation. Returns the entry it had, 0 if none. */
uint64_t pt_unmap(const struct page_table *pt, uint64_t va);
/* The table an entry points at, where the frame writes it: a table from pt_table_alloc() in the
 * private map, a static one in the kernel image. Panics for any other page (a page's entry). */
void *pt_target(uint64_t entry);
/* A zeroed page table (for struct page_table's new_table), as a physical address; 0 when memory
 * is out, or no free 2 MiB run is left for a chunk of 512 more. */
uint64_t pt_table_alloc(void);
/* Give back a table from pt_table_alloc(), emptied by the caller. */
void pt_table_free(uint64_t phys);
/* Give pages of private memory (mm/linear_map.c) to the page tables. */
void pt_table_pool_add(uint64_t phys, size_t pages);
/* How many tables are ready for pt_table_alloc() (for tests). */
size_t pt_table_free_count(void);
/* Make PAT entry 1 write-combining (it is write-through after reset), where the CPU has a PAT;
 * without one, PTE_CACHE_WC pages are write-through. Before any page asks for it. */
void pt_init(void);
/* Drop every translation (global pages aside), after tables were replaced wholesale. */
void pt_flush_all(void);

#endif
