/* ACPI tables read as hostile input: RSDP, then RSDT or XSDT, then the MADT; every length and checksum checked. */
#include "irq/acpi.h"
#include "lib/bytes.h"
#include "mm/linear_map.h"
#include <frame/log.h>
#include <frame/string.h>

#define SDT_HEADER_LEN 36      /* signature, length, revision, checksum, OEM ids... */
#define SDT_MAX_LEN (1u << 20) /* a longer table is taken as corrupt */
#define MADT_ENTRIES 44	       /* the header, the local APIC address and the flags */
#define RSDP_V1_LEN 20	       /* ACPI 1.0 part: signature, checksum, OEM id, revision, RSDT */
#define RSDP_V2_LEN 36	       /* ACPI 2.0+: length, XSDT, extended checksum */
#define RSDP_MAX_LEN 4096      /* a longer RSDP is taken as corrupt */
#define EBDA_SEGMENT_PTR 0x40e /* BIOS data area: real-mode segment of the EBDA */
#define EBDA_END 0xa0000       /* the EBDA lies below the video memory */
#define BIOS_ROM 0xe0000       /* the BIOS read-only area the RSDP may be in */
#define BIOS_ROM_END 0x100000

#define MADT_IOAPIC 1
#define MADT_IOAPIC_LEN 12 /* type, length, id, reserved, address, GSI base */
#define MADT_OVERRIDE 2
#define MADT_OVERRIDE_LEN 10 /* type, length, bus, source, GSI, flags */
#define MPS_ACTIVE_LOW 0x3   /* flags bits 1:0 (polarity); 0 conforms to the bus: high for ISA */
#define MPS_LEVEL 0xc	     /* flags bits 3:2 (trigger); 0 conforms to the bus: edge for ISA */

/* Whether the len bytes at p add up to 0 (mod 256), as every ACPI checksum requires. */
static bool checksum_ok(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;
	for (size_t i = 0; i < len; i++)
		sum += p[i];
	return sum == 0;
}

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

/* Whether the MADT header in the len bytes at t is sound: signature, length and checksum. */
static bool madt_header_ok(const uint8_t *t, size_t len)
{
	if (len < MADT_ENTRIES || memcmp(t, "APIC", 4)) {
		log_warn("acpi: MADT of %zu bytes is too short or misnamed", len);
		return false;
	}
	uint32_t total = get32(t + 4);
	if (total < MADT_ENTRIES || total > len) {
		log_warn("acpi: MADT claims %u bytes but %zu are there", total, len);
		return false;
	}
	if (!checksum_ok(t, total)) {
		log_warn("acpi: MADT checksum is wrong");
		return false;
	}
	return true;
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
	if (!madt_header_ok(t, len) || !madt_entries(t, get32(t + 4), out)) {
		isa_defaults(out); /* nothing half-read */
		return false;
	}
	drop_shared_gsis(out);
	return true;
}

/* Map the ACPI table at physical addr. Returns it with *len its length, or NULL when it lies
 * beyond the linear map or its length is shorter than a header or longer than SDT_MAX_LEN. */
static const uint8_t *table_map(uint64_t addr, uint32_t *len)
{
	const uint8_t *h = linear_map_ensure(addr, SDT_HEADER_LEN);
	if (!h)
		return NULL;
	*len = get32(h + 4);
	if (*len < SDT_HEADER_LEN || *len > SDT_MAX_LEN)
		return NULL;
	return linear_map_ensure(addr, *len);
}

/* The physical address of a valid RSDP in [start, start + len) on a 16-byte boundary, or 0. */
static uint64_t rsdp_scan(uint64_t start, uint64_t len)
{
	const uint8_t *p = linear_map_ensure(start, len);
	for (uint64_t off = 0; p && off + RSDP_V1_LEN <= len; off += 16)
		if (!memcmp(p + off, "RSD PTR ", 8) && checksum_ok(p + off, RSDP_V1_LEN))
			return start + off;
	return 0;
}

/* The RSDP: in the first KiB of the EBDA, else in the BIOS area. Returns its address, or 0. */
static uint64_t rsdp_find(void)
{
	const uint8_t *bda = linear_map_ensure(EBDA_SEGMENT_PTR, 2);
	uint64_t ebda = bda ? (uint64_t)get16(bda) << 4 : 0, found = 0;
	if (ebda && ebda + 1024 <= EBDA_END)
		found = rsdp_scan(ebda, 1024);
	return found ? found : rsdp_scan(BIOS_ROM, BIOS_ROM_END - BIOS_ROM);
}

/* The root table the RSDP at rsdp names: the XSDT (8-byte entries) when ACPI 2.0+ gives a valid
 * one, else the RSDT (4-byte entries). Returns its address and sets *entry_size. */
static uint64_t root_table(uint64_t rsdp, unsigned *entry_size)
{
	const uint8_t *r = linear_map_ensure(rsdp, RSDP_V2_LEN);
	uint32_t len = get32(r + 20);
	if (r[15] >= 2 && len >= RSDP_V2_LEN && len <= RSDP_MAX_LEN && checksum_ok(linear_map_ensure(rsdp, len), len) &&
	    get64(r + 24)) {
		*entry_size = 8;
		return get64(r + 24);
	}
	*entry_size = 4;
	return get32(r + 16);
}

/* Find the MADT among the tables the root table at root lists. Returns it with *len its length,
 * or NULL (with a warning when the root table is broken). */
static const uint8_t *madt_locate(uint64_t root, unsigned entry_size, uint32_t *len)
{
	uint32_t root_len, n;
	const uint8_t *t = table_map(root, &root_len);
	if (!t || memcmp(t, entry_size == 8 ? "XSDT" : "RSDT", 4) || !checksum_ok(t, root_len)) {
		log_warn("acpi: the root table at 0x%llx is broken", (unsigned long long)root);
		return NULL;
	}
	for (uint32_t off = SDT_HEADER_LEN; off + entry_size <= root_len; off += entry_size) {
		uint64_t addr = entry_size == 8 ? get64(t + off) : get32(t + off);
		const uint8_t *s = table_map(addr, &n);
		if (s && !memcmp(s, "APIC", 4)) {
			*len = n;
			return s;
		}
	}
	log_debug("acpi: no MADT");
	return NULL;
}

bool acpi_madt_find(struct madt_info *out)
{
	uint64_t rsdp = rsdp_find();
	unsigned entry_size;
	uint32_t len;
	isa_defaults(out);
	if (!rsdp) {
		log_debug("acpi: no RSDP");
		return false;
	}
	uint64_t root = root_table(rsdp, &entry_size);
	const uint8_t *madt = madt_locate(root, entry_size, &len);
	return madt && madt_parse(madt, len, out);
}
