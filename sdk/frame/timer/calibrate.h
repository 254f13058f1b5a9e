/* How fast the TSC runs: told by CPUID or measured against a reference clock, at boot. The pure
 * checks are here for the ktests; clock_init() (timer/clock.c) calls clock_calibrate(). */
#ifndef FRAME_TIMER_CALIBRATE_H
#define FRAME_TIMER_CALIBRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TSC_MIN_HZ 100000000ull	      /* 100 MHz: a slower TSC is taken as a broken measurement */
#define TSC_MAX_HZ 10000000000ull     /* 10 GHz */
#define PM_TIMER_HZ 3579545u	      /* the ACPI PM timer */
#define PIT_HZ 1193182u		      /* the 8254 PIT */
#define HPET_MAX_PERIOD_FS 100000000u /* 100 ns: the slowest HPET the specification allows */
#define HPET_MIN_PERIOD_FS 100000u    /* 100 ps: a faster HPET is taken as a broken register */

/* What clock_calibrate() found. */
struct calibration {
	uint64_t tsc_hz;    /* TSC cycles a second */
	uint64_t apic_hz;   /* local APIC timer counts a second (divided by 16); 0 without one */
	const char *source; /* "CPUID 0x15", "the HPET", "the ACPI PM timer", "PIT channel 2"... */
	uint32_t error_ppm; /* the measurement's uncertainty (read latency), parts per million */
	bool pit_dead;	    /* PIT channel 0 was tried and gave no rate: no PIT tick */
};

/* Measure the TSC and the local APIC timer (if has_apic), from the most trusted source that gives a
 * plausible rate: CPUID 0x15 (cross-checked against a measurement; without one, its crystal's
 * rate to +-220 ppm, never 0x16's nominal one), else a measurement against the HPET, the ACPI PM
 * timer, PIT channel 2 (gated through port 0x61) or PIT channel 0, cross-checked against the
 * next that works. Each wait on hardware is bounded; a source that is absent, does not move or
 * gives an implausible rate is skipped with a log line. Panics naming what was tried when none
 * works, and naming both when two references keep disagreeing and no third agrees with either.
 * Warns without an invariant TSC. */
void clock_calibrate(struct calibration *out, bool has_apic);

/* a * b / c without overflow in between; UINT64_MAX when c is 0 or the quotient needs more than 64 bits. */
uint64_t clock_muldiv(uint64_t a, uint64_t b, uint64_t c);
/* Whether hz is a rate a TSC may plausibly have (TSC_MIN_HZ to TSC_MAX_HZ). */
bool clock_rate_plausible(uint64_t hz);
/* Whether rates a and b (not 0) differ by at most ppm parts per million of the larger. */
bool clock_rates_agree(uint64_t a, uint64_t b, uint32_t ppm);
/* The TSC rate from CPUID leaf 0x15 (eax: ratio denominator, ebx: numerator, ecx: crystal Hz)
 * and, when ecx is 0, leaf 0x16's base frequency in MHz (base_mhz, 0 if absent); 0 when they do
 * not tell it. */
uint64_t clock_cpuid_tsc_hz(uint32_t eax, uint32_t ebx, uint32_t ecx, uint32_t base_mhz);
/* The TSC rate over two back-to-back windows of a reference counting ref_hz: ticks1 and ticks2
 * counted (each below the counter's wrap) in cycles TSC cycles. The windows are summed, never
 * read as one span, which a 16-bit counter would wrap; 0 when nothing was counted. */
uint64_t clock_span_hz(uint32_t ticks1, uint32_t ticks2, uint64_t cycles, uint64_t ref_hz);
/* Whether a window of a counter mask wide can be trusted not to hide a wrap: it counted ticks in
 * cycles TSC cycles, gap_ticks of them over its longest stretch between two reads (gap_cycles).
 * The rest of the window, read closely, times that stretch: the window, counted and estimated,
 * must stay under half the wrap period. False when the rest is too short to tell. */
bool clock_window_sound(uint32_t ticks, uint64_t cycles, uint32_t gap_ticks, uint64_t gap_cycles, uint32_t mask);
/* The HPET's register block from the ACPI HPET table t (len bytes readable): its physical
 * address, or 0 when the table is broken or the block is not 1 KiB-aligned system memory. */
uint64_t clock_hpet_base(const uint8_t *t, size_t len);
/* The ACPI PM timer from the FADT t (len bytes readable): true with *port and *bits (24 or 32)
 * set, false when the table is broken, the machine is hardware-reduced (no PM timer) or no
 * valid I/O port is named. */
bool clock_fadt_pm_timer(const uint8_t *t, size_t len, uint16_t *port, unsigned *bits);

#endif
