/**
 * @file dma.h
 * @brief Memory a PCI device may read and write by itself (DMA), and the addresses it knows it by.
 * @ingroup frame_dma
 */
#ifndef FRAME_DMA_H
#define FRAME_DMA_H

#include <frame/compiler.h>
#include <frame/error.h>
#include <frame/mm.h>
#include <stddef.h>
#include <stdint.h>

struct pci_device;

/**
 * @defgroup frame_dma DMA
 * @brief Give a device memory to read or write by itself, and learn the address the device
 * knows it by.
 *
 * @code
 * struct dma_buffer *buf;
 * if (dma_buffer_alloc(&buf, dev, 4096) != ERR_OK)        // zeroed, the device may use it
 *         panic("no memory for DMA");
 * dma_buffer_write(buf, 0, "hello", 5);
 * io_mem_write64(regs, REG_DMA_SOURCE, dma_buffer_device_addr(buf));  // tell the device
 * @endcode
 *
 * Two kinds of DMA objects:
 * - a **coherent buffer** (dma_buffer_alloc()): memory the frame allocates for the CPU and the
 *   device to share for as long as the driver keeps it (descriptor rings, mailboxes). The CPU
 *   reaches it through dma_buffer_read() and dma_buffer_write().
 * - a **streaming mapping** (dma_map()): a segment the driver already has, lent to the device
 *   for one transfer in one direction. Call dma_sync_for_device() before the device starts and
 *   dma_sync_for_cpu() after it is done, before the CPU reads what it wrote.
 *
 * A driver learns a device address only from a DMA object, never of any other memory. A DMA
 * object holds its memory: a mapped segment stays allocated until dma_unmap(), and dropping the
 * driver's last reference to it while it is mapped panics. The bus-master bit of a device (its
 * permission to start DMA at all) is the frame's: it is set when the device's first DMA object
 * is made and cleared when its last one goes (an MSI or MSI-X line from pci_irq_alloc() holds it
 * too: a message is a write by the device).
 *
 * **With an IOMMU** (Intel VT-d; QEMU's `-M q35 -device intel-iommu`) a device reaches only the
 * pages of its own live DMA objects, and only reads those of a #DMA_TO_DEVICE mapping: anything
 * else is blocked, and the frame prints the fault (device, read or write, address) on the
 * console. dma_buffer_free() and dma_unmap() take the pages from the device before they return.
 *
 * **What the frame cannot stop.** Without an IOMMU a device can reach any physical address, so
 * a driver that gives a device a wrong address (an offset past its buffer, an address kept after
 * dma_buffer_free() or dma_unmap()) lets it overwrite memory. Releasing a DMA object while the
 * device may still use it is the driver's promise not to: stop the device first. With an IOMMU
 * or without, the device address is the physical address; a device that reaches fewer address
 * bits (QEMU's `edu`: 28) needs memory below its limit, which a machine with up to 256 MiB of
 * RAM always gives.
 * @{
 */

/** @brief A coherent DMA buffer. Opaque: use the functions below. */
struct dma_buffer;

/**
 * @brief Allocate a zeroed buffer that @p dev may read and write.
 * @param out receives the buffer; untouched unless the result is #ERR_OK.
 * @param dev the device that will use it (its bus mastering is turned on).
 * @param size its size in bytes, 1 to 64 MiB (rounded up to whole pages).
 * @retval ERR_OK @p out holds the buffer.
 * @retval ERR_NOMEM no run of free pages that long, or no memory for the IOMMU's tables.
 * @par Panics
 * If @p out is NULL, @p dev is not a PCI device, or @p size is 0 or over 64 MiB.
 * @par Context
 * Tasks only, not interrupt context (panics).
 */
FRAME_MUST_CHECK enum err dma_buffer_alloc(struct dma_buffer **out, struct pci_device *dev, size_t size);

