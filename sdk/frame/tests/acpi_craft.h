/* For in-kernel tests of the ACPI parsers: finishing a crafted table. */
#ifndef FRAME_TESTS_ACPI_CRAFT_H
#define FRAME_TESTS_ACPI_CRAFT_H

#include <stddef.h>
#include <stdint.h>

/* Write len into the table's length field and make its checksum right; returns len. */
size_t acpi_table_seal(uint8_t *table, size_t len);

#endif
