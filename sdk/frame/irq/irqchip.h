/* The legacy ISA interrupt lines (0-15): routed through the IOAPIC (found through ACPI), or the PIC where there is
 * none. */
#ifndef FRAME_IRQ_IRQCHIP_H
#define FRAME_IRQ_IRQCHIP_H

#include <stdbool.h>
#include <stdint.h>

/* ISA line n arrives on vector VECTOR_ISA_BASE + n, whichever controller routes it. */
#define VECTOR_ISA_BASE 32

/* Set up the controllers, every line masked. With use_ioapic (the CPU has a local APIC that
 * lapic_init() enabled) look for an IOAPIC in the ACPI MADT and route ISA lines through it,
 * honouring the MADT's interrupt source overrides (ISA 0 is GSI 2 on QEMU); the PIC is then
 * remapped and fully masked. Without an IOAPIC the PIC routes them. */
void irqchip_init(bool use_ioapic);
/* "IOAPIC" or "PIC": which one routes ISA lines (for the boot log and tests). */
const char *irqchip_name(void);
/* Unmask (enable) or mask ISA line isa_irq (0-15). With the IOAPIC, a line whose GSI another
 * line took (ISA 2 on QEMU, where ISA 0 is GSI 2) has no input and stays masked (with a warning). */
void irqchip_set_masked(unsigned isa_irq, bool masked);
/* Route ISA line isa_irq, masked, as PCI devices' INTx (pci): level triggered, with the polarity
 * of a MADT override that makes the line level (QEMU's say active high for 5, 9, 10 and 11), else
 * active low; or back as the MADT says (!pci). With the PIC nothing changes: its trigger modes
 * (the ELCR) are the firmware's, and SeaBIOS sets the lines it gives PCI devices to level. */
void irqchip_route_pci(unsigned isa_irq, bool pci);
/* Whether the interrupt on ISA line isa_irq is spurious (the PIC's IRQ 7 / 15 with nothing in
 * service; never with the IOAPIC). A spurious one gets no handler and no irqchip_eoi(): for a
 * spurious IRQ 15 this sends the master PIC's EOI itself, as the master did deliver the cascade. */
bool irqchip_spurious(unsigned isa_irq);
/* End of interrupt for ISA line isa_irq (the PIC's EOI, or the local APIC's for the IOAPIC). */
void irqchip_eoi(unsigned isa_irq);

#endif
