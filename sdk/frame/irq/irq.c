/*
 * Interrupt lines: one table by vector of who handles what, the dispatch every interrupt goes
 * through, and the local save/restore of the interrupt flag. A handler runs with interrupts off
 * and cpu_local.irq_depth raised, which is what "interrupt context" means. A vector has one line,
 * or a chain of shared ones (PCI devices' INTx on one ISA line) whose handlers say whether the
 * interrupt was theirs; an interrupt no handler claims counts as spurious.
 */
#include "core/trace.h"
#include "lib/hot.h"
#include "mm/kasan.h"
#include "irq/irq.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/x86.h"
#include "check.h"
#include "console/console.h"
#include "irq/irqchip.h"
#include "mm/kernel_area.h"
#include "core/cpu_local.h"
#include "mm/heap.h"
#include <frame/heap.h>
#include <frame/mm.h>
#include <frame/log.h>
#include <frame/panic.h>

#define LINE_MAGIC 0x49524f4cu				/* "IRQL" */
#define FRAME_OWNED ((1u << 0) | (1u << 2) | (1u << 4)) /* the PIT, the PIC cascade, COM1 */
#define STORM 1000 /* interrupts in a row on a vector that no handler claims: its lines are disabled */

struct irq_line {
	uint32_t magic;
	uint8_t vector;
	int isa;     /* the ISA line, or -1 */
	bool shared; /* may share its vector with other shared lines (PCI devices' INTx) */
	bool enabled;
	bool pending; /* a device's message came while the line was disabled: raised again on enable */
	irq_handler_fn handler;
	irq_shared_handler_fn shared_handler; /* instead of handler: says whether the interrupt was its own */
	void *ctx;
	uint64_t count;
	const struct irq_device_ops *ops; /* a device's line: how to mask it at the device; NULL otherwise */
	void *dev;
	struct irq_line *next; /* the next line sharing the vector */
};

HOT_DATA static struct irq_line *lines[256]; /* each vector's line, or the first of the lines sharing it */
static uint16_t unclaimed[256];		     /* interrupts in a row on each vector that no handler claimed */
#define FRAME_LINES 3			     /* the tick, the serial port, the IOMMU's fault events */
static struct irq_line frame_lines[FRAME_LINES];
static unsigned frame_line_count;
static uint64_t spurious;
static bool unknown_reported;

void irq_init(void)
{
	if (lapic_present()) {
		volatile void *regs = kernel_area_map_mmio(lapic_phys_base(), PAGE_SIZE, "the local APIC");
		if (!regs)
			panic("irq_init: cannot map the local APIC");
		lapic_init(regs, VECTOR_SPURIOUS);
	}
	irqchip_init(lapic_present());
	log_debug("irq: ISA lines through the %s", irqchip_name());
}

/* Whether a line on vector is enabled: an ISA line is unmasked at its controller while one is. */
static bool vector_enabled(uint8_t vector)
{
	for (const struct irq_line *l = lines[vector]; l; l = l->next)
		if (l->enabled)
			return true;
	return false;
}

static void mask(struct irq_line *line, bool masked)
{
	line->enabled = !masked;
	if (line->ops)
		line->ops->set_masked(line->dev, masked);
	if (line->isa >= 0)
		irqchip_set_masked((unsigned)line->isa, !vector_enabled(line->vector));
	if (!masked && line->pending) {
		line->pending = false;
		lapic_self_ipi(line->vector); /* the message that came while the line was disabled */
	}
}

/* Run the handlers of the enabled lines on vector; returns whether one claimed the interrupt. A
 * device's message on a disabled line is kept for irq_line_enable(), and so claimed. */
