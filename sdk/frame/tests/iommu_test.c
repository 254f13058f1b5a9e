/* In-kernel tests of the IOMMU's side of ACPI: the DMAR parser on crafted tables, sound and
 * broken (lengths that loop or overrun, impossible devices, unusable registers, too much). */
#include <frame/ktest.h>
#include <frame/string.h>
#include "acpi/acpi.h"
#include "iommu/dmar.h"
#include "tests/acpi_craft.h"

static uint8_t dmar[512];
static size_t used, drhd_at;
static struct dmar_info info;

static void put16(size_t off, uint16_t v)
{
	memcpy(dmar + off, &v, 2);
}

static void put32(size_t off, uint32_t v)
{
	memcpy(dmar + off, &v, 4);
}

/* Start a DMAR: the header, a 39-bit host address width, interrupt remapping; no structures. */
static void begin(void)
{
	memset(dmar, 0, sizeof(dmar));
	memcpy(dmar, "DMAR", 4);
	dmar[8] = 1;   /* revision */
	dmar[36] = 38; /* host address width - 1 */
	dmar[37] = 1;  /* INTR_REMAP */
	used = 48;
}

/* Start a structure of the given type whose length finish_structure() sets; returns its offset. */
static size_t structure(uint16_t type)
{
	size_t at = used;
	put16(at, type);
	used += 4;
	return at;
}

static void finish_structure(size_t at)
{
	put16(at + 2, (uint16_t)(used - at));
}

/* Start a DRHD (its scopes follow; drhd_end() sets its length). */
static void drhd(uint64_t base, uint16_t segment, bool include_all, uint8_t size_log2)
{
	drhd_at = structure(0);
	dmar[used] = include_all;
	dmar[used + 1] = size_log2;
	put16(used + 2, segment);
	memcpy(dmar + used + 4, &base, 8);
	used += 12;
}

static void drhd_end(void)
{
	finish_structure(drhd_at);
}

/* A device scope of type type from start_bus along hops (device, function) pairs. */
static void scope(uint8_t type, uint8_t start_bus, const uint8_t *path, size_t hops)
{
	dmar[used] = type;
	dmar[used + 1] = (uint8_t)(6 + 2 * hops);
	dmar[used + 4] = 0; /* enumeration id */
	dmar[used + 5] = start_bus;
	memcpy(dmar + used + 6, path, 2 * hops);
	used += 6 + 2 * hops;
}

/* Write the table's length and checksum; returns the length. */
static size_t finish(void)
{
	return acpi_table_seal(dmar, used);
}

/* Add the unit QEMU's q35 with -device intel-iommu has: for all devices, with an I/O APIC scope. */
static void qemu_unit(void)
{
	drhd(0xfed90000, 0, true, 0);
	scope(3, 0xff, (uint8_t[]){0x1f, 0x7}, 1); /* the I/O APIC: interrupt remapping's */
	drhd_end();
}

/* The whole DMAR of that machine. */
static void qemu_like(void)
{
	begin();
	qemu_unit();
}

KTEST(dmar_parses_a_qemu_like_table)
{
	qemu_like();
	KTEST_ASSERT(dmar_parse(dmar, finish(), &info));
	KTEST_ASSERT_EQ(info.host_address_width, 39);
	KTEST_ASSERT_EQ(info.unit_count, 1);
	KTEST_ASSERT_EQ(info.units[0].phys, 0xfed90000);
	KTEST_ASSERT_EQ(info.units[0].size, 4096);
	KTEST_EXPECT(info.units[0].include_all);
	KTEST_ASSERT_EQ(info.units[0].scope_count, 0);
}

