/* The frame's side of interrupts: vectors, dispatch, and lines the frame drives itself. */
#ifndef FRAME_IRQ_IRQ_H
#define FRAME_IRQ_IRQ_H

#include <frame/irq.h>
#include <stdbool.h>
#include <stdint.h>

/* Vectors: 32-47 the ISA lines (irqchip.h), 48 the local APIC timer, 49-254 lines from
 * irq_line_alloc(), 255 the local APIC's spurious vector. */
#define VECTOR_TICK 48
#define VECTOR_DYNAMIC_FIRST 49
#define VECTOR_SPURIOUS 255

/* The local APIC (if any) and the controller of ISA lines; every line masked. */
void irq_init(void);
/* Run the handler of the interrupt on vector, then signal end of interrupt. Interrupts off. */
void irq_dispatch(uint64_t vector);
/* A line for the frame's own device (the tick, the serial port), attached and enabled:
 * vector VECTOR_TICK, or an ISA line (isa >= 0). */
void irq_frame_line(int isa, uint8_t vector, irq_handler_fn handler, void *ctx);
/* Whether an enabled interrupt line other than the tick could wake a task (the deadlock check). */
bool irq_lines_can_wake(void);

#endif
