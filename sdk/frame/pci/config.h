/* PCI configuration space: the two ways to reach it (the legacy ports, ECAM from the ACPI MCFG),
 * and the enumeration over either. Inside pci/ and for its tests. */
#ifndef FRAME_PCI_CONFIG_H
#define FRAME_PCI_CONFIG_H

#include "pci/pci.h"

/* A configuration mechanism. bus_reachable() is called before the first access to a bus and
 * may map it (ECAM); read() and write() take accesses already checked (aligned, in range). */
struct pci_config_ops {
	const char *name;
	uint16_t size; /* bytes of configuration space per function: 256 or 4096 */
	bool (*bus_reachable)(uint8_t bus);
	uint32_t (*read)(uint8_t bus, uint8_t devfn, uint16_t offset, unsigned width);
	void (*write)(uint8_t bus, uint8_t devfn, uint16_t offset, unsigned width, uint32_t value);
};

/* What the MCFG says about segment group 0: where its ECAM lies, for which buses. */
struct mcfg_info {
	uint64_t base; /* the physical address of bus 0's configuration space */
	uint8_t start_bus, end_bus;
};

/* Parse the MCFG (the whole table, header included) in the len readable bytes at mcfg into out.
 * Checks the signature, the length, the checksum and that the entries fill it exactly; keeps
 * the first entry of segment group 0 that starts at bus 0, with a base aligned to 1 MiB and its
 * whole range below 2^52. Returns false, after a warning, when there is none; never reads
 * outside [mcfg, mcfg + len). */
bool mcfg_parse(const void *mcfg, size_t len, struct mcfg_info *out);

/* The mechanism of this machine: ECAM when the ACPI MCFG gives one, else the legacy ports
 * when they answer, else NULL (no PCI). */
const struct pci_config_ops *pci_config_mechanism(void);

/* Find the functions reachable through ops: bus 0, then the secondary bus of every bridge
 * (each bus once), at most max of them, into table in bus, slot, function order. Sizes their
 * BARs (decoding off meanwhile) and reads their capability lists. A device is hostile input:
 * absurd BAR sizes, looping capability lists and bridge loops are reported with a warning and
 * bounded. Returns how many functions it found. */
size_t pci_enumerate(const struct pci_config_ops *ops, struct pci_device *table, size_t max);

#endif