KTEST(dmar_keeps_the_pci_scopes_of_each_unit)
{
	begin();
	drhd(0xfed91000, 0, false, 1);
	scope(1, 0, (uint8_t[]){2, 0}, 1);	    /* the graphics device at 00:02.0 */
	scope(2, 0, (uint8_t[]){0x1c, 0, 0, 0}, 2); /* the bridge at 0:1c.0, then the one behind it */
	scope(4, 0, (uint8_t[]){0x1f, 0}, 1);	    /* an HPET: not kept */
	drhd_end();
	drhd(0xfed90000, 0, true, 0);
	scope(1, 0, (uint8_t[]){3, 0}, 1); /* a unit for all devices lists none */
	drhd_end();
	KTEST_ASSERT(dmar_parse(dmar, finish(), &info));
	KTEST_ASSERT_EQ(info.unit_count, 2);
	const struct dmar_unit *u = &info.units[0];
	KTEST_EXPECT(!u->include_all);
	KTEST_ASSERT_EQ(u->size, 8192);
	KTEST_ASSERT_EQ(u->scope_count, 2);
	KTEST_ASSERT_EQ(u->scopes[0].type, DMAR_SCOPE_ENDPOINT);
	KTEST_ASSERT_EQ(u->scopes[0].path_len, 1);
	KTEST_ASSERT_EQ(u->scopes[0].path[0], 2 << 3);
	KTEST_ASSERT_EQ(u->scopes[1].type, DMAR_SCOPE_BRIDGE);
	KTEST_ASSERT_EQ(u->scopes[1].path_len, 2);
	KTEST_ASSERT_EQ(u->scopes[1].path[0], 0x1c << 3);
	KTEST_ASSERT_EQ(u->scopes[1].path[1], 0);
	KTEST_EXPECT(info.units[1].include_all);
	KTEST_ASSERT_EQ(info.units[1].scope_count, 0);
}

KTEST(dmar_skips_other_structures_and_segment_groups)
{
	begin();
	size_t rmrr = structure(1); /* reserved memory: reserved (2), segment (2), base (8), limit (8) */
	used += 20;
	scope(1, 0, (uint8_t[]){0x14, 0}, 1);
	finish_structure(rmrr);
	drhd(0xfed80000, 1, true, 0); /* segment group 1 */
	drhd_end();
	finish_structure(structure(2)); /* ATS reporting, empty */
	qemu_unit();
	KTEST_ASSERT(dmar_parse(dmar, finish(), &info));
	KTEST_ASSERT_EQ(info.unit_count, 1);
	KTEST_ASSERT_EQ(info.units[0].phys, 0xfed90000);
}

KTEST(dmar_structure_of_length_zero_or_too_short)
{
	for (uint16_t len = 0; len < 4; len++) {
		qemu_like();
		size_t at = structure(7);
		put16(at + 2, len); /* would loop forever, or overlap the next, if trusted */
		KTEST_EXPECT(!dmar_parse(dmar, finish(), &info));
	}
	qemu_like();
	drhd_at = structure(0);
	used += 8; /* a DRHD of 12 bytes: no room for its register address */
	drhd_end();
	KTEST_EXPECT(!dmar_parse(dmar, finish(), &info));
}

KTEST(dmar_structure_running_past_the_end)
{
	qemu_like();
	used -= 2; /* the table ends inside the DRHD's scope */
	KTEST_EXPECT(!dmar_parse(dmar, finish(), &info));
	qemu_like();
	used += 3; /* three bytes after it: too few for a structure header */
	KTEST_EXPECT(!dmar_parse(dmar, finish(), &info));
}

KTEST(dmar_scope_with_a_bad_length)
{
	static const uint8_t lengths[] = {0, 1, 6, 7, 9, 30}; /* no path, half a hop, past its unit */
	for (size_t i = 0; i < sizeof(lengths); i++) {
		begin();
		drhd(0xfed91000, 0, false, 0);
		scope(1, 0, (uint8_t[]){2, 0}, 1);
		dmar[used - 7] = lengths[i];
		drhd_end();
		qemu_unit();
		KTEST_EXPECT(!dmar_parse(dmar, finish(), &info));
	}
}

KTEST(dmar_scope_naming_a_device_that_cannot_be)
{
	static const uint8_t paths[][2] = {{32, 0}, {2, 8}, {0xff, 0xff}};
	for (size_t i = 0; i < 3; i++) {
		begin();
		drhd(0xfed91000, 0, false, 0);
		scope(1, 0, paths[i], 1);
		drhd_end();
		KTEST_EXPECT(!dmar_parse(dmar, finish(), &info));
	}
}

