/* In-kernel tests of the PVH start info and cpio archive parsers, and of the module checks, on
 * crafted, broken inputs: never read past the end, never read an address the frame cannot map. */
#include <frame/ktest.h>
#include <frame/string.h>
#include "arch/x86_64/layout.h"
#include "boot/bootinfo.h"

static struct boot_info bi;

/* --- cpio "newc" archives ------------------------------------------------------------------- */

#define ARCHIVE_PHYS 0x1000000ull /* where the archive claims to be: modules start there */
static uint8_t ar[8192] __attribute__((aligned(4)));
static size_t ar_len;

static void hex8(uint8_t *p, uint32_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 4)
		p[i] = (uint8_t) "0123456789abcdef"[v & 15];
}

static void ar_begin(void)
{
	memset(ar, 0, sizeof(ar));
	memset(&bi, 0, sizeof(bi));
	ar_len = 0;
}

/* A member: its header (at the returned offset), name, then size bytes of data, each padded to 4. */
static size_t member(const char *name, uint32_t mode, const void *data, uint32_t size)
{
	size_t at = ar_len;
	uint8_t *h = ar + at;
	uint32_t nsize = (uint32_t)strlen(name) + 1;
	memcpy(h, "070701", 6);
	for (int f = 0; f < 13; f++)
		hex8(h + 6 + f * 8, 0);
	hex8(h + 14, mode);
	hex8(h + 54, size);
	hex8(h + 94, nsize);
	memcpy(h + 110, name, nsize);
	ar_len = (at + 110 + nsize + 3) & ~(size_t)3;
	if (size)
		memcpy(ar + ar_len, data, size);
	ar_len = (ar_len + size + 3) & ~(size_t)3;
	return at;
}

static void trailer(void)
{
	member("TRAILER!!!", 0, NULL, 0);
}

KTEST(cpio_regular_files_become_modules)
{
	ar_begin();
	member("a.txt", 0100644, "hello", 5);
	member("dir", 0040755, NULL, 0);
	member("empty", 0100644, NULL, 0);
	member("b", 0100644, "xy", 2);
	trailer();
	KTEST_ASSERT_EQ(boot_parse_cpio(&bi, ar, ar_len, ARCHIVE_PHYS), 0);
	KTEST_ASSERT_EQ(bi.module_count, 3);
	KTEST_ASSERT(strcmp(bi.modules[0].name, "a.txt") == 0);
	KTEST_ASSERT_EQ(bi.modules[0].start, ARCHIVE_PHYS + 116); /* 110 + "a.txt\0" */
	KTEST_ASSERT_EQ(bi.modules[0].size, 5);
	KTEST_ASSERT(strcmp(bi.modules[1].name, "empty") == 0 && bi.modules[1].size == 0);
	KTEST_ASSERT(strcmp(bi.modules[2].name, "b") == 0 && bi.modules[2].size == 2);
}

KTEST(cpio_truncated_header_or_no_trailer)
{
	ar_begin();
	member("a", 0100644, "hello", 5);
	trailer();
	KTEST_ASSERT_EQ(boot_parse_cpio(&bi, ar, 50, ARCHIVE_PHYS), 1); /* inside the first header */
	KTEST_ASSERT_EQ(bi.module_count, 0);
	size_t first = (110 + 2 + 3) / 4 * 4 + 8;				/* the first member, whole */
	KTEST_ASSERT_EQ(boot_parse_cpio(&bi, ar, first + 60, ARCHIVE_PHYS), 1); /* the trailer's cut */
	KTEST_ASSERT_EQ(bi.module_count, 1);
	memset(&bi, 0, sizeof(bi));
	KTEST_ASSERT_EQ(boot_parse_cpio(&bi, ar, first, ARCHIVE_PHYS), 1); /* no trailer at all */
	KTEST_ASSERT_EQ(bi.module_count, 1);
}

