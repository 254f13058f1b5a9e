// Lists every PCI function the frame found, one line each (position, ids, class, revision,
// interrupt pin, configuration size, BARs, capability ids), then uses the find helpers and the
// writes a driver may make on QEMU's edu device. With a case on the command line (see the
// table at the end) it misuses the PCI API instead: every case must end in a panic that names
// the frame function, the rule broken and the caller, the case_* function below.
#include <frame/frame.h>

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8

static const char *bar_kind(struct pci_bar bar)
{
	if (bar.kind == PCI_BAR_IO)
		return "io";
	return bar.is_64bit ? "mem64" : "mem32";
}

static void print_bars(const struct pci_device *dev)
{
	for (unsigned i = 0; i < PCI_BAR_COUNT; i++) {
		struct pci_bar bar = pci_device_bar(dev, i);
		if (bar.kind != PCI_BAR_NONE)
			console_printf(" bar%u=%s%s:0x%llx", i, bar_kind(bar), bar.prefetchable ? ",prefetchable" : "",
				       (unsigned long long)bar.size);
	}
}

// The capabilities, as id@offset, by id: every id is asked for, each as often as it is there.
static void print_caps(const struct pci_device *dev)
{
	const char *sep = " caps=";
	for (unsigned id = 0; id < 256; id++) {
		for (uint8_t at = pci_find_capability(dev, (uint8_t)id, 0); at;
		     at = pci_find_capability(dev, (uint8_t)id, at)) {
			console_printf("%s%02x@%02x", sep, pci_config_read8(dev, at), at);
			sep = ",";
		}
	}
}

static void print_device(const struct pci_device *dev)
{
	struct pci_info i = pci_device_info(dev);
	console_printf("pci %02x:%02x.%x %04x:%04x class=%02x.%02x.%02x rev=%02x pin=%u cfg=%u%s", i.bus, i.slot,
		       i.function, i.vendor, i.device, i.class_code, i.subclass, i.prog_if, i.revision, i.interrupt_pin,
		       pci_config_size(dev), i.is_bridge ? " bridge" : "");
	print_bars(dev);
	print_caps(dev);
	console_printf("\n");
}

static struct pci_device *edu(void)
{
	struct pci_device *dev = pci_find(EDU_VENDOR, EDU_DEVICE, NULL);
	if (!dev)
		panic("no edu device: run QEMU with -device edu");
	return dev;
}

// The find helpers agree with the list, and the configuration space with what they return.
static void check_finds(void)
{
	unsigned by_id = 0, by_class = 0;
	for (struct pci_device *d = pci_find(EDU_VENDOR, EDU_DEVICE, NULL); d; d = pci_find(EDU_VENDOR, EDU_DEVICE, d))
		by_id += pci_config_read16(d, 0) == EDU_VENDOR && pci_config_read16(d, 2) == EDU_DEVICE;
	for (struct pci_device *d = pci_find_class(0x00, 0xff, NULL); d; d = pci_find_class(0x00, 0xff, d))
		by_class += pci_config_read32(d, 8) >> 16 == 0x00ff;
	console_printf("find: %u by id 1234:11e8, %u by class 00.ff\n", by_id, by_class);
}

// A driver's writes on edu: the memory enable bit, and a device-specific register past its
// capabilities (edu ignores the write; the frame lets it through).
static void check_writes(void)
{
	struct pci_device *dev = edu();
	pci_enable(dev, PCI_ENABLE_MEMORY);
	pci_config_write32(dev, 0x80, 0x12345678);
	pci_config_write16(dev, 0x84, 0x1234);
	pci_config_write8(dev, 0xff, 0x12);
	console_printf("edu: memory decoding %s, msi at 0x%x\n", pci_config_read16(dev, 4) & 2 ? "on" : "off",
		       pci_find_capability(dev, PCI_CAP_MSI, 0));
}

// --- misuse: edu, on pc; virtio-rng on q35 for the extended space and MSI-X ---------------

static struct pci_device *bridge(void)
{
	struct pci_device *dev = pci_find_class(0x06, 0x00, NULL);
	if (!dev)
		panic("no host bridge");
	return dev;
}

// A PCI Express function with MSI-X (q35: -device virtio-rng-pci behind a PCI Express root port).
static struct pci_device *virtio_rng(void)
{
	struct pci_device *dev = pci_find(0x1af4, 0x1044, NULL);
	if (!dev)
		panic("no virtio-rng device: run QEMU -M q35 with -device virtio-rng-pci behind a pcie-root-port");
	return dev;
}

