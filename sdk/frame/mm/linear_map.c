/*
 * The linear map, grown in 2 MiB pages as the frame needs it. The first GiB is mapped by the
 * boot code; later GiBs get page directories from a static pool, so no allocator is needed yet.
 *
 * The frame's own memory is read-only here, so a pointer made from a number (a union pun, a
 * stray write in code that works on physical addresses) faults instead of corrupting it:
 * - the kernel image: its whole 2 MiB pages, and in the last one (split into 4 KiB pages by a
 *   static page table) its own pages only, so the RAM after it stays writable for client
 *   frames. The frame writes the image's data at KERNEL_BASE (mm/kernel_map.c).
 * - private memory, page-frame metadata and page tables: taken in whole 2 MiB pages of RAM
 *   ("chunks"), read-only here and mapped writable in the private map, a GiB in the linear
 *   map's own PDPT (so every address space has it), one 2 MiB slot per chunk in the order they
 *   are taken. linear_map_private() says where a private page is written: pt_target() for a
 *   page table, the allocator for its metadata.
 * Page tables are not written with CR0.WP cleared instead: under QEMU a change of WP flushes the
 * TLB, which made vm_space_map + vm_space_unmap 20 times slower.
 */
#include "mm/linear_map.h"
#include "arch/x86_64/layout.h"
#include "boot/bootinfo.h"
#include "mm/kernel_map.h"
#include "mm/page_table.h"
#include <frame/log.h>
#include <frame/panic.h>

#define GIB (1ull << 30)
#define PAGE 4096ull

_Static_assert(KERNEL_PHYS % PAGE_2M == 0 && KERNEL_PHYS + KERNEL_IMAGE_MAX <= GIB,
	       "the kernel image starts a 2 MiB page of the first GiB");
_Static_assert(LINEAR_PRIVATE_SLOT >= LINEAR_MAX_GIB, "the private map lies past the linear map");

static uint64_t pd_pool[LINEAR_MAX_GIB - 1][512] __attribute__((aligned(4096)));
static unsigned pd_used;
static uint64_t image_tail[512] __attribute__((aligned(4096))); /* the image's last 2 MiB, in 4 KiB pages */
static uint64_t private_pd[512] __attribute__((aligned(4096)));
static unsigned private_used;
uint16_t linear_map_slot_[LINEAR_MAX_GIB * 512];

/* A page directory for one more GiB: enough for every GiB but the first (boot.S maps it). */
static uint64_t pool_directory(void)
{
	return pd_used < LINEAR_MAX_GIB - 1 ? (uint64_t)pd_pool[pd_used++] - KERNEL_BASE : 0;
}

/* The linear map's PDPT is slot 256 of boot_pml4, which every address space shares. */
static const struct page_table linear = {early_pdpt_low, 3, 2, pool_directory};
static const struct page_table private_map = {private_pd, 2, 2, NULL};

/* The end of the kernel image in physical memory. */
static uint64_t image_end(void)
{
	return (uint64_t)__kernel_end - KERNEL_BASE;
}

void *linear_map_ensure(uint64_t phys, uint64_t len)
{
	uint64_t end = phys + (len ? len : 1);
	if (end < phys || end > LINEAR_MAX_GIB * GIB)
		return NULL;
	for (uint64_t page = phys & ~(PAGE_2M - 1); page < end; page += PAGE_2M)
		(void)pt_map(&linear, LINEAR_BASE + page, page,
			     PTE_W | PTE_NX); /* ERR_EXIST: mapped already; ERR_NOMEM cannot be: the pool covers
						 LINEAR_MAX_GIB */
	return (void *)(LINEAR_BASE + phys);
}

void linear_map_init(void)
{
	for (size_t i = 0; i < boot_info.region_count; i++) {
		const struct boot_memory_region *r = &boot_info.regions[i];
		if (r->type != BOOT_MEMORY_USABLE && r->type != BOOT_MEMORY_ACPI_RECLAIMABLE)
			continue;
		uint64_t limit = LINEAR_MAX_GIB * GIB, end = r->base + r->length;
		if (end > limit)
			log_warn("memory: 0x%llx-0x%llx lies beyond the %d GiB the linear map covers; not used",
				 (unsigned long long)(r->base > limit ? r->base : limit), (unsigned long long)end,
				 LINEAR_MAX_GIB);
		if (r->base < limit)
			linear_map_ensure(r->base, (end < limit ? end : limit) - r->base);
	}
	for (size_t i = 0; i < boot_info.module_count; i++)
		linear_map_ensure(boot_info.modules[i].start, boot_info.modules[i].size);
	early_pdpt_low[LINEAR_PRIVATE_SLOT] = ((uint64_t)private_pd - KERNEL_BASE) | PTE_P | PTE_W;
	boot_pml4[0] = 0; /* drop the identity map: address 0 must fault from now on */
	pt_flush_all();
}

void linear_map_seal(void)
{
	/* boot.S's directory of the first GiB now serves only the linear map: data, never code */
	const struct page_table first_gib = {early_pd, 2, 2, NULL};
	uint64_t end = image_end(), tail = end & ~(PAGE_2M - 1);
	for (uint64_t phys = 0; phys < GIB; phys += PAGE_2M)
		pt_protect(&first_gib, LINEAR_BASE + phys, PTE_NX | (phys >= KERNEL_PHYS && phys < tail ? 0 : PTE_W));
	if (end == tail)
		return;
	const struct page_table split = {image_tail, 1, 1, NULL};
	for (uint64_t phys = tail; phys < tail + PAGE_2M; phys += PAGE)
		(void)pt_map(&split, LINEAR_BASE + phys, phys, PTE_NX | (phys < end ? 0 : PTE_W));
	*pt_walk(&first_gib, LINEAR_BASE + tail, false) = ((uint64_t)image_tail - KERNEL_BASE) | PTE_P | PTE_W;
	/* the caller drops the old translations */
}

void *linear_map_make_private(uint64_t chunk)
{
	if (chunk % PAGE_2M || chunk >= LINEAR_MAX_GIB * GIB || linear_map_slot_[chunk / PAGE_2M] ||
	    (chunk + PAGE_2M > KERNEL_PHYS && chunk < image_end()))
		panic("linear_map_make_private: 0x%llx is not a 2 MiB page of RAM outside the kernel image, or "
		      "private already",
		      (unsigned long long)chunk);
	if (private_used == 512)
		return NULL;
	uint64_t va = LINEAR_PRIVATE_BASE + private_used * PAGE_2M;
	if (pt_map(&private_map, va, chunk, PTE_W | PTE_NX) != ERR_OK ||
	    !pt_protect(&linear, LINEAR_BASE + chunk, PTE_NX))
		panic("linear_map_make_private: 0x%llx is not in the linear map", (unsigned long long)chunk);
	linear_map_slot_[chunk / PAGE_2M] = (uint16_t)++private_used;
	return (void *)va;
}

void linear_map_not_private_(uint64_t phys)
{
	panic("linear_map_private: 0x%llx is neither the kernel image nor private memory (a page table "
	      "must come from pt_table_alloc())",
	      (unsigned long long)phys);
}

const char *linear_map_read_only(uint64_t va)
{
	uint64_t phys = va - LINEAR_BASE;
	if (va < LINEAR_BASE || phys >= LINEAR_MAX_GIB * GIB)
		return NULL;
	if (phys >= KERNEL_PHYS && phys < image_end())
		return "the kernel image";
	return linear_map_slot_[phys / PAGE_2M] ? "the frame's page tables and page metadata" : NULL;
}
