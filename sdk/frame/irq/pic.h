/* The 8259 PIC pair: ISA lines 0-7 on the master, 8-15 on the slave, cascaded through master line 2. */
#ifndef FRAME_IRQ_PIC_H
#define FRAME_IRQ_PIC_H

#include <stdbool.h>

/* Move the PICs' vectors to VECTOR_ISA_BASE onwards (the BIOS leaves IRQ 0 on the double-fault
 * vector) and mask every line. Call it early in boot, before interrupts are enabled; idempotent. */
void pic_init(void);
/* Mask or unmask ISA line irq (0-15). The cascade (line 2) follows the slave's lines: unmasked
 * while any of them is. */
void pic_set_masked(unsigned irq, bool masked);
/* Whether an interrupt on line irq is spurious: IRQ 7 or 15 with nothing in service. For a
 * spurious IRQ 15 it sends the master's EOI (the master did deliver the cascade). */
bool pic_spurious(unsigned irq);
/* End of interrupt for line irq: the slave's (for 8-15), then the master's. */
void pic_eoi(unsigned irq);

#endif
