/* In-kernel tests of PCI: the MCFG parser on crafted, broken tables; enumeration over a fake
 * configuration mechanism whose devices lie (absurd BARs, looping capability lists, bridge
 * loops, too many functions); and what this machine has. */
#include <frame/console.h>
#include <frame/ktest.h>
#include <frame/pci.h>
#include <frame/string.h>
#include "lib/bytes.h"
#include "pci/config.h"
#include "tests/run_in_irq.h"
#include "tests/acpi_craft.h"

/* --- the MCFG -------------------------------------------------------------------------------- */

static uint8_t mcfg[256];
static size_t used;
static struct mcfg_info info;

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/* Start an MCFG: the header and the 8 reserved bytes, no entries yet. */
static void begin(void)
{
	memset(mcfg, 0, sizeof(mcfg));
	memcpy(mcfg, "MCFG", 4);
	mcfg[8] = 1; /* revision */
	used = 44;
}

static void entry(uint64_t base, uint16_t segment, uint8_t start, uint8_t end)
{
	memcpy(mcfg + used, &base, 8);
	memcpy(mcfg + used + 8, &segment, 2);
	mcfg[used + 10] = start;
	mcfg[used + 11] = end;
	used += 16;
}

/* Write the table's length and checksum; returns the length. */
static size_t finish(void)
{
	return acpi_table_seal(mcfg, used);
}

KTEST(mcfg_parses_a_qemu_like_table)
{
	begin();
	entry(0xb0000000, 0, 0, 255); /* q35: 256 MiB below 4 GiB */
	KTEST_ASSERT(mcfg_parse(mcfg, finish(), &info));
	KTEST_ASSERT_EQ(info.base, 0xb0000000);
	KTEST_ASSERT_EQ(info.start_bus, 0);
	KTEST_ASSERT_EQ(info.end_bus, 255);
}

KTEST(mcfg_skips_other_segments_and_unusable_entries)
{
	begin();
	entry(0xc0000000, 1, 0, 255);		  /* another segment group */
	entry(0xb0080000, 0, 0, 255);		  /* not aligned to 1 MiB */
	entry(0, 0, 0, 255);			  /* no address */
	entry(0xb0000000, 0, 8, 15);		  /* does not start at bus 0 */
	entry(0xb0000000, 0, 9, 3);		  /* ends before it starts */
	entry((1ull << 52) - (1 << 20), 0, 0, 1); /* runs past the widest physical address */
	entry(~0ull << 20, 0, 0, 0);		  /* so does this one, by wrapping around */
	entry(0xe0000000, 0, 0, 63);
	KTEST_ASSERT(mcfg_parse(mcfg, finish(), &info));
	KTEST_ASSERT_EQ(info.base, 0xe0000000);
	KTEST_ASSERT_EQ(info.end_bus, 63);
}

KTEST(mcfg_without_a_usable_entry)
{
	begin();
	KTEST_EXPECT(!mcfg_parse(mcfg, finish(), &info)); /* no entries at all */
	begin();
	entry(0xb0000000, 2, 0, 255);
	KTEST_EXPECT(!mcfg_parse(mcfg, finish(), &info));
}

KTEST(mcfg_entry_cut_short)
{
	begin();
	entry(0xb0000000, 0, 0, 255);
	used -= 4; /* the table ends inside its entry */
	KTEST_EXPECT(!mcfg_parse(mcfg, finish(), &info));
	begin();
	used -= 4; /* shorter than the fixed part */
	KTEST_EXPECT(!mcfg_parse(mcfg, finish(), &info));
}

KTEST(mcfg_bad_checksum_length_or_signature)
{
	begin();
	entry(0xb0000000, 0, 0, 255);
	size_t len = finish();
	mcfg[50] ^= 0x10;
	KTEST_EXPECT(!mcfg_parse(mcfg, len, &info));
	mcfg[50] ^= 0x10;
	KTEST_ASSERT(mcfg_parse(mcfg, len, &info));
	KTEST_EXPECT(!mcfg_parse(mcfg, len - 1, &info)); /* the buffer is shorter than the table */
	KTEST_EXPECT(!mcfg_parse(mcfg, 40, &info));	 /* shorter than the fixed part */
	put32(mcfg + 4, 0xffffffff);
	KTEST_EXPECT(!mcfg_parse(mcfg, len, &info)); /* a length beyond the buffer */
	put32(mcfg + 4, (uint32_t)len);
	memcpy(mcfg, "MCFX", 4);
	KTEST_EXPECT(!mcfg_parse(mcfg, len, &info));
}

