/* The ACPI MADT, as far as the interrupt controllers need it: the first IOAPIC and the ISA interrupt overrides. */
#ifndef FRAME_IRQ_MADT_H
#define FRAME_IRQ_MADT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ISA_IRQ_COUNT 16
#define MADT_NO_GSI UINT32_MAX /* the ISA line has no GSI of its own (another line was moved onto it) */

/* Where an ISA line arrives at the IOAPICs: a global system interrupt (GSI) and its signal. */
struct isa_route {
	uint32_t gsi;
	bool active_low; /* ISA default: active high */
	bool level;	 /* ISA default: edge triggered */
};

/* What the MADT says about the legacy lines. */
struct madt_info {
	uint64_t ioapic_phys;	  /* registers of the first IOAPIC */
	uint32_t ioapic_gsi_base; /* the GSI of its first input */
	struct isa_route isa[ISA_IRQ_COUNT];
};

/* Parse the MADT (the whole table, header included) in the len readable bytes at madt into out.
 * Checks the signature, the length, the checksum and every entry's length; returns true only
 * for a well-formed table with an IOAPIC; on false, out holds the ISA defaults (line n on GSI n,
 * active high, edge). Any problem is logged as a warning, never a read outside [madt, madt + len). */
bool madt_parse(const void *madt, size_t len, struct madt_info *out);

/* Find the MADT (acpi_find_table()) and parse it into out. Returns false, after a warning for
 * a broken table, when there is no usable IOAPIC. */
bool madt_find(struct madt_info *out);

#endif
