/*
 * Virtio network devices on the virtio PCI transport (virtio.c): a receive queue kept full of
 * buffers, which the interrupt handler copies into a small software queue and posts again, and a
 * transmit queue with a slot per frame in flight, whose task sleeps until the device took it.
 */
#include <drivers/virtio.h>
#include <drivers/virtio_net.h>
#include <frame/dma.h>
#include <frame/heap.h>
#include <frame/irq.h>
#include <frame/log.h>
#include <frame/panic.h>
#include <frame/string.h>
#include <frame/sync.h>

#define VIRTIO_VENDOR 0x1af4
#define NET_MODERN 0x1041
#define NET_TRANSITIONAL 0x1000
#define F_MAC (1ull << 5)
#define HDR 12				 /* the virtio-net header, with VIRTIO_F_VERSION_1 */
#define BUF 1536			 /* per buffer: the header and a frame, rounded up */
#define RX_MAX 256			 /* receive buffers at most (the queue's size if smaller) */
#define TX_MAX (VIRTIO_NET_TX_SLOTS * 2) /* transmit queue entries asked for */
#define TIMEOUT SEC(10)
_Static_assert(VIRTIO_NET_TX_SLOTS <= VIRTIO_SLOTS_MAX, "a slot per frame being sent");

struct rx_slot {
	struct virtio_net *net;
	uint16_t index;
};

struct rx_frame {
	uint16_t len;
	uint8_t data[VIRTIO_NET_FRAME_MAX];
};

struct virtio_net {
	struct virtio_device *vd;
	struct virtqueue *rxq, *txq;
	struct dma_buffer *rx, *tx;
	struct virtio_net_addr mac;
	unsigned rx_bufs;
	struct spinlock lock;
	struct wait_queue wq;
	struct virtio_net_stats stats;
	unsigned head, count; /* the software receive queue */
	struct rx_frame queue[VIRTIO_NET_RX_QUEUE];
	struct rx_slot rx_slot[RX_MAX];
	struct virtio_slots sends; /* frames being sent; sends.failed: the device broke a queue */
};

struct pci_device *virtio_net_find(const struct pci_device *after)
{
	size_t n = pci_device_count(), i = 0;
	if (after)
		while (i < n && pci_device_at(i++) != after)
			;
	for (; i < n; i++) {
		struct pci_info info = pci_device_info(pci_device_at(i));
		if (info.vendor == VIRTIO_VENDOR && (info.device == NET_MODERN || info.device == NET_TRANSITIONAL))
			return pci_device_at(i);
	}
	return NULL;
}

/* Offer receive buffer i to the device (not notified). With the lock held or before the start. */
static enum err post_rx(struct virtio_net *net, unsigned i)
{
	struct virtio_buf b = {dma_buffer_device_addr(net->rx) + (uint64_t)i * BUF, BUF, true};
	return virtqueue_add(net->rxq, &b, 1, &net->rx_slot[i]);
}

/* A frame of len bytes (header included) in receive buffer i: queue it or count why not. */
static void take_rx(struct virtio_net *net, unsigned i, uint32_t len, enum err status)
{
	if (status != ERR_OK || len < HDR) {
		net->stats.bad++;
		return;
	}
	len -= HDR;
	if (len < VIRTIO_NET_FRAME_MIN) {
		net->stats.runts++;
		return;
	}
	if (len > VIRTIO_NET_FRAME_MAX) { /* within BUF, yet longer than any frame agreed on */
		net->stats.bad++;
		return;
	}
	if (net->count == VIRTIO_NET_RX_QUEUE) {
		net->stats.dropped++;
		return;
	}
	struct rx_frame *f = &net->queue[(net->head + net->count) % VIRTIO_NET_RX_QUEUE];
	f->len = (uint16_t)len;
	dma_buffer_read(net->rx, (size_t)i * BUF + HDR, f->data, len);
	net->count++;
	net->stats.received++;
}

/* Interrupt context: take back received buffers and sent frames, and wake the tasks. */
static void on_interrupt(void *ctx)
{
	struct virtio_net *net = ctx;
	spin_lock(&net->lock);
	void *token;
	uint32_t len;
	enum err status;
	bool posted = false;
	while (virtqueue_get_used(net->rxq, &token, &len, &status)) {
		unsigned i = ((struct rx_slot *)token)->index; /* a token the driver gave: checked by virtio.c */
		take_rx(net, i, len, status);
		posted |= post_rx(net, i) == ERR_OK; /* the buffer it came from goes straight back */
	}
	if (posted)
		virtqueue_kick(net->rxq);
	virtio_slots_answer(&net->sends, net->txq);
	if (virtqueue_broken(net->rxq))
		virtio_slots_fail(&net->sends); /* a broken device: sending fails too */
	spin_unlock(&net->lock);
	wait_queue_wake_all(&net->wq);
}

static void undo(struct virtio_net *net)
{
	if (net->vd)
		virtio_close(net->vd); /* first: the device lets go of the buffers */
	if (net->rx)
		dma_buffer_free(net->rx);
	if (net->tx)
		dma_buffer_free(net->tx);
	heap_free(net);
}

/* Read the MAC address (6 bytes at offset 0 of the configuration: 4 and 2 for the transport). */
static enum err read_mac(struct virtio_net *net)
{
	enum err e = virtio_config_read(net->vd, 0, net->mac.bytes, 4);
	if (e == ERR_OK)
		e = virtio_config_read(net->vd, 4, net->mac.bytes + 4, 2);
	return e;
}