KTEST(cpio_bad_magic_or_hex_stops_there)
{
	static const size_t fields[] = {14, 54, 94}; /* mode, file size, name size */
	for (size_t i = 0; i < 3; i++) {
		ar_begin();
		member("a", 0100644, "hello", 5);
		size_t second = member("b", 0100644, "x", 1);
		trailer();
		ar[second + fields[i] + 3] = 'g';
		KTEST_ASSERT_EQ(boot_parse_cpio(&bi, ar, ar_len, ARCHIVE_PHYS), 1);
		KTEST_EXPECT(bi.module_count == 1 && strcmp(bi.modules[0].name, "a") == 0);
	}
	ar_begin();
	member("a", 0100644, "hello", 5);
	trailer();
	ar[0] = '1'; /* "170701": not newc */
	KTEST_ASSERT_EQ(boot_parse_cpio(&bi, ar, ar_len, ARCHIVE_PHYS), 1);
	KTEST_ASSERT_EQ(bi.module_count, 0);
}

KTEST(cpio_name_without_nul_or_empty_is_refused)
{
	static const uint32_t nsizes[] = {0, 1};
	ar_begin();
	member("abc", 0100644, "hello", 5);
	trailer();
	ar[110 + 3] = 'd'; /* "abcd" of name size 4: no NUL */
	KTEST_ASSERT_EQ(boot_parse_cpio(&bi, ar, ar_len, ARCHIVE_PHYS), 1);
	KTEST_ASSERT_EQ(bi.module_count, 0);
	ar[110 + 3] = '\0';
	ar[110 + 1] = '\0'; /* a NUL before the last byte */
	KTEST_ASSERT_EQ(boot_parse_cpio(&bi, ar, ar_len, ARCHIVE_PHYS), 1);
	KTEST_ASSERT_EQ(bi.module_count, 0);
	for (size_t i = 0; i < 2; i++) { /* no name, or only its NUL */
		ar_begin();
		member("abc", 0100644, "hello", 5);
		trailer();
		hex8(ar + 94, nsizes[i]);
		KTEST_ASSERT_EQ(boot_parse_cpio(&bi, ar, ar_len, ARCHIVE_PHYS), 1);
		KTEST_EXPECT(bi.module_count == 0);
	}
}

KTEST(cpio_member_or_its_padding_past_the_end)
{
	ar_begin();
	member("a", 0100644, "hello", 5);
	trailer();
	hex8(ar + 54, 4096); /* the data runs past the archive */
	KTEST_ASSERT_EQ(boot_parse_cpio(&bi, ar, ar_len, ARCHIVE_PHYS), 1);
	KTEST_ASSERT_EQ(bi.module_count, 0);
	ar_begin();
	member("a", 0100644, "hello", 5);
	size_t end = 112 + 5; /* the data's end, before its padding */
	memset(&bi, 0, sizeof(bi));
	KTEST_ASSERT_EQ(boot_parse_cpio(&bi, ar, end, ARCHIVE_PHYS), 1);
	KTEST_ASSERT_EQ(bi.module_count, 1); /* whole, though the archive is not */
	ar_begin();
	member("ab", 0100644, "hello", 5);
	trailer();
	KTEST_ASSERT_EQ(boot_parse_cpio(&bi, ar, 110 + 1, ARCHIVE_PHYS), 1); /* the name's past the end */
	KTEST_ASSERT_EQ(bi.module_count, 0);
}

KTEST(cpio_huge_sizes_are_refused)
{
	static const size_t fields[] = {54, 94};
	for (size_t i = 0; i < 2; i++) {
		ar_begin();
		member("a", 0100644, "hello", 5);
		trailer();
		memcpy(ar + fields[i], "ffffffff", 8);
		KTEST_ASSERT_EQ(boot_parse_cpio(&bi, ar, ar_len, ARCHIVE_PHYS), 1);
		KTEST_EXPECT(bi.module_count == 0);
	}
}

