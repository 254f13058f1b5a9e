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

/* A framebuffer tag's body (after type and size): address, pitch, width, height, depth, type,
 * reserved, then red, green and blue position and size. */
static void framebuffer_tag(uint64_t addr, uint32_t pitch, uint32_t w, uint32_t h, uint8_t bpp, uint8_t type)
{
	uint8_t body[30] = {0};
	memcpy(body, &addr, 8);
	memcpy(body + 8, &pitch, 4);
	memcpy(body + 12, &w, 4);
	memcpy(body + 16, &h, 4);
	body[20] = bpp;
	body[21] = type;
	const uint8_t colours[6] = {16, 8, 8, 8, 0, 8};
	memcpy(body + 24, colours, 6);
	tag(8, body, sizeof(body));
}

KTEST(mb2_framebuffer_with_its_colours)
{
	begin();
	framebuffer_tag(0xfd000000, 4096, 1024, 768, 32, BOOT_FRAMEBUFFER_RGB);
	KTEST_ASSERT_EQ(boot_parse_mb2(&bi, info, finish()), 0);
	KTEST_ASSERT(bi.has_framebuffer);
	KTEST_ASSERT_EQ(bi.framebuffer_phys, 0xfd000000);
	KTEST_ASSERT_EQ(bi.framebuffer.pitch, 4096);
	KTEST_ASSERT_EQ(bi.framebuffer.colours.red_shift, 16);
	KTEST_ASSERT_EQ(bi.framebuffer.colours.green_bits, 8);
	KTEST_ASSERT_EQ(bi.framebuffer.colours.blue_shift, 0);
}

KTEST(mb2_framebuffer_of_an_impossible_shape_is_ignored)
{
	static const struct {
		uint64_t addr;
		uint32_t pitch, w, h;
		uint8_t bpp, type;
	} bad[] = {
		{0xfd000000, 100, 1024, 768, 32, BOOT_FRAMEBUFFER_RGB}, /* lines shorter than their pixels */
		{0xa0000, 80, 640, 480, 1, BOOT_FRAMEBUFFER_RGB},	/* sound, but 1 bit: not drawn in (isapc) */
		{0xa0000, 640, 640, 480, 8, BOOT_FRAMEBUFFER_TEXT},	/* text of 8 bits: no such mode */
		{0xfd000000, 1u << 20, 1u << 20, 1u << 12, 8, BOOT_FRAMEBUFFER_RGB}, /* 4 GiB */
		{0xfd000000, 4096, 1024, 768, 33, BOOT_FRAMEBUFFER_RGB},	     /* no such depth */
		{0xfd000000, 4096, 1024, 768, 32, 7},				     /* no such type */
		{0xfd000000, 4096, 0, 768, 32, BOOT_FRAMEBUFFER_RGB},		     /* empty */
		{~0ull - 4095, 4096, 1024, 768, 32, BOOT_FRAMEBUFFER_RGB},	     /* wraps around */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		begin();
		framebuffer_tag(bad[i].addr, bad[i].pitch, bad[i].w, bad[i].h, bad[i].bpp, bad[i].type);
		(void)boot_parse_mb2(&bi, info, finish());
		KTEST_EXPECT(!bi.has_framebuffer);
	}
}

/* The ACPI tags (14: a copy of the ACPI 1.0 RSDP, 15: of the 2.0+ one) are both copied as they
 * are (acpi.c checks them and tries the 2.0+ one first), and a long one is cut. */
KTEST(mb2_acpi_tags_keep_the_new_rsdp)
{
	uint8_t old_rsdp[20] = "RSD PTR old", new_rsdp[36] = "RSD PTR new";
	begin();
	tag(15, new_rsdp, sizeof(new_rsdp));
	tag(14, old_rsdp, sizeof(old_rsdp));
	KTEST_ASSERT_EQ(boot_parse_mb2(&bi, info, finish()), 0);
	KTEST_ASSERT_EQ(bi.rsdp_len, 36);
	KTEST_ASSERT(bi.rsdp_new && !memcmp(bi.rsdp, "RSD PTR new", 11));
	KTEST_ASSERT(bi.rsdp_old_len == 20 && !memcmp(bi.rsdp_old, "RSD PTR old", 11));
	begin();
	tag(14, old_rsdp, sizeof(old_rsdp));
	KTEST_ASSERT_EQ(boot_parse_mb2(&bi, info, finish()), 0);
	KTEST_ASSERT(bi.rsdp_len == 0 && !bi.rsdp_new && bi.rsdp_old_len == 20);
	uint8_t long_rsdp[BOOT_RSDP_MAX + 40] = "RSD PTR long";
	begin();
	tag(15, long_rsdp, sizeof(long_rsdp));
	KTEST_ASSERT_EQ(boot_parse_mb2(&bi, info, finish()), 0);
	KTEST_ASSERT_EQ(bi.rsdp_len, BOOT_RSDP_MAX);
}

/* An EFI memory-map tag (17) of n descriptors, each stride bytes apart (OVMF's are 48) and
 * saying descriptor_size (normally the stride): {type, base, pages, attributes}. */
