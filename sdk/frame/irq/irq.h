/* The frame's side of interrupts: vectors, dispatch, and lines the frame drives itself. */
#ifndef FRAME_IRQ_IRQ_H
#define FRAME_IRQ_IRQ_H

#include <frame/irq.h>
#include <stdbool.h>
#include <stdint.h>

/* Vectors: 32-47 the ISA lines (irqchip.h), 48 the local APIC timer, 49 the IOMMU's fault
 * events, 50-254 lines from irq_line_alloc(), 255 the local APIC's spurious vector. */
#define VECTOR_TICK 48
#define VECTOR_IOMMU_FAULT 49
#define VECTOR_DYNAMIC_FIRST 50
#define VECTOR_SPURIOUS 255

/* The local APIC (if any) and the controller of ISA lines; every line masked. */
void irq_init(void);
/* Run the handler of the interrupt on vector, then signal end of interrupt. Interrupts off. */
void irq_dispatch(uint64_t vector);
/* A line for the frame's own device (the tick, the serial port, the IOMMU), attached and
 * enabled: vector VECTOR_TICK or VECTOR_IOMMU_FAULT, or an ISA line (isa >= 0). */
void irq_frame_line(int isa, uint8_t vector, irq_handler_fn handler, void *ctx);
/* How the frame masks a device's line at the device and undoes its programming (pci/irq.c).
 * Both are called with interrupts off. */
struct irq_device_ops {
	void (*set_masked)(void *dev, bool masked); /* on every enable and disable of the line */
	void (*release)(void *dev);		    /* irq_line_free(): after the last disable */
};
/* A line for a device dev, disabled, with no handler: on a free vector of the dynamic range
 * (isa < 0: for messages), or shared with other devices' lines on ISA line isa (routed level
 * triggered while any is there). Handlers attach with irq_line_attach_shared() only. ERR_BUSY
 * when no vector is free, or the ISA line is the frame's or allocated unshared; ERR_NOMEM. */
enum err irq_line_alloc_device(struct irq_line **out, int isa, const struct irq_device_ops *ops, void *dev);
/* The vector a live line arrives on. */
uint8_t irq_line_vector(const struct irq_line *line);
/* The device of line if it is a live line with these ops, else NULL (any pointer may be asked about). */
void *irq_line_device(const struct irq_line *line, const struct irq_device_ops *ops);
/* Whether an enabled interrupt line other than the tick could wake a task (the deadlock check). */
bool irq_lines_can_wake(void);

#endif