/* --- a fake configuration mechanism ---------------------------------------------------------- */

/* A function of the fake machine: its configuration bytes, and which bits of each BAR stick. */
struct fake {
	uint8_t bus, devfn;
	uint8_t cfg[256];
	uint32_t bar_writable[PCI_BAR_COUNT];
};

static struct fake fakes[8];
static unsigned fake_count, buses_scanned;
static bool sized_while_decoding;
static struct pci_device table[8];

static struct fake *fake_at(uint8_t bus, uint8_t devfn)
{
	for (unsigned i = 0; i < fake_count; i++)
		if (fakes[i].bus == bus && fakes[i].devfn == devfn)
			return &fakes[i];
	return NULL;
}

static bool fake_bus_reachable(uint8_t bus)
{
	(void)bus;
	buses_scanned++;
	return true;
}

static uint32_t fake_read(uint8_t bus, uint8_t devfn, uint16_t offset, unsigned width)
{
	struct fake *f = fake_at(bus, devfn);
	uint32_t v = 0;
	if (!f)
		return width == 4 ? UINT32_MAX : (1u << 8 * width) - 1; /* nobody: all ones */
	memcpy(&v, f->cfg + offset, width);
	return v;
}

static void fake_write(uint8_t bus, uint8_t devfn, uint16_t offset, unsigned width, uint32_t value)
{
	struct fake *f = fake_at(bus, devfn);
	if (!f)
		return;
	if (offset >= 0x10 && offset < 0x28) {
		uint32_t old, keep = ~f->bar_writable[(offset - 0x10) / 4];
		memcpy(&old, f->cfg + offset, 4);
		value = (value & ~keep) | (old & keep);
		sized_while_decoding |= (f->cfg[4] & 3) != 0;
	}
	memcpy(f->cfg + offset, &value, width);
}

static const struct pci_config_ops fake_ops = {"fake", 256, fake_bus_reachable, fake_read, fake_write};

static struct fake *fake_add(uint8_t bus, uint8_t slot, uint8_t function, uint16_t device, uint8_t header_type)
{
	struct fake *f = &fakes[fake_count++];
	memset(f, 0, sizeof(*f));
	f->bus = bus;
	f->devfn = (uint8_t)(slot << 3 | function);
	memcpy(f->cfg, &(uint16_t){0x1234}, 2);
	memcpy(f->cfg + 2, &device, 2);
	f->cfg[0x0b] = 0xff; /* class: unassigned */
	f->cfg[0x0e] = header_type;
	return f;
}

static void fake_bar(struct fake *f, unsigned i, uint32_t value, uint32_t writable)
{
	put32(f->cfg + 0x10 + 4 * i, value);
	f->bar_writable[i] = writable;
}

static void fake_cap(struct fake *f, uint8_t offset, uint8_t id, uint8_t next)
{
	f->cfg[6] |= 0x10; /* status: there is a capability list */
	if (!f->cfg[0x34])
		f->cfg[0x34] = offset;
	f->cfg[offset] = id;
	f->cfg[offset + 1] = next;
}

static struct fake *fake_bridge(uint8_t bus, uint8_t slot, uint8_t secondary)
{
	struct fake *f = fake_add(bus, slot, 0, 0xb, 1);
	f->cfg[0x0b] = 0x06; /* a bridge */
	f->cfg[0x0a] = 0x04; /* PCI-to-PCI */
	f->cfg[0x19] = secondary;
	return f;
}

static size_t enumerate(size_t max)
{
	buses_scanned = 0;
	sized_while_decoding = false;
	return pci_enumerate(&fake_ops, table, max);
}

