/* The PCI API: the functions found at boot, and their configuration space as far as a driver
 * may touch it (reads anywhere; writes only to device-specific registers the frame leaves). */
#include "mm/kasan.h"
#include "pci/pci.h"
#include "arch/x86_64/x86.h"
#include "check.h"
#include "pci/config.h"
#include "core/cpu_local.h"
#include "io/io.h"
#include <frame/log.h>
#include <frame/string.h>

#define REG_COMMAND 0x04
#define REG_BAR0 0x10
#define HEADER_END 0x40 /* the standard header: the frame's */
#define STANDARD_END 0x100

_Static_assert(PCI_ENABLE_IO == PCI_COMMAND_IO && PCI_ENABLE_MEMORY == PCI_COMMAND_MEMORY,
	       "pci_enable()'s flags are the command register's bits");

static struct pci_device devices[PCI_MAX_DEVICES];
static size_t device_count;

void pci_init(void)
{
	const struct pci_config_ops *ops = pci_config_mechanism();
	if (!ops) {
		log_debug("pci: no configuration mechanism answers: no PCI");
		return;
	}
	device_count = pci_enumerate(ops, devices, PCI_MAX_DEVICES);
	for (size_t i = 0; i < device_count; i++) { /* no DMA, no interrupts until a driver asks */
		if (devices[i].info.class_code == PCI_CLASS_BRIDGE)
			continue;
		pci_command_set(&devices[i], PCI_COMMAND_MASTER, false);
		pci_irq_setup(&devices[i]);
	}
	log_debug("pci: %zu functions, through %s", device_count, ops->name);
}

bool pci_device_ok(const struct pci_device *dev)
{
	uintptr_t p = (uintptr_t)dev, first = (uintptr_t)devices;
	return p >= first && p < first + device_count * sizeof(devices[0]) && (p - first) % sizeof(devices[0]) == 0;
}

size_t pci_device_index(const struct pci_device *dev)
{
	return (size_t)(dev - devices);
}

struct pci_device *pci_device_by_place(uint8_t bus, uint8_t devfn)
{
	for (size_t i = 0; i < device_count; i++)
		if (devices[i].info.bus == bus && (devices[i].info.slot << 3 | devices[i].info.function) == devfn)
			return &devices[i];
	return NULL;
}

void pci_command_set(const struct pci_device *dev, uint16_t bits, bool on)
{
	IRQ_OFF_SCOPE(); /* read, modify, write: nothing may come between */
	uint16_t command = (uint16_t)pci_cfg_read(dev, REG_COMMAND, 2);
	pci_cfg_write(dev, REG_COMMAND, 2, on ? command | bits : command & ~bits);
}

bool pci_bar_covers(uint64_t phys, uint64_t size)
{
	for (size_t i = 0; i < device_count; i++)
		for (unsigned b = 0; b < PCI_BAR_COUNT; b++) {
			const struct pci_device *d = &devices[i];
			if (d->bar[b].kind == PCI_BAR_MEMORY && d->bar_phys[b] &&
			    phys < d->bar_phys[b] + d->bar[b].size && d->bar_phys[b] < phys + size)
				return true;
		}
	return false;
}

void pci_bus_master_hold(struct pci_device *dev, bool take)
{
	IRQ_OFF_SCOPE();
	if (take ? dev->bus_master_users++ == 0 : --dev->bus_master_users == 0)
		pci_command_set(dev, PCI_COMMAND_MASTER, take);
}

/* --- the checks of the public functions ------------------------------------------------------ */

/* Checks in the public function itself, so that the report names its caller. */
#define REQUIRE_DEVICE(dev) REQUIRE(pci_device_ok(dev), PCI_NOT_A_DEVICE, (const void *)(dev))
#define REQUIRE_IN_CONFIG(dev, offset, width) \
	do { \
		REQUIRE_DEVICE(dev); \
		REQUIRE((offset) % (width) == 0, "offset 0x%x is not aligned to %u bytes", (offset), (width)); \
		REQUIRE((offset) + (width) <= (dev)->config_size, \
			"offset 0x%x is past the end of " PCI_DEV_FMT "'s configuration space (%u bytes)", (offset), \
			PCI_DEV_ARGS(dev), (dev)->config_size); \
	} while (0)
