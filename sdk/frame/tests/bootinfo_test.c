/* In-kernel tests of the multiboot2 parser on crafted, broken inputs: never read past the end. */
#include <frame/ktest.h>
#include <frame/string.h>
#include "boot/bootinfo.h"

static struct boot_info bi;
static uint8_t info[256] __attribute__((aligned(8)));
static size_t used;

static void put32(size_t off, uint32_t v)
{
	memcpy(info + off, &v, 4);
}

/* Start an info block, add tags, finish it with the end tag and the total size. */
static void begin(void)
{
	memset(info, 0xee, sizeof(info));
	memset(&bi, 0, sizeof(bi));
	used = 8;
}

static void tag(uint32_t type, const void *body, uint32_t body_len)
{
	put32(used, type);
	put32(used + 4, 8 + body_len);
	memcpy(info + used + 8, body, body_len);
	used = (used + 8 + body_len + 7) & ~(size_t)7;
}

static size_t finish(void)
{
	tag(0, NULL, 0);
	put32(0, (uint32_t)used);
	put32(4, 0);
	return used;
}

KTEST(mb2_parses_a_good_info)
{
	begin();
	tag(1, "console=serial", 15);
	tag(2, "test loader", 12);
	uint32_t mmap[2 + 6] = {24, 0, 0x1000, 0, 0x9f000, 0, 1, 0};
	tag(6, mmap, sizeof(mmap));
	size_t len = finish();
	KTEST_ASSERT_EQ(boot_parse_mb2(&bi, info, len), 0);
	KTEST_ASSERT(strcmp(bi.cmdline, "console=serial") == 0);
	KTEST_ASSERT(strcmp(bi.loader, "test loader") == 0);
	KTEST_ASSERT_EQ(bi.region_count, 1);
	KTEST_ASSERT_EQ(bi.regions[0].base, 0x1000);
	KTEST_ASSERT_EQ(bi.regions[0].length, 0x9f000);
	KTEST_ASSERT_EQ(bi.regions[0].type, BOOT_MEMORY_USABLE);
}

KTEST(mb2_total_size_larger_than_the_data)
{
	begin();
	tag(1, "abc", 4);
	size_t len = finish();
	put32(0, 4096); /* claims more than there is */
	KTEST_ASSERT(boot_parse_mb2(&bi, info, len) > 0);
	KTEST_ASSERT(strcmp(bi.cmdline, "abc") == 0);
}

KTEST(mb2_tag_running_past_the_end)
{
	begin();
	tag(1, "abc", 4);
	size_t len = finish();
	put32(8 + 4, 200); /* the command line tag now claims 200 bytes */
	KTEST_ASSERT(boot_parse_mb2(&bi, info, len) > 0);
	KTEST_ASSERT_EQ(bi.cmdline[0], 0);
}

KTEST(mb2_tag_too_small_or_missing_end)
{
	begin();
	tag(1, "abc", 4);
	size_t len = finish();
	put32(8 + 4, 4); /* a size below the tag header */
	KTEST_ASSERT(boot_parse_mb2(&bi, info, len) > 0);
	begin();
	tag(1, "abc", 4);
	put32(0, (uint32_t)used); /* no end tag */
	KTEST_ASSERT(boot_parse_mb2(&bi, info, used) > 0);
	KTEST_ASSERT(boot_parse_mb2(&bi, info, 3) > 0);
}

KTEST(mb2_string_without_nul_is_cut)
{
	begin();
	tag(1, "abcdefgh", 8); /* exactly 8 bytes, no NUL */
	size_t len = finish();
	KTEST_ASSERT(boot_parse_mb2(&bi, info, len) > 0);
	KTEST_ASSERT(strcmp(bi.cmdline, "abcdefgh") == 0);
}

KTEST(mb2_memory_map_with_a_huge_entry_size_stops)
{
	begin();
	uint32_t mmap[2 + 6] = {0xfffffff8u, 0, 0x1000, 0, 0x9f000, 0, 1, 0}; /* would wrap a 32-bit offset */
	tag(6, mmap, sizeof(mmap));
	size_t len = finish();
	boot_parse_mb2(&bi, info, len);
	KTEST_ASSERT_EQ(bi.region_count, 1);
}

KTEST(mb2_memory_map_with_tiny_entries_is_refused)
{
	begin();
	uint32_t mmap[2 + 6] = {4, 0, 0x1000, 0, 0x9f000, 0, 1, 0};
	tag(6, mmap, sizeof(mmap));
	size_t len = finish();
	KTEST_ASSERT(boot_parse_mb2(&bi, info, len) > 0);
	KTEST_ASSERT_EQ(bi.region_count, 0);
}
