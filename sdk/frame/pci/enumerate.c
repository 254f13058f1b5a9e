/*
 * PCI enumeration: every function on bus 0 and on the bus behind every bridge, with its BARs
 * sized and its capability list read. A device is hostile input: whatever it answers, the work
 * is bounded (256 buses each scanned once, 32 slots, 8 functions, 48 capabilities) and what is
 * absurd is reported and left out.
 */
#include "pci/config.h"
#include <frame/log.h>
#include <frame/string.h>

#define REG_VENDOR 0x00
#define REG_COMMAND 0x04
#define REG_STATUS 0x06
#define REG_CLASS 0x08 /* revision, prog-if, subclass, class */
#define REG_HEADER_TYPE 0x0e
#define REG_BAR0 0x10
#define REG_SECONDARY_BUS 0x19
#define REG_CAP_PTR 0x34
#define REG_INTERRUPT_PIN 0x3d
#define STATUS_CAP_LIST 0x10
#define HEADER_MULTI_FUNCTION 0x80
#define CAP_FIRST 0x40 /* capabilities live past the standard header */
#define MSI_64BIT 0x80 /* in the MSI message control */
#define MSI_MASKABLE 0x100
#define MSIX_TABLE_SIZE 0x7ff /* in the MSI-X message control: entries minus one */
#define MSIX_ENTRY_SIZE 16
#define BAR_IO 0x1
#define BAR_MEM_TYPE 0x6 /* bits 2:1: 0 (or 1) 32-bit, 2 64-bit */
#define BAR_MEM_64 0x4
#define BAR_PREFETCH 0x8
#define BAR_MEM_MAX (1ull << 40) /* a bigger memory BAR is taken as absurd */
#define BAR_IO_MAX 256		 /* so is a bigger I/O BAR */

/* The state of one enumeration: the table being filled and the buses to scan. */
struct scan {
	const struct pci_config_ops *ops;
	struct pci_device *table;
	size_t max, count;
	uint64_t pending[4], visited[4]; /* bitmaps of bus numbers */
	bool full;			 /* the table is full: functions found now are ignored */
};

static bool bit(const uint64_t *map, unsigned n)
{
	return map[n / 64] >> (n % 64) & 1;
}

static void set_bit(uint64_t *map, unsigned n)
{
	map[n / 64] |= 1ull << (n % 64);
}

/* --- capabilities ---------------------------------------------------------------------------- */

/* Note the capability id at offset; the MSI and MSI-X ones are the frame's to program. */
static void cap_add(struct pci_device *dev, uint8_t offset, uint8_t id)
{
	dev->cap_offset[dev->cap_count] = offset;
	dev->cap_id[dev->cap_count++] = id;
	if (id == PCI_CAP_MSI && !dev->msi) {
		uint16_t control = (uint16_t)pci_cfg_read(dev, offset + 2, 2);
		dev->msi = offset;
		dev->msi_len = 10 + (control & MSI_64BIT ? 4 : 0) + (control & MSI_MASKABLE ? 10 : 0);
	} else if (id == PCI_CAP_MSIX && !dev->msix) {
		dev->msix = offset;
	}
}

/* Read the capability list. Each of the 48 places past the header may be visited once: a list
 * that points into the header or comes back to a place is reported and cut there. */
static void caps_read(struct pci_device *dev)
{
	uint64_t seen = 0;
	if (!(pci_cfg_read(dev, REG_STATUS, 2) & STATUS_CAP_LIST))
		return;
	for (uint8_t off = (uint8_t)pci_cfg_read(dev, REG_CAP_PTR, 1) & ~3u; off;) {
		if (off < CAP_FIRST || (seen >> ((off - CAP_FIRST) / 4) & 1)) {
			log_warn("pci: " PCI_DEV_FMT ": capability list %s at 0x%x; cut there", PCI_DEV_ARGS(dev),
				 off < CAP_FIRST ? "points into the header" : "loops", off);
			return;
		}
		seen |= 1ull << (off - CAP_FIRST) / 4;
		uint16_t header = (uint16_t)pci_cfg_read(dev, off, 2); /* id, next */
		cap_add(dev, off, (uint8_t)header);
		off = (uint8_t)(header >> 8) & ~3u; /* the two low bits are reserved */
	}
}

/* Where the MSI-X table is: a BAR (bits 2:0 of the table register), an offset into it and a number
 * of 16-byte entries, checked against the BARs as sized. A table that is not inside a memory BAR
 * the firmware placed is reported, and MSI-X is not used (msix_entries stays 0). */
