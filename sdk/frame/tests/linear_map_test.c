/* In-kernel tests of the linear map's protection: the kernel image, the page tables and the page
 * metadata are read-only there and writable where the frame writes them; all other RAM stays
 * writable; page tables come from their own pool. The writes themselves that must fault are
 * tried by tests/kernels/linear-map. */
#include <frame/console.h>
#include <frame/heap.h>
#include <frame/ktest.h>
#include <frame/mm.h>
#include <frame/vm.h>
#include "arch/x86_64/layout.h"
#include "arch/x86_64/x86.h"
#include "boot/bootinfo.h"
#include "mm/frame_alloc.h"
#include "mm/kernel_map.h"
#include "mm/linear_map.h"
#include "mm/page_table.h"

/* How the CPU maps va now: the size of its page (0 if none), and in *writable whether every level
 * lets a write through. */
static uint64_t mapping(uint64_t va, bool *writable)
{
	uint64_t *t = pt_target(read_cr3());
	*writable = true;
	for (int level = 4; level >= 1; level--) {
		uint64_t e = t[va >> (3 + 9 * level) & 511];
		if (!(e & PTE_P))
			return 0;
		*writable = *writable && (e & PTE_W);
		if (level == 1 || (level < 4 && (e & PTE_PS)))
			return 1ull << (3 + 9 * level);
		t = pt_target(e);
	}
	return 0;
}

/* 1: phys is mapped writable in the linear map, 0: read-only, -1: not mapped. */
static int linear_writable(uint64_t phys)
{
	bool w;
	return mapping(LINEAR_BASE + phys, &w) ? w : -1;
}

KTEST(linear_map_keeps_the_kernel_image_read_only)
{
	uint64_t end = (uint64_t)__kernel_end - KERNEL_BASE;
	for (uint64_t phys = KERNEL_PHYS; phys < end; phys += PAGE_SIZE)
		KTEST_ASSERT_EQ(linear_writable(phys), 0);
	bool w;
	KTEST_ASSERT(mapping((uint64_t)boot_pml4, &w) == PAGE_SIZE && w); /* its own mapping: data writable */
	if (end % PAGE_2M)
		KTEST_EXPECT(linear_writable(end) == 1); /* the rest of its last 2 MiB is RAM for clients */
}

static size_t tables_checked;

/* Whether the table at phys of the given level and every table below it are read-only in the
 * linear map and writable where pt_target() says. */
static bool tree_read_only(uint64_t phys, int level)
{
	bool w;
	uint64_t *t = pt_target(phys);
	if (linear_writable(phys) != 0 || !mapping((uint64_t)t, &w) || !w) {
		console_printf("# the table at 0x%llx (level %d) is writable in the linear map, or not where the "
			       "frame writes it\n",
			       (unsigned long long)phys, level);
		return false;
	}
	tables_checked++;
	for (int i = 0; i < 512; i++)
		if (level > 1 && (t[i] & PTE_P) && !(level < 4 && (t[i] & PTE_PS)) &&
		    !tree_read_only(t[i] & PTE_ADDR, level - 1))
			return false;
	return true;
}

KTEST(every_page_table_is_read_only_in_the_linear_map)
{
	struct vm_space *s;
	struct frame f;
	KTEST_ASSERT(vm_space_create(&s) == ERR_OK);
	KTEST_ASSERT(frame_alloc(&f, FRAME_ALLOC_ZEROED) == ERR_OK);
	KTEST_ASSERT(vm_space_map(s, 0x10000, f, VM_READ) == ERR_OK);
	vm_space_activate(s); /* its tables and the kernel half's, from CR3 */
	tables_checked = 0;
	KTEST_EXPECT(tree_read_only(read_cr3() & PTE_ADDR, 4));
	console_printf("# %zu page tables checked\n", tables_checked);
	KTEST_EXPECT(tables_checked > 8);
	vm_space_destroy(s);
	KTEST_EXPECT(linear_writable(frame_phys(f)) == 1); /* the frame it mapped is a client's */
	frame_put(f);
}

