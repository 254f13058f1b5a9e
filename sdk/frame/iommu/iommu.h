/* DMA remapping (an IOMMU, Intel VT-d): where the machine has one, each PCI device behind it
 * reaches only the pages of its own live DMA objects. For dma/dma.c and the boot sequence. */
#ifndef FRAME_IOMMU_IOMMU_H
#define FRAME_IOMMU_IOMMU_H

#include <frame/error.h>
#include <stdbool.h>
#include <stdint.h>

struct pci_device;

/* The pages of one DMA object in its device's domain. The DMA object keeps it; iommu_map()
 * fills it in and links it to the domain, iommu_unmap() takes it out again. */
struct iommu_range {
	struct iommu_range *next; /* the domain's other ranges */
	struct pci_device *dev;
	uint64_t phys, size;
	bool write;  /* the device may write the pages (else it may only read them) */
	bool mapped; /* linked to a domain: iommu_unmap() has work to do */
};

/* Find the remapping units in the ACPI DMAR and turn translation on in each, with no device
 * mapped yet; tell the devices that no unit holds. At boot, after pci_init(). Without a DMAR
 * nothing changes: devices reach all of memory, as before. */
void iommu_init(void);

/* Let dev reach the pages [phys, phys + size) (page aligned) at device address phys: for
 * reading, and for writing if write. Does nothing (and returns ERR_OK) when no unit holds dev.
 * ERR_NOMEM when a table or a domain could not be made or the pages lie beyond what the unit
 * translates; range is then not mapped. Tasks only (interrupts are off meanwhile). */
enum err iommu_map(struct iommu_range *range, struct pci_device *dev, uint64_t phys, uint64_t size, bool write);

/* Take range's pages from its device again: when this returns, the device reaches none of them
 * (except those another live range of its domain covers). Nothing if range was not mapped. */
void iommu_unmap(struct iommu_range *range);

#endif
