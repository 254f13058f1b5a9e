/*
 * The linear map, grown in 2 MiB pages as the frame needs it. The first GiB is mapped by the
 * boot code; later GiBs get page directories from a static pool, so no allocator is needed yet.
 */
#include "mm/linear_map.h"
#include "arch/x86_64/layout.h"
#include "boot/bootinfo.h"
#include "mm/page_table.h"
#include <frame/log.h>

#define GIB (1ull << 30)

static uint64_t pd_pool[LINEAR_MAX_GIB - 1][512] __attribute__((aligned(4096)));
static unsigned pd_used;

/* A page directory for one more GiB: enough for every GiB but the first (boot.S maps it). */
static uint64_t pool_directory(void)
{
	return pd_used < LINEAR_MAX_GIB - 1 ? (uint64_t)pd_pool[pd_used++] - KERNEL_BASE : 0;
}

/* The linear map's PDPT is slot 256 of boot_pml4, which every address space shares. */
static const struct page_table linear = {early_pdpt_low, 3, 2, pool_directory};

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
	boot_pml4[0] = 0; /* drop the identity map: address 0 must fault from now on */
	pt_flush_all();
}
