/* In-kernel tests of the linear map: every usable byte of RAM is reachable, also above 4 GiB. */
#include <frame/console.h>
#include <frame/ktest.h>
#include <frame/string.h>
#include "boot/bootinfo.h"
#include "mm/frame_alloc.h"
#include "mm/linear_map.h"
#include "lib/ksyms.h"

/* Flip a byte and flip it back: proves the page is mapped, writable and backed by RAM (only
 * read where it is the frame's own, read-only in the linear map). */
static int poke(uint64_t phys)
{
	volatile uint8_t *p = linear_map_ensure(phys, 1);
	if (!p)
		return 0;
	uint8_t old = *p, flipped = (uint8_t)~old;
	if (linear_map_read_only((uint64_t)p))
		return 1;
	*p = flipped;
	int ok = *p == flipped;
	*p = old;
	return ok;
}

KTEST(linear_map_reaches_every_usable_region)
{
	uint64_t highest = 0;
	for (size_t i = 0; i < boot_memory_region_count(); i++) {
		struct boot_memory_region r = boot_memory_region(i);
		if (r.type != BOOT_MEMORY_USABLE || !r.length)
			continue;
		KTEST_ASSERT(poke(r.base));
		KTEST_ASSERT(poke(r.base + r.length - 1));
		if (r.base + r.length > highest)
			highest = r.base + r.length;
	}
	console_printf("# highest usable address: 0x%llx\n", (unsigned long long)highest);
	KTEST_ASSERT(highest > 0);
}

KTEST(linear_map_refuses_beyond_its_reach)
{
	KTEST_ASSERT(linear_map_ensure(1ull << 40, 1) == NULL);
	KTEST_ASSERT(linear_map_ensure(~0ull - 10, 100) == NULL);
}

KTEST(ksym_lookup_names_functions)
{
	uint64_t off = 1;
	const char *name = ksym_lookup((uint64_t)&poke, &off);
	KTEST_ASSERT(name != NULL);
	KTEST_ASSERT(strcmp(name, "poke") == 0);
	KTEST_ASSERT_EQ(off, 0);
	KTEST_ASSERT(ksym_lookup(0x1000, &off) == NULL);
}

/* A memory map whose usable and reserved ranges overlap (a broken or hostile boot loader's): the
 * frames the reserved one touches are never handed out, rounded outward to whole frames. */
KTEST(frames_a_reserved_region_touches_are_kept_out_even_inside_usable_ones)
{
	static struct boot_info map;
	memset(&map, 0, sizeof(map));
	map.regions[0] = (struct boot_memory_region){0x100000, 0xf00000, BOOT_MEMORY_USABLE};
	map.regions[1] = (struct boot_memory_region){0x400800, 0x1000, BOOT_MEMORY_RESERVED}; /* frames 0x400, 0x401 */
	map.regions[2] = (struct boot_memory_region){0x800000, 0x1000, BOOT_MEMORY_ACPI_NVS};
	map.regions[3] = (struct boot_memory_region){0xfffffffffffff000ull, 0x2000, BOOT_MEMORY_RESERVED}; /* wraps */
	map.region_count = 4;
	const uint64_t spans[1][2] = {{0x200, 0x210}};
	uint64_t next;
	KTEST_ASSERT_EQ(frame_reserved_at(&map, 0x100, spans, 1, &next), 0);
	KTEST_ASSERT_EQ(next, 0x200);
	KTEST_ASSERT_EQ(frame_reserved_at(&map, 0x205, spans, 1, &next), 0x210);
	KTEST_ASSERT_EQ(frame_reserved_at(&map, 0x210, spans, 1, &next), 0);
	KTEST_ASSERT_EQ(next, 0x400);
	KTEST_ASSERT_EQ(frame_reserved_at(&map, 0x400, spans, 1, &next), 0x402);
	KTEST_ASSERT_EQ(frame_reserved_at(&map, 0x401, spans, 1, &next), 0x402);
	KTEST_ASSERT_EQ(frame_reserved_at(&map, 0x402, spans, 1, &next), 0);
	KTEST_ASSERT_EQ(next, 0x800);
	KTEST_ASSERT_EQ(frame_reserved_at(&map, 0x800, spans, 1, &next), 0x801);
	KTEST_ASSERT_EQ(frame_reserved_at(&map, 0x801, spans, 1, &next), 0);
	KTEST_ASSERT_EQ(next, 0xfffffffffffffull);
	KTEST_ASSERT_EQ(frame_reserved_at(&map, 0xfffffffffffffull, spans, 1, &next), UINT64_MAX);
}