static uint64_t not_a_device[8];

static void case_write_bar(void)
{
	pci_config_write32(edu(), 0x14, 0);
}

static void case_write_header(void)
{
	pci_config_write16(edu(), 0x04, 0x7); // the command register: bus master included
}

static void case_write_misaligned(void)
{
	pci_config_write32(edu(), 0x82, 0);
}

static void case_write_out_of_range(void)
{
	pci_config_write8(edu(), 0x100, 0);
}

static void case_read_out_of_range(void)
{
	(void)pci_config_read32(edu(), 0xffc);
}

static void case_read_misaligned(void)
{
	(void)pci_config_read16(edu(), 0x3);
}

static void case_write_msi(void)
{
	struct pci_device *dev = edu();
	pci_config_write32(dev, (uint16_t)(pci_find_capability(dev, PCI_CAP_MSI, 0) + 4), 0xfee00000);
}

static void case_write_cap_header(void)
{
	struct pci_device *dev = edu();
	pci_config_write8(dev, (uint16_t)(pci_find_capability(dev, PCI_CAP_MSI, 0) + 1), 0x80);
}

static void case_write_extended(void)
{
	pci_config_write32(virtio_rng(), 0x100, 0);
}

static void case_write_msix(void)
{
	struct pci_device *dev = virtio_rng();
	pci_config_write16(dev, (uint16_t)(pci_find_capability(dev, PCI_CAP_MSIX, 0) + 2), 0x8000); // enable
}

static void case_write_flr(void)
{
	struct pci_device *dev = virtio_rng(); // device control: initiate a function-level reset
	pci_config_write16(dev, (uint16_t)(pci_find_capability(dev, PCI_CAP_EXPRESS, 0) + 8), 0x8000);
}

static void case_enable_bridge(void)
{
	pci_enable(bridge(), PCI_ENABLE_IO); // the chipset's command register
}

static void case_write_bridge(void)
{
	pci_config_write8(bridge(), 0x59, 0x33); // 440FX PAM0: would turn the BIOS area into RAM
}

static void case_device_at(void)
{
	(void)pci_device_at(pci_device_count());
}

static void case_bogus_device(void)
{
	(void)pci_device_info((const struct pci_device *)(const void *)not_a_device);
}

static void case_bogus_after(void)
{
	(void)pci_find(EDU_VENDOR, EDU_DEVICE, (const struct pci_device *)(const void *)not_a_device);
}

static void case_bar_index(void)
{
	(void)pci_device_bar(edu(), PCI_BAR_COUNT);
}

static void case_cap_after(void)
{
	(void)pci_find_capability(edu(), PCI_CAP_MSI, 0x41);
}

static void case_enable_master(void)
{
	pci_enable(edu(), 0x4);
}

static const struct {
	const char *name;
	void (*run)(void);
} cases[] = {
	{"write-bar", case_write_bar},
	{"write-header", case_write_header},
	{"write-misaligned", case_write_misaligned},
	{"write-out-of-range", case_write_out_of_range},
	{"read-out-of-range", case_read_out_of_range},
	{"read-misaligned", case_read_misaligned},
	{"write-msi", case_write_msi},
	{"write-cap-header", case_write_cap_header},
	{"write-extended", case_write_extended},
	{"write-msix", case_write_msix},
	{"write-flr", case_write_flr},
	{"enable-bridge", case_enable_bridge},
	{"write-bridge", case_write_bridge},
	{"device-at", case_device_at},
	{"bogus-device", case_bogus_device},
	{"bogus-after", case_bogus_after},
	{"bar-index", case_bar_index},
	{"cap-after", case_cap_after},
	{"enable-master", case_enable_master},
};

void kernel_main(void)
{
	const char *how = boot_cmdline();
	if (!*how) {
		console_printf("pci: %zu functions\n", pci_device_count());
		for (size_t i = 0; i < pci_device_count(); i++)
			print_device(pci_device_at(i));
		check_finds();
		check_writes();
		return;
	}
	console_printf("misuse: %s\n", how);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (strcmp(how, cases[i].name) == 0) {
			cases[i].run();
			console_printf("misuse: case '%s' did not panic\n", how);
			power_off(POWER_EXIT_FAILURE);
		}
	}
	console_printf("misuse: unknown case '%s'\n", how);
	power_off(POWER_EXIT_FAILURE);
}
