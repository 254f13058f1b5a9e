/*
 * DMA objects: coherent buffers the frame allocates for a device, and streaming mappings of a
 * driver's segment. Each holds its memory (a segment reference), turns its device's bus
 * mastering on for as long as it lives, and (where an IOMMU holds the device) is the only memory
 * the device reaches. The device address is the physical one, with an IOMMU or without.
 */
#include <frame/dma.h>
#include "arch/x86_64/x86.h"
#include "check.h"
#include "mm/kasan.h"
#include "core/cpu_local.h"
#include "iommu/iommu.h"
#include "mm/frame_alloc.h"
#include "pci/pci.h"
#include "mm/heap.h"
#include <frame/heap.h>

#define BUFFER_MAGIC 0x444d4142u   /* "DMAB" */
#define MAPPING_MAGIC 0x444d414du  /* "DMAM" */
#define DMA_BUFFER_MAX (64u << 20) /* a larger coherent buffer is a mistake, not a need */

struct dma_buffer {
	uint32_t magic;
	struct pci_device *dev;
	struct segment seg;
	size_t size;
	struct iommu_range pages; /* its pages in the device's IOMMU domain */
};

struct dma_mapping {
	uint32_t magic;
	struct pci_device *dev;
	struct segment seg;
	enum dma_direction dir;
	struct iommu_range pages;
};

#define REQUIRE_TASK() \
	REQUIRE(cpu_local.irq_depth == 0, "DMA objects are made and freed by tasks, not in interrupt context")
#define REQUIRE_DEVICE(dev) \
	REQUIRE(pci_device_ok(dev), "%p is not a PCI device (pci_find() and friends give them)", (const void *)(dev))
#define REQUIRE_BUFFER(b) \
	REQUIRE((b) != NULL && heap_readable((b), sizeof(*(b))) && (b)->magic == BUFFER_MAGIC, \
		"%p is not a live DMA buffer (freed already?)", (const void *)(b))
#define REQUIRE_MAPPING(m) \
	REQUIRE((m) != NULL && heap_readable((m), sizeof(*(m))) && (m)->magic == MAPPING_MAGIC, \
		"%p is not a live DMA mapping (unmapped already?)", (const void *)(m))

enum err dma_buffer_alloc(struct dma_buffer **out, struct pci_device *dev, size_t size)
{
	REQUIRE(out != NULL, "out must not be NULL");
	REQUIRE_DEVICE(dev);
	REQUIRE(size > 0 && size <= DMA_BUFFER_MAX, "size (%zu) must be 1 to %u bytes", size, DMA_BUFFER_MAX);
	REQUIRE_TASK();
	CLIENT_OBJECT(out);
	struct dma_buffer *b = HEAP_NEW(struct dma_buffer);
	if (!b)
		return ERR_NOMEM;
	size_t pages = (size + PAGE_SIZE - 1) / PAGE_SIZE;
	*b = (struct dma_buffer){BUFFER_MAGIC, dev, {0}, size, {0}};
	if (segment_alloc(&b->seg, pages, 1, FRAME_ALLOC_ZEROED) != ERR_OK) {
		heap_free(b);
		return ERR_NOMEM;
	}
	if (iommu_map(&b->pages, dev, segment_phys(b->seg), pages * PAGE_SIZE, true) != ERR_OK) {
		segment_put(b->seg);
		heap_free(b);
		return ERR_NOMEM;
	}
	pci_bus_master_hold(dev, true);
	*out = b;
	return ERR_OK;
}

uint64_t dma_buffer_device_addr(const struct dma_buffer *buf)
{
	REQUIRE_BUFFER(buf);
	return segment_phys(buf->seg);
}

size_t dma_buffer_size(const struct dma_buffer *buf)
{
	REQUIRE_BUFFER(buf);
	return buf->size;
}

void dma_buffer_read(struct dma_buffer *buf, size_t offset, void *dst, size_t len)
{
	REQUIRE_BUFFER(buf);
	REQUIRE(dst != NULL || len == 0, "dst must not be NULL (len is %zu)", len);
	REQUIRE(offset <= buf->size && buf->size - offset >= len, "bytes %zu..%zu are outside the buffer (%zu bytes)",
		offset, offset + len, buf->size);
	CLIENT_WRITES(dst, len);
	__atomic_thread_fence(__ATOMIC_ACQUIRE); /* what the device wrote before it said so */
	segment_read(buf->seg, offset, dst, len);
}

void dma_buffer_write(struct dma_buffer *buf, size_t offset, const void *src, size_t len)
{
	REQUIRE_BUFFER(buf);
	REQUIRE(src != NULL || len == 0, "src must not be NULL (len is %zu)", len);
	REQUIRE(offset <= buf->size && buf->size - offset >= len, "bytes %zu..%zu are outside the buffer (%zu bytes)",
		offset, offset + len, buf->size);
	CLIENT_READS(src, len);
	segment_write(buf->seg, offset, src, len);
	__atomic_thread_fence(__ATOMIC_RELEASE); /* before the device is told to look */
}

void dma_buffer_free(struct dma_buffer *buf)
{
	REQUIRE_BUFFER(buf);
	REQUIRE_TASK();
	pci_bus_master_hold(buf->dev, false);
	iommu_unmap(&buf->pages); /* the device reaches the pages no more: they may go */
	segment_put(buf->seg);
	buf->magic = 0;
	heap_free(buf);
}

enum err dma_map(struct dma_mapping **out, struct pci_device *dev, struct segment seg, enum dma_direction dir)
{
	REQUIRE(out != NULL, "out must not be NULL");
	REQUIRE_DEVICE(dev);
	REQUIRE(segment_phys(seg) != 0, "the segment was freed (its last reference dropped) or never allocated");
	REQUIRE(dir == DMA_TO_DEVICE || dir == DMA_FROM_DEVICE || dir == DMA_BIDIRECTIONAL,
		"dir (%d) is not a dma_direction", (int)dir);
	REQUIRE_TASK();
	CLIENT_OBJECT(out);
	struct dma_mapping *m = HEAP_NEW(struct dma_mapping);
	if (!m)
		return ERR_NOMEM;
	*m = (struct dma_mapping){MAPPING_MAGIC, dev, seg, dir, {0}};
	if (iommu_map(&m->pages, dev, segment_phys(seg), segment_pages(seg) * PAGE_SIZE, dir != DMA_TO_DEVICE) !=
	    ERR_OK) {
		heap_free(m);
		return ERR_NOMEM;
	}
	segment_dma_hold(seg, true);
	pci_bus_master_hold(dev, true);
	*out = m;
	return ERR_OK;
}

uint64_t dma_mapping_device_addr(const struct dma_mapping *map)
{
	REQUIRE_MAPPING(map);
	return segment_phys(map->seg);
}

void dma_sync_for_device(struct dma_mapping *map)
{
	REQUIRE_MAPPING(map);
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* the CPU's writes before the device starts */
}

void dma_sync_for_cpu(struct dma_mapping *map)
{
	REQUIRE_MAPPING(map);
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* the device's writes before the CPU reads */
}

void dma_unmap(struct dma_mapping *map)
{
	REQUIRE_MAPPING(map);
	REQUIRE_TASK();
	pci_bus_master_hold(map->dev, false);
	iommu_unmap(&map->pages);
	segment_dma_hold(map->seg, false);
	map->magic = 0;
	heap_free(map);
}
