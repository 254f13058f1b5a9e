/*
 * The page-table layer: one walk down a tree of page tables, and map, unmap and protect of one
 * page with the TLB kept right. Every other file of mm/ changes page tables through it.
 *
 * Page tables are the frame's private memory (mm/linear_map.c): read-only in the linear map, so
 * a forged pointer cannot rewrite a mapping, and written through the private map, where
 * pt_target() finds them. They come from 2 MiB chunks of it, 512 tables each, taken from the
 * allocator when the last is used; a freed table waits on a free list for the next, and its
 * chunk stays with the page tables. The static tables of the kernel image (boot.S's, the linear
 * map's, the image's own) are written at KERNEL_BASE.
 */
#include "mm/page_table.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/x86.h"
#include "mm/frame_alloc.h"
#include "mm/kernel_map.h"
#include "mm/linear_map.h"
#include <frame/panic.h>
#include <frame/string.h>
#include <stddef.h>

#define PAGE 4096ull

#define MSR_PAT 0x277u
#define PAT_WC 0x01ull /* the memory type write-combining */
#define CPUID_1_EDX_PAT (1u << 16)

/* PTE_NX where EFER.NXE is on (boot.S sets it, where the CPU has NX, before any C runs), else 0:
 * read once, at the first mapping (the boot information's, before pt_init()). */
static uint64_t nx_bit(void)
{
	static int nx = -1;
	if (nx < 0)
		nx = (rdmsr(MSR_EFER) & EFER_NXE) != 0;
	return nx ? PTE_NX : 0;
}

void pt_init(void)
{
	uint32_t a, b, c, d;
	cpuid(1, &a, &b, &c, &d);
	if (d & CPUID_1_EDX_PAT) /* entry 1 (PWT alone) is used by no page yet: no cache to flush */
		wrmsr(MSR_PAT, (rdmsr(MSR_PAT) & ~(0xffull << 8)) | PAT_WC << 8);
}

/* Where va's entry is in a table of the given level. */
static unsigned index_at(uint64_t va, int level)
{
	return (unsigned)(va >> (12 + 9 * (level - 1))) & 511;
}

void *pt_target(uint64_t entry)
{
	return linear_map_private(entry & PTE_ADDR);
}

static uint64_t free_tables; /* the first free table, each holding the next's address; 0: none */
static size_t free_table_count;

void pt_table_pool_add(uint64_t phys, size_t pages)
{
	IRQ_OFF_SCOPE();
	for (size_t i = 0; i < pages; i++, phys += PAGE) {
		*(uint64_t *)linear_map_private(phys) = free_tables;
		free_tables = phys;
		free_table_count++;
	}
}

uint64_t pt_table_alloc(void)
{
	IRQ_OFF_SCOPE();
	if (!free_tables) {
		uint64_t chunk = private_chunk_alloc();
		if (!chunk)
			return 0;
		pt_table_pool_add(chunk, PAGE_2M / PAGE);
	}
	uint64_t phys = free_tables, *t = linear_map_private(phys);
	free_tables = t[0];
	free_table_count--;
	memset(t, 0, PAGE);
	return phys;
}

void pt_table_free(uint64_t phys)
{
	if (phys % PAGE || (phys >= KERNEL_PHYS && phys < (uint64_t)__kernel_end - KERNEL_BASE))
		panic("pt_table_free: 0x%llx is not a table from pt_table_alloc()", (unsigned long long)phys);
	pt_table_pool_add(phys, 1);
}

size_t pt_table_free_count(void)
{
	return free_table_count;
}

uint64_t *pt_walk(const struct page_table *pt, uint64_t va, bool create)
{
	uint64_t *t = pt->top;
	for (int level = pt->top_level; level > pt->page_level; level--) {
		uint64_t *e = &t[index_at(va, level)];
		if (!(*e & PTE_P)) {
			uint64_t phys = create ? pt->new_table() : 0;
			if (!phys)
				return NULL;
			*e = phys | PTE_P | PTE_W | (va >> 47 ? 0 : PTE_U); /* the page decides the rights */
		}
		t = pt_target(*e);
	}
	return &t[index_at(va, pt->page_level)];
}

/* A page's entry bits for flags: P, PS for a 2 MiB page, and NX only where the CPU has it on. */
static uint64_t page_bits(const struct page_table *pt, uint64_t flags)
{
	flags &= ~PTE_NX | nx_bit();
	return flags | PTE_P | (pt->page_level == 2 ? PTE_PS : 0);
}

enum err pt_map(const struct page_table *pt, uint64_t va, uint64_t phys, uint64_t flags)
{
	uint64_t *e = pt_walk(pt, va, true);
	if (!e)
		return ERR_NOMEM;
	if (*e & PTE_P)
		return ERR_EXIST;
	*e = phys | page_bits(pt, flags); /* an entry that was not present is in no TLB */
	return ERR_OK;
}

bool pt_protect(const struct page_table *pt, uint64_t va, uint64_t flags)
{
	uint64_t *e = pt_walk(pt, va, false);
	if (!e || !(*e & PTE_P))
		return false;
	*e = (*e & PTE_ADDR) | page_bits(pt, flags);
	invlpg(va);
	return true;
}

uint64_t pt_unmap(const struct page_table *pt, uint64_t va)
{
	uint64_t *e = pt_walk(pt, va, false), old = e ? *e : 0;
	if (!(old & PTE_P))
		return 0;
	*e = 0;
	invlpg(va);
	return old;
}

void pt_flush_all(void)
{
	write_cr3(read_cr3());
}