#define REQUIRE_WRITABLE(dev, offset, width) \
	do { \
		REQUIRE_IN_CONFIG(dev, offset, width); \
		REQUIRE((dev)->info.class_code != PCI_CLASS_BRIDGE, \
			PCI_DEV_FMT " is a bridge (class 06.%02x): its registers are the frame's", PCI_DEV_ARGS(dev), \
			(dev)->info.subclass); \
		REQUIRE(bar_at(offset) < 0, "offset 0x%x is in BAR %d: the BARs are the frame's", (offset), \
			bar_at(offset)); \
		REQUIRE((offset) >= HEADER_END, \
			"offset 0x%x is in the standard header (below 0x40), which is the frame's: " \
			"pci_enable() sets the command register's enable bits", \
			(offset)); \
		REQUIRE((offset) < STANDARD_END, \
			"offset 0x%x is in extended configuration space, which is the frame's", (offset)); \
		REQUIRE(!cap_header_at(dev, offset, width), \
			"offset 0x%x is in the header of the capability at 0x%x: the capability list is the frame's", \
			(offset), cap_header_at(dev, offset, width)); \
		const char *cap_name_; \
		REQUIRE(!frame_cap_at(dev, offset, width, &cap_name_), \
			"offset 0x%x is inside the %s capability at 0x%x, which is the frame's", (offset), cap_name_, \
			frame_cap_at(dev, offset, width, &cap_name_)); \
	} while (0)

/* The BAR whose register holds offset (of a device with six), or -1. */
static int bar_at(uint16_t offset)
{
	return offset >= REG_BAR0 && offset < REG_BAR0 + 4 * PCI_BAR_COUNT ? (offset - REG_BAR0) / 4 : -1;
}

/* Whether [a, a + alen) and [b, b + blen) overlap. */
static bool overlap(unsigned a, unsigned alen, unsigned b, unsigned blen)
{
	return a < b + blen && b < a + alen;
}

/* The capability whose header (id and next pointer) [offset, offset + width) touches, or 0. */
static uint8_t cap_header_at(const struct pci_device *dev, uint16_t offset, unsigned width)
{
	for (unsigned i = 0; i < dev->cap_count; i++)
		if (overlap(offset, width, dev->cap_offset[i], 2))
			return dev->cap_offset[i];
	return 0;
}

/* The capabilities whose bodies are the frame's too: they program interrupts (MSI, MSI-X) or
 * reset the function and its BARs behind the frame's back (power management's D3, PCI
 * Express's function-level reset). */
static const struct {
	uint8_t id, len;
	const char *name;
} frame_caps[] = {{PCI_CAP_POWER, 8, "power-management"}, {PCI_CAP_EXPRESS, 0x3c, "PCI Express"}};

/* The capability of the frame's that [offset, offset + width) touches (its offset, and its name
 * in *name), or 0. */
static uint8_t frame_cap_at(const struct pci_device *dev, uint16_t offset, unsigned width, const char **name)
{
	*name = dev->msi && overlap(offset, width, dev->msi, dev->msi_len)     ? "MSI"
		: dev->msix && overlap(offset, width, dev->msix, PCI_MSIX_LEN) ? "MSI-X"
									       : NULL;
	if (*name)
		return !strcmp(*name, "MSI") ? dev->msi : dev->msix;
	for (unsigned i = 0; i < dev->cap_count; i++)
		for (size_t k = 0; k < sizeof(frame_caps) / sizeof(frame_caps[0]); k++)
			if (dev->cap_id[i] == frame_caps[k].id &&
			    overlap(offset, width, dev->cap_offset[i], frame_caps[k].len)) {
				*name = frame_caps[k].name;
				return dev->cap_offset[i];
			}
	return 0;
}

/* --- devices --------------------------------------------------------------------------------- */