KTEST(pci_enumerate_reads_ids_bars_and_capabilities)
{
	fake_count = 0;
	struct fake *f = fake_add(0, 3, 0, 0x11e8, 0);
	f->cfg[4] = 0x7;			/* decoding I/O and memory, and bus master */
	f->cfg[0x3d] = 1;			/* INTA# */
	f->cfg[0x08] = 0x10;			/* revision */
	fake_bar(f, 0, 0xfebf0000, 0xfffff000); /* 32-bit memory, 4 KiB */
	fake_bar(f, 1, 0xc041, 0xffffffe0);	/* I/O, 32 ports */
	fake_bar(f, 2, 0x0000000c, 0);		/* 64-bit prefetchable memory, 8 GiB... */
	fake_bar(f, 3, 0x00000002, 0xfffffffe); /* ...its upper half: at 8 GiB */
	fake_bar(f, 4, 0xc101, 0xfff0);		/* I/O decoding 16 bits: 16 ports */
	fake_cap(f, 0x40, PCI_CAP_MSI, 0x50);
	f->cfg[0x42] = 0x80; /* 64-bit MSI: 14 bytes */
	fake_cap(f, 0x50, PCI_CAP_POWER, 0);
	KTEST_ASSERT_EQ(enumerate(8), 1);
	struct pci_device *d = &table[0];
	KTEST_ASSERT(d->info.vendor == 0x1234 && d->info.device == 0x11e8 && d->info.class_code == 0xff);
	KTEST_ASSERT(d->info.slot == 3 && d->info.interrupt_pin == 1 && d->info.revision == 0x10);
	KTEST_EXPECT(d->bar[0].kind == PCI_BAR_MEMORY && d->bar[0].size == 0x1000 && !d->bar[0].is_64bit);
	KTEST_ASSERT_EQ(d->bar_phys[0], 0xfebf0000);
	KTEST_EXPECT(d->bar[1].kind == PCI_BAR_IO && d->bar[1].size == 32 && d->bar_phys[1] == 0xc040);
	KTEST_EXPECT(d->bar[2].kind == PCI_BAR_MEMORY && d->bar[2].is_64bit && d->bar[2].prefetchable);
	KTEST_ASSERT_EQ(d->bar[2].size, 1ull << 33);
	KTEST_ASSERT_EQ(d->bar_phys[2], 0x200000000);
	KTEST_EXPECT(d->bar[3].kind == PCI_BAR_NONE); /* the upper half */
	KTEST_EXPECT(d->bar[4].kind == PCI_BAR_IO && d->bar[4].size == 16);
	KTEST_EXPECT(d->bar[5].kind == PCI_BAR_NONE); /* nothing sticks */
	KTEST_ASSERT_EQ(d->cap_count, 2);
	KTEST_EXPECT(d->msi == 0x40 && d->msi_len == 14 && d->msix == 0);
	KTEST_EXPECT(!sized_while_decoding);
	KTEST_ASSERT_EQ(f->cfg[4], 0x7);		   /* the command register is back */
	KTEST_ASSERT_EQ(get32(f->cfg + 0x10), 0xfebf0000); /* so are the BARs */
	KTEST_ASSERT_EQ(get32(f->cfg + 0x1c), 0x2);
	KTEST_ASSERT_EQ(d->config_size, 256);
}

KTEST(pci_enumerate_probes_functions_only_where_they_can_be)
{
	fake_count = 0;
	KTEST_ASSERT_EQ(enumerate(8), 0);	    /* all ones everywhere */
	fake_add(0, 1, 0, 1, 0x80);		    /* multi-function... */
	fake_add(0, 1, 5, 2, 0);		    /* ...so function 5 is found */
	fake_add(0, 2, 0, 3, 0);		    /* single function... */
	fake_add(0, 2, 1, 4, 0);		    /* ...so function 1 is not probed */
	memset(fake_add(0, 4, 0, 5, 0)->cfg, 0, 2); /* vendor 0: nobody */
	KTEST_ASSERT_EQ(enumerate(8), 3);
	KTEST_EXPECT(table[0].info.device == 1 && table[1].info.device == 2 && table[1].info.function == 5);
	KTEST_EXPECT(table[2].info.device == 3);
}

