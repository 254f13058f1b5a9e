/* The ACPI MADT, read as hostile input: the first IOAPIC and the ISA interrupt overrides. */
#include "irq/madt.h"
#include "acpi/acpi.h"
#include "lib/bytes.h"
#include <frame/log.h>
#include <frame/string.h>

#define MADT_ENTRIES 44 /* the header, the local APIC address and the flags */

#define MADT_IOAPIC 1
#define MADT_IOAPIC_LEN 12 /* type, length, id, reserved, address, GSI base */
#define MADT_OVERRIDE 2
#define MADT_OVERRIDE_LEN 10 /* type, length, bus, source, GSI, flags */
#define MPS_ACTIVE_LOW 0x3   /* flags bits 1:0 (polarity); 0 conforms to the bus: high for ISA */
#define MPS_LEVEL 0xc	     /* flags bits 3:2 (trigger); 0 conforms to the bus: edge for ISA */

/* Reset out to the ISA defaults: line n is GSI n, active high, edge triggered; no IOAPIC. */
static void isa_defaults(struct madt_info *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned n = 0; n < ISA_IRQ_COUNT; n++)
		out->isa[n].gsi = n;
}

/* Apply an interrupt source override entry (at least MADT_OVERRIDE_LEN bytes at e). */
static void apply_override(struct madt_info *out, const uint8_t *e)
{
	uint8_t bus = e[2], line = e[3];
	uint16_t flags = get16(e + 8);
	if (bus != 0 || line >= ISA_IRQ_COUNT) {
		log_warn("acpi: MADT override of bus %u line %u ignored (not an ISA line)", bus, line);
		return;
	}
	out->isa[line].gsi = get32(e + 4);
	out->isa[line].active_low = (flags & MPS_ACTIVE_LOW) == MPS_ACTIVE_LOW;
	out->isa[line].level = (flags & MPS_LEVEL) == MPS_LEVEL;
}

/* Which of two ISA lines on one GSI keeps it: a moved line before one left at its default. */
static unsigned claim_rank(const struct madt_info *m, unsigned line)
{
	return m->isa[line].gsi != line ? line : ISA_IRQ_COUNT + line;
}

/* Give every GSI to one ISA line at most: a line moved onto another's GSI (QEMU moves ISA 0 to
 * GSI 2) takes it; that other line is left with MADT_NO_GSI. */
static void drop_shared_gsis(struct madt_info *m)
{
	for (unsigned a = 0; a < ISA_IRQ_COUNT; a++)
		for (unsigned b = 0; b < ISA_IRQ_COUNT; b++)
			if (a != b && m->isa[a].gsi == m->isa[b].gsi && m->isa[a].gsi != MADT_NO_GSI &&
			    claim_rank(m, a) < claim_rank(m, b))
				m->isa[b].gsi = MADT_NO_GSI;
}

/* The shortest length an entry of this type can have and still hold what we read of it. */
static uint8_t entry_min_len(uint8_t type)
{
	return type == MADT_IOAPIC ? MADT_IOAPIC_LEN : type == MADT_OVERRIDE ? MADT_OVERRIDE_LEN : 2;
}

/* Read the entries of the sound MADT t (total bytes) into out. Returns false if one is malformed. */
static bool madt_entries(const uint8_t *t, uint32_t total, struct madt_info *out)
{
	bool found = false;
	for (uint32_t off = MADT_ENTRIES; off < total; off += t[off + 1]) {
		const uint8_t *e = t + off;
		if (total - off < 2 || e[1] < entry_min_len(e[0]) || e[1] > total - off) {
			log_warn("acpi: MADT entry of type %u at byte %u has a bad length (%u)", e[0], off,
				 total - off < 2 ? 0 : e[1]);
			return false;
		}
		if (e[0] == MADT_IOAPIC && !found) {
			out->ioapic_phys = get32(e + 4);
			out->ioapic_gsi_base = get32(e + 8);
			found = true;
		} else if (e[0] == MADT_OVERRIDE) {
			apply_override(out, e);
		}
	}
	if (!found)
		log_debug("acpi: the MADT lists no IOAPIC");
	return found;
}

bool madt_parse(const void *madt, size_t len, struct madt_info *out)
{
	const uint8_t *t = madt;
	isa_defaults(out);
	if (!acpi_table_ok(t, len, "APIC", MADT_ENTRIES, "MADT") || !madt_entries(t, get32(t + 4), out)) {
		isa_defaults(out); /* nothing half-read */
		return false;
	}
	drop_shared_gsis(out);
	return true;
}

bool madt_find(struct madt_info *out)
{
	uint32_t len;
	const uint8_t *madt = acpi_find_table("APIC", &len);
	isa_defaults(out);
	return madt && madt_parse(madt, len, out);
}
