/*
 * A PCI device's interrupt as an interrupt line (irq/irq.c): MSI-X, MSI or INTx, programmed by
 * the frame, one line per device. Messages go to the boot CPU's local APIC on the line's vector;
 * INTx shares the ISA line the firmware wrote in the Interrupt Line register.
 */
#include "mm/kasan.h"
#include "pci/pci.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/x86.h"
#include "check.h"
#include "core/cpu_local.h"
#include "io/io.h"
#include "irq/irq.h"
#include "lib/format.h"
#include <frame/log.h>

#define REG_INTERRUPT_LINE 0x3c
#define MSI_CONTROL 2
#define MSI_ENABLE 0x0001
#define MSI_MULTIPLE 0x0070 /* multiple message enable: 0 is one message */
#define MSI_64BIT 0x0080
#define MSI_MASKABLE 0x0100
#define MSIX_CONTROL 2
#define MSIX_ENABLE 0x8000
#define MSIX_FUNCTION_MASK 0x4000
#define MSIX_ENTRY_SIZE 16 /* address, upper address, data, vector control */
#define MSIX_ADDRESS 0
#define MSIX_ADDRESS_HIGH 4
#define MSIX_DATA 8
#define MSIX_VECTOR_CONTROL 12
#define MSIX_MASKED 0x1
#define MSG_ADDRESS 0xfee00000u /* the local APICs; bits 19:12 the destination's APIC id */

/* Where every message goes: the boot CPU, fixed delivery (the data is just the vector), edge. */
static uint32_t msg_address(void)
{
	return MSG_ADDRESS | (uint32_t)lapic_id() << 12;
}

static uint16_t control_read(const struct pci_device *dev, uint8_t cap)
{
	return (uint16_t)pci_cfg_read(dev, cap + 2, 2);
}

/* Freeing any kind: the device's INTx masked again, a message's hold on bus mastering let go. */
static void released(struct pci_device *dev, bool message)
{
	if (message)
		pci_bus_master_hold(dev, false);
	pci_command_set(dev, PCI_COMMAND_INTX_DISABLE, true);
	dev->irq = NULL;
}

/* --- MSI-X: entry 0 of the table, which the frame maps for itself ------------------------- */

static volatile void *msix_table(const struct pci_device *dev)
{
	return io_mem_guard_map(dev->msix_guard);
}

static void msix_set_masked(void *ctx, bool masked)
{
	volatile void *table = msix_table(ctx);
	mmio_write32(table, MSIX_VECTOR_CONTROL, masked ? MSIX_MASKED : 0);
	(void)mmio_read32(table, MSIX_VECTOR_CONTROL); /* done before we go on */
}

static void msix_release(void *ctx)
{
	struct pci_device *dev = ctx;
	pci_cfg_write(dev, dev->msix + MSIX_CONTROL, 2, control_read(dev, dev->msix) & ~MSIX_ENABLE);
	released(dev, true);
}

/* Enable MSI-X with every entry masked (under the function mask while they are written), entry
 * 0 sending vector. */
static void msix_setup(struct pci_device *dev, uint8_t vector)
{
	volatile uint8_t *table = msix_table(dev);
	uint16_t control = control_read(dev, dev->msix);
	pci_command_set(dev, PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE, true); /* the table is in a BAR */
	pci_cfg_write(dev, dev->msix + MSIX_CONTROL, 2, control | MSIX_ENABLE | MSIX_FUNCTION_MASK);
	for (unsigned i = 0; i < dev->msix_entries; i++)
		mmio_write32(table + i * MSIX_ENTRY_SIZE, MSIX_VECTOR_CONTROL, MSIX_MASKED);
	mmio_write32(table, MSIX_ADDRESS, msg_address());
	mmio_write32(table, MSIX_ADDRESS_HIGH, 0);
	mmio_write32(table, MSIX_DATA, vector);
	pci_bus_master_hold(dev, true); /* a message is a memory write by the device */
	pci_cfg_write(dev, dev->msix + MSIX_CONTROL, 2, (control | MSIX_ENABLE) & ~MSIX_FUNCTION_MASK);
}

/* --- MSI: one message, masked by its mask bit where the device has one --------------------- */

static void msi_set_masked(void *ctx, bool masked)
{
	const struct pci_device *dev = ctx;
	uint16_t control = control_read(dev, dev->msi);
	if (control & MSI_MASKABLE) /* otherwise irq.c keeps what comes while masked */
		pci_cfg_write(dev, dev->msi + (control & MSI_64BIT ? 16 : 12), 4, masked);
}

static void msi_release(void *ctx)
{
	struct pci_device *dev = ctx;
	pci_cfg_write(dev, dev->msi + MSI_CONTROL, 2, control_read(dev, dev->msi) & ~MSI_ENABLE);
	released(dev, true);
}

static void msi_setup(struct pci_device *dev, uint8_t vector)
{
	uint16_t control = control_read(dev, dev->msi);
	bool wide = control & MSI_64BIT;
	pci_command_set(dev, PCI_COMMAND_INTX_DISABLE, true);
	msi_set_masked(dev, true);
	pci_cfg_write(dev, dev->msi + 4, 4, msg_address());
	if (wide)
		pci_cfg_write(dev, dev->msi + 8, 4, 0);
	pci_cfg_write(dev, dev->msi + (wide ? 12 : 8), 2, vector);
	pci_bus_master_hold(dev, true); /* a message is a memory write by the device */
	pci_cfg_write(dev, dev->msi + MSI_CONTROL, 2, (control & ~MSI_MULTIPLE) | MSI_ENABLE);
}

