/*
 * Interrupt lines: one table by vector of who handles what, the dispatch every interrupt goes
 * through, and the local save/restore of the interrupt flag. A handler runs with interrupts off
 * and cpu_local.irq_depth raised, which is what "interrupt context" means.
 */
#include "irq/irq.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/x86.h"
#include "check.h"
#include "irq/irqchip.h"
#include "mm/kernel_area.h"
#include "core/cpu_local.h"
#include <frame/heap.h>
#include <frame/mm.h>
#include <frame/log.h>
#include <frame/panic.h>

#define LINE_MAGIC 0x49524f4cu				/* "IRQL" */
#define FRAME_OWNED ((1u << 0) | (1u << 2) | (1u << 4)) /* the PIT, the PIC cascade, COM1 */

struct irq_line {
	uint32_t magic;
	uint8_t vector;
	int isa; /* the ISA line, or -1 */
	bool enabled;
	irq_handler_fn handler;
	void *ctx;
	uint64_t count;
};

static struct irq_line *lines[256];
#define FRAME_LINES 2 /* the tick and the serial port */
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

static void end_of_interrupt(const struct irq_line *line)
{
	if (line && line->isa >= 0)
		irqchip_eoi((unsigned)line->isa);
	else
		lapic_eoi();
}

void irq_dispatch(uint64_t vector)
{
	struct irq_line *line = lines[vector & 255];
	bool isa = vector >= VECTOR_ISA_BASE && vector < VECTOR_ISA_BASE + 16;
	cpu_local.irq_depth++;
	if (vector == VECTOR_SPURIOUS || (isa && irqchip_spurious((unsigned)(vector - VECTOR_ISA_BASE)))) {
		spurious++; /* no cause, so no end of interrupt either */
	} else if (line && line->handler && line->enabled) {
		line->count++;
		line->handler(line->ctx);
		end_of_interrupt(line);
	} else {
		spurious++; /* a line disabled or detached while its interrupt was on the way */
		if (!line && !unknown_reported)
			log_warn("irq: an interrupt on vector %llu, which no line owns (counted as spurious)",
				 (unsigned long long)vector);
		unknown_reported = unknown_reported || !line;
		if (isa)
			irqchip_eoi((unsigned)(vector - VECTOR_ISA_BASE));
		else
			lapic_eoi();
	}
	cpu_local.irq_depth--;
}

static void mask(struct irq_line *line, bool masked)
{
	line->enabled = !masked;
	if (line->isa >= 0)
		irqchip_set_masked((unsigned)line->isa, masked);
}

void irq_frame_line(int isa, uint8_t vector, irq_handler_fn handler, void *ctx)
{
	if (frame_line_count == FRAME_LINES)
		panic("irq_frame_line: more than %d lines for the frame's own devices", FRAME_LINES);
	struct irq_line *line = &frame_lines[frame_line_count++];
	*line = (struct irq_line){
		LINE_MAGIC, isa >= 0 ? (uint8_t)(VECTOR_ISA_BASE + isa) : vector, isa, false, handler, ctx, 0};
	lines[line->vector] = line;
	mask(line, false);
}

static bool client_line(const struct irq_line *line)
{
	return line && line->magic == LINE_MAGIC && lines[line->vector] == line &&
	       (line < frame_lines || line >= frame_lines + FRAME_LINES);
}
#define REQUIRE_LINE(line) REQUIRE(client_line(line), "%p is not an allocated interrupt line", (const void *)(line))

static enum err take(struct irq_line **out, uint8_t vector, int isa)
{
	struct irq_line *line = HEAP_NEW(struct irq_line);
	if (!line)
		return ERR_NOMEM;
	*line = (struct irq_line){LINE_MAGIC, vector, isa, false, NULL, NULL, 0};
	bool busy;
	{
		IRQ_OFF_SCOPE();
		busy = lines[vector] != NULL;
		if (!busy)
			lines[vector] = line;
	}
	if (busy) {
		heap_free(line);
		return ERR_BUSY;
	}
	*out = line;
	return ERR_OK;
}

enum err irq_line_alloc(struct irq_line **out)
{
	REQUIRE(out != NULL, "out must not be NULL");
	REQUIRE(!in_interrupt(), "lines are allocated by tasks, not in interrupt context");
	for (unsigned v = VECTOR_DYNAMIC_FIRST; v < VECTOR_SPURIOUS; v++) {
		if (lines[v])
			continue;
		enum err e = take(out, (uint8_t)v, -1);
		if (e != ERR_BUSY)
			return e;
	}
	return ERR_BUSY;
}

enum err irq_line_alloc_isa(struct irq_line **out, unsigned isa_irq)
{
	REQUIRE(out != NULL, "out must not be NULL");
	REQUIRE(isa_irq < 16, "ISA lines are 0-15, not %u", isa_irq);
	REQUIRE(!in_interrupt(), "lines are allocated by tasks, not in interrupt context");
	if (FRAME_OWNED & (1u << isa_irq))
		return ERR_BUSY;
	return take(out, (uint8_t)(VECTOR_ISA_BASE + isa_irq), (int)isa_irq);
}

void irq_line_free(struct irq_line *line)
{
	REQUIRE_LINE(line);
	REQUIRE(!in_interrupt(), "lines are freed by tasks, not in interrupt context");
	{
		IRQ_OFF_SCOPE();
		mask(line, true);
		lines[line->vector] = NULL;
	}
	line->magic = 0;
	heap_free(line);
}

void irq_line_attach(struct irq_line *line, irq_handler_fn handler, void *ctx)
{
	REQUIRE_LINE(line);
	REQUIRE(handler != NULL, "handler must not be NULL");
	REQUIRE(line->handler == NULL, "the line has a handler already: irq_line_detach() it first");
	IRQ_OFF_SCOPE();
	line->ctx = ctx;
	line->handler = handler;
}

void irq_line_detach(struct irq_line *line)
{
	REQUIRE_LINE(line);
	REQUIRE(line->handler != NULL, "the line has no handler to detach");
	IRQ_OFF_SCOPE(); /* one CPU: with interrupts off, the handler is not running */
	mask(line, true);
	line->handler = NULL;
	line->ctx = NULL;
}

void irq_line_enable(struct irq_line *line)
{
	REQUIRE_LINE(line);
	REQUIRE(line->handler != NULL, "attach a handler (irq_line_attach()) before enabling the line");
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
	cli_restore(state.flags_);
}

bool irq_enabled(void)
{
	return read_rflags() & RFLAGS_IF;
}

bool irq_lines_can_wake(void)
{
	for (unsigned v = 0; v < 256; v++)
		if (lines[v] && lines[v]->enabled && lines[v]->handler && v != VECTOR_TICK &&
		    v != VECTOR_ISA_BASE) /* the tick: from the APIC timer, or from the PIT on ISA line 0 */
			return true;
	return false;
}
