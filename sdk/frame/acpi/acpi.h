/* ACPI tables, read as hostile input: find one by its signature, check its header and checksum. */
#ifndef FRAME_ACPI_ACPI_H
#define FRAME_ACPI_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACPI_HEADER_LEN 36 /* signature, length, revision, checksum, OEM ids... */

/* Whether the len bytes at p add up to 0 (mod 256), as every ACPI checksum requires. */
bool acpi_checksum_ok(const uint8_t *p, size_t len);

/* Whether the table in the len readable bytes at t is sound: its signature is sig, its length
 * field is at least min_len and at most len, and its checksum is right. Otherwise logs a
 * warning naming the table (name: "MADT", "MCFG") and returns false. */
bool acpi_table_ok(const uint8_t *t, size_t len, const char *sig, uint32_t min_len, const char *name);

/* Whether a copy of the RSDP in the avail readable bytes at r (from the boot loader) is sound:
 * its signature and ACPI 1.0 checksum; for an ACPI 2.0+ one of more than 20 bytes, also a length
 * that fits in avail and its extended checksum. A 20-byte copy is taken as ACPI 1.0 whatever its
 * revision says (a 1.0 tag may carry a 2.0 RSDP's first part): its RSDT is used. */
bool acpi_rsdp_copy_ok(const uint8_t *r, uint32_t avail);

/* The first table with the 4-byte signature sig (e.g. "APIC", "MCFG") among those the RSDT or
 * XSDT lists, through the linear map, with *len set to its length field (at least
 * ACPI_HEADER_LEN, at most 1 MiB, all of it mapped). Returns NULL when there is no RSDP, the
 * root table is broken (after a warning), or no such table; the table itself is not checked
 * beyond its length: its parser calls acpi_table_ok(). */
const uint8_t *acpi_find_table(const char *sig, uint32_t *len);

#endif