HOT_PATH static bool run_handlers(uint8_t vector)
{
	bool claimed = false;
	for (struct irq_line *line = lines[vector]; line; line = line->next) {
		if (!line->handler && !line->shared_handler)
			continue;
		if (!line->enabled) {
			bool keep = line->ops && line->isa < 0;
			line->pending |= keep;
			claimed |= keep;
			continue;
		}
		bool mine = true;
		if (line->shared_handler) {
			mine = line->shared_handler(line->ctx);
			line->count += mine;
		} else {
			line->count++; /* counted before the run: the handler sees its own interrupt counted */
			line->handler(line->ctx);
		}
		claimed |= mine;
	}
	return claimed;
}

/* An interrupt on vector that no handler claimed: a line disabled or detached while it was on
 * the way, or, again and again, a device on a shared line that nobody drives (or whose handler
 * does not recognise it): after STORM in a row, the lines on the vector are disabled. */
static void not_claimed(uint8_t vector, bool isa)
{
	spurious++;
	if (!lines[vector] && !unknown_reported)
		log_warn("irq: an interrupt on vector %u, which no line owns (counted as spurious)", vector);
	unknown_reported = unknown_reported || !lines[vector];
	if (!lines[vector] || ++unclaimed[vector] < STORM)
		return;
	log_warn("irq: %u interrupts in a row on %s %u that no handler claimed (a device nobody drives, or a "
		 "handler that does not recognise its own?): its lines are disabled",
		 STORM, isa ? "ISA line" : "vector", isa ? vector - VECTOR_ISA_BASE : vector);
	for (struct irq_line *line = lines[vector]; line; line = line->next)
		mask(line, true);
	unclaimed[vector] = 0;
}

HOT_PATH void irq_dispatch(uint64_t vector)
{
	uint8_t v = (uint8_t)vector;
	bool isa = v >= VECTOR_ISA_BASE && v < VECTOR_ISA_BASE + 16;
	cpu_local.irq_depth++;
	trace_event(TRACE_IRQ_ENTER, v, 0, 0);
	if (v == VECTOR_SPURIOUS || (isa && irqchip_spurious(v - VECTOR_ISA_BASE))) {
		spurious++; /* no cause, so no end of interrupt either */
	} else {
		if (run_handlers(v))
			unclaimed[v] = 0;
		else
			not_claimed(v, isa);
		if (isa)
			irqchip_eoi(v - VECTOR_ISA_BASE);
		else
			lapic_eoi();
	}
	trace_event(TRACE_IRQ_EXIT, v, 0, 0);
	cpu_local.irq_depth--;
}

void irq_frame_line(int isa, uint8_t vector, irq_handler_fn handler, void *ctx)
{
	if (frame_line_count == FRAME_LINES)
		panic("irq_frame_line: more than %d lines for the frame's own devices", FRAME_LINES);
	struct irq_line *line = &frame_lines[frame_line_count++];
	*line = (struct irq_line){.magic = LINE_MAGIC,
				  .vector = isa >= 0 ? (uint8_t)(VECTOR_ISA_BASE + isa) : vector,
				  .isa = isa,
				  .handler = handler,
				  .ctx = ctx};
	lines[line->vector] = line;
	mask(line, false);
}

static bool client_line(const struct irq_line *line)
{
	if (!line || !heap_readable(line, sizeof(*line)) || line->magic != LINE_MAGIC ||
	    (line >= frame_lines && line < frame_lines + FRAME_LINES))
		return false;
	IRQ_OFF_SCOPE(); /* no task may free a line of the chain while we walk it */
	for (const struct irq_line *l = lines[line->vector]; l; l = l->next)
		if (l == line)
			return true;
	return false;
}
#define REQUIRE_LINE(line) REQUIRE(client_line(line), "%p is not an allocated interrupt line", (const void *)(line))

/* Put a new line on vector: alone, or (shared) after the shared lines there. The first shared
 * line on an ISA line routes it as PCI devices' INTx. */
