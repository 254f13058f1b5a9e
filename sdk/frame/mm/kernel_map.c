/*
 * The kernel image at KERNEL_BASE, mapped page by page with the rights its sections need:
 * text read-only and executable, rodata read-only, data and bss writable but never
 * executable. The page under the boot stack stays unmapped, so an overflow faults there
 * (and is reported as one) instead of overwriting whatever lies below. This is the image's one
 * writable mapping: its view in the linear map is read-only (mm/linear_map.c).
 */
#include "mm/kernel_map.h"
#include "mm/kernel_area.h"
#include "mm/linear_map.h"
#include "mm/page_table.h"
#include "arch/x86_64/layout.h"
#include <stdbool.h>
#include <stddef.h>
#include <frame/panic.h>

#define PAGE 4096ull
#define KERNEL_PDPT_SLOT 510 /* KERNEL_BASE is -2 GiB: slot 510 of the top PDPT */
#define MAX_GUARDS 8

extern char boot_stack_guard[];

static uint64_t kernel_pd[512] __attribute__((aligned(4096)));
static uint64_t kernel_pt[KERNEL_IMAGE_MAX / PAGE_2M][512] __attribute__((aligned(4096)));
static unsigned pt_used;

/* The stacks with a guard page in the image; the boot stack is known from the start, so even an
 * early panic can walk it. */
static struct stack_guard guards[MAX_GUARDS] = {{(uint64_t)boot_stack_guard, "the boot stack", BOOT_STACK_SIZE}};
static int guard_count = 1;

/* A page table for 2 MiB more of the image, from the static ones (no allocator yet). */
static uint64_t image_table(void)
{
	return pt_used < KERNEL_IMAGE_MAX / PAGE_2M ? (uint64_t)kernel_pt[pt_used++] - KERNEL_BASE : 0;
}

static const struct page_table image = {kernel_pd, 2, 1, image_table};

/* The rights of the page at va, by the section it belongs to. */
static uint64_t page_flags(uint64_t va)
{
	if (va < (uint64_t)__rodata_start)
		return 0; /* text: read and execute */
	if (va < (uint64_t)__data_start)
		return PTE_NX; /* rodata */
	return PTE_W | PTE_NX; /* data, bss */
}

void kernel_map_init(void)
{
	for (uint64_t va = (uint64_t)__kernel_start; va < (uint64_t)__kernel_end; va += PAGE)
		(void)pt_map(&image, va, va - KERNEL_BASE, page_flags(va));
	for (int i = 0; i < guard_count; i++)
		pt_unmap(&image, guards[i].page);
	early_pdpt_high[KERNEL_PDPT_SLOT] = ((uint64_t)kernel_pd - KERNEL_BASE) | PTE_P | PTE_W;
	linear_map_seal(); /* the image read-only in the linear map, which is never code */
	pt_flush_all();	   /* no global pages: this drops every old translation */
}

void kernel_map_guard(const void *guard, const char *owner, size_t size)
{
	uint64_t va = (uint64_t)guard;
	if (va % PAGE || va < (uint64_t)__data_start || va >= (uint64_t)__kernel_end || guard_count == MAX_GUARDS)
		panic("kernel_map_guard: %p is not a page of the kernel's data (or too many guards)", guard);
	pt_unmap(&image, va);
	guards[guard_count++] = (struct stack_guard){va, owner, size};
}

bool kernel_stack_contains(uint64_t lo, uint64_t hi)
{
	if (lo > hi)
		return false;
	for (int i = 0; i < guard_count; i++)
		if (lo >= guards[i].page + PAGE && hi <= guards[i].page + PAGE + guards[i].size)
			return true;
	return kernel_area_stack_contains(lo, hi);
}

const struct stack_guard *kernel_map_guard_of(uint64_t addr)
{
	for (int i = 0; i < guard_count; i++)
		if (addr >= guards[i].page && addr < guards[i].page + PAGE)
			return &guards[i];
	return kernel_area_guard_of(addr);
}

const struct stack_guard *kernel_map_stack(const struct stack_guard *prev)
{
	const struct stack_guard *next = prev ? prev + 1 : guards;
	return next < guards + guard_count ? next : NULL;
}