KTEST(cpio_more_members_than_modules)
{
	ar_begin();
	char name[8] = "m00";
	for (int i = 0; i < BOOT_MAX_MODULES + 8; i++) {
		name[1] = (char)('0' + i / 10), name[2] = (char)('0' + i % 10);
		member(name, 0100644, "x", 1);
	}
	trailer();
	KTEST_ASSERT(ar_len < sizeof(ar));
	KTEST_ASSERT_EQ(boot_parse_cpio(&bi, ar, ar_len, ARCHIVE_PHYS), 1);
	KTEST_ASSERT_EQ(bi.module_count, BOOT_MAX_MODULES);
	KTEST_ASSERT(strcmp(bi.modules[BOOT_MAX_MODULES - 1].name, "m31") == 0);
}

/* --- PVH start info ------------------------------------------------------------------------ */

/* The start info and what it points to, in the kernel image: physical address = address -
 * KERNEL_BASE. The memory map has room for the most entries the parser reads. */
static struct {
	uint8_t si[64];
	char cmdline[64];
	uint8_t modlist[2][32];
	uint8_t rsdp[36];
	char modname[16];
	uint8_t module[16];
	uint8_t memmap[1024][24];
} pvh __attribute__((aligned(8)));

#define FAR (1ull << 40) /* beyond the linear map */

static uint64_t phys_of(const void *p)
{
	return (uint64_t)p - KERNEL_BASE;
}

static void set32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}
static void set64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* A good version 1 start info: a command line, one module (not an archive), an RSDP, and a map
 * of two entries. */
static void pvh_begin(void)
{
	memset(&pvh, 0, sizeof(pvh));
	memset(&bi, 0, sizeof(bi));
	set32(pvh.si, 0x336ec578);
	set32(pvh.si + 4, 1);
	memcpy(pvh.cmdline, "a b=c", 6);
	set64(pvh.si + 24, phys_of(pvh.cmdline));
	set32(pvh.si + 12, 1);
	set64(pvh.si + 16, phys_of(pvh.modlist));
	memcpy(pvh.module, "module data", 12);
	memcpy(pvh.modname, "mod", 4);
	set64(pvh.modlist[0], phys_of(pvh.module));
	set64(pvh.modlist[0] + 8, 12);
	set64(pvh.modlist[0] + 16, phys_of(pvh.modname));
	memcpy(pvh.rsdp, "RSD PTR ", 8);
	pvh.rsdp[15] = 2;
	set64(pvh.si + 32, phys_of(pvh.rsdp));
	set64(pvh.si + 40, phys_of(pvh.memmap));
	set32(pvh.si + 48, 2);
	set64(pvh.memmap[0], 0x100000), set64(pvh.memmap[0] + 8, 0x3ff00000), set32(pvh.memmap[0] + 16, 1);
	set64(pvh.memmap[1], 0xfffc0000), set64(pvh.memmap[1] + 8, 0x40000), set32(pvh.memmap[1] + 16, 2);
}

KTEST(pvh_parses_a_good_start_info)
{
	pvh_begin();
	KTEST_ASSERT_EQ(boot_parse_pvh(&bi, phys_of(pvh.si)), 0);
	KTEST_ASSERT(strcmp(bi.loader, "PVH") == 0 && strcmp(bi.cmdline, "a b=c") == 0);
	KTEST_ASSERT_EQ(bi.module_count, 1);
	KTEST_ASSERT(strcmp(bi.modules[0].name, "mod") == 0);
	KTEST_ASSERT_EQ(bi.modules[0].start, phys_of(pvh.module));
	KTEST_ASSERT_EQ(bi.modules[0].size, 12);
	KTEST_ASSERT(bi.rsdp_len == 36 && bi.rsdp_new && !memcmp(bi.rsdp, "RSD PTR ", 8));
	KTEST_ASSERT_EQ(bi.region_count, 2);
	KTEST_ASSERT_EQ(bi.regions[0].base, 0x100000);
	KTEST_ASSERT_EQ(bi.regions[1].type, BOOT_MEMORY_RESERVED);
}

