/* In-kernel tests of address-space ranges (mm/vm.c) that need the frame's internals: a range
 * that runs out of page tables half-way leaves nothing mapped. */
#include <frame/ktest.h>
#include <frame/mm.h>
#include <frame/vm.h>
#include "mm/page_table.h"

#define HELD 64

KTEST(vm_range_out_of_page_tables_leaves_nothing_mapped)
{
	struct vm_space *s;
	struct frame f[2], taken;
	KTEST_ASSERT(vm_space_create(&s) == ERR_OK);
	KTEST_ASSERT(frame_alloc(&f[0], FRAME_ALLOC_ZEROED) == ERR_OK &&
		     frame_alloc(&f[1], FRAME_ALLOC_ZEROED) == ERR_OK);
	KTEST_ASSERT(vm_space_map(s, 0x1fe000, f[0], VM_READ) == ERR_OK); /* the tables of the first 2 MiB */
	size_t before = frame_free_count(), tables = pt_table_free_count();

	/* Take every frame (in runs, largest first) and every ready page table. */
	struct segment held[HELD];
	size_t n = 0;
	for (size_t run = before; run && n < HELD;)
		if (segment_alloc(&held[n], run, 1, 0) == ERR_OK)
			n++;
		else
			run /= 2;
	KTEST_ASSERT(frame_alloc(&taken, 0) == ERR_NOMEM);
	uint64_t chain = 0; /* the tables taken, each holding the previous one's address */
	for (uint64_t t; (t = pt_table_alloc()) != 0; chain = t)
		*(uint64_t *)pt_target(t) = chain;

	/* 0x1ff000 has its page table; 0x200000 needs a new one, and none is left. */
	enum err e = vm_space_map_range(s, 0x1ff000, f, 2, VM_READ | VM_WRITE);
	bool first_mapped = vm_space_query(s, 0x1ff000, NULL, NULL) == ERR_OK;

	while (chain) {
		uint64_t next = *(uint64_t *)pt_target(chain);
		pt_table_free(chain);
		chain = next;
	}
	while (n--)
		segment_put(held[n]);
	KTEST_EXPECT(e == ERR_NOMEM);
	KTEST_EXPECT(!first_mapped); /* rolled back */
	KTEST_EXPECT(frame_refs(f[0]) == 2 && frame_refs(f[1]) == 1);
	KTEST_EXPECT(frame_free_count() == before && pt_table_free_count() == tables);

	KTEST_ASSERT(vm_space_map_range(s, 0x1ff000, f, 2, VM_READ | VM_WRITE) == ERR_OK); /* with memory, it works */
	KTEST_EXPECT(vm_space_query(s, 0x200000, NULL, NULL) == ERR_OK);
	vm_space_destroy(s);
	frame_put(f[0]);
	frame_put(f[1]);
}
