/* For in-kernel tests of the ACPI parsers: finishing a crafted table. */
#include "tests/acpi_craft.h"
#include <frame/string.h>

size_t acpi_table_seal(uint8_t *table, size_t len)
{
	uint32_t len32 = (uint32_t)len;
	uint8_t sum = 0;
	memcpy(table + 4, &len32, 4);
	table[9] = 0;
	for (size_t i = 0; i < len; i++)
		sum += table[i];
	table[9] = (uint8_t)-sum;
	return len;
}
