/*
 * The ACPI DMAR table, read as hostile input: the DMA remapping units (DRHD structures) of PCI
 * segment group 0 and their device scopes. The other structures (reserved memory, ATS, proximity)
 * are skipped; every length is checked before anything inside it is read.
 */
#include "iommu/dmar.h"
#include "acpi/acpi.h"
#include "lib/bytes.h"
#include <frame/log.h>
#include <frame/string.h>

#define DMAR_STRUCTURES 48 /* the header, the host address width, the flags, 10 reserved bytes */
#define STRUCT_HEADER 4	   /* type (2), length (2) */
#define DRHD 0
#define DRHD_SCOPES 16 /* type, length, flags, size, segment (2), register base (8) */
#define DRHD_INCLUDE_PCI_ALL 0x1
#define DRHD_MAX_SIZE_LOG2 4 /* 2^4 pages of registers: more is taken as absurd */
#define RMRR 1
#define SCOPE_PATH 6 /* type, length, flags, reserved, enumeration id, start bus */
#define PHYS_LIMIT (1ull << 52)
#define PAGE 4096u

/* Read the device scope at s (len bytes, checked) into unit, if it is a PCI one. */
static bool scope_read(const uint8_t *s, uint8_t len, struct dmar_unit *unit, uint32_t at)
{
	unsigned hops = (len - SCOPE_PATH) / 2u;
	if (s[0] != DMAR_SCOPE_ENDPOINT && s[0] != DMAR_SCOPE_BRIDGE)
		return true; /* an I/O APIC, an HPET, an ACPI device: interrupt remapping's business */
	if (hops > DMAR_MAX_PATH || unit->scope_count == DMAR_MAX_SCOPES) {
		log_warn("acpi: DMAR device scope at byte %u: more than %s", at,
			 hops > DMAR_MAX_PATH ? "8 bridges deep" : "16 scopes in one unit");
		return false;
	}
	struct dmar_scope *scope = &unit->scopes[unit->scope_count++];
	*scope = (struct dmar_scope){s[0], s[5], (uint8_t)hops, {0}};
	for (unsigned i = 0; i < hops; i++) {
		uint8_t device = s[SCOPE_PATH + 2 * i], function = s[SCOPE_PATH + 2 * i + 1];
		if (device >= 32 || function >= 8) {
			log_warn("acpi: DMAR device scope at byte %u names device %u function %u", at, device,
				 function);
			return false;
		}
		scope->path[i] = (uint8_t)(device << 3 | function);
	}
	return true;
}

/* Read the scopes in [from, to) of the DRHD at table byte offsets into unit. */
static bool scopes_read(const uint8_t *t, uint32_t from, uint32_t to, struct dmar_unit *unit)
{
	for (uint32_t off = from; off < to; off += t[off + 1]) {
		const uint8_t *s = t + off;
		if (to - off < 2 || s[1] < SCOPE_PATH + 2 || s[1] > to - off || (s[1] - SCOPE_PATH) % 2) {
			log_warn("acpi: DMAR device scope at byte %u has a bad length (%u)", off,
				 to - off < 2 ? 0 : s[1]);
			return false;
		}
		if (!unit->include_all && !scope_read(s, s[1], unit, off)) /* include-all: no PCI scopes */
			return false;
	}
	return true;
}

/* Whether the registers of a unit in out overlap [phys, phys + size). */
static bool unit_overlaps(const struct dmar_info *out, uint64_t phys, uint32_t size)
{
	for (unsigned i = 0; i < out->unit_count; i++)
		if (phys < out->units[i].phys + out->units[i].size && out->units[i].phys < phys + size)
			return true;
	return false;
}

/* Read the DRHD at table offset off (len bytes, at least DRHD_SCOPES) into out. */
static bool drhd_read(const uint8_t *t, uint32_t off, uint16_t len, struct dmar_info *out)
{
	const uint8_t *e = t + off;
	uint64_t phys = get64(e + 8);
	unsigned size_log2 = e[5] & 0xf;
	if (get16(e + 6) != 0) {
		log_debug("acpi: DMAR unit of segment group %u ignored", get16(e + 6));
		return true;
	}
	if (!phys || phys % PAGE || phys >= PHYS_LIMIT || size_log2 > DRHD_MAX_SIZE_LOG2 ||
	    unit_overlaps(out, phys, PAGE << size_log2)) {
		log_warn("acpi: DMAR unit at byte %u: registers at 0x%llx (2^%u pages) are unusable or another unit's",
			 off, (unsigned long long)phys, size_log2);
		return false;
	}
	if (out->unit_count == DMAR_MAX_UNITS) {
		log_warn("acpi: DMAR lists more than %d remapping units", DMAR_MAX_UNITS);
		return false;
	}
	struct dmar_unit *unit = &out->units[out->unit_count++];
	*unit = (struct dmar_unit){.phys = phys, .size = PAGE << size_log2, .include_all = e[4] & DRHD_INCLUDE_PCI_ALL};
	for (unsigned i = 0; unit->include_all && i + 1 < out->unit_count; i++)
		if (out->units[i].include_all) {
			log_warn("acpi: DMAR has two units for all PCI devices");
			return false;
		}
	return scopes_read(t, off + DRHD_SCOPES, off + len, unit);
}

/* Read the remapping structures of the sound DMAR t (total bytes) into out. */
static bool structures_read(const uint8_t *t, uint32_t total, struct dmar_info *out)
{
	unsigned reserved = 0;
	for (uint32_t off = DMAR_STRUCTURES, len; off < total; off += len) {
		uint16_t type = total - off >= STRUCT_HEADER ? get16(t + off) : 0;
		len = total - off >= STRUCT_HEADER ? get16(t + off + 2) : 0;
		if (len < STRUCT_HEADER || len > total - off || (type == DRHD && len < DRHD_SCOPES)) {
			log_warn("acpi: DMAR structure of type %u at byte %u has a bad length (%u)", type, off, len);
			return false;
		}
		if (type == DRHD && !drhd_read(t, off, (uint16_t)len, out))
			return false;
		reserved += type == RMRR;
	}
	if (reserved)
		log_debug("acpi: DMAR reserves memory for devices %u times; not mapped", reserved);
	return true;
}

bool dmar_parse(const void *dmar, size_t len, struct dmar_info *out)
{
	const uint8_t *t = dmar;
	memset(out, 0, sizeof(*out));
	if (!acpi_table_ok(t, len, "DMAR", DMAR_STRUCTURES, "DMAR") || !structures_read(t, get32(t + 4), out)) {
		memset(out, 0, sizeof(*out)); /* nothing half-read */
		return false;
	}
	out->host_address_width = t[36] + 1u;
	if (!out->unit_count)
		log_warn("acpi: the DMAR lists no remapping unit for segment group 0");
	return out->unit_count > 0;
}