KTEST(pvh_addresses_beyond_the_linear_map_are_ignored)
{
	static const size_t fields[] = {24, 16, 32, 40}; /* command line, module list, RSDP, memory map */
	for (size_t i = 0; i < 4; i++) {
		pvh_begin();
		set64(pvh.si + fields[i], FAR);
		KTEST_ASSERT(boot_parse_pvh(&bi, phys_of(pvh.si)) > 0);
		KTEST_EXPECT(fields[i] != 24 || bi.cmdline[0] == 0);
		KTEST_EXPECT(fields[i] != 16 || bi.module_count == 0);
		KTEST_EXPECT(fields[i] != 32 || bi.rsdp_len == 0);
		KTEST_EXPECT(fields[i] != 40 || (bi.region_count == 0 && bi.map_source == NULL));
		KTEST_EXPECT(fields[i] == 40 || bi.region_count == 2); /* the rest is still read */
	}
	pvh_begin();
	set64(pvh.modlist[0], FAR); /* the module itself */
	KTEST_ASSERT(boot_parse_pvh(&bi, phys_of(pvh.si)) > 0);
	KTEST_ASSERT_EQ(bi.module_count, 0);
	pvh_begin();
	set64(pvh.modlist[0] + 16, FAR); /* its name: the module stays, as "initrd" */
	KTEST_ASSERT(boot_parse_pvh(&bi, phys_of(pvh.si)) > 0);
	KTEST_ASSERT(bi.module_count == 1 && strcmp(bi.modules[0].name, "initrd") == 0);
	memset(&bi, 0, sizeof(bi));
	KTEST_ASSERT(boot_parse_pvh(&bi, FAR) > 0); /* the start info itself */
	KTEST_ASSERT(bi.cmdline[0] == 0 && bi.region_count == 0);
}

KTEST(pvh_null_addresses_are_not_read)
{
	pvh_begin();
	set64(pvh.si + 16, 0); /* a module list at 0, of one module */
	set64(pvh.si + 24, 0); /* no command line */
	set64(pvh.si + 32, 0); /* no RSDP */
	KTEST_ASSERT(boot_parse_pvh(&bi, phys_of(pvh.si)) > 0);
	KTEST_ASSERT(bi.module_count == 0 && bi.cmdline[0] == 0 && bi.rsdp_len == 0);
	KTEST_ASSERT_EQ(bi.region_count, 2);
	pvh_begin();
	set64(pvh.modlist[0], 0); /* a module at 0 */
	KTEST_ASSERT(boot_parse_pvh(&bi, phys_of(pvh.si)) > 0);
	KTEST_ASSERT_EQ(bi.module_count, 0);
	memset(&bi, 0, sizeof(bi));
	KTEST_ASSERT(boot_parse_pvh(&bi, 0) > 0);
	KTEST_ASSERT(bi.cmdline[0] == 0 && bi.region_count == 0);
}

KTEST(pvh_huge_counts_and_sizes)
{
	pvh_begin();
	set32(pvh.si + 12, 0xffffffffu);
	set32(pvh.si + 48, 0xffffffffu); /* read as its first 1024 entries */
	KTEST_ASSERT(boot_parse_pvh(&bi, phys_of(pvh.si)) > 0);
	KTEST_ASSERT_EQ(bi.module_count, 0);
	KTEST_ASSERT_EQ(bi.region_count, 2);
	KTEST_ASSERT_EQ(bi.map_entries, 1024);
	pvh_begin();
	set64(pvh.modlist[0] + 8, 0xffffffffffffffffull); /* a size that wraps */
	KTEST_ASSERT(boot_parse_pvh(&bi, phys_of(pvh.si)) > 0);
	KTEST_ASSERT_EQ(bi.module_count, 0);
}

KTEST(pvh_version_0_or_bad_magic)
{
	pvh_begin();
	set32(pvh.si + 4, 0); /* version 0: no memory map fields, whatever the bytes there */
	KTEST_ASSERT(boot_parse_pvh(&bi, phys_of(pvh.si)) > 0);
	KTEST_ASSERT_EQ(bi.region_count, 0);
	KTEST_ASSERT(strcmp(bi.cmdline, "a b=c") == 0 && bi.module_count == 1);
	pvh_begin();
	set32(pvh.si, 0x12345678);
	KTEST_ASSERT(boot_parse_pvh(&bi, phys_of(pvh.si)) > 0);
	KTEST_ASSERT(bi.cmdline[0] == 0 && bi.region_count == 0 && bi.module_count == 0);
}

