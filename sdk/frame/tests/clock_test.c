/* In-kernel tests of the TSC calibration's checks (timer/calibrate.c): the arithmetic, the
 * plausibility of rates, CPUID 0x15, and the HPET and FADT parsers on crafted, broken tables. */
#include <frame/ktest.h>
#include <frame/string.h>
#include "tests/acpi_craft.h"
#include "timer/calibrate.h"
#include "timer/clock.h"

static uint8_t table[232];

static void put32(size_t off, uint32_t v)
{
	memcpy(table + off, &v, 4);
}

static void put64(size_t off, uint64_t v)
{
	memcpy(table + off, &v, 8);
}

/* An HPET table naming a register block at base in address space space. */
static size_t hpet_table(uint8_t space, uint64_t base)
{
	memset(table, 0, sizeof(table));
	memcpy(table, "HPET", 4);
	table[40] = space;
	put64(44, base);
	return acpi_table_seal(table, 56);
}

/* A FADT of len bytes with the PM timer at port (PM_TMR_LEN 4) and the given flags. */
static size_t fadt(size_t len, uint32_t port, uint32_t flags)
{
	memset(table, 0, sizeof(table));
	memcpy(table, "FACP", 4);
	put32(76, port);
	table[91] = port ? 4 : 0;
	put32(112, flags);
	return acpi_table_seal(table, len);
}

KTEST(clock_muldiv_is_exact_past_64_bits_and_refuses_overflow)
{
	KTEST_EXPECT(clock_muldiv(6, 7, 3) == 14);
	KTEST_EXPECT(clock_muldiv(UINT64_MAX - 1, 1000000, 1000000) == UINT64_MAX - 1); /* through 2^84 */
	KTEST_EXPECT(clock_muldiv(1ull << 40, 1ull << 40, 1ull << 30) == 1ull << 50);
	KTEST_EXPECT(clock_muldiv(15000000, 100000000, 250000) == 6000000000ull);
	KTEST_EXPECT(clock_muldiv(1ull << 63, 4, 2) == UINT64_MAX); /* 2^64 does not fit */
	KTEST_EXPECT(clock_muldiv(5, 5, 0) == UINT64_MAX);
}

KTEST(clock_rates_outside_100_mhz_to_10_ghz_are_implausible)
{
	KTEST_EXPECT(!clock_rate_plausible(0));
	KTEST_EXPECT(!clock_rate_plausible(787000)); /* what microvm's missing gate used to give */
	KTEST_EXPECT(!clock_rate_plausible(TSC_MIN_HZ - 1));
	KTEST_EXPECT(clock_rate_plausible(TSC_MIN_HZ));
	KTEST_EXPECT(clock_rate_plausible(2596096000ull));
	KTEST_EXPECT(clock_rate_plausible(TSC_MAX_HZ));
	KTEST_EXPECT(!clock_rate_plausible(TSC_MAX_HZ + 1));
	KTEST_EXPECT(!clock_rate_plausible(UINT64_MAX));
}

KTEST(clock_rates_agree_within_the_given_parts_per_million)
{
	KTEST_EXPECT(clock_rates_agree(1000000000, 1005000000, 5000));
	KTEST_EXPECT(clock_rates_agree(1005000000, 1000000000, 5000));
	KTEST_EXPECT(!clock_rates_agree(1000000000, 1006000000, 5000));
	KTEST_EXPECT(!clock_rates_agree(0, 0, 5000));
	KTEST_EXPECT(!clock_rates_agree(UINT64_MAX, 1, 5000));
	KTEST_EXPECT(clock_rates_agree(UINT64_MAX, UINT64_MAX, 0));
}

KTEST(clock_cpuid_0x15_gives_crystal_times_ratio_or_nothing)
{
	KTEST_EXPECT(clock_cpuid_tsc_hz(2, 216, 24000000, 0) == 2592000000ull); /* a 24 MHz crystal */
	KTEST_EXPECT(clock_cpuid_tsc_hz(2, 216, 0, 2600) == 2600000000ull);	/* crystal from 0x16 */
	KTEST_EXPECT(clock_cpuid_tsc_hz(0, 0, 0, 0) == 0);			/* what TCG's CPUs say */
	KTEST_EXPECT(clock_cpuid_tsc_hz(0, 216, 24000000, 2600) == 0);
	KTEST_EXPECT(clock_cpuid_tsc_hz(2, 0, 24000000, 2600) == 0);
	KTEST_EXPECT(clock_cpuid_tsc_hz(1, UINT32_MAX, UINT32_MAX, 0) == (uint64_t)UINT32_MAX * UINT32_MAX);
}

