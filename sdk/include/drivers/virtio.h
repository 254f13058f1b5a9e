/**
 * @file virtio.h
 * @brief Virtio over PCI (the modern 1.0 transport) and split virtqueues, for virtio drivers.
 * @ingroup drivers_virtio
 */
#ifndef DRIVERS_VIRTIO_H
#define DRIVERS_VIRTIO_H

#include <frame/compiler.h>
#include <frame/dma.h>
#include <frame/error.h>
#include <frame/irq.h>
#include <frame/pci.h>
#include <frame/sync.h>
#include <frame/timer.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * @defgroup drivers_virtio Virtio over PCI (driver library)
 * @brief The transport that virtio device drivers (virtio-blk, ...) are built on.
 *
 * A virtio device (vendor 0x1af4) describes its registers with vendor-specific PCI
 * capabilities: the common configuration (features, status, queues), the notification area, the
 * interrupt status and the device's own configuration, each a range inside a memory BAR. A
 * driver opens the device (virtio_open()), agrees on features (virtio_negotiate()), creates its
 * queues (virtio_queue_create()) and starts it (virtio_start()), which allocates its interrupt
 * (MSI-X where the machine has it, else INTx) and calls the driver's handler for every one.
 *
 * A virtqueue is a split queue in one coherent DMA buffer: the descriptor table, the available
 * ring (the driver's offers) and the used ring (the device's answers). virtqueue_add() offers a
 * chain of buffers (device addresses from the frame's DMA objects) under a token,
 * virtqueue_kick() tells the device, virtqueue_get_used() takes back finished chains.
 *
 * Everything the device reports is hostile input: capability ranges are checked against their
 * BAR, queue sizes must be powers of two no larger than asked for, a used-ring entry must name a
 * chain the driver offered and a length no larger than the chain's device-writable bytes, and the
 * used index may run at most one queue ahead. A length out of bounds fails that chain with
 * #ERR_IO; an entry that names no chain breaks the queue (virtqueue_broken()), after which the
 * driver fails what it had in flight. Nothing the device writes is used as an index unchecked.
 *
 * The queue functions do not lock: the driver serializes them, with interrupts off in tasks when
 * its interrupt handler calls virtqueue_get_used() too.
 * @{
 */

/** @brief An open virtio PCI device. Opaque. */
struct virtio_device;
/** @brief A split virtqueue of a virtio device. Opaque. */
struct virtqueue;

/** @brief The feature bit every modern device offers and the driver must accept (bit 32). */
#define VIRTIO_F_VERSION_1 (1ull << 32)

/** @brief One buffer of a descriptor chain. */
struct virtio_buf {
	uint64_t addr;	    /**< Its device address (dma_buffer_device_addr() plus an offset). */
	uint32_t len;	    /**< Its length in bytes, at least 1. */
	bool device_writes; /**< The device writes it (else it only reads it). */
};

/**
 * @brief Find the virtio capabilities of @p dev, map their BARs, reset the device and say hello.
 * @param out receives the device; untouched unless the result is #ERR_OK.
 * @param dev a virtio PCI function (vendor 0x1af4).
 * @param device_cfg_min the least length of device configuration the driver reads (0: none).
 * @retval ERR_OK the device is reset and acknowledged (status ACKNOWLEDGE | DRIVER).
 * @retval ERR_UNSUPPORTED no usable modern capabilities (a legacy-only device), or one out of
 * its BAR's bounds or too short (logged).
 * @retval ERR_TIMEOUT the device did not finish its reset.
 * @retval ERR_NOMEM no memory for the bookkeeping or the BAR mappings.
 * @retval ERR_BUSY a BAR is mapped already (another driver has the device).
 * @par Panics
 * If @p out or @p dev is NULL.
 * @par Context
 * Tasks only (panics in interrupt context).
 */
FRAME_MUST_CHECK enum err virtio_open(struct virtio_device **out, struct pci_device *dev, uint32_t device_cfg_min);

/**
 * @brief The PCI function of an open device.
 * @param vd an open device.
 * @return The device given to virtio_open().
 * @par Context
 * Any.
 */
struct pci_device *virtio_pci_device(const struct virtio_device *vd);

/**
 * @brief The features the device offers.
 * @param vd an open device.
 * @return Feature bits 0-63.
 * @par Context
 * Tasks only, before virtio_negotiate().
 */
uint64_t virtio_device_features(struct virtio_device *vd);

/**
 * @brief Accept the offered features among @p wanted (plus #VIRTIO_F_VERSION_1 and, if offered,
 * the platform's DMA rules, bit 33), and check that the device agrees.
 * @param vd an open device.
 * @param wanted the device-specific features the driver can use.
 * @param accepted receives what was accepted; untouched unless the result is #ERR_OK.
 * @retval ERR_OK the features are agreed (status FEATURES_OK).
 * @retval ERR_UNSUPPORTED the device lacks #VIRTIO_F_VERSION_1 or refused the features (status
 * FAILED is set).
 * @par Panics
 * If @p vd or @p accepted is NULL, or the features were agreed already.
 * @par Context
 * Tasks only.
 */
FRAME_MUST_CHECK enum err virtio_negotiate(struct virtio_device *vd, uint64_t wanted, uint64_t *accepted);

/**
 * @brief Read the device configuration (device-specific layout), consistently: the read is
 * repeated while the device's configuration generation changes under it.
 * @param vd an open device.
 * @param offset where in the configuration.
 * @param buf where to copy it.
 * @param len how many bytes (1, 2, 4 or 8, at their natural alignment, or a multiple of 4).
 * @retval ERR_OK @p buf holds the bytes.
 * @retval ERR_TIMEOUT the generation never held still.
 * @par Panics
 * If @p buf is NULL or the range lies past the length given to virtio_open().
 * @par Context
 * Tasks only.
 */
FRAME_MUST_CHECK enum err virtio_config_read(struct virtio_device *vd, uint32_t offset, void *buf, uint32_t len);

/**
 * @brief Create queue @p index, with at most @p max_size entries (the device's size if smaller).
 * @param out receives the queue; untouched unless the result is #ERR_OK.
 * @param vd a device whose features are agreed and that is not started.
 * @param index the queue's number (virtio-blk: 0).
 * @param max_size the most entries the driver wants, a power of two (2 to 32768).
 * @retval ERR_OK the queue is enabled, empty.
 * @retval ERR_UNSUPPORTED the queue does not exist, its size is not a power of two, or its
 * notification address lies outside the notification area (logged).
 * @retval ERR_NOMEM no memory for the rings.
 * @par Panics
 * If @p out or @p vd is NULL, @p max_size is not a power of two in range, or the device is
 * started or its features not agreed.
 * @par Context
 * Tasks only.
 */
FRAME_MUST_CHECK enum err virtio_queue_create(struct virtqueue **out, struct virtio_device *vd, uint16_t index,
					      uint16_t max_size);

/**
 * @brief Allocate the device's interrupt, attach @p handler and set status DRIVER_OK.
 *
 * With MSI-X, the configuration and every queue interrupt by table entry 0; with INTx, the
 * device's ISR status is read (which acknowledges it) and an interrupt that is not the device's is
 * left to the line's other handlers. @p handler runs in interrupt context.
 * @param vd a device with its features agreed and its queues created.
 * @param handler called on every interrupt of the device.
 * @param ctx passed to @p handler.
 * @retval ERR_OK the device runs.
 * @retval ERR_UNSUPPORTED the device cannot interrupt, or refused its MSI-X vector.
 * @retval ERR_NOMEM no memory for the line.
 * @par Panics
 * If @p vd or @p handler is NULL, or the device is started already.
 * @par Context
 * Tasks only.
 */
FRAME_MUST_CHECK enum err virtio_start(struct virtio_device *vd, irq_handler_fn handler, void *ctx);

/**
 * @brief Reset the device, so that it lets go of its queues, and free its interrupt line, its
 * queues and its BAR mappings.
 *
 * The driver frees its own DMA buffers after this, never before: until the reset the device may
 * use them. A device that does not finish its reset keeps its queues' memory (logged).
 * @param vd an open device; gone afterwards, with its queues.
 * @par Panics
 * If @p vd is NULL.
 * @par Context
 * Tasks only (panics in interrupt context).
 */
void virtio_close(struct virtio_device *vd);

/**
 * @brief The interrupt line of a started device (for its kind and count).
 * @param vd a started device.
 * @return Its line.
 * @par Context
 * Any.
 */
struct irq_line *virtio_irq_line(const struct virtio_device *vd);

/**
 * @brief The queue's size (entries, each chain takes as many as it has buffers).
 * @param q a queue.
 * @return A power of two.
 * @par Context
 * Any.
 */
uint16_t virtqueue_size(const struct virtqueue *q);

/**
 * @brief Offer the chain @p bufs[0..n) to the device under @p token (not yet notified).
 * @param q a queue that is not broken.
 * @param bufs the buffers, those the device reads first.
 * @param n how many, 1 to the queue's size.
 * @param token the caller's name for the chain, handed back by virtqueue_get_used(); not NULL.
 * @retval ERR_OK the chain is in the available ring.
 * @retval ERR_BUSY not enough free descriptors: wait for a used chain and try again.
 * @retval ERR_IO the queue is broken.
 * @par Panics
 * If an argument is NULL, @p n is out of range or a buffer's length is 0.
 * @par Context
 * Any (the caller serializes).
 */
FRAME_MUST_CHECK enum err virtqueue_add(struct virtqueue *q, const struct virtio_buf *bufs, unsigned n, void *token);

/**
 * @brief Tell the device there are new chains in @p q.
 * @param q a queue.
 * @par Context
 * Any (the caller serializes).
 */
void virtqueue_kick(struct virtqueue *q);

/**
 * @brief Take back the next chain the device finished, if any.
 * @param q a queue.
 * @param token receives the chain's token.
 * @param len receives how many bytes the device wrote into it.
 * @param status receives #ERR_OK, or #ERR_IO if the device reported a length larger than the
 * chain's device-writable bytes (logged).
 * @return true if a chain was taken back; false if there is none, or the queue broke (an entry
 * naming no chain in flight, or a used index that ran ahead: logged, see virtqueue_broken()).
 * @par Panics
 * If an argument is NULL.
 * @par Context
 * Any (the caller serializes).
 */
bool virtqueue_get_used(struct virtqueue *q, void **token, uint32_t *len, enum err *status);

/**
 * @brief Has the device reported nonsense on @p q? Then no chain in flight will be taken back:
 * the driver fails them, and the queue refuses new ones.
 * @param q a queue.
 * @return true if broken.
 * @par Context
 * Any.
 */
bool virtqueue_broken(const struct virtqueue *q);

/**
 * @brief The DMA buffer that holds the queue's rings, and where the used ring starts in it: for
 * tests that play a (hostile) device by writing the used ring themselves.
 *
 * The layout is the split queue's: the descriptor table at 0, the available ring after it, the
 * used ring (16-bit flags, 16-bit index, then entries of a 32-bit id and a 32-bit length) at
 * @p used_offset.
 * @param q a queue.
 * @param used_offset receives the used ring's offset in the buffer.
 * @return The buffer; it lives as long as the queue.
 * @par Panics
 * If an argument is NULL.
 * @par Context
 * Any.
 */
struct dma_buffer *virtqueue_ring_buffer(const struct virtqueue *q, size_t *used_offset);

/** @brief The most requests a struct virtio_slots holds. */
#define VIRTIO_SLOTS_MAX 32

/** @brief One request of a driver's, in a struct virtio_slots. */
struct virtio_slot {
	bool busy;	 /**< Taken by a task (or left to the device by one that gave up waiting). */
	bool queued;	 /**< Given to the device and not answered yet. */
	bool done;	 /**< Answered. */
	bool abandoned;	 /**< Its task gave up waiting: the answer frees it. */
	enum err result; /**< The answer: #ERR_OK, or #ERR_IO for a bad length or a broken queue. */
	uint32_t len;	 /**< How many bytes the device wrote. */
};

/**
 * @brief A driver's requests in flight on one queue: a fixed number of slots, each taken by one
 * task, handed to the device, and answered from the interrupt handler.
 *
 * A task takes a slot (virtio_slot_take()), fills the driver's buffers for it (slot i owns the
 * driver's buffer i), runs it (virtio_slot_run(): queue, notify, sleep until answered) and gives
 * it back (virtio_slot_release()). The interrupt handler calls virtio_slots_answer() with the
 * driver's lock held, then wakes the wait queue. A request the device does not answer in time
 * returns #ERR_TIMEOUT and stays the device's: its slot is freed only by the answer, so the
 * device never writes into a buffer another request got. The driver owns the lock and the wait
 * queue, and keeps them for its other state too.
 */
struct virtio_slots {
	struct virtio_slot slot[VIRTIO_SLOTS_MAX]; /**< The slots. */
	unsigned count;				   /**< How many are in use. */
	unsigned in_flight;			   /**< How many are queued now. */
	unsigned peak;				   /**< The most that were queued at once. */
	bool failed;				   /**< The queue broke: every request fails with #ERR_IO. */
	struct spinlock *lock_;			   /**< Private: the driver's lock. */
	struct wait_queue *wq_;			   /**< Private: where tasks wait. */
};

/**
 * @brief Set up a pool of @p count slots, all free.
 * @param p the pool.
 * @param count 1 to #VIRTIO_SLOTS_MAX.
 * @param lock the driver's lock, which its interrupt handler takes around virtio_slots_answer().
 * @param wq the wait queue the handler wakes after answering.
 * @par Panics
 * If a pointer is NULL or @p count is out of range.
 * @par Context
 * Any.
 */
void virtio_slots_init(struct virtio_slots *p, unsigned count, struct spinlock *lock, struct wait_queue *wq);

/**
 * @brief Take a free slot, sleeping while every slot is busy.
 * @param p a pool.
 * @param index receives the slot's index.
 * @param timeout how long to wait for one.
 * @retval ERR_OK @p index is the caller's until virtio_slot_release().
 * @retval ERR_TIMEOUT every slot stayed busy.
 * @retval ERR_IO the queue broke.
 * @par Panics
 * If an argument is NULL, or in interrupt context.
 */
FRAME_MUST_CHECK enum err virtio_slot_take(struct virtio_slots *p, unsigned *index, struct duration timeout);

/**
 * @brief Give slot @p index's chain to the device on @p q and sleep until it is answered.
 * @param p a pool.
 * @param index a slot the caller took.
 * @param q the queue.
 * @param bufs the chain, in the driver's buffers of this slot.
 * @param n how many buffers.
 * @param timeout how long to wait for the answer.
 * @retval ERR_OK answered; the slot's `len` says how many bytes the device wrote.
 * @retval ERR_IO the device reported a bad length, or the queue broke.
 * @retval ERR_TIMEOUT no answer: the slot stays the device's, and virtio_slot_release() leaves it so.
 * @par Panics
 * If an argument is NULL, @p index is out of range or not taken, or in interrupt context.
 */
FRAME_MUST_CHECK enum err virtio_slot_run(struct virtio_slots *p, unsigned index, struct virtqueue *q,
					  const struct virtio_buf *bufs, unsigned n, struct duration timeout);

/**
 * @brief Give back a slot after virtio_slot_run() returned @p e (a slot left to the device after
 * #ERR_TIMEOUT is freed by its answer, not here).
 * @param p a pool.
 * @param index a slot the caller took.
 * @param e what virtio_slot_run() returned (#ERR_OK if it was not run).
 * @par Panics
 * If @p p is NULL or @p index is out of range.
 */
void virtio_slot_release(struct virtio_slots *p, unsigned index, enum err e);

/**
 * @brief In the interrupt handler, with the driver's lock held: take back every answered chain
 * of @p q (whose tokens are this pool's slots) and, if @p q broke, fail every request queued.
 * @param p a pool.
 * @param q its queue.
 * @par Context
 * Interrupt handler (or with interrupts off), the driver's lock held.
 */
void virtio_slots_answer(struct virtio_slots *p, struct virtqueue *q);

/**
 * @brief Fail every request queued (the device broke another of the driver's queues), with the
 * driver's lock held; later requests fail with #ERR_IO.
 * @param p a pool.
 */
void virtio_slots_fail(struct virtio_slots *p);

/** @} */
#endif