size_t pci_device_count(void)
{
	return device_count;
}

struct pci_device *pci_device_at(size_t index)
{
	REQUIRE(index < device_count, "index %zu is out of range (%zu devices)", index, device_count);
	return &devices[index];
}

/* The first device from index start on that match() accepts with key, or NULL. */
static struct pci_device *find_from(size_t start, bool (*match)(const struct pci_info *, uint32_t), uint32_t key)
{
	for (size_t i = start; i < device_count; i++)
		if (match(&devices[i].info, key))
			return &devices[i];
	return NULL;
}

static bool id_is(const struct pci_info *info, uint32_t key)
{
	return ((uint32_t)info->vendor << 16 | info->device) == key;
}

static bool class_is(const struct pci_info *info, uint32_t key)
{
	return ((uint32_t)info->class_code << 8 | info->subclass) == key;
}

/* Where a search after `after` (NULL: from the start) begins. */
static size_t start_after(const struct pci_device *after)
{
	return after ? (size_t)(after - devices) + 1 : 0;
}

struct pci_device *pci_find(uint16_t vendor, uint16_t device, const struct pci_device *after)
{
	REQUIRE(!after || pci_device_ok(after), "after: " PCI_NOT_A_DEVICE, (const void *)after);
	return find_from(start_after(after), id_is, (uint32_t)vendor << 16 | device);
}

struct pci_device *pci_find_class(uint8_t class_code, uint8_t subclass, const struct pci_device *after)
{
	REQUIRE(!after || pci_device_ok(after), "after: " PCI_NOT_A_DEVICE, (const void *)after);
	return find_from(start_after(after), class_is, (uint32_t)class_code << 8 | subclass);
}

struct pci_info pci_device_info(const struct pci_device *dev)
{
	REQUIRE_DEVICE(dev);
	return dev->info;
}

struct pci_bar pci_device_bar(const struct pci_device *dev, unsigned index)
{
	REQUIRE_DEVICE(dev);
	REQUIRE(index < PCI_BAR_COUNT, "BAR %u does not exist (0-%u)", index, PCI_BAR_COUNT - 1);
	return dev->bar[index];
}

/* The place of the capability at offset in dev's list, or -1. */
static int cap_index(const struct pci_device *dev, uint8_t offset)
{
	for (unsigned i = 0; i < dev->cap_count; i++)
		if (dev->cap_offset[i] == offset)
			return (int)i;
	return -1;
}

uint8_t pci_find_capability(const struct pci_device *dev, uint8_t id, uint8_t after)
{
	REQUIRE_DEVICE(dev);
	REQUIRE(!after || cap_index(dev, after) >= 0, "after (0x%x) is not a capability of " PCI_DEV_FMT, after,
		PCI_DEV_ARGS(dev));
	for (unsigned i = after ? (unsigned)cap_index(dev, after) + 1 : 0; i < dev->cap_count; i++)
		if (dev->cap_id[i] == id)
			return dev->cap_offset[i];
	return 0;
}

uint16_t pci_config_size(const struct pci_device *dev)
{
	REQUIRE_DEVICE(dev);
	return dev->config_size;
}

/* --- configuration space --------------------------------------------------------------------- */

uint8_t pci_config_read8(const struct pci_device *dev, uint16_t offset)
{
	REQUIRE_IN_CONFIG(dev, offset, 1u);
	return (uint8_t)pci_cfg_read(dev, offset, 1);
}

uint16_t pci_config_read16(const struct pci_device *dev, uint16_t offset)
{
	REQUIRE_IN_CONFIG(dev, offset, 2u);
	return (uint16_t)pci_cfg_read(dev, offset, 2);
}

uint32_t pci_config_read32(const struct pci_device *dev, uint16_t offset)
{
	REQUIRE_IN_CONFIG(dev, offset, 4u);
	return pci_cfg_read(dev, offset, 4);
}

void pci_config_write8(struct pci_device *dev, uint16_t offset, uint8_t value)
{
	REQUIRE_WRITABLE(dev, offset, 1u);
	pci_cfg_write(dev, offset, 1, value);
}

