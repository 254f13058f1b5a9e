/* The IOAPIC: routes global system interrupts (GSIs) to CPU vectors through its redirection table. */
#ifndef FRAME_IRQ_IOAPIC_H
#define FRAME_IRQ_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

/* Map the IOAPIC whose registers are at physical phys, its inputs being GSIs gsi_base onwards,
 * and mask every input. Returns false (with a warning) when it cannot be mapped or does not answer. */
bool ioapic_init(uint64_t phys, uint32_t gsi_base);
/* Send gsi to vector on the boot CPU (fixed delivery, physical destination) with the given
 * polarity and trigger; the input stays masked. Returns false when gsi is not an input of the IOAPIC. */
bool ioapic_route(uint32_t gsi, uint8_t vector, bool active_low, bool level);
/* Mask or unmask gsi, which ioapic_route() has routed. */
void ioapic_set_masked(uint32_t gsi, bool masked);

#endif