KTEST(dmar_unusable_register_addresses)
{
	static const uint64_t bases[] = {0, 0xfed90800, 1ull << 52, ~0ull << 12};
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		begin();
		drhd(bases[i], 0, true, 0);
		drhd_end();
		KTEST_EXPECT(!dmar_parse(dmar, finish(), &info));
	}
	begin();
	drhd(0xfed90000, 0, true, 5); /* 2^5 pages of registers */
	drhd_end();
	KTEST_EXPECT(!dmar_parse(dmar, finish(), &info));
	begin();
	drhd(0xfed90000, 0, false, 0);
	drhd_end();
	qemu_unit(); /* the same registers twice */
	KTEST_EXPECT(!dmar_parse(dmar, finish(), &info));
	begin();
	drhd(0xfed8f000, 0, false, 1);
	drhd_end();
	qemu_unit(); /* registers that overlap */
	KTEST_EXPECT(!dmar_parse(dmar, finish(), &info));
	begin();
	drhd(0xfed8f000, 0, false, 0);
	drhd_end();
	qemu_unit(); /* right beside each other: fine */
	KTEST_EXPECT(dmar_parse(dmar, finish(), &info));
}

KTEST(dmar_more_than_is_kept)
{
	begin();
	for (unsigned i = 0; i <= DMAR_MAX_UNITS; i++) {
		drhd(0xfed00000 + i * 0x1000ull, 0, false, 0);
		drhd_end();
	}
	KTEST_EXPECT(!dmar_parse(dmar, finish(), &info)); /* nine units */
	begin();
	drhd(0xfed91000, 0, false, 0);
	for (unsigned i = 0; i <= DMAR_MAX_SCOPES; i++)
		scope(1, 0, (uint8_t[]){(uint8_t)i, 0}, 1);
	drhd_end();
	KTEST_EXPECT(!dmar_parse(dmar, finish(), &info)); /* seventeen scopes */
	begin();
	drhd(0xfed91000, 0, false, 0);
	scope(2, 0, (uint8_t[2 * (DMAR_MAX_PATH + 1)]){0}, DMAR_MAX_PATH + 1);
	drhd_end();
	KTEST_EXPECT(!dmar_parse(dmar, finish(), &info)); /* nine bridges deep */
}

KTEST(dmar_two_units_for_all_devices)
{
	qemu_like();
	drhd(0xfed91000, 0, true, 0);
	drhd_end();
	KTEST_EXPECT(!dmar_parse(dmar, finish(), &info));
}

KTEST(dmar_without_a_unit)
{
	begin();
	KTEST_EXPECT(!dmar_parse(dmar, finish(), &info)); /* no structures at all */
	begin();
	drhd(0xfed90000, 2, true, 0);
	drhd_end();
	KTEST_EXPECT(!dmar_parse(dmar, finish(), &info)); /* only another segment group's */
	KTEST_ASSERT_EQ(info.unit_count, 0);
}

KTEST(dmar_bad_checksum_length_or_signature)
{
	qemu_like();
	size_t len = finish();
	dmar[60] ^= 0x10;
	KTEST_EXPECT(!dmar_parse(dmar, len, &info));
	dmar[60] ^= 0x10;
	KTEST_ASSERT(dmar_parse(dmar, len, &info));
	KTEST_EXPECT(!dmar_parse(dmar, len - 1, &info)); /* the buffer is shorter than the table */
	KTEST_EXPECT(!dmar_parse(dmar, 40, &info));	 /* shorter than the fixed part */
	put32(4, 44);
	KTEST_EXPECT(!dmar_parse(dmar, len, &info)); /* a length shorter than the fixed part */
	put32(4, 0xffffffff);
	KTEST_EXPECT(!dmar_parse(dmar, len, &info)); /* a length beyond the buffer */
	put32(4, (uint32_t)len);
	memcpy(dmar, "DMAX", 4);
	KTEST_EXPECT(!dmar_parse(dmar, len, &info));
}

KTEST(acpi_finds_no_dmar_without_an_iommu)
{
	uint32_t len;
	KTEST_EXPECT(acpi_find_table("DMAR", &len) == NULL); /* QEMU's pc has none */
}