static void msix_read(struct pci_device *dev)
{
	if (!dev->msix || dev->msix + PCI_MSIX_LEN > 256) {
		if (dev->msix)
			log_warn("pci: " PCI_DEV_FMT
				 ": MSI-X capability at 0x%x runs past configuration space; MSI-X not used",
				 PCI_DEV_ARGS(dev), dev->msix);
		return;
	}
	uint32_t table = pci_cfg_read(dev, dev->msix + 4, 4);
	unsigned bar = table & 7, entries = (pci_cfg_read(dev, dev->msix + 2, 2) & MSIX_TABLE_SIZE) + 1;
	uint64_t offset = table & ~7u, size = (uint64_t)entries * MSIX_ENTRY_SIZE;
	if (bar >= PCI_BAR_COUNT || dev->bar[bar].kind != PCI_BAR_MEMORY || !dev->bar_phys[bar] ||
	    offset + size > dev->bar[bar].size) {
		log_warn("pci: " PCI_DEV_FMT ": MSI-X table (BAR %u, offset 0x%llx, %u entries) is not inside a "
			 "memory BAR; MSI-X not used",
			 PCI_DEV_ARGS(dev), bar, (unsigned long long)offset, entries);
		return;
	}
	dev->msix_bar = (uint8_t)bar;
	dev->msix_table = (uint32_t)offset;
	dev->msix_entries = (uint16_t)entries;
}

/* --- BARs ------------------------------------------------------------------------------------ */

/* Write all ones to the BAR register at reg, read what sticks, put orig back. */
static uint32_t bar_probe(const struct pci_device *dev, uint16_t reg, uint32_t orig)
{
	pci_cfg_write(dev, reg, 4, UINT32_MAX);
	uint32_t sized = pci_cfg_read(dev, reg, 4);
	pci_cfg_write(dev, reg, 4, orig);
	return sized;
}

/* Record BAR i from the mask of its writable address bits (as 64 bits, ones above what the BAR
 * decodes): its size is the lowest such bit. A mask with holes, or a size beyond max, is
 * reported and the BAR left as PCI_BAR_NONE. */
static void bar_set(struct pci_device *dev, unsigned i, struct pci_bar bar, uint64_t mask, uint64_t base, uint64_t max)
{
	bar.size = ~mask + 1;
	if (bar.size & (bar.size - 1)) {
		log_warn("pci: " PCI_DEV_FMT ": BAR %u has holes in its size mask (0x%llx); ignored", PCI_DEV_ARGS(dev),
			 i, (unsigned long long)mask);
		return;
	}
	if (bar.size > max) {
		log_warn("pci: " PCI_DEV_FMT ": BAR %u claims 0x%llx bytes, more than 0x%llx; ignored",
			 PCI_DEV_ARGS(dev), i, (unsigned long long)bar.size, (unsigned long long)max);
		return;
	}
	dev->bar[i] = bar;
	dev->bar_phys[i] = base;
}

/* Size the BAR in slot i of n. Returns how many slots it took: 2 for a 64-bit memory BAR. */
static unsigned bar_read(struct pci_device *dev, unsigned i, unsigned n)
{
	uint16_t reg = (uint16_t)(REG_BAR0 + 4 * i);
	uint32_t orig = pci_cfg_read(dev, reg, 4), lo = bar_probe(dev, reg, orig);
	if (orig & BAR_IO) {
		uint32_t mask = lo & ~3u;
		if (mask && !(mask >> 16))
			mask |= 0xffff0000u; /* a device decoding 16 bits of port number */
		if (mask)
			bar_set(dev, i, (struct pci_bar){PCI_BAR_IO, 0, false, false}, ~0ull << 32 | mask, orig & ~3u,
				BAR_IO_MAX);
		return 1;
	}
	bool is_64 = (orig & BAR_MEM_TYPE) == BAR_MEM_64;
	if (is_64 && i + 1 == n) {
		log_warn("pci: " PCI_DEV_FMT ": BAR %u is 64-bit but the last one; ignored", PCI_DEV_ARGS(dev), i);
		return 1;
	}
	uint32_t orig_hi = is_64 ? pci_cfg_read(dev, reg + 4, 4) : 0;
	uint32_t hi = is_64 ? bar_probe(dev, reg + 4, orig_hi) : UINT32_MAX;
	if (lo & ~0xfu || (is_64 && hi))
		bar_set(dev, i, (struct pci_bar){PCI_BAR_MEMORY, 0, is_64, orig & BAR_PREFETCH},
			(uint64_t)hi << 32 | (lo & ~0xfu), (uint64_t)orig_hi << 32 | (orig & ~0xfu), BAR_MEM_MAX);
	return is_64 ? 2 : 1;
}

/* Size the n BARs with the device's decoding off, so that no address it passes through while
 * all ones are written answers. A host bridge keeps decoding: it may be what reaches memory. */
static void bars_read(struct pci_device *dev, unsigned n)
{
	uint16_t command = (uint16_t)pci_cfg_read(dev, REG_COMMAND, 2);
	uint16_t decode = command & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	bool host = dev->info.class_code == PCI_CLASS_BRIDGE && dev->info.subclass == 0x00;
	if (decode && !host)
		pci_cfg_write(dev, REG_COMMAND, 2, command & ~decode);
	for (unsigned i = 0; i < n;)
		i += bar_read(dev, i, n);
	if (decode && !host)
		pci_cfg_write(dev, REG_COMMAND, 2, command);
}

/* --- functions and buses --------------------------------------------------------------------- */