enum err virtio_net_open(struct virtio_net **out, struct pci_device *dev)
{
	precondition(out != NULL && dev != NULL, "out and dev must not be NULL");
	precondition(!in_interrupt(), "a network device is started by a task, not in interrupt context");
	struct virtio_net *net = heap_zalloc(sizeof(*net));
	if (!net)
		return ERR_NOMEM;
	spin_init(&net->lock, "virtio-net");
	wait_queue_init(&net->wq, "virtio-net");
	uint64_t features = 0;
	enum err e = virtio_open(&net->vd, dev, 6);
	if (e == ERR_OK)
		e = virtio_negotiate(net->vd, F_MAC, &features);
	if (e == ERR_OK && (features & F_MAC))
		e = read_mac(net);
	if (e == ERR_OK)
		e = virtio_queue_create(&net->rxq, net->vd, 0, RX_MAX);
	if (e == ERR_OK)
		e = virtio_queue_create(&net->txq, net->vd, 1, TX_MAX);
	if (e == ERR_OK) {
		net->rx_bufs = virtqueue_size(net->rxq);
		unsigned tx_slots = virtqueue_size(net->txq);
		virtio_slots_init(&net->sends, tx_slots < VIRTIO_NET_TX_SLOTS ? tx_slots : VIRTIO_NET_TX_SLOTS,
				  &net->lock, &net->wq);
		e = dma_buffer_alloc(&net->rx, dev, (size_t)net->rx_bufs * BUF);
	}
	if (e == ERR_OK)
		e = dma_buffer_alloc(&net->tx, dev, (size_t)VIRTIO_NET_TX_SLOTS * BUF);
	for (unsigned i = 0; i < net->rx_bufs && e == ERR_OK; i++) {
		net->rx_slot[i] = (struct rx_slot){net, (uint16_t)i};
		e = post_rx(net, i);
	}
	if (e == ERR_OK)
		e = virtio_start(net->vd, on_interrupt, net);
	if (e != ERR_OK) {
		undo(net);
		return e;
	}
	spin_lock_irqsave(&net->lock);
	virtqueue_kick(net->rxq);
	spin_unlock_irqrestore(&net->lock);
	*out = net;
	return ERR_OK;
}

struct virtio_net_addr virtio_net_mac(const struct virtio_net *net)
{
	precondition(net != NULL, "net must not be NULL: open the device first");
	return net->mac;
}

struct virtio_net_stats virtio_net_stats(struct virtio_net *net)
{
	precondition(net != NULL, "net must not be NULL: open the device first");
	spin_lock_irqsave(&net->lock);
	struct virtio_net_stats s = net->stats;
	spin_unlock_irqrestore(&net->lock);
	return s;
}

enum err virtio_net_send(struct virtio_net *net, const void *frame, size_t len)
{
	precondition(net != NULL && frame != NULL, "net and frame must not be NULL");
	precondition(!in_interrupt(), "sending sleeps: tasks only, not interrupt context");
	if (len < VIRTIO_NET_FRAME_MIN || len > VIRTIO_NET_FRAME_MAX)
		return ERR_INVAL;
	unsigned i;
	enum err e = virtio_slot_take(&net->sends, &i, TIMEOUT);
	if (e != ERR_OK)
		return e;
	size_t at = (size_t)i * BUF;
	uint8_t header[HDR] = {0}; /* no checksum, no segmentation */
	dma_buffer_write(net->tx, at, header, HDR);
	dma_buffer_write(net->tx, at + HDR, frame, len);
	struct virtio_buf b = {dma_buffer_device_addr(net->tx) + at, (uint32_t)(HDR + len), false};
	e = virtio_slot_run(&net->sends, i, net->txq, &b, 1, TIMEOUT); /* one entry a slot */
	if (e == ERR_TIMEOUT)
		log_warn("virtio-net: the device did not take a frame in 10 s");
	if (e == ERR_OK) {
		spin_lock_irqsave(&net->lock);
		net->stats.sent++;
		spin_unlock_irqrestore(&net->lock);
	}
	virtio_slot_release(&net->sends, i, e);
	return e;
}

static bool frame_ready(void *ctx)
{
	struct virtio_net *net = ctx;
	return net->count > 0 || net->sends.failed;
}

enum err virtio_net_receive(struct virtio_net *net, void *buf, size_t size, size_t *len, struct duration timeout)
{
	precondition(net != NULL && buf != NULL && len != NULL, "net, buf and len must not be NULL");
	precondition(size >= VIRTIO_NET_FRAME_MAX, "a buffer of %zu bytes is too small for a frame of up to %d", size,
		     VIRTIO_NET_FRAME_MAX);
	precondition(!in_interrupt(), "receiving sleeps: tasks only, not interrupt context");
	enum err e = wait_queue_wait(&net->wq, frame_ready, net, timeout);
	if (e != ERR_OK)
		return e;
	spin_lock_irqsave(&net->lock);
	if (net->count > 0) {
		struct rx_frame *f = &net->queue[net->head];
		memcpy(buf, f->data, f->len);
		*len = f->len;
		net->head = (net->head + 1) % VIRTIO_NET_RX_QUEUE;
		net->count--;
	} else {
		e = ERR_IO; /* failed, and nothing left */
	}
	spin_unlock_irqrestore(&net->lock);
	return e;
}