void pci_config_write16(struct pci_device *dev, uint16_t offset, uint16_t value)
{
	REQUIRE_WRITABLE(dev, offset, 2u);
	pci_cfg_write(dev, offset, 2, value);
}

void pci_config_write32(struct pci_device *dev, uint16_t offset, uint32_t value)
{
	REQUIRE_WRITABLE(dev, offset, 4u);
	pci_cfg_write(dev, offset, 4, value);
}

void pci_enable(struct pci_device *dev, unsigned flags)
{
	REQUIRE_DEVICE(dev);
	REQUIRE(!(flags & ~(unsigned)(PCI_ENABLE_IO | PCI_ENABLE_MEMORY)),
		"flags 0x%x: only PCI_ENABLE_IO and PCI_ENABLE_MEMORY (the bus-master bit is the frame's)", flags);
	REQUIRE(dev->info.class_code != PCI_CLASS_BRIDGE && !dev->info.is_bridge,
		PCI_DEV_FMT " is a bridge: its command register is the frame's", PCI_DEV_ARGS(dev));
	pci_command_set(dev, (uint16_t)flags, true);
}

/* --- BARs as windows ---------------------------------------------------------------------------- */

/* The checks of pci_bar_map() and pci_bar_ports(), in the public function itself. */
#define REQUIRE_BAR(dev, index, want, other_call) \
	do { \
		REQUIRE_DEVICE(dev); \
		REQUIRE((index) < PCI_BAR_COUNT, "BAR %u does not exist (a device has BARs 0-%d)", (index), \
			PCI_BAR_COUNT - 1); \
		REQUIRE((dev)->bar[index].kind == (want), "BAR %u of " PCI_DEV_FMT " is %s: %s", (index), \
			PCI_DEV_ARGS(dev), bar_kind_name((dev)->bar[index].kind), other_call); \
	} while (0)

static const char *bar_kind_name(enum pci_bar_kind kind)
{
	return kind == PCI_BAR_IO	? "a range of I/O ports"
	       : kind == PCI_BAR_MEMORY ? "device memory"
					: "not implemented";
}

enum err pci_bar_map(struct io_mem **out, struct pci_device *dev, unsigned index)
{
	REQUIRE(out != NULL, "out must not be NULL");
	REQUIRE_BAR(dev, index, PCI_BAR_MEMORY, "pci_bar_ports() is for I/O BARs, pci_bar_map() for memory");
	REQUIRE(cpu_local.irq_depth == 0, "windows are made by tasks, not in interrupt context");
	CLIENT_OBJECT(out);
	if (!dev->bar_phys[index])
		return ERR_INVAL; /* the firmware left it unassigned */
	enum err e = io_mem_create(out, dev->bar_phys[index], dev->bar[index].size, false);
	if (e == ERR_OK)
		pci_command_set(dev, PCI_COMMAND_MEMORY, true);
	return e;
}

enum err pci_bar_ports(struct io_ports **out, struct pci_device *dev, unsigned index, enum io_ports_access access)
{
	REQUIRE(out != NULL, "out must not be NULL");
	REQUIRE_BAR(dev, index, PCI_BAR_IO, "pci_bar_map() is for memory BARs, pci_bar_ports() for I/O");
	REQUIRE(access == IO_PORTS_READ || access == IO_PORTS_READ_WRITE, "access (%d) is not an io_ports_access",
		(int)access);
	REQUIRE(cpu_local.irq_depth == 0, "windows are made by tasks, not in interrupt context");
	CLIENT_OBJECT(out);
	uint64_t base = dev->bar_phys[index], size = dev->bar[index].size;
	if (!base || base + size > 0x10000)
		return ERR_INVAL; /* unassigned, or beyond the I/O space */
	enum err e = io_ports_acquire(out, (uint16_t)base, (uint32_t)size, access);
	if (e == ERR_OK)
		pci_command_set(dev, PCI_COMMAND_IO, true);
	return e;
}
