/**
 * @file virtio_net.h
 * @brief Virtio network devices (virtio-net): the MAC address, sending and receiving Ethernet frames.
 * @ingroup drivers_virtio_net
 */
#ifndef DRIVERS_VIRTIO_NET_H
#define DRIVERS_VIRTIO_NET_H

#include <frame/compiler.h>
#include <frame/error.h>
#include <frame/pci.h>
#include <frame/timer.h>
#include <stddef.h>
#include <stdint.h>

/**
 * @defgroup drivers_virtio_net Virtio network device (driver)
 * @brief A network card: QEMU's `-device virtio-net-pci`, through the virtio PCI transport.
 *
 * @code
 * struct pci_device *dev = virtio_net_find(NULL);
 * struct virtio_net *net;
 * if (!dev || virtio_net_open(&net, dev) != ERR_OK)
 *         panic("no network card");
 * uint8_t frame[VIRTIO_NET_FRAME_MAX];
 * size_t len;
 * if (virtio_net_receive(net, frame, sizeof(frame), &len, SEC(1)) == ERR_OK)
 *         console_printf("a frame of %zu bytes\n", len);
 * @endcode
 *
 * The driver is client code (sdk/drivers/virtio_net.c on sdk/drivers/virtio.c). It agrees only
 * on #VIRTIO_F_VERSION_1 and the MAC address: no checksum or segmentation offloads, no merged
 * receive buffers, so a frame is at most #VIRTIO_NET_FRAME_MAX bytes (no FCS) each way.
 *
 * Receiving: every entry of the receive queue (queue 0, up to 256) holds a buffer for the
 * 12-byte virtio-net header and one whole frame. The interrupt handler takes each frame the
 * device wrote into a software queue of #VIRTIO_NET_RX_QUEUE frames and gives the buffer straight
 * back, so the ring stays full. A frame that arrives while the software queue is full is dropped
 * and counted (virtio_net_stats()); so is a runt (under 14 bytes), and a used length the device
 * reports out of bounds. virtio_net_receive() takes the oldest frame, sleeping until one comes.
 *
 * Sending (queue 1): virtio_net_send() copies the frame into one of #VIRTIO_NET_TX_SLOTS DMA
 * slots and sleeps until the device says it has taken it (a task that finds all slots busy
 * waits for one). A device that does not answer within 10 seconds fails the call with
 * #ERR_TIMEOUT. A used-ring entry that names no buffer breaks the device: every call returns
 * #ERR_IO afterwards.
 * @{
 */

/** @brief The largest frame each way in bytes: destination, source, type and 1500 bytes. */
#define VIRTIO_NET_FRAME_MAX 1514
/** @brief The smallest frame accepted in bytes (an Ethernet header); shorter ones are runts. */
#define VIRTIO_NET_FRAME_MIN 14
/** @brief The frames received and not yet taken by virtio_net_receive(); more are dropped. */
#define VIRTIO_NET_RX_QUEUE 32
/** @brief The most frames handed to the device for sending at once. */
#define VIRTIO_NET_TX_SLOTS 16

/** @brief A started virtio network device. Opaque. */
struct virtio_net;

/** @brief An Ethernet (MAC) address. */
struct virtio_net_addr {
	uint8_t bytes[6]; /**< The address, in the order it is sent. */
};

/** @brief What the driver counted since virtio_net_open(). */
struct virtio_net_stats {
	uint64_t sent;	   /**< Frames the device took for sending. */
	uint64_t received; /**< Frames put into the receive queue. */
	uint64_t dropped;  /**< Frames dropped because the receive queue was full. */
	uint64_t runts;	   /**< Frames shorter than #VIRTIO_NET_FRAME_MIN, dropped. */
	uint64_t bad;	   /**< Used-ring lengths out of bounds (the device's nonsense), dropped. */
};

/**
 * @brief Find the next virtio network device on the PCI bus (modern 1af4:1041, or transitional
 * 1af4:1000).
 * @param after search after this function; NULL to search from the start.
 * @return The device, or NULL if there is none (QEMU: `-device virtio-net-pci,netdev=...`).
 * @par Context
 * Any.
 */
struct pci_device *virtio_net_find(const struct pci_device *after);

/**
 * @brief Start the network device @p dev: features, its MAC address, both queues, its interrupt,
 * and a receive buffer in every entry of the receive queue.
 * @param out receives the device; untouched unless the result is #ERR_OK.
 * @param dev a device from virtio_net_find().
 * @retval ERR_OK @p out sends and receives.
 * @retval ERR_UNSUPPORTED the device lacks the modern transport, refused the features, or cannot
 * interrupt (logged).
 * @retval ERR_NOMEM no memory for the queues or the buffers.
 * @retval ERR_BUSY the device is driven already.
 * @retval ERR_TIMEOUT the device did not reset, or its configuration never held still.
 * @par Panics
 * If @p out or @p dev is NULL.
 * @par Context
 * Tasks only (panics in interrupt context).
 */
FRAME_MUST_CHECK enum err virtio_net_open(struct virtio_net **out, struct pci_device *dev);

/**
 * @brief The device's MAC address (all zero if the device does not report one).
 * @param net a started device.
 * @return Its address.
 * @par Panics
 * If @p net is NULL.
 * @par Context
 * Any.
 */
struct virtio_net_addr virtio_net_mac(const struct virtio_net *net);

/**
 * @brief Send the Ethernet frame @p frame (destination, source, type, payload; no FCS), sleeping
 * until the device has taken it.
 * @param net a started device.
 * @param frame the frame.
 * @param len its length, #VIRTIO_NET_FRAME_MIN to #VIRTIO_NET_FRAME_MAX bytes.
 * @retval ERR_OK the device took the frame.
 * @retval ERR_INVAL @p len is out of range (nothing was sent).
 * @retval ERR_IO the device reported nonsense, now or before.
 * @retval ERR_TIMEOUT the device did not take it in 10 seconds.
 * @par Panics
 * If @p net or @p frame is NULL.
 * @par Context
 * May sleep: tasks only (panics in interrupt context).
 */
FRAME_MUST_CHECK enum err virtio_net_send(struct virtio_net *net, const void *frame, size_t len);

/**
 * @brief Take the oldest received frame, sleeping up to @p timeout until there is one.
 * @param net a started device.
 * @param buf where to put it.
 * @param size the size of @p buf, at least #VIRTIO_NET_FRAME_MAX bytes.
 * @param len receives the frame's length; untouched unless the result is #ERR_OK.
 * @param timeout the longest wait, or #FOREVER.
 * @retval ERR_OK @p buf holds a frame of @p len bytes.
 * @retval ERR_TIMEOUT no frame came in time.
 * @retval ERR_IO the device reported nonsense and no frame is left.
 * @par Panics
 * If an argument is NULL, or @p size is under #VIRTIO_NET_FRAME_MAX.
 * @par Context
 * May sleep: tasks only (panics in interrupt context).
 */
FRAME_MUST_CHECK enum err virtio_net_receive(struct virtio_net *net, void *buf, size_t size, size_t *len,
					     struct duration timeout);

/**
 * @brief What the driver counted: frames sent, received, dropped, runts, the device's nonsense.
 * @param net a started device.
 * @return The counts since virtio_net_open().
 * @par Panics
 * If @p net is NULL.
 * @par Context
 * Any.
 */
struct virtio_net_stats virtio_net_stats(struct virtio_net *net);

/** @} */
#endif