KTEST(pci_enumerate_leaves_absurd_bars_out)
{
	fake_count = 0;
	struct fake *f = fake_add(0, 0, 0, 1, 0);
	fake_bar(f, 0, 0x4, 0); /* 64-bit memory of 2^48 bytes */
	fake_bar(f, 1, 0, 0xffff0000);
	fake_bar(f, 2, 0x1, 0xfffff000); /* 4096 I/O ports */
	fake_bar(f, 3, 0, 0xfff0f000);	 /* a mask with a hole */
	fake_bar(f, 4, 0x3, 0);		 /* I/O with nothing writable */
	fake_bar(f, 5, 0x4, 0xfffff000); /* 64-bit, but the last one */
	f->cfg[0x3d] = 9;		 /* no such pin */
	KTEST_ASSERT_EQ(enumerate(8), 1);
	for (unsigned i = 0; i < PCI_BAR_COUNT; i++)
		KTEST_EXPECT(table[0].bar[i].kind == PCI_BAR_NONE && table[0].bar[i].size == 0);
	KTEST_ASSERT_EQ(table[0].info.interrupt_pin, 0);
}

KTEST(pci_enumerate_cuts_capability_lists_that_loop)
{
	fake_count = 0;
	struct fake *f = fake_add(0, 0, 0, 1, 0);
	fake_cap(f, 0x40, 0x09, 0x50);
	fake_cap(f, 0x50, 0x09, 0x40);			     /* back to the first */
	fake_cap(fake_add(0, 1, 0, 2, 0), 0x60, 0x09, 0x60); /* to itself */
	f = fake_add(0, 2, 0, 3, 0);
	fake_cap(f, 0x40, 0x09, 0x4b); /* low bits reserved: 0x48 */
	fake_cap(f, 0x48, 0x09, 0x20); /* into the header */
	f = fake_add(0, 3, 0, 4, 0);
	for (unsigned off = 0x40; off < 0x100; off += 4) /* all 48 places, in a row */
		fake_cap(f, (uint8_t)off, 0x09, (uint8_t)(off + 4));
	KTEST_ASSERT_EQ(enumerate(8), 4);
	KTEST_EXPECT(table[0].cap_count == 2 && table[1].cap_count == 1 && table[2].cap_count == 2);
	KTEST_ASSERT_EQ(table[2].cap_offset[1], 0x48);
	KTEST_ASSERT_EQ(table[3].cap_count, PCI_MAX_CAPS);
}

KTEST(pci_enumerate_follows_each_bus_once_and_sorts)
{
	fake_count = 0;
	fake_bridge(0, 1, 3);
	fake_bridge(3, 0, 2); /* to a lower bus */
	fake_bridge(2, 0, 3); /* back to bus 3: a loop */
	fake_bridge(2, 1, 0); /* not numbered */
	fake_bridge(2, 2, 2); /* to its own bus */
	fake_add(2, 9, 0, 0x99, 0);
	KTEST_ASSERT_EQ(enumerate(8), 6);
	KTEST_ASSERT_EQ(buses_scanned, 3);
	uint8_t order[][2] = {{0, 1}, {2, 0}, {2, 1}, {2, 2}, {2, 9}, {3, 0}};
	for (unsigned i = 0; i < 6; i++)
		KTEST_EXPECT(table[i].info.bus == order[i][0] && table[i].info.slot == order[i][1]);
	KTEST_EXPECT(table[0].info.is_bridge && !table[4].info.is_bridge);
}

KTEST(pci_enumerate_keeps_at_most_max_functions)
{
	fake_count = 0;
	for (uint8_t slot = 0; slot < 5; slot++)
		fake_add(0, slot, 0, slot, 0);
	KTEST_ASSERT_EQ(enumerate(3), 3);
	KTEST_ASSERT_EQ(table[2].info.device, 2);
}

/* A device with a 4 KiB memory BAR 0 and an MSI-X capability at 0x40 whose table register
 * (where: BAR and offset) and size (entries - 1) are given. */
static struct fake *fake_msix(uint8_t slot, uint32_t where, uint16_t last_entry)
{
	struct fake *f = fake_add(0, slot, 0, slot, 0);
	fake_bar(f, 0, 0xfebf0000, 0xfffff000);
	fake_cap(f, 0x40, PCI_CAP_MSIX, 0);
	memcpy(f->cfg + 0x42, &last_entry, 2);
	put32(f->cfg + 0x44, where);
	return f;
}