/* Read what function devfn on bus is into dev. */
static void device_read(const struct pci_config_ops *ops, uint8_t bus, uint8_t devfn, struct pci_device *dev)
{
	memset(dev, 0, sizeof(*dev));
	dev->ops = ops;
	dev->info.bus = bus;
	dev->info.slot = devfn >> 3;
	dev->info.function = devfn & 7;
	uint32_t id = pci_cfg_read(dev, REG_VENDOR, 4), class = pci_cfg_read(dev, REG_CLASS, 4);
	uint8_t type = pci_cfg_read(dev, REG_HEADER_TYPE, 1) & 0x7f;
	dev->info.vendor = (uint16_t)id;
	dev->info.device = (uint16_t)(id >> 16);
	dev->info.revision = (uint8_t) class;
	dev->info.prog_if = (uint8_t)(class >> 8);
	dev->info.subclass = (uint8_t)(class >> 16);
	dev->info.class_code = (uint8_t)(class >> 24);
	dev->info.is_bridge = type == 1;
	dev->info.interrupt_pin = (uint8_t)pci_cfg_read(dev, REG_INTERRUPT_PIN, 1);
	if (dev->info.interrupt_pin > 4) {
		log_warn("pci: " PCI_DEV_FMT ": interrupt pin %u does not exist; taken as none", PCI_DEV_ARGS(dev),
			 dev->info.interrupt_pin);
		dev->info.interrupt_pin = 0;
	}
	if (type > 1)
		log_warn("pci: " PCI_DEV_FMT ": header type %u; its BARs are not read", PCI_DEV_ARGS(dev), type);
	caps_read(dev);
	bars_read(dev, type == 0 ? PCI_BAR_COUNT : type == 1 ? 2 : 0);
	msix_read(dev);
	bool express = false;
	for (unsigned i = 0; i < dev->cap_count; i++)
		express |= dev->cap_id[i] == PCI_CAP_EXPRESS;
	dev->config_size = ops->size == 4096 && express ? 4096 : 256;
}

/* Queue the bus behind the bridge dev, unless it was reached already (a bridge loop). */
static void bridge_follow(struct scan *s, const struct pci_device *dev)
{
	uint8_t secondary = (uint8_t)pci_cfg_read(dev, REG_SECONDARY_BUS, 1);
	if (!secondary)
		log_warn("pci: bridge " PCI_DEV_FMT " has no bus number behind it", PCI_DEV_ARGS(dev));
	else if (bit(s->pending, secondary))
		log_warn("pci: bridge " PCI_DEV_FMT " leads to bus %u, which was reached already", PCI_DEV_ARGS(dev),
			 secondary);
	else
		set_bit(s->pending, secondary);
}

/* Add function devfn of bus if something answers there. Returns whether something did. */
static bool function_probe(struct scan *s, uint8_t bus, uint8_t devfn)
{
	uint16_t vendor = (uint16_t)s->ops->read(bus, devfn, REG_VENDOR, 2);
	if (vendor == 0xffff || vendor == 0) /* nobody home */
		return false;
	if (s->count == s->max) {
		if (!s->full)
			log_warn("pci: more than %zu functions; %02x:%02x.%x and the rest are ignored", s->max, bus,
				 devfn >> 3, devfn & 7);
		s->full = true;
		return true;
	}
	struct pci_device *dev = &s->table[s->count++];
	device_read(s->ops, bus, devfn, dev);
	if (dev->info.is_bridge)
		bridge_follow(s, dev);
	return true;
}

static void bus_scan(struct scan *s, uint8_t bus)
{
	for (uint8_t slot = 0; slot < 32; slot++) {
		uint8_t devfn = (uint8_t)(slot << 3);
		if (!function_probe(s, bus, devfn) ||
		    !(s->ops->read(bus, devfn, REG_HEADER_TYPE, 1) & HEADER_MULTI_FUNCTION))
			continue;
		for (uint8_t function = 1; function < 8; function++)
			function_probe(s, bus, devfn | function);
	}
}

/* The lowest bus queued and not scanned yet, or -1. */
static int bus_next(const struct scan *s)
{
	for (unsigned bus = 0; bus < 256; bus++)
		if (bit(s->pending, bus) && !bit(s->visited, bus))
			return (int)bus;
	return -1;
}

static uint32_t position(const struct pci_device *dev)
{
	return (uint32_t)dev->info.bus << 8 | (uint32_t)dev->info.slot << 3 | dev->info.function;
}

/* Sort the table by bus, slot and function (a bridge may lead to a lower bus than its own). */
static void table_sort(struct pci_device *table, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct pci_device d = table[i];
		size_t j = i;
		for (; j > 0 && position(&table[j - 1]) > position(&d); j--)
			table[j] = table[j - 1];
		table[j] = d;
	}
}

size_t pci_enumerate(const struct pci_config_ops *ops, struct pci_device *table, size_t max)
{
	struct scan s = {.ops = ops, .table = table, .max = max};
	set_bit(s.pending, 0);
	for (int bus; (bus = bus_next(&s)) >= 0;) {
		set_bit(s.visited, (unsigned)bus);
		if (ops->bus_reachable((uint8_t)bus))
			bus_scan(&s, (uint8_t)bus);
	}
	table_sort(table, s.count);
	return s.count;
}
