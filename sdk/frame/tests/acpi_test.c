/* In-kernel tests of ACPI and the legacy interrupt controllers: the MADT parser on crafted, broken tables,
 * finding tables and the IOAPIC on this machine, the PIC's spurious-interrupt check. */
#include <frame/console.h>
#include <frame/irq.h>
#include <frame/ktest.h>
#include <frame/pci.h>
#include <frame/string.h>
#include "acpi/acpi.h"
#include "arch/x86_64/lapic.h"
#include "irq/irqchip.h"
#include "irq/madt.h"
#include "irq/pic.h"
#include "tests/acpi_craft.h"

static uint8_t madt[160];
static size_t used;
static struct madt_info info;

static void put32(size_t off, uint32_t v)
{
	memcpy(madt + off, &v, 4);
}

/* Start a MADT: the header, the local APIC address and the flags, no entries yet. */
static void begin(void)
{
	memset(madt, 0, sizeof(madt));
	memcpy(madt, "APIC", 4);
	madt[8] = 3; /* revision */
	put32(36, 0xfee00000);
	put32(40, 1); /* PC-AT compatible: there are 8259s */
	used = 44;
}

/* Add an entry of the given type whose length field says len (the bytes written are body_len + 2). */
static void entry(uint8_t type, uint8_t len, const void *body, size_t body_len)
{
	madt[used] = type;
	madt[used + 1] = len;
	memcpy(madt + used + 2, body, body_len);
	used += body_len + 2;
}

static void ioapic_entry(uint32_t phys, uint32_t gsi_base)
{
	uint8_t body[10] = {0};
	memcpy(body + 2, &phys, 4);
	memcpy(body + 6, &gsi_base, 4);
	entry(1, 12, body, sizeof(body));
}

static void override_entry(uint8_t bus, uint8_t line, uint32_t gsi, uint16_t flags)
{
	uint8_t body[8] = {bus, line};
	memcpy(body + 2, &gsi, 4);
	memcpy(body + 6, &flags, 2);
	entry(2, 10, body, sizeof(body));
}

/* Write the table's length and checksum; returns the length. */
static size_t finish(void)
{
	return acpi_table_seal(madt, used);
}

/* What QEMU's pc and q35 machines give: a local APIC, the IOAPIC, ISA 0 on GSI 2, PCI lines level. */
static void qemu_like(void)
{
	begin();
	entry(0, 8, (uint8_t[6]){0, 0, 1, 0, 0, 0}, 6); /* the local APIC */
	ioapic_entry(0xfec00000, 0);
	override_entry(0, 0, 2, 0);
	override_entry(0, 5, 5, 0xd); /* level, active high */
	override_entry(0, 9, 9, 0xd);
	entry(4, 6, (uint8_t[4]){0xff, 0, 0, 1}, 4); /* local APIC NMI: not ours, skipped */
}

KTEST(madt_parses_a_qemu_like_table)
{
	qemu_like();
	override_entry(0, 12, 12, 0xf); /* level, active low */
	KTEST_ASSERT(madt_parse(madt, finish(), &info));
	KTEST_ASSERT_EQ(info.ioapic_phys, 0xfec00000);
	KTEST_ASSERT_EQ(info.ioapic_gsi_base, 0);
	KTEST_ASSERT_EQ(info.isa[0].gsi, 2);
	KTEST_EXPECT(!info.isa[0].active_low && !info.isa[0].level);
	KTEST_ASSERT_EQ(info.isa[2].gsi, MADT_NO_GSI); /* its GSI went to ISA 0 */
	KTEST_ASSERT_EQ(info.isa[1].gsi, 1);
	KTEST_EXPECT(!info.isa[1].active_low && !info.isa[1].level);
	KTEST_EXPECT(info.isa[9].level && !info.isa[9].active_low);
	KTEST_EXPECT(info.isa[12].level && info.isa[12].active_low);
	KTEST_ASSERT_EQ(info.isa[15].gsi, 15);
}