KTEST(page_metadata_is_read_only_in_the_linear_map)
{
	size_t bytes;
	uint64_t phys = frame_meta_phys(&bytes);
	KTEST_ASSERT(bytes > 0);
	for (uint64_t p = phys; p < phys + bytes; p += PAGE_SIZE)
		KTEST_ASSERT_EQ(linear_writable(p), 0);
}

KTEST(linear_map_leaves_all_other_ram_writable)
{
	size_t read_only = 0;
	for (size_t i = 0; i < boot_info.region_count; i++) {
		const struct boot_memory_region *r = &boot_info.regions[i];
		if (r->type != BOOT_MEMORY_USABLE)
			continue;
		for (uint64_t phys = r->base & ~(uint64_t)(PAGE_SIZE - 1); phys < r->base + r->length;) {
			bool w, own = linear_map_read_only(LINEAR_BASE + phys) != NULL;
			uint64_t size = mapping(LINEAR_BASE + phys, &w);
			KTEST_ASSERT(size != 0);
			if (w == own)
				console_printf("# 0x%llx is %s in the linear map\n", (unsigned long long)phys,
					       w ? "writable" : "read-only");
			KTEST_ASSERT(w != own);
			read_only += own;
			phys = (phys & ~(size - 1)) + size;
		}
	}
	KTEST_EXPECT(read_only > 0);
}

KTEST(page_tables_come_from_their_pool_and_go_back)
{
	uint64_t t[8];
	for (int i = 0; i < 8; i++) /* at least 8 ready */
		t[i] = pt_table_alloc();
	((uint64_t *)pt_target(t[7]))[5] = 0x1234; /* left behind: the next to have it gets it zeroed */
	for (int i = 0; i < 8; i++)
		pt_table_free(t[i]);
	uint64_t again = pt_table_alloc();
	KTEST_EXPECT(again == t[7] && ((uint64_t *)pt_target(again))[5] == 0);
	pt_table_free(again);

	size_t tables = pt_table_free_count(), frames = frame_free_count();
	struct vm_space *s;
	struct frame f;
	KTEST_ASSERT(vm_space_create(&s) == ERR_OK);
	size_t created = pt_table_free_count(); /* a PML4, and a heap page's table if its block needed one */
	KTEST_EXPECT(created == tables - 1 || created == tables - 2);
	KTEST_ASSERT(frame_alloc(&f, 0) == ERR_OK);
	KTEST_ASSERT(vm_space_map(s, 0x10000, f, VM_READ) == ERR_OK);
	KTEST_ASSERT_EQ(pt_table_free_count(), created - 3); /* a PDPT, a directory, a table */
	vm_space_destroy(s);
	frame_put(f);
	KTEST_ASSERT_EQ(pt_table_free_count(), tables);
	KTEST_ASSERT_EQ(frame_free_count(), frames);
}

KTEST(page_tables_grow_by_a_private_2mib_chunk)
{
	/* room for more than the pool holds; the heap may take a table for it, so count after */
	uint64_t *taken = heap_alloc((pt_table_free_count() + 1) * sizeof(uint64_t));
	KTEST_ASSERT(taken != NULL);
	size_t n = pt_table_free_count();
	for (size_t i = 0; i < n; i++)
		taken[i] = pt_table_alloc();
	size_t frames = frame_free_count();
	taken[n] = pt_table_alloc(); /* the pool is empty: a chunk of 512 more */
	KTEST_EXPECT(taken[n] != 0);
	KTEST_ASSERT_EQ(frame_free_count(), frames - 512);
	KTEST_ASSERT_EQ(pt_table_free_count(), 511);
	bool w;
	KTEST_EXPECT(mapping(LINEAR_BASE + taken[n], &w) == PAGE_2M && !w); /* read-only as one 2 MiB page */
	for (size_t i = 0; i <= n; i++)
		pt_table_free(taken[i]);
	KTEST_ASSERT_EQ(pt_table_free_count(), n + 512);
	heap_free(taken);
}
