/*
 * PCI configuration space, reached one of two ways: the legacy ports 0xcf8/0xcfc (256 bytes a
 * function; every PC, and the only way on QEMU's pc), or ECAM, memory-mapped configuration space
 * at the address the ACPI MCFG table gives (4096 bytes a function; QEMU's q35).
 *
 * ECAM takes 1 MiB of addresses per bus, 256 MiB for a whole segment: a quarter of the 1 GiB
 * device area, and 128 page tables. So a bus is mapped only when enumeration reaches it (bus 0,
 * and the bus behind each bridge), 1 MiB at a time, and stays mapped; q35 with one bridge costs
 * 2 MiB of addresses and one page table.
 */
#include "io/io.h"
#include "pci/config.h"
#include "acpi/acpi.h"
#include "arch/x86_64/x86.h"
#include "lib/bytes.h"
#include "mm/kernel_area.h"
#include <frame/log.h>

#define CONFIG_ADDRESS 0xcf8
#define CONFIG_DATA 0xcfc
#define CONFIG_ENABLE 0x80000000u
#define MCFG_ENTRIES 44	  /* the header and 8 reserved bytes */
#define MCFG_ENTRY_LEN 16 /* base (8), segment group (2), start bus, end bus, reserved (4) */
#define ECAM_BUS_SIZE (1ull << 20)
#define PHYS_LIMIT (1ull << 52) /* the architecture's widest physical address */

/* --- the legacy ports ------------------------------------------------------------------------ */

/* Select the dword holding offset of function devfn on bus: the address half of every access. */
static void legacy_select(uint8_t bus, uint8_t devfn, uint16_t offset)
{
	outl(CONFIG_ADDRESS, CONFIG_ENABLE | (uint32_t)bus << 16 | (uint32_t)devfn << 8 | (offset & 0xfc));
}

static uint32_t legacy_read(uint8_t bus, uint8_t devfn, uint16_t offset, unsigned width)
{
	IRQ_OFF_SCOPE(); /* address and data are one access; on one CPU nothing else comes between */
	legacy_select(bus, devfn, offset);
	uint16_t port = CONFIG_DATA + (offset & 3);
	return width == 1 ? inb(port) : width == 2 ? inw(port) : inl(port);
}

static void legacy_write(uint8_t bus, uint8_t devfn, uint16_t offset, unsigned width, uint32_t value)
{
	IRQ_OFF_SCOPE();
	legacy_select(bus, devfn, offset);
	uint16_t port = CONFIG_DATA + (offset & 3);
	if (width == 1)
		outb(port, (uint8_t)value);
	else if (width == 2)
		outw(port, (uint16_t)value);
	else
		outl(port, value);
}

static bool legacy_bus_reachable(uint8_t bus)
{
	(void)bus;
	return true;
}

/* Whether the address port keeps what is written to it, as only a PCI host bridge's does. */
static bool legacy_present(void)
{
	IRQ_OFF_SCOPE();
	uint32_t old = inl(CONFIG_ADDRESS);
	outl(CONFIG_ADDRESS, CONFIG_ENABLE);
	bool present = inl(CONFIG_ADDRESS) == CONFIG_ENABLE;
	outl(CONFIG_ADDRESS, old);
	return present;
}

static const struct pci_config_ops legacy_ops = {"the legacy ports", 256, legacy_bus_reachable, legacy_read,
						 legacy_write};

/* --- ECAM ------------------------------------------------------------------------------------ */

static struct mcfg_info ecam;
static volatile void *ecam_bus[256]; /* each bus's 1 MiB, once mapped */

/* Map bus's configuration space if it is not yet. Returns false, after a warning, when the MCFG
 * does not cover the bus or the device area is full. */
static bool ecam_bus_reachable(uint8_t bus)
{
	if (bus > ecam.end_bus) {
		log_warn("pci: bus %u is beyond the MCFG's buses 0-%u", bus, ecam.end_bus);
		return false;
	}
	if (!ecam_bus[bus])
		ecam_bus[bus] = kernel_area_map_mmio(ecam.base + bus * ECAM_BUS_SIZE, ECAM_BUS_SIZE,
						     "PCI configuration space (ECAM)");
	if (!ecam_bus[bus])
		log_warn("pci: no room to map the configuration space of bus %u", bus);
	return ecam_bus[bus] != NULL;
}