KTEST(madt_keeps_the_first_ioapic_and_ignores_non_isa_overrides)
{
	qemu_like();
	ioapic_entry(0xfec01000, 24);
	override_entry(1, 3, 40, 0xf);	/* not the ISA bus */
	override_entry(0, 16, 40, 0xf); /* not an ISA line */
	KTEST_ASSERT(madt_parse(madt, finish(), &info));
	KTEST_ASSERT_EQ(info.ioapic_phys, 0xfec00000);
	KTEST_ASSERT_EQ(info.isa[3].gsi, 3);
	KTEST_EXPECT(!info.isa[3].level);
}

KTEST(madt_swapped_lines_keep_their_gsis)
{
	qemu_like();
	override_entry(0, 2, 0, 0); /* ISA 0 and 2 trade places */
	KTEST_ASSERT(madt_parse(madt, finish(), &info));
	KTEST_ASSERT_EQ(info.isa[0].gsi, 2);
	KTEST_ASSERT_EQ(info.isa[2].gsi, 0);
}

KTEST(madt_entry_running_past_the_end)
{
	qemu_like();
	used -= 3; /* the table ends inside its last entry */
	KTEST_ASSERT(!madt_parse(madt, finish(), &info));
}

KTEST(madt_entry_too_short_for_its_type)
{
	begin();
	override_entry(0, 0, 2, 0);
	entry(1, 6, (uint8_t[4]){0, 0, 0, 0xc0}, 4); /* an IOAPIC entry of 6 bytes */
	KTEST_ASSERT(!madt_parse(madt, finish(), &info));
	KTEST_ASSERT_EQ(info.isa[0].gsi, 0); /* out is back at the defaults */
}

KTEST(madt_entry_of_length_zero_or_one)
{
	for (uint8_t len = 0; len < 2; len++) {
		qemu_like();
		entry(0x7f, len, "", 0); /* would loop forever if trusted */
		ioapic_entry(0xfec01000, 24);
		KTEST_ASSERT(!madt_parse(madt, finish(), &info));
	}
}

KTEST(madt_bad_checksum_length_or_signature)
{
	qemu_like();
	size_t len = finish();
	madt[50] ^= 0x10;
	KTEST_EXPECT(!madt_parse(madt, len, &info));
	madt[50] ^= 0x10;
	KTEST_ASSERT(madt_parse(madt, len, &info));
	KTEST_EXPECT(!madt_parse(madt, len - 1, &info)); /* the buffer is shorter than the table */
	KTEST_EXPECT(!madt_parse(madt, 40, &info));	 /* shorter than the fixed part */
	put32(4, 20);
	KTEST_EXPECT(!madt_parse(madt, len, &info)); /* a length shorter than the fixed part */
	put32(4, (uint32_t)len);
	memcpy(madt, "APIX", 4);
	KTEST_EXPECT(!madt_parse(madt, len, &info));
}

KTEST(madt_without_ioapic)
{
	begin();
	entry(0, 8, (uint8_t[6]){0, 0, 1, 0, 0, 0}, 6);
	override_entry(0, 0, 2, 0);
	KTEST_ASSERT(!madt_parse(madt, finish(), &info));
	begin();
	KTEST_ASSERT(!madt_parse(madt, finish(), &info)); /* no entries at all */
}

/* With the IOAPIC ACPI names (QEMU's pc, q35 and microvm) the ISA lines go through it; on a machine
 * without one (QEMU's isapc: no ACPI at all) they go through the PIC. The tests booting this kernel
 * check which of the two lines below each machine printed. */
KTEST(irqchip_is_the_ioapic_acpi_finds_else_the_pic)
{
	if (!madt_find(&info)) {
		console_printf("# no IOAPIC in ACPI: ISA lines through the %s\n", irqchip_name());
		KTEST_ASSERT(strcmp(irqchip_name(), "PIC") == 0);
		KTEST_ASSERT_EQ(info.isa[0].gsi, 0); /* the ISA defaults, nothing half-read */
		KTEST_EXPECT(info.ioapic_phys == 0);
		return;
	}
	console_printf("# IOAPIC at 0x%llx, GSI base %u, ISA 0 on GSI %u\n", (unsigned long long)info.ioapic_phys,
		       info.ioapic_gsi_base, info.isa[0].gsi);
	KTEST_ASSERT_EQ(info.ioapic_phys, 0xfec00000); /* QEMU pc, q35 (ISA 0 on GSI 2) and microvm (on GSI 0) */
	KTEST_ASSERT(strcmp(irqchip_name(), lapic_present() ? "IOAPIC" : "PIC") == 0);
}

