/*
 * The kernel image at KERNEL_BASE, mapped page by page with the rights its sections need:
 * text read-only and executable, rodata read-only, data and bss writable but never
 * executable. The page under the boot stack stays unmapped, so an overflow faults there
 * (and is reported as one) instead of overwriting whatever lies below.
 */
#include "mm/kernel_map.h"
#include "mm/kernel_area.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/x86.h"
#include <stdbool.h>
#include <stddef.h>
#include <frame/panic.h>

#define PAGE 4096ull
#define PAGE_2M (2ull << 20)
#define PTE_PRESENT 0x1ull
#define PTE_WRITABLE 0x2ull
#define PTE_NX (1ull << 63)
#define KERNEL_PDPT_SLOT 510 /* KERNEL_BASE is -2 GiB: slot 510 of the top PDPT */
#define MAX_GUARDS 8

extern char __kernel_start[], __etext[], __rodata_start[], __data_start[], __kernel_end[];
extern char boot_stack_guard[], boot_stack[];
extern uint64_t early_pdpt_high[512], early_pd[512];

static uint64_t kernel_pd[512] __attribute__((aligned(4096)));
static uint64_t kernel_pt[KERNEL_IMAGE_MAX / PAGE_2M][512] __attribute__((aligned(4096)));

/* The stacks with a guard page in the image; the boot stack is known from the start, so even an
 * early panic can walk it. */
static struct stack_guard guards[MAX_GUARDS] = {{(uint64_t)boot_stack_guard, "the boot stack", BOOT_STACK_SIZE}};
static int guard_count = 1;

static uint64_t phys_of(const void *p)
{
	return (uint64_t)p - KERNEL_BASE;
}

/* The rights of the page at va, by the section it belongs to. */
static uint64_t page_flags(uint64_t va, uint64_t nx)
{
	if (va < (uint64_t)__rodata_start)
		return PTE_PRESENT; /* text: read and execute */
	if (va < (uint64_t)__data_start)
		return PTE_PRESENT | nx;	/* rodata */
	return PTE_PRESENT | PTE_WRITABLE | nx; /* data, bss */
}

/* Unmap the image page at va (in the data part). */
static void unmap_guard(uint64_t va)
{
	uint64_t first = (uint64_t)__kernel_start - KERNEL_BASE;
	uint64_t chunk = (va - KERNEL_BASE - (first & ~(PAGE_2M - 1))) / PAGE_2M;
	kernel_pt[chunk][(va / PAGE) % 512] = 0;
}

void kernel_map_init(void)
{
	uint64_t nx = (rdmsr(MSR_EFER) & EFER_NXE) ? PTE_NX : 0;
	uint64_t first = (uint64_t)__kernel_start - KERNEL_BASE; /* the image's offset in the 1 GiB window */
	for (uint64_t va = (uint64_t)__kernel_start; va < (uint64_t)__kernel_end; va += PAGE) {
		uint64_t chunk = (va - KERNEL_BASE - (first & ~(PAGE_2M - 1))) / PAGE_2M;
		uint64_t flags = page_flags(va, nx);
		kernel_pt[chunk][(va / PAGE) % 512] = flags ? (va - KERNEL_BASE) | flags : 0;
	}
	for (uint64_t c = 0; c < KERNEL_IMAGE_MAX / PAGE_2M; c++)
		kernel_pd[(first / PAGE_2M) + c] = phys_of(kernel_pt[c]) | PTE_PRESENT | PTE_WRITABLE;
	early_pdpt_high[KERNEL_PDPT_SLOT] = phys_of(kernel_pd) | PTE_PRESENT | PTE_WRITABLE;
	for (int i = 0; i < 512; i++) /* the boot directory now serves only the linear map: data */
		early_pd[i] |= nx;
	for (int i = 0; i < guard_count; i++)
		unmap_guard(guards[i].page);
	write_cr3(read_cr3()); /* no global pages: this flushes every old translation */
}

void kernel_map_guard(const void *guard, const char *owner, size_t size)
{
	uint64_t va = (uint64_t)guard;
	if (va % PAGE || va < (uint64_t)__data_start || va >= (uint64_t)__kernel_end || guard_count == MAX_GUARDS)
		panic("kernel_map_guard: %p is not a page of the kernel's data (or too many guards)", guard);
	unmap_guard(va);
	invlpg(va);
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
