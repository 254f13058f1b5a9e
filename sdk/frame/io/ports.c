/*
 * I/O port windows: a driver acquires a range of ports once, then reads and writes at offsets
 * inside it. Ports the frame drives, and ports that could write any memory or take the machine
 * over, are on a deny list; two windows never share a port.
 */
#include <frame/io.h>
#include "mm/kasan.h"
#include "io/io.h"
#include "arch/x86_64/x86.h"
#include "check.h"
#include "mm/heap.h"
#include <frame/heap.h>
#include <frame/irq.h>
#include <frame/log.h>
#include <stdbool.h>

#define PORTS_MAGIC 0x504f5254u /* "PORT" */
#define PORT_END 0x10000u
#define I8042_COMMAND 0x64
#define CMOS_INDEX 0x70
#define CMOS_NMI_OFF 0x80

struct io_ports {
	uint32_t magic;
	uint16_t base;
	uint32_t count;
	enum io_ports_access access;
	struct io_ports *next; /* every live window, for the overlap check */
};

/* The ports no window may hold, and whose they are. */
static const struct {
	uint16_t first, last;
	const char *owner;
} denied[] = {
	{0x00, 0x1f, "the ISA DMA controller (it writes any physical memory)"},
	{0x20, 0x21, "the PIC (the frame's interrupt controller)"},
	{0x22, 0x23, "the IMCR (it switches interrupt delivery between the PIC and the APIC)"},
	{0x40, 0x43, "the PIT (the frame's calibration and tick)"},
	{0x61, 0x61, "the PIT's gate (the frame's calibration)"},
	{0x81, 0x8f, "the ISA DMA page registers (they address any physical memory)"},
	{0x92, 0x92, "system control port A (it gates A20 and resets the machine)"},
	{0xa0, 0xa1, "the PIC (the frame's interrupt controller)"},
	{0xb2, 0xb3, "the APM/SMI command port (it enters System Management Mode)"},
	{0xc0, 0xdf, "the ISA DMA controller (it writes any physical memory)"},
	{0xe9, 0xe9, "QEMU's debug console (the frame's records for the host: trace, coverage)"},
	{0xf4, 0xf7, "QEMU's exit device (power_off())"},
	{0x3f8, 0x3ff, "COM1 (the frame's console)"},
	{0x4d0, 0x4d1, "the PIC's trigger-mode registers (the frame's interrupt controller)"},
	{0x510, 0x51b, "QEMU's firmware configuration (its DMA interface writes any memory)"},
	{0x600, 0x67f, "the ACPI power-management registers (power-off and sleep)"},
	{0xcc0, 0xce3, "QEMU's ACPI PCI and CPU hotplug registers on q35 (they eject devices)"},
	{0xcf8, 0xcff, "PCI configuration and reset (use <frame/pci.h>)"},
	{0xae00, 0xae13, "QEMU's ACPI PCI hotplug registers (they eject devices)"},
	{0xaf00, 0xaf1f, "QEMU's ACPI CPU hotplug registers (they unplug CPUs)"},
	{0xafe0, 0xafe3, "the ACPI general-purpose event registers (the frame's ACPI events)"},
	{0xb000, 0xb03f, "the ACPI power-management registers (power-off and sleep)"},
};

static struct io_ports *windows;

#define DMA1_MASK_ALL 0x0f /* 8237 #1 (channels 0-3): write all mask bits */
#define DMA2_MASK_ALL 0xde /* 8237 #2 (channels 4-7) */

void io_isa_dma_off(void)
{
	outb(DMA1_MASK_ALL, 0x0f);
	outb(DMA2_MASK_ALL, 0x0f);
}

const char *io_ports_owner(uint16_t base, uint32_t count)
{
	uint64_t end = (uint64_t)base + count; /* 64 bits: no count can wrap it */
	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++)
		if (base <= denied[i].last && end > denied[i].first)
			return denied[i].owner;
	return NULL;
}

/* Whether a live window holds a port of [base, end). Interrupts off. */
static bool taken(uint64_t base, uint64_t end)
{
	for (const struct io_ports *w = windows; w; w = w->next)
		if (base < (uint64_t)w->base + w->count && end > w->base)
			return true;
	return false;
}

