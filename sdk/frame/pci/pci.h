/* PCI devices for the frame's own use: what enumeration found, and the accesses the public API
 * forbids to drivers (BAR bases, MSI and MSI-X, the bus-master bit). */
#ifndef FRAME_PCI_PCI_H
#define FRAME_PCI_PCI_H

#include <frame/pci.h>

#define PCI_MAX_DEVICES 256 /* functions kept; more are reported and ignored */
#define PCI_MAX_CAPS 48	    /* the capability list's steps: (256 - 0x40) / 4 places */
#define PCI_MSIX_LEN 12	    /* the MSI-X capability: header, control, table and PBA registers */

struct pci_config_ops;

/* One function, filled in by pci_enumerate() and never changed after boot. */
struct pci_device {
	const struct pci_config_ops *ops; /* how its configuration space is reached */
	struct pci_info info;
	struct pci_bar bar[PCI_BAR_COUNT];
	uint64_t bar_phys[PCI_BAR_COUNT]; /* each BAR's base, as the firmware assigned it (0: none) */
	uint16_t config_size;		  /* 256, or 4096 for PCI Express through ECAM */
	uint8_t cap_count;
	uint8_t cap_offset[PCI_MAX_CAPS]; /* the capability list, in list order */
	uint8_t cap_id[PCI_MAX_CAPS];
	uint8_t msi, msi_len;	   /* the MSI capability's offset and length; 0: none */
	uint8_t msix;		   /* the MSI-X capability's offset (PCI_MSIX_LEN bytes); 0: none */
	uint8_t msix_bar;	   /* its table: in this memory BAR, */
	uint32_t msix_table;	   /* at this offset, */
	uint16_t msix_entries;	   /* with this many 16-byte entries; 0: MSI-X is not used */
	int msix_guard;		   /* the table's io_mem_guard() */
	unsigned bus_master_users; /* DMA objects and message interrupts: bus mastering is on while any */
	struct irq_line *irq;	   /* the line from pci_irq_alloc(), or NULL */
};

/* A device's place for messages: printf(PCI_DEV_FMT, PCI_DEV_ARGS(dev)) prints "00:03.0". */
#define PCI_DEV_FMT "%02x:%02x.%x"
#define PCI_DEV_ARGS(d) (d)->info.bus, (d)->info.slot, (d)->info.function

/* The rule a public function breaks when handed something that is not a device (a pointer). */
#define PCI_NOT_A_DEVICE "%p is not a PCI device (pci_device_at(), pci_find() and pci_find_class() give them)"
/* Whether dev is one of the devices found at boot (any pointer may be asked about). */
bool pci_device_ok(const struct pci_device *dev);

/* dev's place in the table of devices found at boot: 0 to pci_device_count() - 1. dev must be
 * one of them (pci_device_ok()). */
size_t pci_device_index(const struct pci_device *dev);
/* The device found at boot at bus and devfn (slot << 3 | function), or NULL. */
struct pci_device *pci_device_by_place(uint8_t bus, uint8_t devfn);

/* Read width (1, 2 or 4) bytes of dev's configuration space at offset, which the caller has
 * checked: aligned to width, inside dev->config_size. No precondition checks; any context. */
uint32_t pci_cfg_read(const struct pci_device *dev, uint16_t offset, unsigned width);
/* Write them, as pci_cfg_read(): anything, BARs and MSI included. */
void pci_cfg_write(const struct pci_device *dev, uint16_t offset, unsigned width, uint32_t value);

/* Set or clear bits of dev's command register (PCI_COMMAND_*), atomically against interrupts. */
void pci_command_set(const struct pci_device *dev, uint16_t bits, bool on);
#define PCI_COMMAND_IO 0x1
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4	       /* bus master: the device may start DMA */
#define PCI_COMMAND_INTX_DISABLE 0x400 /* the device's INTx is masked */
#define PCI_CLASS_BRIDGE 0x06	       /* host, ISA, PCI-to-PCI bridges: the chipset */

/* A user of dev's bus mastering comes (take) or goes: a DMA object, or MSI/MSI-X (a message is
 * a write by the device). The bit is on while dev has any, off otherwise. */
void pci_bus_master_hold(struct pci_device *dev, bool take);

/* Whether a memory BAR of a device found at boot covers part of [phys, phys + size). */
bool pci_bar_covers(uint64_t phys, uint64_t size);

/* Find every PCI function (pci/config.c picks the mechanism); at boot, once. */
void pci_init(void);
/* At boot, for each device that is not a bridge: its INTx masked until pci_irq_alloc(), its
 * MSI-X table guarded from drivers' windows (pci/irq.c). */
void pci_irq_setup(struct pci_device *dev);

#endif
