/*
 * The kernel area: two GiB just below the kernel image, mapped with 4 KiB pages. The first GiB
 * holds kernel stacks, one 256 KiB slot each, the stack at the top of its slot and the rest of
 * the slot unmapped, so running off the bottom faults (and is reported as a stack overflow). The
 * second holds device memory: the frame's own registers and drivers' windows, uncached or
 * write-combining. Both live in the top PDPT, which every address
 * space shares, so a mapping made here is seen everywhere at once.
 */
#include "mm/kernel_area.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/x86.h"
#include "mm/frame_alloc.h"
#include "mm/kasan.h"
#include "mm/kernel_map.h"
#include "mm/page_table.h"
#include <frame/panic.h>

#define PAGE 4096ull
#define STACK_PDPT_SLOT 508 /* 0xffffffff00000000: stacks */
#define MMIO_PDPT_SLOT 509  /* 0xffffffff40000000: device registers */
#define AREA_BASE(slot) (0xffffff8000000000ull + (uint64_t)(slot) * (1ull << 30))
#define STACK_SLOT_SIZE KERNEL_AREA_STACK_SLOT
#define STACK_SLOTS ((1ull << 30) / STACK_SLOT_SIZE)

static uint64_t area_pd[2][512] __attribute__((aligned(4096)));
static struct {
	const char *owner; /* NULL: the slot is free */
	uint32_t size;
} slots[STACK_SLOTS];
static uint64_t slot_hint;

/* The live mappings of device memory: the frame's own (owner set) and drivers' windows. */
#define MAX_DEVICE_MAPS 256
static struct device_map {
	uint64_t va, pages; /* pages == 0: the entry is free */
	uint64_t phys;	    /* of the first page */
	const char *owner;  /* the frame's device it maps ("the local APIC"), or NULL for a driver's */
} maps[MAX_DEVICE_MAPS];

/* The top PDPT (slot 511 of every PML4), with 4 KiB pages in page tables of their own. */
static const struct page_table area = {early_pdpt_high, 3, 1, pt_table_alloc};

void kernel_area_init(void)
{
	early_pdpt_high[STACK_PDPT_SLOT] = ((uint64_t)area_pd[0] - KERNEL_BASE) | PTE_P | PTE_W;
	early_pdpt_high[MMIO_PDPT_SLOT] = ((uint64_t)area_pd[1] - KERNEL_BASE) | PTE_P | PTE_W;
}

/* Unmap pages of a stack from va up and free their frames. */
static void unmap_pages(uint64_t va, uint64_t pages)
{
	for (uint64_t i = 0; i < pages; i++, va += PAGE) {
		uint64_t old = pt_unmap(&area, va);
		if (old)
			typed_frame_free(old & PTE_ADDR);
	}
}

uint64_t kernel_area_stack_alloc(size_t size, const char *owner)
{
	IRQ_OFF_SCOPE(); /* a task preempted halfway must not share a slot or a page table */
	if (!size || size % PAGE || size > KERNEL_AREA_STACK_MAX || !owner)
		panic("kernel_area_stack_alloc: bad stack size %zu", size);
	uint64_t slot = slot_hint; /* the lowest free slot: page tables are reused, never grow */
	while (slot < STACK_SLOTS && slots[slot].owner)
		slot++;
	if (slot == STACK_SLOTS)
		return 0;
	uint64_t low = AREA_BASE(STACK_PDPT_SLOT) + (slot + 1) * STACK_SLOT_SIZE - size;
	for (uint64_t va = low; va < low + size; va += PAGE) {
		uint64_t phys = typed_frame_alloc();
		if (!phys || pt_map(&area, va, phys, PTE_W | PTE_NX) != ERR_OK) {
			if (phys)
				typed_frame_free(phys);
			unmap_pages(low, (va - low) / PAGE);
			return 0;
		}
	}
	if (!kasan_stack(low, size, true)) {
		unmap_pages(low, size / PAGE);
		return 0;
	}
	slots[slot].owner = owner;
	slots[slot].size = (uint32_t)size;
	slot_hint = slot + 1;
	return low;
}

/* The slot holding va, or -1 when va is not in the stack GiB. */
static int64_t slot_of(uint64_t va)
{
	uint64_t base = AREA_BASE(STACK_PDPT_SLOT);
	return va >= base && va < base + (1ull << 30) ? (int64_t)((va - base) / STACK_SLOT_SIZE) : -1;
}

static uint64_t slot_top(int64_t slot)
{
	return AREA_BASE(STACK_PDPT_SLOT) + (uint64_t)(slot + 1) * STACK_SLOT_SIZE;
}

