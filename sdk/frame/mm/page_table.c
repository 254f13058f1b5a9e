/*
 * The page-table layer: one walk down a tree of page tables, and map, unmap and protect of one
 * page with the TLB kept right. Every other file of mm/ changes page tables through it.
 */
#include "mm/page_table.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/x86.h"
#include <stddef.h>

#define MSR_PAT 0x277u
#define PAT_WC 0x01ull /* the memory type write-combining */
#define CPUID_1_EDX_PAT (1u << 16)

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
	return (void *)(LINEAR_BASE + (entry & PTE_ADDR));
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
	if (!(rdmsr(MSR_EFER) & EFER_NXE))
		flags &= ~PTE_NX;
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
