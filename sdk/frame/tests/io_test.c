/* In-kernel tests of device-memory windows: what io_mem_create() refuses (RAM, the frame's own
 * registers, impossible ranges, another window's range) and what it maps. */
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