void kernel_area_stack_free(uint64_t low)
{
	IRQ_OFF_SCOPE(); /* a task preempted halfway must not share a slot or a page table */
	int64_t slot = slot_of(low);
	if (slot < 0 || !slots[slot].owner || low != slot_top(slot) - slots[slot].size)
		panic("kernel_area_stack_free: 0x%llx is not a live stack", (unsigned long long)low);
	unmap_pages(low, slots[slot].size / PAGE);
	kasan_stack(low, slots[slot].size, false);
	slots[slot].owner = NULL;
	if ((uint64_t)slot < slot_hint)
		slot_hint = (uint64_t)slot;
}

bool kernel_area_stack_contains(uint64_t lo, uint64_t hi)
{
	int64_t slot = slot_of(lo);
	return slot >= 0 && slots[slot].owner && lo <= hi && lo >= slot_top(slot) - slots[slot].size &&
	       hi <= slot_top(slot);
}

const struct stack_guard *kernel_area_guard_of(uint64_t addr)
{
	static struct stack_guard found;
	int64_t slot = slot_of(addr);
	if (slot < 0 || !slots[slot].owner || addr >= slot_top(slot) - slots[slot].size)
		return NULL;
	found = (struct stack_guard){addr & ~(PAGE - 1), slots[slot].owner, slots[slot].size};
	return &found;
}

/* --- device memory -------------------------------------------------------------------------- */

/* The lowest free run of pages in the device GiB (first fit, page-aligned), or 0. */
static uint64_t device_va_find(uint64_t pages)
{
	uint64_t base = AREA_BASE(MMIO_PDPT_SLOT), end = base + (1ull << 30);
	for (uint64_t va = base; va + pages * PAGE <= end && va + pages * PAGE > va;) {
		bool moved = false;
		for (int i = 0; i < MAX_DEVICE_MAPS; i++)
			if (maps[i].pages && va < maps[i].va + maps[i].pages * PAGE && maps[i].va < va + pages * PAGE) {
				va = maps[i].va + maps[i].pages * PAGE; /* past the mapping in the way */
				moved = true;
			}
		if (!moved)
			return va;
	}
	return 0;
}

volatile void *kernel_area_map_device(uint64_t phys, uint64_t size, uint64_t cache, const char *owner)
{
	IRQ_OFF_SCOPE(); /* a task preempted halfway must not share a range or a page table */
	uint64_t first = phys & ~(PAGE - 1), pages = (phys + size - first + PAGE - 1) / PAGE;
	int slot = 0;
	while (slot < MAX_DEVICE_MAPS && maps[slot].pages)
		slot++;
	uint64_t va = size && phys + size > phys && slot < MAX_DEVICE_MAPS ? device_va_find(pages) : 0;
	if (!va)
		return NULL;
	for (uint64_t i = 0; i < pages; i++) {
		if (pt_map(&area, va + i * PAGE, first + i * PAGE, PTE_W | PTE_NX | cache) != ERR_OK) {
			while (i--)
				pt_unmap(&area, va + i * PAGE);
			return NULL;
		}
	}
	maps[slot] = (struct device_map){va, pages, first, owner};
	return (volatile void *)(va + (phys - first));
}

volatile void *kernel_area_map_mmio(uint64_t phys, size_t size, const char *owner)
{
	return kernel_area_map_device(phys, size, PTE_CACHE_UC, owner);
}

void kernel_area_unmap_device(volatile void *addr)
{
	IRQ_OFF_SCOPE();
	uint64_t va = (uint64_t)addr & ~(PAGE - 1);
	int i = 0;
	while (i < MAX_DEVICE_MAPS && !(maps[i].pages && maps[i].va == va))
		i++;
	if (i == MAX_DEVICE_MAPS || maps[i].owner)
		panic("kernel_area_unmap_device: %p is not a driver's device mapping", (void *)addr);
	for (uint64_t p = 0; p < maps[i].pages; p++)
		pt_unmap(&area, va + p * PAGE); /* device memory: no frame to free */
	maps[i].pages = 0;
}

bool kernel_area_device_mapped(uint64_t phys, uint64_t size, const char *except, const char **owner)
{
	IRQ_OFF_SCOPE();
	bool found = false;
	*owner = NULL;
	for (int i = 0; i < MAX_DEVICE_MAPS; i++) {
		if (!maps[i].pages || (except && maps[i].owner == except) ||
		    phys >= maps[i].phys + maps[i].pages * PAGE || maps[i].phys >= phys + size)
			continue;
		found = true;
		if (maps[i].owner) { /* the frame's own before a driver's */
			*owner = maps[i].owner;
			return true;
		}
	}
	return found;
}