KTEST(pvh_cpio_module_becomes_its_members)
{
	pvh_begin();
	ar_begin();
	member("one", 0100644, "1", 1);
	member("two", 0100644, "22", 2);
	trailer();
	set64(pvh.modlist[0], phys_of(ar));
	set64(pvh.modlist[0] + 8, ar_len);
	KTEST_ASSERT_EQ(boot_parse_pvh(&bi, phys_of(pvh.si)), 0);
	KTEST_ASSERT_EQ(bi.module_count, 2);
	KTEST_ASSERT(strcmp(bi.modules[1].name, "two") == 0);
	KTEST_ASSERT_EQ(bi.modules[1].start, phys_of(ar) + 120 + 116);
}

/* --- which modules the frame hands out ------------------------------------------------------ */

#define MIB (1ull << 20)

static void module_at(uint64_t start, uint64_t size)
{
	bi.modules[bi.module_count++] = (struct boot_module){.start = start, .size = size, .name = "m"};
}

KTEST(modules_outside_ram_or_on_the_kernel_are_dropped)
{
	memset(&bi, 0, sizeof(bi));
	bi.regions[0] = (struct boot_memory_region){MIB, 511 * MIB, BOOT_MEMORY_USABLE};
	bi.regions[1] = (struct boot_memory_region){512 * MIB, 512 * MIB, BOOT_MEMORY_ACPI_RECLAIMABLE};
	bi.regions[2] = (struct boot_memory_region){1024 * MIB, 1024 * MIB, BOOT_MEMORY_RESERVED};
	bi.regions[3] = (struct boot_memory_region){128ull << 30, 1ull << 30, BOOT_MEMORY_USABLE};
	bi.regions[4] = (struct boot_memory_region){0, 0xa0000, BOOT_MEMORY_USABLE}; /* UEFI's low RAM */
	bi.region_count = 5;
	module_at(16 * MIB, MIB);	/* kept */
	module_at(510 * MIB, 4 * MIB);	/* kept: across two RAM regions */
	module_at(20 * MIB, 0);		/* kept: empty */
	module_at(0x97000, 1);		/* kept: low RAM (EFI GRUB puts small modules there) */
	module_at(0, 0);		/* kept: empty (GRUB gives it the address 0) */
	module_at(0xa0000, 4096);	/* the VGA hole: not RAM */
	module_at(3 * MIB, 4096);	/* in the kernel image */
	module_at(MIB, 2 * MIB + 1);	/* into its start */
	module_at(4 * MIB - 1, 2);	/* across its end */
	module_at(1536 * MIB, 4096);	/* reserved memory */
	module_at(1020 * MIB, 8 * MIB); /* past RAM's end */
	module_at(4096ull << 20, 4096); /* in no region */
	module_at(128ull << 30, 4096);	/* RAM, but past the linear map */
	module_at(~0ull - 4095, 8192);	/* wraps around */
	KTEST_ASSERT_EQ(boot_check_modules(&bi, 2 * MIB, 4 * MIB), 9);
	KTEST_ASSERT_EQ(bi.module_count, 5);
	KTEST_ASSERT_EQ(bi.modules[0].start, 16 * MIB);
	KTEST_ASSERT_EQ(bi.modules[1].start, 510 * MIB);
	KTEST_ASSERT_EQ(bi.modules[2].start, 0); /* empty, at 20 MiB: kept at 0 */
	KTEST_ASSERT_EQ(bi.modules[3].start, 0x97000);
	KTEST_ASSERT_EQ(bi.modules[4].size, 0);
	memset(&bi, 0, sizeof(bi)); /* no memory map: no module */
	module_at(16 * MIB, MIB);
	KTEST_ASSERT_EQ(boot_check_modules(&bi, 2 * MIB, 4 * MIB), 1);
	KTEST_ASSERT_EQ(bi.module_count, 0);
}