static void efi_map(const uint64_t (*d)[4], uint32_t n, uint32_t stride, uint32_t descriptor_size)
{
	static uint8_t body[8 + 3 * 56];
	memset(body, 0, sizeof(body));
	memcpy(body, &descriptor_size, 4);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t type = (uint32_t)d[i][0];
		memcpy(body + 8 + i * stride, &type, 4);
		memcpy(body + 8 + i * stride + 8, &d[i][1], 8);
		memcpy(body + 8 + i * stride + 24, &d[i][2], 8);
		memcpy(body + 8 + i * stride + 32, &d[i][3], 8);
	}
	tag(17, body, 8 + n * stride);
}

static const uint32_t grub_mmap[2 + 6] = {24, 0, 0x1000, 0, 0x9f000, 0, 1, 0};

KTEST(mb2_efi_memory_map_replaces_grubs_and_merges_neighbours)
{
	/* Boot services data then conventional memory, side by side: one usable region. In either
	 * order, with the descriptor size OVMF gives and with a larger one (a later UEFI's). */
	const uint64_t d[3][4] = {{4, 0x100000, 16, 0}, {7, 0x110000, 240, 0}, {9, 0x200000, 2, 0}};
	const uint64_t unsorted[3][4] = {{9, 0x200000, 2, 0}, {7, 0x110000, 240, 0}, {4, 0x100000, 16, 0}};
	for (int i = 0; i < 2; i++) {
		begin();
		efi_map(i ? unsorted : d, 3, i ? 56 : 48, i ? 56 : 48);
		tag(6, grub_mmap, sizeof(grub_mmap)); /* after the EFI tag: still replaced */
		KTEST_ASSERT_EQ(boot_parse_mb2(&bi, info, finish()), 0);
		KTEST_ASSERT_EQ(bi.region_count, 2);
		KTEST_ASSERT_EQ(bi.regions[0].base, 0x100000);
		KTEST_ASSERT_EQ(bi.regions[0].length, 256 * 4096);
		KTEST_ASSERT_EQ(bi.regions[0].type, BOOT_MEMORY_USABLE);
		KTEST_ASSERT_EQ(bi.regions[1].base, 0x200000);
		KTEST_ASSERT_EQ(bi.regions[1].type, BOOT_MEMORY_ACPI_RECLAIMABLE);
	}
}

KTEST(mb2_efi_memory_the_firmware_keeps_is_reserved_and_gaps_stay)
{
	/* Conventional memory with the runtime or specific-purpose attribute is not the kernel's; a
	 * zero-page descriptor is skipped; two usable ranges with a gap stay two. */
	const uint64_t d[3][4] = {{7, 0x100000, 16, 1ull << 63}, {7, 0x200000, 0, 0}, {7, 0x300000, 16, 1ull << 18}};
	const uint64_t gap[2][4] = {{7, 0x100000, 16, 0}, {7, 0x200000, 16, 0}};
	begin();
	efi_map(gap, 2, 48, 48);
	KTEST_ASSERT_EQ(boot_parse_mb2(&bi, info, finish()), 0);
	KTEST_ASSERT_EQ(bi.region_count, 2);
	begin();
	tag(6, grub_mmap, sizeof(grub_mmap));
	efi_map(d, 3, 48, 48);
	KTEST_ASSERT(boot_parse_mb2(&bi, info, finish()) > 0); /* nothing usable: GRUB's map */
	KTEST_ASSERT_EQ(bi.regions[0].base, 0x1000);
}

KTEST(mb2_efi_memory_map_that_is_not_sane_leaves_grubs)
{
	const uint64_t wraps[1][4] = {{7, 0xfffffffffff00000ull, 0x1000, 0}};
	const uint64_t huge[1][4] = {{7, 0x100000, 1ull << 52, 0}};
	const uint64_t unaligned[1][4] = {{7, 0x100010, 1, 0}};
	const uint64_t nothing_usable[1][4] = {{0, 0x100000, 1, 0}};
	const uint64_t overlap[3][4] = {{7, 0x100000, 256, 0}, {6, 0x180000, 16, 0}, {5, 0x400000, 1, 0}};
	const uint64_t good[1][4] = {{7, 0x100000, 1, 0}};
	const struct {
		const uint64_t (*d)[4];
		uint32_t n, size;
	} cases[] = {{wraps, 1, 48},   {huge, 1, 48}, {unaligned, 1, 48}, {nothing_usable, 1, 48},
		     {overlap, 3, 48}, {good, 1, 8},  {good, 1, 4096}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		begin();
		tag(6, grub_mmap, sizeof(grub_mmap));
		efi_map(cases[i].d, cases[i].n, 48, cases[i].size);
		KTEST_ASSERT(boot_parse_mb2(&bi, info, finish()) > 0);
		KTEST_ASSERT_EQ(bi.region_count, 1);
		KTEST_ASSERT_EQ(bi.regions[0].base, 0x1000); /* GRUB's */
	}
}