/* --- INTx: masked in the device by the command register's interrupt disable bit ------------- */

static void intx_set_masked(void *ctx, bool masked)
{
	pci_command_set(ctx, PCI_COMMAND_INTX_DISABLE, masked);
}

static void intx_release(void *ctx)
{
	released(ctx, false);
}

/* The ISA line the firmware routed the device's INTx to (its Interrupt Line register), or -1. */
static int intx_line(const struct pci_device *dev)
{
	uint8_t line = (uint8_t)pci_cfg_read(dev, REG_INTERRUPT_LINE, 1);
	return dev->info.interrupt_pin && line >= 1 && line < 16 ? line : -1;
}

/* --- the API ------------------------------------------------------------------------------- */

/* The kinds in the order pci_irq_alloc() tries them; kind n is the bit 1 << n of enum pci_irq_kind. */
enum { MSIX, MSI, INTX, KINDS };
static const struct irq_device_ops kind_ops[KINDS] = {
	[MSIX] = {msix_set_masked, msix_release},
	[MSI] = {msi_set_masked, msi_release},
	[INTX] = {intx_set_masked, intx_release},
};
static const char *const kind_names[KINDS] = {[MSIX] = "MSI-X", [MSI] = "MSI", [INTX] = "INTx"};
_Static_assert(1 << MSIX == PCI_IRQ_MSIX && 1 << MSI == PCI_IRQ_MSI && 1 << INTX == PCI_IRQ_INTX,
	       "kind n is the bit 1 << n");

void pci_irq_setup(struct pci_device *dev)
{
	pci_command_set(dev, PCI_COMMAND_INTX_DISABLE, true);
	dev->msix_guard = -1;
	if (!dev->msix_entries)
		return;
	char owner[40];
	format_buf(owner, sizeof(owner), "the MSI-X table of " PCI_DEV_FMT, PCI_DEV_ARGS(dev));
	dev->msix_guard = io_mem_guard(dev->bar_phys[dev->msix_bar] + dev->msix_table,
				       (uint64_t)dev->msix_entries * MSIX_ENTRY_SIZE, owner);
	if (dev->msix_guard < 0) {
		log_warn("pci: " PCI_DEV_FMT ": too many MSI-X tables to guard; MSI-X not used", PCI_DEV_ARGS(dev));
		dev->msix_entries = 0;
	}
}

/* Whether dev can interrupt by kind on this machine. */
static bool kind_possible(const struct pci_device *dev, unsigned kind)
{
	if (kind == INTX)
		return intx_line(dev) >= 0;
	if (!lapic_present()) /* a message is sent to a local APIC */
		return false;
	if (kind == MSI)
		return dev->msi && dev->msi + dev->msi_len <= 256;
	return dev->msix_entries && msix_table(dev) != NULL;
}

enum err pci_irq_alloc(struct irq_line **out, struct pci_device *dev, unsigned allowed)
{
	REQUIRE(out != NULL, "out must not be NULL");
	REQUIRE(pci_device_ok(dev), PCI_NOT_A_DEVICE, (const void *)dev);
	REQUIRE(allowed && !(allowed & ~(unsigned)PCI_IRQ_ANY),
		"allowed (0x%x) is not a mix of PCI_IRQ_MSIX, PCI_IRQ_MSI and PCI_IRQ_INTX", allowed);
	REQUIRE(dev->info.class_code != PCI_CLASS_BRIDGE,
		PCI_DEV_FMT " is a bridge (class 06.%02x): its interrupts are the frame's", PCI_DEV_ARGS(dev),
		dev->info.subclass);
	REQUIRE(cpu_local.irq_depth == 0, "lines are allocated by tasks, not in interrupt context");
	CLIENT_OBJECT(out);
	IRQ_OFF_SCOPE(); /* another task may not program the device meanwhile */
	if (dev->irq)
		return ERR_BUSY;
	enum err result = ERR_UNSUPPORTED;
	for (unsigned kind = 0; kind < KINDS; kind++) {
		if (!(allowed & 1u << kind) || !kind_possible(dev, kind))
			continue;
		enum err e = irq_line_alloc_device(out, kind == INTX ? intx_line(dev) : -1, &kind_ops[kind], dev);
		if (e != ERR_OK) {
			result = result == ERR_UNSUPPORTED ? e : result; /* the first reason besides "impossible" */
			continue;
		}
		if (kind == MSIX)
			msix_setup(dev, irq_line_vector(*out));
		else if (kind == MSI)
			msi_setup(dev, irq_line_vector(*out));
		dev->irq = *out;
		log_debug("pci: " PCI_DEV_FMT " interrupts by %s on vector %u", PCI_DEV_ARGS(dev), kind_names[kind],
			  irq_line_vector(*out));
		return ERR_OK;
	}
	return result;
}

enum pci_irq_kind pci_irq_kind(const struct irq_line *line)
{
	unsigned kind = 0;
	while (kind < KINDS && !irq_line_device(line, &kind_ops[kind]))
		kind++;
	REQUIRE(kind < KINDS, "%p is not a line from pci_irq_alloc()", (const void *)line);
	return (enum pci_irq_kind)(1u << kind);
}
