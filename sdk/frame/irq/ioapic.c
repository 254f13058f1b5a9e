/* The IOAPIC, reached through two registers: IOREGSEL selects a register, IOWIN reads or writes it. */
#include "irq/ioapic.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/x86.h"
#include "mm/kernel_area.h"
#include <frame/log.h>
#include <frame/panic.h>

#define IOREGSEL 0x00
#define IOWIN 0x10
#define IOAPIC_MMIO_SIZE 0x20
#define REG_VERSION 0x01	      /* bits 23:16: the number of inputs minus one */
#define REG_REDIR(n) (0x10 + 2 * (n)) /* low half; the high half (destination) follows */
#define MAX_INPUTS 120		      /* what the 8-bit register index can reach */
#define REDIR_ACTIVE_LOW (1u << 13)
#define REDIR_LEVEL (1u << 15)
#define REDIR_MASKED (1u << 16)

static volatile void *regs;
static uint32_t first_gsi, inputs; /* GSIs first_gsi .. first_gsi + inputs - 1 */

static uint32_t reg_read(uint32_t reg)
{
	mmio_write32(regs, IOREGSEL, reg);
	return mmio_read32(regs, IOWIN);
}

static void reg_write(uint32_t reg, uint32_t v)
{
	mmio_write32(regs, IOREGSEL, reg);
	mmio_write32(regs, IOWIN, v);
}

bool ioapic_init(uint64_t phys, uint32_t gsi_base)
{
	regs = kernel_area_map_mmio(phys, IOAPIC_MMIO_SIZE, "the IOAPIC");
	if (!regs) {
		log_warn("ioapic: cannot map its registers at 0x%llx", (unsigned long long)phys);
		return false;
	}
	uint32_t version = reg_read(REG_VERSION);
	if (version == UINT32_MAX) {
		log_warn("ioapic: nothing answers at 0x%llx", (unsigned long long)phys);
		return false;
	}
	first_gsi = gsi_base;
	inputs = (version >> 16 & 0xff) + 1;
	if (inputs > MAX_INPUTS)
		inputs = MAX_INPUTS;
	for (uint32_t n = 0; n < inputs; n++)
		reg_write(REG_REDIR(n), REDIR_MASKED);
	return true;
}

bool ioapic_route(uint32_t gsi, uint8_t vector, bool active_low, bool level)
{
	if (gsi < first_gsi || gsi - first_gsi >= inputs)
		return false;
	uint32_t n = gsi - first_gsi;
	reg_write(REG_REDIR(n), REDIR_MASKED); /* masked while half written */
	reg_write(REG_REDIR(n) + 1, (uint32_t)lapic_id() << 24);
	reg_write(REG_REDIR(n),
		  vector | (active_low ? REDIR_ACTIVE_LOW : 0) | (level ? REDIR_LEVEL : 0) | REDIR_MASKED);
	return true;
}

void ioapic_set_masked(uint32_t gsi, bool masked)
{
	if (gsi < first_gsi || gsi - first_gsi >= inputs)
		panic("ioapic_set_masked: GSI %u is not an input of the IOAPIC", gsi);
	uint32_t reg = REG_REDIR(gsi - first_gsi), low = reg_read(reg);
	reg_write(reg, masked ? low | REDIR_MASKED : low & ~REDIR_MASKED);
}