/**
 * @brief The address the device knows the buffer's first byte by.
 * @param buf a live buffer.
 * @return The device address; the buffer's bytes follow it contiguously.
 * @par Panics
 * If @p buf is not a live buffer.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
uint64_t dma_buffer_device_addr(const struct dma_buffer *buf);

/**
 * @brief The buffer's size in bytes (as asked for).
 * @param buf a live buffer.
 * @return Its size.
 * @par Panics
 * If @p buf is not a live buffer.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
size_t dma_buffer_size(const struct dma_buffer *buf);

/**
 * @brief Copy bytes out of the buffer (what the device wrote).
 * @param buf a live buffer.
 * @param offset where to start.
 * @param dst where to copy to; must not be NULL unless @p len is 0.
 * @param len how many bytes; the range must lie inside the buffer.
 * @par Panics
 * If @p buf is not a live buffer, @p dst is NULL with a non-zero @p len, or the range leaves it.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
void dma_buffer_read(struct dma_buffer *buf, size_t offset, void *dst, size_t len);

/**
 * @brief Copy bytes into the buffer (for the device to read).
 * @param buf a live buffer.
 * @param offset where to start.
 * @param src what to copy; must not be NULL unless @p len is 0.
 * @param len how many bytes; the range must lie inside the buffer.
 * @par Panics
 * If @p buf is not a live buffer, @p src is NULL with a non-zero @p len, or the range leaves it.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
void dma_buffer_write(struct dma_buffer *buf, size_t offset, const void *src, size_t len);

/**
 * @brief Free the buffer. The device must not use it any more (stop the device first).
 * @param buf a live buffer.
 * @par Panics
 * If @p buf is not a live buffer (freed twice?).
 * @par Context
 * Tasks only, not interrupt context (panics).
 */
void dma_buffer_free(struct dma_buffer *buf);

/** @brief Which way the data of a streaming mapping goes. */
enum dma_direction {
	DMA_TO_DEVICE = 1,     /**< The device reads the segment. */
	DMA_FROM_DEVICE = 2,   /**< The device writes the segment. */
	DMA_BIDIRECTIONAL = 3, /**< Both. */
};

/** @brief A streaming DMA mapping of a segment. Opaque: use the functions below. */
struct dma_mapping;

/**
 * @brief Lend a segment to @p dev for DMA in one direction.
 *
 * The mapping takes its own reference to the segment: the segment stays allocated until
 * dma_unmap(), and the driver must keep its own reference until then too (dropping it panics).
 * @param out receives the mapping; untouched unless the result is #ERR_OK.
 * @param dev the device (its bus mastering is turned on).
 * @param seg a live segment of the driver's.
 * @param dir which way the data goes.
 * @retval ERR_OK @p out holds the mapping.
 * @retval ERR_NOMEM no memory for the mapping's bookkeeping or for the IOMMU's tables.
 * @par Panics
 * If @p out is NULL, @p dev is not a PCI device, @p seg is not a live segment (freed, or not a
 * driver's memory), or @p dir is not a dma_direction.
 * @par Context
 * Tasks only, not interrupt context (panics).
 */
FRAME_MUST_CHECK enum err dma_map(struct dma_mapping **out, struct pci_device *dev, struct segment seg,
				  enum dma_direction dir);

/**
 * @brief The address the device knows the segment's first byte by.
 * @param map a live mapping.
 * @return The device address; the segment's bytes follow it contiguously.
 * @par Panics
 * If @p map is not a live mapping.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
uint64_t dma_mapping_device_addr(const struct dma_mapping *map);

/**
 * @brief Hand the segment to the device: what the CPU wrote is visible to it from here on.
 *
 * On x86 the caches are coherent with DMA: this orders the CPU's writes before the device is
 * told to start. Call it after filling the segment and before starting the device.
 * @param map a live mapping.
 * @par Panics
 * If @p map is not a live mapping.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
void dma_sync_for_device(struct dma_mapping *map);

/**
 * @brief Take the segment back from the device: what it wrote is visible to the CPU from here on.
 * @param map a live mapping.
 * @par Panics
 * If @p map is not a live mapping.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
void dma_sync_for_cpu(struct dma_mapping *map);

/**
 * @brief End the mapping and drop its reference to the segment. The device must be done with it.
 * @param map a live mapping.
 * @par Panics
 * If @p map is not a live mapping (unmapped twice?).
 * @par Context
 * Tasks only, not interrupt context (panics).
 */
void dma_unmap(struct dma_mapping *map);

/** @} */
#endif
