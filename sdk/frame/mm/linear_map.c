/*
 * The linear map, grown in 2 MiB pages as the frame needs it. The first GiB is mapped by the
 * boot code; later GiBs get page directories from a static pool, so no allocator is needed yet.
 */
#include "mm/linear_map.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/x86.h"
#include "boot/bootinfo.h"
#include <frame/log.h>

#define PAGE_2M (2ull << 20)
#define GIB (1ull << 30)
#define PTE_PRESENT 0x1ull
#define PTE_WRITABLE 0x2ull
#define PTE_HUGE 0x80ull
#define PTE_NX (1ull << 63)

extern uint64_t boot_pml4[512];
extern uint64_t early_pdpt_low[512]; /* slot 256 of boot_pml4: the linear map's PDPT */
static uint64_t pd_pool[LINEAR_MAX_GIB - 1][512] __attribute__((aligned(4096)));
static unsigned pd_used;
static uint64_t *pd_of_gib[LINEAR_MAX_GIB]; /* [0] unused: boot.S maps the first GiB */

static uint64_t kernel_phys(const void *p)
{
	return (uint64_t)p - KERNEL_BASE;
}

/* The page directory for GiB number gib (> 0), created empty on first use. */
static uint64_t *directory(uint64_t gib)
{
	if (!pd_of_gib[gib]) {
		pd_of_gib[gib] = pd_pool[pd_used++];
		early_pdpt_low[gib] = kernel_phys(pd_of_gib[gib]) | PTE_PRESENT | PTE_WRITABLE;
	}
	return pd_of_gib[gib];
}

void *linear_map_ensure(uint64_t phys, uint64_t len)
{
	uint64_t end = phys + (len ? len : 1);
	if (end < phys || end > LINEAR_MAX_GIB * GIB)
		return NULL;
	uint64_t nx = (rdmsr(MSR_EFER) & EFER_NXE) ? PTE_NX : 0;
	for (uint64_t page = phys & ~(PAGE_2M - 1); page < end; page += PAGE_2M) {
		if (page < GIB)
			continue;
		uint64_t *pde = &directory(page / GIB)[page % GIB / PAGE_2M];
		if (!(*pde & PTE_PRESENT))
			*pde = page | PTE_PRESENT | PTE_WRITABLE | PTE_HUGE | nx;
	}
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
	write_cr3(read_cr3());
}