static enum err take(struct irq_line **out, struct irq_line proto)
{
	struct irq_line *line = HEAP_NEW(struct irq_line);
	if (!line)
		return ERR_NOMEM;
	*line = proto;
	line->magic = LINE_MAGIC;
	bool busy;
	{
		IRQ_OFF_SCOPE();
		struct irq_line **at = &lines[line->vector];
		busy = *at && !(line->shared && (*at)->shared);
		while (!busy && *at)
			at = &(*at)->next;
		if (!busy && line->shared && !lines[line->vector])
			irqchip_route_pci((unsigned)line->isa, true);
		if (!busy)
			*at = line;
	}
	if (busy) {
		heap_free(line);
		return ERR_BUSY;
	}
	*out = line;
	return ERR_OK;
}

/* A line on the first free vector of the dynamic range. */
static enum err take_dynamic(struct irq_line **out, const struct irq_device_ops *ops, void *dev)
{
	for (unsigned v = VECTOR_DYNAMIC_FIRST; v < VECTOR_SPURIOUS; v++) {
		if (lines[v])
			continue;
		enum err e = take(out, (struct irq_line){.vector = (uint8_t)v, .isa = -1, .ops = ops, .dev = dev});
		if (e != ERR_BUSY)
			return e;
	}
	return ERR_BUSY;
}

enum err irq_line_alloc(struct irq_line **out)
{
	REQUIRE(out != NULL, "out must not be NULL");
	REQUIRE(!in_interrupt(), "lines are allocated by tasks, not in interrupt context");
	CLIENT_OBJECT(out);
	return take_dynamic(out, NULL, NULL);
}

enum err irq_line_alloc_isa(struct irq_line **out, unsigned isa_irq)
{
	REQUIRE(out != NULL, "out must not be NULL");
	REQUIRE(isa_irq < 16, "ISA lines are 0-15, not %u", isa_irq);
	REQUIRE(!in_interrupt(), "lines are allocated by tasks, not in interrupt context");
	CLIENT_OBJECT(out);
	if (FRAME_OWNED & (1u << isa_irq))
		return ERR_BUSY;
	return take(out, (struct irq_line){.vector = (uint8_t)(VECTOR_ISA_BASE + isa_irq), .isa = (int)isa_irq});
}

enum err irq_line_alloc_device(struct irq_line **out, int isa, const struct irq_device_ops *ops, void *dev)
{
	if (isa < 0)
		return take_dynamic(out, ops, dev);
	if (isa >= 16 || FRAME_OWNED & (1u << isa))
		return ERR_BUSY;
	return take(out, (struct irq_line){.vector = (uint8_t)(VECTOR_ISA_BASE + isa),
					   .isa = isa,
					   .shared = true,
					   .ops = ops,
					   .dev = dev});
}

uint8_t irq_line_vector(const struct irq_line *line)
{
	return line->vector;
}

void *irq_line_device(const struct irq_line *line, const struct irq_device_ops *ops)
{
	return client_line(line) && line->ops == ops ? line->dev : NULL;
}

void irq_line_free(struct irq_line *line)
{
	REQUIRE_LINE(line);
	REQUIRE(!in_interrupt(), "lines are freed by tasks, not in interrupt context");
	{
		IRQ_OFF_SCOPE();
		mask(line, true);
		struct irq_line **at = &lines[line->vector];
		while (*at != line)
			at = &(*at)->next;
		*at = line->next;
		if (line->ops)
			line->ops->release(line->dev);
		if (line->shared && !lines[line->vector])
			irqchip_route_pci((unsigned)line->isa, false);
		if (!lines[line->vector])
			unclaimed[line->vector] = 0;
	}
	line->magic = 0;
	heap_free(line);
}

static bool has_handler(const struct irq_line *line)
{
	return line->handler || line->shared_handler;
}

void irq_line_attach(struct irq_line *line, irq_handler_fn handler, void *ctx)
{
	REQUIRE_LINE(line);
	REQUIRE(handler != NULL, "handler must not be NULL");
	REQUIRE(!has_handler(line), "the line has a handler already: irq_line_detach() it first");
	REQUIRE(!line->ops,
		"a line from pci_irq_alloc() takes irq_line_attach_shared(), whose handler says whether the "
		"interrupt was its device's");
	IRQ_OFF_SCOPE();
	line->ctx = ctx;
	line->handler = handler;
}

