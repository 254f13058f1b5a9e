/* ISA lines 0-15 through the IOAPIC when ACPI shows one and the local APIC is on, else through the PIC. */
#include "irq/irqchip.h"
#include "arch/x86_64/lapic.h"
#include "irq/madt.h"
#include "irq/ioapic.h"
#include "irq/pic.h"
#include <frame/log.h>
#include <frame/panic.h>

enum chip { CHIP_NONE, CHIP_PIC, CHIP_IOAPIC };
static const char *const chip_names[] = {"none", "PIC", "IOAPIC"};
static enum chip chip;
static struct isa_route route_of[ISA_IRQ_COUNT]; /* with the IOAPIC: each line's input (or MADT_NO_GSI) and signal */

/* Route every ISA line, masked, through the IOAPIC the MADT names. Returns false when there is none. */
static bool ioapic_setup(void)
{
	struct madt_info madt;
	if (!madt_find(&madt) || !ioapic_init(madt.ioapic_phys, madt.ioapic_gsi_base))
		return false;
	for (unsigned n = 0; n < ISA_IRQ_COUNT; n++) {
		struct isa_route r = madt.isa[n];
		route_of[n] = r;
		if (r.gsi == MADT_NO_GSI || ioapic_route(r.gsi, (uint8_t)(VECTOR_ISA_BASE + n), r.active_low, r.level))
			continue;
		log_warn("irqchip: ISA line %u is on GSI %u, which the IOAPIC does not have; line not usable", n,
			 r.gsi);
		route_of[n].gsi = MADT_NO_GSI;
	}
	log_debug("irqchip: ISA lines routed by the IOAPIC at 0x%llx (GSI base %u); ISA 0 is GSI %d",
		  (unsigned long long)madt.ioapic_phys, madt.ioapic_gsi_base, (int)route_of[0].gsi);
	return true;
}

void irqchip_init(bool use_ioapic)
{
	pic_init(); // remapped and masked, whoever routes
	chip = use_ioapic && ioapic_setup() ? CHIP_IOAPIC : CHIP_PIC;
	if (chip == CHIP_PIC)
		log_debug("irqchip: ISA lines routed by the PIC");
}

const char *irqchip_name(void)
{
	return chip_names[chip];
}

/* The controller routing isa_irq; panics, naming func, for a line beyond 15 or before irqchip_init(). */
static enum chip chip_of(unsigned isa_irq, const char *func)
{
	if (chip == CHIP_NONE)
		panic("%s: called before irqchip_init()", func);
	if (isa_irq >= ISA_IRQ_COUNT)
		panic("%s: there is no ISA line %u (0-15)", func, isa_irq);
	return chip;
}

void irqchip_set_masked(unsigned isa_irq, bool masked)
{
	if (chip_of(isa_irq, __func__) == CHIP_PIC)
		pic_set_masked(isa_irq, masked);
	else if (route_of[isa_irq].gsi != MADT_NO_GSI)
		ioapic_set_masked(route_of[isa_irq].gsi, masked);
	else if (!masked)
		log_warn("irqchip: ISA line %u has no IOAPIC input; it stays masked", isa_irq);
}

void irqchip_route_pci(unsigned isa_irq, bool pci)
{
	struct isa_route r = route_of[isa_irq];
	if (chip_of(isa_irq, __func__) == CHIP_PIC || r.gsi == MADT_NO_GSI)
		return; /* the PIC's trigger modes (its ELCR) are the firmware's */
	if (pci) {	/* PCI interrupts are level triggered and active low, unless the MADT says otherwise */
		r.active_low = r.level ? r.active_low : true;
		r.level = true;
	}
	ioapic_route(r.gsi, (uint8_t)(VECTOR_ISA_BASE + isa_irq), r.active_low, r.level);
}

bool irqchip_spurious(unsigned isa_irq)
{
	return chip_of(isa_irq, __func__) == CHIP_PIC && pic_spurious(isa_irq);
}

void irqchip_eoi(unsigned isa_irq)
{
	if (chip_of(isa_irq, __func__) == CHIP_PIC)
		pic_eoi(isa_irq);
	else
		lapic_eoi();
}
