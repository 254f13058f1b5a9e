/* In-kernel tests of device-memory windows: what io_mem_create() refuses (RAM, the frame's own
 * registers, impossible ranges, another window's range, two guarded ranges) and what it maps;
 * the frame's own mapping of a guarded range (an MSI-X table). */
#include <frame/io.h>
#include <frame/ktest.h>
#include "arch/x86_64/lapic.h"
#include "io/io.h"

#define UNUSED_DEVICE_RANGE 0xfe000000ull /* in the PCI hole, below the IOAPIC: no RAM there */

KTEST(io_mem_refuses_ram)
{
	struct io_mem *m;
	KTEST_ASSERT_EQ(io_mem_create(&m, 0x100000, 4096, false), ERR_DENIED);	/* usable RAM at 1 MiB */
	KTEST_ASSERT_EQ(io_mem_create(&m, 0xff000, 0x2000, false), ERR_DENIED); /* reaching into it */
}

KTEST(io_mem_refuses_the_frames_own_registers)
{
	if (!lapic_present())
		KTEST_SKIP("no local APIC");
	struct io_mem *m;
	KTEST_ASSERT_EQ(io_mem_create(&m, lapic_phys_base(), 4096, false), ERR_DENIED);
	KTEST_ASSERT_EQ(io_mem_create(&m, 0xfec00000, 16, false), ERR_DENIED); /* the IOAPIC */
}

KTEST(io_mem_refuses_impossible_ranges)
{
	struct io_mem *m;
	KTEST_ASSERT_EQ(io_mem_create(&m, UNUSED_DEVICE_RANGE, 0, false), ERR_INVAL);
	KTEST_ASSERT_EQ(io_mem_create(&m, 1ull << 52, 4096, false), ERR_INVAL);
	KTEST_ASSERT_EQ(io_mem_create(&m, ~0ull - 100, 4096, false), ERR_INVAL);
}

KTEST(io_mem_windows_never_overlap)
{
	struct io_mem *a, *b;
	KTEST_ASSERT_EQ(io_mem_create(&a, UNUSED_DEVICE_RANGE, 0x3000, false), ERR_OK);
	KTEST_EXPECT(io_mem_size(a) == 0x3000);
	KTEST_EXPECT(io_mem_create(&b, UNUSED_DEVICE_RANGE + 0x2000, 0x1000, false) == ERR_BUSY);
	io_mem_release(a);
	KTEST_ASSERT_EQ(io_mem_create(&b, UNUSED_DEVICE_RANGE + 0x2000, 0x1000, true), ERR_OK);
	io_mem_release(b);
}

KTEST(io_mem_windows_over_a_guarded_range)
{
	uint64_t base = UNUSED_DEVICE_RANGE + 0x100000; /* a made-up BAR of 8 KiB with a table inside */
	int table = io_mem_guard(base + 0x800, 0x50, "a test table");
	KTEST_ASSERT(table >= 0);
	struct io_mem *a, *b;
	KTEST_ASSERT_EQ(io_mem_create(&a, base, 0x2000, false), ERR_OK); /* a driver's window, with a hole */
	(void)io_mem_read32(a, 0x7fc);					 /* right below the hole */
	(void)io_mem_read32(a, 0x850);					 /* right above it */
	volatile void *mapped = io_mem_guard_map(table);		 /* the frame's: the window does not matter */
	KTEST_ASSERT(mapped != NULL);
	KTEST_EXPECT(io_mem_guard_map(table) == mapped);
	KTEST_EXPECT(io_mem_create(&b, base + 0x800, 0x1000, false) == ERR_BUSY); /* a's range */
	io_mem_release(a);
	KTEST_ASSERT_EQ(io_mem_create(&a, base, 0x2000, false), ERR_OK); /* the frame's mapping does not matter */
	io_mem_release(a);
	KTEST_ASSERT(io_mem_guard(base + 0x1800, 0x10, "another test table") >= 0);
	KTEST_EXPECT(io_mem_create(&a, base, 0x2000, false) == ERR_DENIED); /* over two: refused */
	KTEST_ASSERT_EQ(io_mem_create(&a, base, 0x1000, false), ERR_OK);    /* over one */
	io_mem_release(a);
}

KTEST(io_mem_guarded_range_over_ram_is_not_mapped)
{
	int table = io_mem_guard(0x100000, 0x10, "a table over RAM");
	KTEST_ASSERT(table >= 0);
	KTEST_EXPECT(io_mem_guard_map(table) == NULL);
}
