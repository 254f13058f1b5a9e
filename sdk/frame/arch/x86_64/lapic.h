/* The local APIC: this CPU's interrupt controller and the timer that drives the tick. */
#ifndef FRAME_ARCH_LAPIC_H
#define FRAME_ARCH_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

/* Whether the CPU has a local APIC (CPUID). */
bool lapic_present(void);
/* This CPU's local APIC ID (CPUID's initial one): where the IOAPIC and MSI messages send interrupts. */
uint8_t lapic_id(void);
/* Where the local APIC's registers are in physical memory (one page). */
uint64_t lapic_phys_base(void);
/* Enable the local APIC, its registers mapped (uncached) at mapped, spurious interrupts on
 * spurious_vector. */
void lapic_init(volatile void *mapped, uint8_t spurious_vector);
/* Signal end of interrupt to the local APIC (for its own timer and for IOAPIC-routed lines);
 * nothing without one. */
void lapic_eoi(void);
/* Calibration: start the timer counting down (divide by 16, masked), and read how far it got. */
void lapic_count_begin(void);
uint32_t lapic_count_now(void);
/* Interrupt on vector every count timer cycles (divide by 16). */
void lapic_timer_periodic(uint32_t count, uint8_t vector);
/* Send this CPU an interrupt on vector (a self-IPI). */
void lapic_self_ipi(uint8_t vector);

#endif
