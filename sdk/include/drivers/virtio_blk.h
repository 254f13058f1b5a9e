/**
 * @file virtio_blk.h
 * @brief Virtio block devices (virtio-blk): capacity, read, write and flush of 512-byte sectors.
 * @ingroup drivers_virtio_blk
 */
#ifndef DRIVERS_VIRTIO_BLK_H
#define DRIVERS_VIRTIO_BLK_H

#include <frame/compiler.h>
#include <frame/error.h>
#include <frame/pci.h>
#include <stddef.h>
#include <stdint.h>

/**
 * @defgroup drivers_virtio_blk Virtio block device (driver)
 * @brief A disk: QEMU's `-device virtio-blk-pci`, through the virtio PCI transport.
 *
 * @code
 * struct pci_device *dev = virtio_blk_find(NULL);
 * struct virtio_blk *disk;
 * if (!dev)
 *         panic("no virtio disk");
 * if (virtio_blk_init(&disk, dev) != ERR_OK)
 *         panic("the disk does not start");
 * char sector[VIRTIO_BLK_SECTOR];
 * if (virtio_blk_read(disk, 0, 1, sector, sizeof(sector)) != ERR_OK)
 *         panic("cannot read sector 0");
 * @endcode
 *
 * The driver is client code (sdk/drivers/virtio_blk.c on sdk/drivers/virtio.c). Every call
 * blocks: the calling task sleeps on a wait queue until the device's interrupt says its request
 * is done. Several tasks may call at once: up to #VIRTIO_BLK_IN_FLIGHT requests are in the device
 * together, and a task that finds them all taken waits for one. A call longer than
 * #VIRTIO_BLK_MAX_REQUEST bytes is split into requests of that size, one after another. The
 * data passes through the driver's own coherent DMA buffers (one per request in flight), so the
 * caller's buffer may be anywhere.
 *
 * What the device reports is checked: a status other than success, a used length other than
 * the request's, or a used-ring entry that names no request fails the call with #ERR_IO (the
 * last fails every request in flight and the disk afterwards); a device that does not answer
 * within 10 seconds fails it with #ERR_TIMEOUT (its buffer stays reserved until it answers).
 * @{
 */

/** @brief The size of a sector in bytes: every position and count is in sectors. */
#define VIRTIO_BLK_SECTOR 512
/** @brief The most requests the driver has in the device at once. */
#define VIRTIO_BLK_IN_FLIGHT 32
/** @brief The largest single request, in bytes; longer calls are split. */
#define VIRTIO_BLK_MAX_REQUEST 65536

/** @brief A started virtio block device. Opaque. */
struct virtio_blk;

/**
 * @brief Find the next virtio block device on the PCI bus (modern 1af4:1042, or transitional
 * 1af4:1001).
 * @param after search after this function; NULL to search from the start.
 * @return The device, or NULL if there is none (QEMU: `-device virtio-blk-pci,drive=...`).
 * @par Context
 * Any.
 */
struct pci_device *virtio_blk_find(const struct pci_device *after);

/**
 * @brief Start the block device @p dev: features, the request queue, its interrupt, its buffers.
 * @param out receives the disk; untouched unless the result is #ERR_OK.
 * @param dev a device from virtio_blk_find().
 * @retval ERR_OK @p out is ready for requests.
 * @retval ERR_UNSUPPORTED the device lacks the modern transport, refused the features, has a
 * queue too small for three descriptors, or cannot interrupt (logged).
 * @retval ERR_NOMEM no memory for the queue or the buffers.
 * @retval ERR_BUSY the device is driven already.
 * @retval ERR_TIMEOUT the device did not reset, or its configuration never held still.
 * @par Panics
 * If @p out or @p dev is NULL.
 * @par Context
 * Tasks only (panics in interrupt context).
 */
FRAME_MUST_CHECK enum err virtio_blk_init(struct virtio_blk **out, struct pci_device *dev);

/**
 * @brief The disk's size.
 * @param disk a started disk.
 * @return Its capacity in sectors of #VIRTIO_BLK_SECTOR bytes.
 * @par Panics
 * If @p disk is NULL.
 * @par Context
 * Any.
 */
uint64_t virtio_blk_capacity(const struct virtio_blk *disk);

/**
 * @brief Is the disk read-only (the device said so)? Then writes return #ERR_DENIED.
 * @param disk a started disk.
 * @return true if read-only.
 * @par Panics
 * If @p disk is NULL.
 * @par Context
 * Any.
 */
bool virtio_blk_read_only(const struct virtio_blk *disk);

/**
 * @brief Read @p count sectors from @p sector on into @p buf, sleeping until they are there.
 * @param disk a started disk.
 * @param sector the first sector.
 * @param count how many sectors; 0 reads nothing.
 * @param buf where to put them.
 * @param size the size of @p buf in bytes, at least @p count × #VIRTIO_BLK_SECTOR.
 * @retval ERR_OK @p buf holds the sectors.
 * @retval ERR_INVAL the range runs past the disk's capacity (nothing was read).
 * @retval ERR_IO the device reported an error or nonsense (@p buf may hold part of the data).
 * @retval ERR_UNSUPPORTED the device does not support the request.
 * @retval ERR_TIMEOUT the device did not answer in 10 seconds.
 * @par Panics
 * If @p disk or @p buf is NULL, or @p size is smaller than the sectors asked for.
 * @par Context
 * May sleep: tasks only (panics in interrupt context).
 */
FRAME_MUST_CHECK enum err virtio_blk_read(struct virtio_blk *disk, uint64_t sector, uint32_t count, void *buf,
					  size_t size);

/**
 * @brief Write @p count sectors from @p buf to @p sector on, sleeping until the device has them.
 * The data may sit in the device's cache until virtio_blk_flush().
 * @param disk a started disk.
 * @param sector the first sector.
 * @param count how many sectors; 0 writes nothing.
 * @param buf the data.
 * @param size the size of @p buf in bytes, at least @p count × #VIRTIO_BLK_SECTOR.
 * @retval ERR_OK the device took the sectors.
 * @retval ERR_INVAL the range runs past the disk's capacity (nothing was written).
 * @retval ERR_DENIED the disk is read-only (nothing was written).
 * @retval ERR_IO the device reported an error or nonsense (part may be written).
 * @retval ERR_UNSUPPORTED the device does not support the request.
 * @retval ERR_TIMEOUT the device did not answer in 10 seconds.
 * @par Panics
 * As virtio_blk_read().
 * @par Context
 * May sleep: tasks only (panics in interrupt context).
 */
FRAME_MUST_CHECK enum err virtio_blk_write(struct virtio_blk *disk, uint64_t sector, uint32_t count, const void *buf,
					   size_t size);

/**
 * @brief Make every write the device has taken durable (on the host's file, under QEMU).
 * @param disk a started disk.
 * @retval ERR_OK done; also at once if the device has no write cache (no flush feature).
 * @retval ERR_IO, ERR_UNSUPPORTED, ERR_TIMEOUT as virtio_blk_write().
 * @par Panics
 * If @p disk is NULL.
 * @par Context
 * May sleep: tasks only (panics in interrupt context).
 */
FRAME_MUST_CHECK enum err virtio_blk_flush(struct virtio_blk *disk);

/**
 * @brief The most requests that were in the device at once since virtio_blk_init().
 * @param disk a started disk.
 * @return 0 to #VIRTIO_BLK_IN_FLIGHT.
 * @par Panics
 * If @p disk is NULL.
 * @par Context
 * Any.
 */
unsigned virtio_blk_peak_in_flight(const struct virtio_blk *disk);

/** @} */
#endif