enum err io_ports_acquire(struct io_ports **out, uint16_t base, uint32_t count, enum io_ports_access access)
{
	REQUIRE(out != NULL, "out must not be NULL");
	REQUIRE(count > 0, "count must be at least 1");
	REQUIRE(count <= PORT_END - base, "ports 0x%x + %u pass the last port (0xffff)", base, count);
	REQUIRE(access == IO_PORTS_READ || access == IO_PORTS_READ_WRITE, "access (%d) is not an io_ports_access",
		(int)access);
	REQUIRE(!in_interrupt(), "port windows are acquired by tasks, not in interrupt context");
	CLIENT_OBJECT(out);
	const char *owner = io_ports_owner(base, count);
	if (owner) {
		log_warn("io: ports 0x%x-0x%x refused: they include %s", base, base + count - 1, owner);
		return ERR_DENIED;
	}
	struct io_ports *w = HEAP_NEW(struct io_ports);
	if (!w)
		return ERR_NOMEM;
	*w = (struct io_ports){PORTS_MAGIC, base, count, access, NULL};
	IRQ_OFF_SCOPE();
	if (taken(base, base + count)) {
		heap_free(w);
		return ERR_BUSY;
	}
	w->next = windows;
	windows = w;
	*out = w;
	return ERR_OK;
}

#define REQUIRE_WINDOW(w) \
	REQUIRE((w) != NULL && heap_readable((w), sizeof(*(w))) && (w)->magic == PORTS_MAGIC, \
		"%p is not a live port window (released already, or never acquired?)", (const void *)(w))

void io_ports_release(struct io_ports *ports)
{
	REQUIRE_WINDOW(ports);
	REQUIRE(!in_interrupt(), "port windows are released by tasks, not in interrupt context");
	{
		IRQ_OFF_SCOPE();
		struct io_ports **p = &windows;
		while (*p != ports)
			p = &(*p)->next;
		*p = ports->next;
	}
	ports->magic = 0;
	heap_free(ports);
}

/* The checks every access makes, in the public function itself (so the caller is the
 * client's): a live window, an access of width bytes inside it, aligned, allowed. */
#define REQUIRE_ACCESS(w, offset, width, writing) \
	do { \
		REQUIRE_WINDOW(w); \
		REQUIRE((offset) < (w)->count && (w)->count - (offset) >= (width), \
			"a %u-byte access at offset %u leaves the window (ports 0x%x-0x%x)", (width), (offset), \
			(w)->base, (w)->base + (w)->count - 1); \
		REQUIRE(((w)->base + (offset)) % (width) == 0, "port 0x%x is not aligned for a %u-byte access", \
			(w)->base + (offset), (width)); \
		REQUIRE(!(writing) || (w)->access == IO_PORTS_READ_WRITE, \
			"the window (ports 0x%x-0x%x) was acquired read-only", (w)->base, (w)->base + (w)->count - 1); \
	} while (0)

/* Whether a write of width bytes at port covers a port whose commands the frame watches. */
static bool watched(uint32_t port, uint32_t width)
{
	return (port <= I8042_COMMAND && port + width > I8042_COMMAND) ||
	       (port <= CMOS_INDEX && port + width > CMOS_INDEX);
}

uint8_t io_in8(struct io_ports *ports, uint32_t offset)
{
	REQUIRE_ACCESS(ports, offset, 1u, false);
	return inb((uint16_t)(ports->base + offset));
}

uint16_t io_in16(struct io_ports *ports, uint32_t offset)
{
	REQUIRE_ACCESS(ports, offset, 2u, false);
	return inw((uint16_t)(ports->base + offset));
}

uint32_t io_in32(struct io_ports *ports, uint32_t offset)
{
	REQUIRE_ACCESS(ports, offset, 4u, false);
	return inl((uint16_t)(ports->base + offset));
}

void io_out8(struct io_ports *ports, uint32_t offset, uint8_t value)
{
	REQUIRE_ACCESS(ports, offset, 1u, true);
	uint16_t port = (uint16_t)(ports->base + offset);
	REQUIRE(port != I8042_COMMAND || (value != 0xd1 && value != 0xdd && value != 0xdf && value < 0xf0),
		"i8042 command 0x%02x gates A20 or resets the machine: the frame keeps those", value);
	REQUIRE(port != CMOS_INDEX || !(value & CMOS_NMI_OFF),
		"CMOS index 0x%02x has bit 7 set, which masks NMIs: write the index alone (0x00-0x7f)", value);
	outb(port, value);
}

void io_out16(struct io_ports *ports, uint32_t offset, uint16_t value)
{
	REQUIRE_ACCESS(ports, offset, 2u, true);
	uint16_t port = (uint16_t)(ports->base + offset);
	REQUIRE(!watched(port, 2), "port 0x%x takes a watched command: write it 8 bits at a time", port);
	outw(port, value);
}

void io_out32(struct io_ports *ports, uint32_t offset, uint32_t value)
{
	REQUIRE_ACCESS(ports, offset, 4u, true);
	uint16_t port = (uint16_t)(ports->base + offset);
	REQUIRE(!watched(port, 4), "port 0x%x takes a watched command: write it 8 bits at a time", port);
	outl(port, value);
}
