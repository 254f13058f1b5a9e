/* The ACPI DMAR table, as far as DMA remapping needs it: the remapping units (DRHDs) of PCI
 * segment group 0, and which devices each one holds. */
#ifndef FRAME_IOMMU_DMAR_H
#define FRAME_IOMMU_DMAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DMAR_MAX_UNITS 8   /* remapping units kept; a table with more is refused */
#define DMAR_MAX_SCOPES 16 /* PCI device scopes a unit may list */
#define DMAR_MAX_PATH 8	   /* bridges crossed by one scope's path, the device included */

/* A PCI device scope: the device at path (device << 3 | function, one per bus crossed) from
 * start_bus, and for DMAR_SCOPE_BRIDGE every device below that bridge too. */
struct dmar_scope {
	uint8_t type; /* DMAR_SCOPE_ENDPOINT or DMAR_SCOPE_BRIDGE */
	uint8_t start_bus;
	uint8_t path_len; /* 1 to DMAR_MAX_PATH */
	uint8_t path[DMAR_MAX_PATH];
};
#define DMAR_SCOPE_ENDPOINT 1
#define DMAR_SCOPE_BRIDGE 2

/* A remapping unit (a DRHD structure): where its registers are, and the devices it holds:
 * those its scopes list, or (include_all) every device of the segment no other unit lists. */
struct dmar_unit {
	uint64_t phys;	      /* its registers, page aligned */
	uint32_t size;	      /* bytes of registers, at least 4096 */
	bool include_all;     /* INCLUDE_PCI_ALL */
	unsigned scope_count; /* PCI scopes (I/O APIC and HPET scopes are left out) */
	struct dmar_scope scopes[DMAR_MAX_SCOPES];
};

struct dmar_info {
	unsigned host_address_width; /* in bits */
	unsigned unit_count;
	struct dmar_unit units[DMAR_MAX_UNITS];
};

/* Parse the DMAR (the whole table, header included) in the len readable bytes at dmar into out.
 * Checks the signature, the length, the checksum, every structure's and scope's length, and
 * each unit's registers (page aligned, below 2^52, no other unit's); keeps the units of
 * segment group 0. Returns false, after a warning, when any of that is broken, when the units
 * or their scopes are more than kept, or when segment group 0 has no unit: a table that is
 * half right is not used, since a unit left out would leave its devices to another. Never
 * reads outside [dmar, dmar + len). */
bool dmar_parse(const void *dmar, size_t len, struct dmar_info *out);

#endif