static uint32_t ecam_read(uint8_t bus, uint8_t devfn, uint16_t offset, unsigned width)
{
	uint32_t reg = (uint32_t)devfn << 12 | offset;
	volatile void *b = ecam_bus[bus];
	return width == 1 ? mmio_read8(b, reg) : width == 2 ? mmio_read16(b, reg) : mmio_read32(b, reg);
}

static void ecam_write(uint8_t bus, uint8_t devfn, uint16_t offset, unsigned width, uint32_t value)
{
	uint32_t reg = (uint32_t)devfn << 12 | offset;
	volatile void *b = ecam_bus[bus];
	if (width == 1)
		mmio_write8(b, reg, (uint8_t)value);
	else if (width == 2)
		mmio_write16(b, reg, (uint16_t)value);
	else
		mmio_write32(b, reg, value);
}

static const struct pci_config_ops ecam_ops = {"ECAM", 4096, ecam_bus_reachable, ecam_read, ecam_write};

/* Whether the MCFG entry at e is segment group 0's from bus 0, and sound; if so, fills out. */
static bool mcfg_entry(const uint8_t *e, struct mcfg_info *out)
{
	uint64_t base = get64(e);
	uint8_t start = e[10], end = e[11];
	if (get16(e + 8) != 0) {
		log_debug("acpi: MCFG entry of segment group %u ignored", get16(e + 8));
		return false;
	}
	if (end < start || start != 0 || !base || base % ECAM_BUS_SIZE || base >= PHYS_LIMIT ||
	    (end + 1ull) * ECAM_BUS_SIZE > PHYS_LIMIT - base) {
		log_warn("acpi: MCFG entry for buses %u-%u at 0x%llx is unusable", start, end,
			 (unsigned long long)base);
		return false;
	}
	*out = (struct mcfg_info){base, start, end};
	return true;
}

bool mcfg_parse(const void *mcfg, size_t len, struct mcfg_info *out)
{
	const uint8_t *t = mcfg;
	if (!acpi_table_ok(t, len, "MCFG", MCFG_ENTRIES, "MCFG"))
		return false;
	uint32_t total = get32(t + 4);
	if ((total - MCFG_ENTRIES) % MCFG_ENTRY_LEN) {
		log_warn("acpi: MCFG of %u bytes does not hold whole entries", total);
		return false;
	}
	for (uint32_t off = MCFG_ENTRIES; off < total; off += MCFG_ENTRY_LEN)
		if (mcfg_entry(t + off, out))
			return true;
	log_warn("acpi: the MCFG has no usable entry for segment group 0");
	return false;
}

/* --- the machine's mechanism, and accesses through it ---------------------------------------- */

const struct pci_config_ops *pci_config_mechanism(void)
{
	uint32_t len;
	const uint8_t *mcfg = acpi_find_table("MCFG", &len);
	bool ok = mcfg && mcfg_parse(mcfg, len, &ecam);
	uint64_t size = (uint64_t)(ecam.end_bus + 1) * ECAM_BUS_SIZE;
	if (ok && io_mem_ram_in(ecam.base, size)) { /* enumeration would write into RAM */
		log_warn("pci: the MCFG puts configuration space at 0x%llx, over RAM: ignored",
			 (unsigned long long)ecam.base);
		ok = false;
	}
	if (ok) {
		log_debug("pci: ECAM at 0x%llx for buses 0-%u", (unsigned long long)ecam.base, ecam.end_bus);
		io_mem_reserve(ecam.base, size, "PCI configuration space (ECAM)");
		return &ecam_ops;
	}
	return legacy_present() ? &legacy_ops : NULL;
}

static uint8_t devfn_of(const struct pci_device *dev)
{
	return (uint8_t)(dev->info.slot << 3 | dev->info.function);
}

uint32_t pci_cfg_read(const struct pci_device *dev, uint16_t offset, unsigned width)
{
	return dev->ops->read(dev->info.bus, devfn_of(dev), offset, width);
}

void pci_cfg_write(const struct pci_device *dev, uint16_t offset, unsigned width, uint32_t value)
{
	dev->ops->write(dev->info.bus, devfn_of(dev), offset, width, value);
}