void irq_line_attach_shared(struct irq_line *line, irq_shared_handler_fn handler, void *ctx)
{
	REQUIRE_LINE(line);
	REQUIRE(handler != NULL, "handler must not be NULL");
	REQUIRE(!has_handler(line), "the line has a handler already: irq_line_detach() it first");
	IRQ_OFF_SCOPE();
	line->ctx = ctx;
	line->shared_handler = handler;
}

void irq_line_detach(struct irq_line *line)
{
	REQUIRE_LINE(line);
	REQUIRE(has_handler(line), "the line has no handler to detach");
	IRQ_OFF_SCOPE(); /* one CPU: with interrupts off, the handler is not running */
	mask(line, true);
	line->pending = false;
	line->handler = NULL;
	line->shared_handler = NULL;
	line->ctx = NULL;
}

void irq_line_enable(struct irq_line *line)
{
	REQUIRE_LINE(line);
	REQUIRE(has_handler(line), "attach a handler (irq_line_attach()) before enabling the line");
	IRQ_OFF_SCOPE();
	mask(line, false);
}

void irq_line_disable(struct irq_line *line)
{
	REQUIRE_LINE(line);
	IRQ_OFF_SCOPE();
	mask(line, true);
}

enum err irq_line_raise(struct irq_line *line)
{
	REQUIRE_LINE(line);
	REQUIRE(line->isa < 0, "ISA line %d has a device behind it: only lines from irq_line_alloc() can be raised",
		line->isa);
	REQUIRE(!line->ops, "the line is a PCI device's: only lines from irq_line_alloc() can be raised");
	REQUIRE(line->enabled, "the line is disabled: irq_line_enable() it first");
	if (!lapic_present())
		return ERR_UNSUPPORTED;
	lapic_self_ipi(line->vector);
	return ERR_OK;
}

uint64_t irq_line_count(const struct irq_line *line)
{
	REQUIRE_LINE(line);
	return line->count;
}

uint64_t irq_spurious_count(void)
{
	return spurious;
}

bool in_interrupt(void)
{
	return cpu_local.irq_depth > 0;
}

#define IRQ_STATE_MARK 0x5a00000000000000ull /* in bits the flags never use: a state from irq_save() */

irq_state irq_save(void)
{
	return (irq_state){(cli_save() & RFLAGS_IF) | IRQ_STATE_MARK};
}

void irq_restore(irq_state state)
{
	REQUIRE((state.flags_ & ~RFLAGS_IF) == IRQ_STATE_MARK, "the state does not come from irq_save()");
	REQUIRE(!(state.flags_ & RFLAGS_IF) || cpu_local.irq_depth == 0,
		"interrupts stay off in interrupt context and in a fast system-call handler: this state (interrupts "
		"on) was saved elsewhere");
	cli_restore(state.flags_);
}

bool irq_enabled(void)
{
	return read_rflags() & RFLAGS_IF;
}

/* Whether an interrupt on vector could wake a task: not the tick (from the APIC timer, or from the
 * PIT on ISA line 0), not the IOMMU's fault reports, and COM1 only once the console has a
 * callback (before, it keeps the bytes typed). */
static bool may_wake(unsigned vector)
{
	return vector != VECTOR_TICK && vector != VECTOR_ISA_BASE && vector != VECTOR_IOMMU_FAULT &&
	       (vector != VECTOR_ISA_BASE + 4 || console_input_wakes());
}

bool irq_lines_can_wake(void)
{
	for (unsigned v = 0; v < 256; v++)
		for (const struct irq_line *l = lines[v]; l; l = l->next)
			if (l->enabled && has_handler(l) && may_wake(v))
				return true;
	return false;
}