KTEST(clock_hpet_table_is_checked_before_its_address_is_used)
{
	size_t len = hpet_table(0, 0xfed00000);
	KTEST_EXPECT(clock_hpet_base(table, len) == 0xfed00000);
	KTEST_EXPECT(clock_hpet_base(table, len - 1) == 0); /* the table claims more than there is */
	table[9] ^= 1;					    /* the checksum */
	KTEST_EXPECT(clock_hpet_base(table, len) == 0);
	len = hpet_table(1, 0xfed00000); /* system I/O space */
	KTEST_EXPECT(clock_hpet_base(table, len) == 0);
	len = hpet_table(0, 0xfed00200); /* not 1 KiB aligned */
	KTEST_EXPECT(clock_hpet_base(table, len) == 0);
	len = hpet_table(0, 0xfed00400); /* 1 KiB aligned, not a page: the page would map more */
	KTEST_EXPECT(clock_hpet_base(table, len) == 0);
	len = hpet_table(0, 0);
	KTEST_EXPECT(clock_hpet_base(table, len) == 0);
	hpet_table(0, 0xfed00000);
	len = acpi_table_seal(table, 52); /* too short to hold the address */
	KTEST_EXPECT(clock_hpet_base(table, len) == 0);
}

KTEST(clock_fadt_pm_timer_is_found_only_where_the_fadt_names_one)
{
	uint16_t port = 0;
	unsigned bits = 0;
	size_t len = fadt(116, 0x608, 1u << 8); /* TMR_VAL_EXT: 32 bits */
	KTEST_EXPECT(clock_fadt_pm_timer(table, len, &port, &bits) && port == 0x608 && bits == 32);
	len = fadt(116, 0xb008, 0);
	KTEST_EXPECT(clock_fadt_pm_timer(table, len, &port, &bits) && port == 0xb008 && bits == 24);
	len = fadt(116, 0x608, 1u << 20); /* hardware-reduced ACPI, as on microvm */
	KTEST_EXPECT(!clock_fadt_pm_timer(table, len, &port, &bits));
	fadt(116, 0x608, 0);
	table[91] = 2; /* PM_TMR_LEN must be 4 */
	len = acpi_table_seal(table, 116);
	KTEST_EXPECT(!clock_fadt_pm_timer(table, len, &port, &bits));
	len = fadt(116, 0x10000, 0); /* not an I/O port */
	KTEST_EXPECT(!clock_fadt_pm_timer(table, len, &port, &bits));
	len = fadt(116, 0, 0);
	KTEST_EXPECT(!clock_fadt_pm_timer(table, len, &port, &bits));
	len = fadt(112, 0x608, 0); /* too short to hold the flags */
	KTEST_EXPECT(!clock_fadt_pm_timer(table, len, &port, &bits));
	len = fadt(116, 0x608, 0);
	table[20] ^= 1; /* the checksum */
	KTEST_EXPECT(!clock_fadt_pm_timer(table, len, &port, &bits));
	fadt(220, 0, 0); /* only X_PM_TMR_BLK, in system I/O space */
	table[208] = 1;
	put64(212, 0x408);
	len = acpi_table_seal(table, 220);
	KTEST_EXPECT(clock_fadt_pm_timer(table, len, &port, &bits) && port == 0x408 && bits == 24);
	table[208] = 0; /* in memory: not a port */
	len = acpi_table_seal(table, 220);
	KTEST_EXPECT(!clock_fadt_pm_timer(table, len, &port, &bits));
}

KTEST(clock_this_machine_has_a_plausible_tsc_rate)
{
	KTEST_EXPECT(clock_rate_plausible(clock_tsc_hz()));
}