KTEST(acpi_finds_tables_by_signature)
{
	uint32_t len = 0;
	KTEST_EXPECT(acpi_find_table("NONE", &len) == NULL);
	if (acpi_find_table("FACP", &len) == NULL && acpi_find_table("APIC", &len) == NULL) {
		console_printf("# no ACPI tables on this machine\n"); /* QEMU's isapc */
		return;
	}
	KTEST_ASSERT(acpi_find_table("APIC", &len) != NULL);
	KTEST_EXPECT(len >= ACPI_HEADER_LEN);
	KTEST_EXPECT(acpi_find_table("FACP", &len) != NULL);
	bool q35 = pci_find(0x8086, 0x29c0, NULL) != NULL;	      /* its MCH */
	KTEST_EXPECT((acpi_find_table("MCFG", &len) != NULL) == q35); /* ECAM: q35 has it, pc does not */
}

KTEST(pic_sees_spurious_irq_7_and_15_when_nothing_is_in_service)
{
	irq_state s = irq_save(); /* no handler runs, so nothing is in service */
	bool irq7 = pic_spurious(7), irq15 = pic_spurious(15), irq3 = pic_spurious(3);
	irq_restore(s);
	KTEST_EXPECT(irq7);
	KTEST_EXPECT(irq15);
	KTEST_EXPECT(!irq3); /* only 7 and 15 can be spurious */
}

/* An RSDP of revision rev in r (36 bytes, length field 36), both checksums right. */
static void rsdp_make(uint8_t *r, uint8_t rev)
{
	memset(r, 0, 36);
	memcpy(r, "RSD PTR ", 8);
	r[15] = rev;
	r[20] = 36;
	uint8_t sum = 0;
	for (int i = 0; i < 20; i++)
		sum += r[i];
	r[8] = (uint8_t)-sum;
	sum = 0;
	for (int i = 0; i < 36; i++)
		sum += r[i];
	r[32] = (uint8_t)-sum;
}

/* The boot loader's RSDP copies are hostile: their checksums, and for ACPI 2.0+ the length
 * field, must hold within the bytes copied; a 20-byte (ACPI 1.0 tag) copy of a 2.0 RSDP is taken. */
KTEST(acpi_rsdp_copies_are_checked)
{
	uint8_t r[36];
	rsdp_make(r, 2);
	KTEST_ASSERT(acpi_rsdp_copy_ok(r, 36));
	KTEST_ASSERT(acpi_rsdp_copy_ok(r, 20)); /* the first part alone: ACPI 1.0 */
	KTEST_ASSERT(!acpi_rsdp_copy_ok(r, 19));
	KTEST_ASSERT(!acpi_rsdp_copy_ok(r, 30)); /* the length field (36) is past the copy */
	r[32]++;				 /* the extended checksum */
	KTEST_ASSERT(!acpi_rsdp_copy_ok(r, 36));
	KTEST_ASSERT(acpi_rsdp_copy_ok(r, 20));
	rsdp_make(r, 2);
	r[20] = 200; /* a length past what was copied */
	KTEST_ASSERT(!acpi_rsdp_copy_ok(r, 36));
	rsdp_make(r, 0);
	KTEST_ASSERT(acpi_rsdp_copy_ok(r, 20));
	r[8]++; /* the ACPI 1.0 checksum */
	KTEST_ASSERT(!acpi_rsdp_copy_ok(r, 20));
	rsdp_make(r, 0);
	r[0] = 'X';
	KTEST_ASSERT(!acpi_rsdp_copy_ok(r, 36));
}