KTEST(pci_enumerate_uses_msix_only_with_its_table_inside_a_memory_bar)
{
	fake_count = 0;
	fake_msix(0, 0x800, 63);	 /* BAR 0 at 0x800, 64 entries: ends at 0xc00 */
	fake_msix(1, 0xc00, 63);	 /* ends at 0x1000, the BAR's end */
	fake_msix(2, 0xc08, 63);	 /* past it */
	fake_msix(3, 0x800 | 1, 0);	 /* in BAR 1, which is not there */
	fake_msix(4, 0x800 | 7, 0);	 /* in "BAR 7" */
	fake_msix(5, 0xfffffff8, 0x7ff); /* far past the BAR */
	KTEST_ASSERT_EQ(enumerate(8), 6);
	KTEST_EXPECT(table[0].msix == 0x40 && table[0].msix_bar == 0 && table[0].msix_table == 0x800);
	KTEST_ASSERT_EQ(table[0].msix_entries, 64);
	KTEST_ASSERT_EQ(table[1].msix_entries, 64);
	for (unsigned i = 2; i < 6; i++)
		KTEST_EXPECT(table[i].msix == 0x40 && table[i].msix_entries == 0); /* kept from drivers, not used */
}

/* --- this machine ---------------------------------------------------------------------------- */

/* QEMU's host bridges: pc's i440FX and q35's MCH. */
#define I440FX 0x1237
#define Q35_MCH 0x29c0

/* The host bridge's device ID at 00:00.0, or 0 when this machine has no PCI (QEMU's isapc). */
static uint16_t host_bridge(void)
{
	return pci_device_count() ? pci_device_info(pci_device_at(0)).device : 0;
}

/* With no PCI the API finds nothing. */
static bool no_pci(void)
{
	return pci_device_count() == 0 && pci_find_class(0x06, 0x00, NULL) == NULL &&
	       pci_find(0x8086, I440FX, NULL) == NULL;
}

/* The tests booting this kernel check which of the lines below each machine printed. */
KTEST(pci_finds_this_machines_host_bridge)
{
	if (pci_device_count() == 0) {
		console_printf("# no PCI devices on this machine\n");
		KTEST_ASSERT(no_pci());
		return;
	}
	KTEST_ASSERT(pci_device_count() >=
		     5); /* QEMU's pc: host, ISA, IDE, ACPI, VGA; q35: host, VGA, LPC, SATA, SMBus */
	struct pci_info host = pci_device_info(pci_device_at(0));
	console_printf("# PCI host bridge %04x:%04x\n", host.vendor, host.device);
	KTEST_EXPECT(host.vendor == 0x8086 && (host.device == I440FX || host.device == Q35_MCH) && host.bus == 0 &&
		     host.slot == 0);
	KTEST_ASSERT(pci_find_class(0x06, 0x00, NULL) == pci_device_at(0));
	KTEST_ASSERT(pci_find(0x8086, host.device, pci_device_at(0)) == NULL);
	KTEST_ASSERT_EQ(pci_config_read16(pci_device_at(0), 0), 0x8086);
}

/* The whole API in a timer callback: finding, describing, reading, enabling. */
static int pci_in_irq(void)
{
	uint16_t id = host_bridge();
	if (id == 0) {
		IRQ_CHECK(no_pci());
		return 0;
	}
	struct pci_device *host = pci_find(0x8086, id, NULL);
	IRQ_CHECK(host && pci_find_class(0x06, 0x00, NULL) == host && pci_device_at(0) == host);
	IRQ_CHECK(pci_device_info(host).vendor == 0x8086 && pci_config_size(host) == 256); /* not PCI Express */
	IRQ_CHECK(pci_device_bar(host, 0).kind == PCI_BAR_NONE && pci_find_capability(host, PCI_CAP_MSI, 0) == 0);
	IRQ_CHECK(pci_config_read32(host, 0) == ((uint32_t)id << 16 | 0x8086) && pci_config_read8(host, 0x0b) == 0x06);
	struct pci_device *vga = pci_find_class(0x03, 0x00, NULL); /* QEMU's standard VGA */
	IRQ_CHECK(vga != NULL);
	pci_enable(vga, PCI_ENABLE_MEMORY); /* on already: the firmware uses its framebuffer */
	IRQ_CHECK(pci_config_read16(vga, 4) & PCI_ENABLE_MEMORY);
	return 0;
}

KTEST(pci_works_in_interrupt_context)
{
	KTEST_ASSERT_EQ(run_in_irq(pci_in_irq), 0);
}
