/*
 * Virtio over PCI, the modern (1.0) transport, and split virtqueues: the part every virtio
 * driver shares. The device's capabilities, sizes, indices and lengths are hostile input; each is
 * checked before use, and nothing the device writes is used as an index unchecked.
 */
#include <drivers/virtio.h>
#include <frame/dma.h>
#include <frame/heap.h>
#include <frame/irq.h>
#include <frame/io.h>
#include <frame/log.h>
#include <frame/panic.h>
#include <frame/string.h>
#include <frame/sync.h>
#include <frame/timer.h>

/* The virtio PCI capability (cfg_type and where its structure lies). */
enum { CAP_TYPE = 3, CAP_BAR = 4, CAP_OFFSET = 8, CAP_LENGTH = 12, CAP_NOTIFY_MULT = 16 };
enum { CFG_COMMON = 1, CFG_NOTIFY = 2, CFG_ISR = 3, CFG_DEVICE = 4, CFG_TYPES = 5 };
/* The common configuration. */
enum {
	COMMON_DFSELECT = 0x00,
	COMMON_DF = 0x04,
	COMMON_GFSELECT = 0x08,
	COMMON_GF = 0x0c,
	COMMON_MSIX = 0x10,
	COMMON_STATUS = 0x14,
	COMMON_GENERATION = 0x15,
	COMMON_Q_SELECT = 0x16,
	COMMON_Q_SIZE = 0x18,
	COMMON_Q_MSIX = 0x1a,
	COMMON_Q_ENABLE = 0x1c,
	COMMON_Q_NOFF = 0x1e,
	COMMON_Q_DESC = 0x20,
	COMMON_Q_DRIVER = 0x28,
	COMMON_Q_DEVICE = 0x30,
	COMMON_LEN = 0x38,
};
enum { S_ACKNOWLEDGE = 1, S_DRIVER = 2, S_DRIVER_OK = 4, S_FEATURES_OK = 8, S_FAILED = 128 };
#define VIRTIO_F_ACCESS_PLATFORM (1ull << 33)
#define NO_VECTOR 0xffff
#define DESC_NEXT 1
#define DESC_WRITE 2
#define RESET_TRIES 100000

struct region {
	struct io_mem *mem; /* the BAR's window, shared by every region in it */
	uint64_t offset;
	uint32_t length;
};

struct virtio_device {
	struct pci_device *pci;
	struct io_mem *bars[PCI_BAR_COUNT];
	struct region common, notify, isr, device;
	uint32_t notify_mult;
	bool features_ok, started;
	struct irq_line *line;
	irq_handler_fn handler;
	void *ctx;
	struct virtqueue *queues; /* a list, to give each its MSI-X vector at start */
};

struct virtqueue {
	struct virtio_device *vd;
	struct virtqueue *next;
	uint16_t index, size;
	uint64_t notify_at;
	struct dma_buffer *ring;
	size_t avail_at, used_at;
	uint16_t avail_idx, used_seen; /* the next available slot; the used entries taken back */
	uint16_t free_head, free_count;
	bool broken;
	/* The driver's own copy of each chain: the device could rewrite the table in shared memory. */
	uint16_t *next_of;  /* next descriptor of each (free list and chains) */
	uint16_t *chain_of; /* at a head: its chain's length, 0 if not a head in flight */
	uint32_t *writable; /* at a head: the chain's device-writable bytes */
	void **token;	    /* at a head: the caller's token */
};

/* Read the capability's 32-bit field at off. */
static uint32_t cap32(const struct pci_device *dev, uint8_t cap, uint16_t off)
{
	return pci_config_read32(dev, (uint16_t)(cap + off));
}

/* Check a capability's structure against its BAR and map the BAR (once per BAR). */
static enum err take_region(struct virtio_device *vd, uint8_t cap, struct region *out, uint32_t min_len)
{
	uint8_t bar = pci_config_read8(vd->pci, (uint16_t)(cap + CAP_BAR));
	uint64_t offset = cap32(vd->pci, cap, CAP_OFFSET), length = cap32(vd->pci, cap, CAP_LENGTH);
	struct pci_bar b = bar < PCI_BAR_COUNT ? pci_device_bar(vd->pci, bar) : (struct pci_bar){0};
	if (b.kind != PCI_BAR_MEMORY || length < min_len || offset > b.size || length > b.size - offset) {
		log_warn("virtio: capability at 0x%x: bar %u offset 0x%llx length 0x%llx does not fit its BAR", cap,
			 bar, (unsigned long long)offset, (unsigned long long)length);
		return ERR_UNSUPPORTED;
	}
	if (!vd->bars[bar]) {
		enum err e = pci_bar_map(&vd->bars[bar], vd->pci, bar);
		if (e != ERR_OK)
			return e;
	}
	*out = (struct region){vd->bars[bar], offset, (uint32_t)length};
	return ERR_OK;
}

static uint8_t common8(struct virtio_device *vd, uint32_t off)
{
	return io_mem_read8(vd->common.mem, vd->common.offset + off);
}
static uint16_t common16(struct virtio_device *vd, uint32_t off)
{
	return io_mem_read16(vd->common.mem, vd->common.offset + off);
}
static uint32_t common32(struct virtio_device *vd, uint32_t off)
{
	return io_mem_read32(vd->common.mem, vd->common.offset + off);
}
static void set8(struct virtio_device *vd, uint32_t off, uint8_t v)
{
	io_mem_write8(vd->common.mem, vd->common.offset + off, v);
}
static void set16(struct virtio_device *vd, uint32_t off, uint16_t v)
{
	io_mem_write16(vd->common.mem, vd->common.offset + off, v);
}
static void set32(struct virtio_device *vd, uint32_t off, uint32_t v)
{
	io_mem_write32(vd->common.mem, vd->common.offset + off, v);
}
static void set64(struct virtio_device *vd, uint32_t off, uint64_t v)
{
	set32(vd, off, (uint32_t)v);
	set32(vd, off + 4, (uint32_t)(v >> 32));
}

static void add_status(struct virtio_device *vd, uint8_t bits)
{
	set8(vd, COMMON_STATUS, (uint8_t)(common8(vd, COMMON_STATUS) | bits));
}

/* Reset the device (it lets go of every queue); false if it never finished. */
static bool reset(struct virtio_device *vd)
{
	set8(vd, COMMON_STATUS, 0);
	for (int tries = RESET_TRIES; tries; tries--)
		if (common8(vd, COMMON_STATUS) == 0)
			return true;
	return false;
}

static void release(struct virtio_device *vd)
{
	for (int i = 0; i < PCI_BAR_COUNT; i++)
		if (vd->bars[i])
			io_mem_release(vd->bars[i]);
	heap_free(vd);
}

enum err virtio_open(struct virtio_device **out, struct pci_device *dev, uint32_t device_cfg_min)
{
	precondition(out != NULL && dev != NULL, "out and dev must not be NULL");
	precondition(!in_interrupt(), "a device is opened by a task, not in interrupt context");
	struct virtio_device *vd = heap_zalloc(sizeof(*vd));
	if (!vd)
		return ERR_NOMEM;
	vd->pci = dev;
	static const uint32_t min_len[CFG_TYPES] = {0, COMMON_LEN, 2, 1, 0};
	struct region *regions[CFG_TYPES] = {NULL, &vd->common, &vd->notify, &vd->isr, &vd->device};
	bool found[CFG_TYPES] = {false};
	enum err e = ERR_OK;
	/* The first capability of each type that is usable (the spec's rule); later ones are ignored. */
	for (uint8_t cap = pci_find_capability(dev, PCI_CAP_VENDOR, 0); cap && e == ERR_OK;
	     cap = pci_find_capability(dev, PCI_CAP_VENDOR, cap)) {
		uint8_t type = pci_config_read8(dev, (uint16_t)(cap + CAP_TYPE));
		uint8_t cap_len = pci_config_read8(dev, (uint16_t)(cap + 2));
		if (type < CFG_COMMON || type > CFG_DEVICE || found[type] || cap_len < 16 ||
		    (type == CFG_NOTIFY && cap_len < 20))
			continue;
		uint32_t need = type == CFG_DEVICE ? device_cfg_min : min_len[type];
		e = take_region(vd, cap, regions[type], need);
		found[type] = e == ERR_OK;
		if (e == ERR_UNSUPPORTED) /* out of its BAR (logged): perhaps a later one of its type fits */
			e = ERR_OK;
		if (type == CFG_NOTIFY && e == ERR_OK)
			vd->notify_mult = cap32(dev, cap, CAP_NOTIFY_MULT);
	}
	if (e == ERR_OK &&
	    (!found[CFG_COMMON] || !found[CFG_NOTIFY] || !found[CFG_ISR] || (device_cfg_min && !found[CFG_DEVICE]))) {
		log_warn("virtio: the device lacks the modern capabilities (legacy only?)");
		e = ERR_UNSUPPORTED;
	}
	if (e == ERR_OK && !reset(vd))
		e = ERR_TIMEOUT;
	if (e != ERR_OK) {
		release(vd);
		return e;
	}
	add_status(vd, S_ACKNOWLEDGE);
	add_status(vd, S_DRIVER);
	*out = vd;
	return ERR_OK;
}

struct pci_device *virtio_pci_device(const struct virtio_device *vd)
{
	precondition(vd != NULL, "vd must not be NULL");
	return vd->pci;
}

uint64_t virtio_device_features(struct virtio_device *vd)
{
	precondition(vd != NULL, "vd must not be NULL");
	set32(vd, COMMON_DFSELECT, 0);
	uint64_t lo = common32(vd, COMMON_DF);
	set32(vd, COMMON_DFSELECT, 1);
	return lo | (uint64_t)common32(vd, COMMON_DF) << 32;
}

enum err virtio_negotiate(struct virtio_device *vd, uint64_t wanted, uint64_t *accepted)
{
	precondition(vd != NULL && accepted != NULL, "vd and accepted must not be NULL");
	precondition(!vd->features_ok, "the features are agreed already");
	uint64_t offered = virtio_device_features(vd);
	if (!(offered & VIRTIO_F_VERSION_1)) {
		add_status(vd, S_FAILED);
		return ERR_UNSUPPORTED;
	}
	uint64_t take = offered & (wanted | VIRTIO_F_VERSION_1 | VIRTIO_F_ACCESS_PLATFORM);
	set32(vd, COMMON_GFSELECT, 0);
	set32(vd, COMMON_GF, (uint32_t)take);
	set32(vd, COMMON_GFSELECT, 1);
	set32(vd, COMMON_GF, (uint32_t)(take >> 32));
	add_status(vd, S_FEATURES_OK);
	if (!(common8(vd, COMMON_STATUS) & S_FEATURES_OK)) {
		add_status(vd, S_FAILED);
		return ERR_UNSUPPORTED;
	}
	vd->features_ok = true;
	*accepted = take;
	return ERR_OK;
}

enum err virtio_config_read(struct virtio_device *vd, uint32_t offset, void *buf, uint32_t len)
{
	precondition(vd != NULL && buf != NULL, "vd and buf must not be NULL");
	precondition(offset <= vd->device.length && len <= vd->device.length - offset,
		     "bytes 0x%x-0x%x lie past the device configuration (0x%x bytes)", offset, offset + len,
		     vd->device.length);
	uint8_t *p = buf;
	for (int tries = 0; tries < 1000; tries++) {
		uint8_t before = common8(vd, COMMON_GENERATION);
		uint64_t at = vd->device.offset + offset;
		if (len == 1)
			p[0] = io_mem_read8(vd->device.mem, at);
		else if (len == 2) {
			uint16_t v = io_mem_read16(vd->device.mem, at);
			memcpy(p, &v, 2);
		} else
			for (uint32_t i = 0; i < len; i += 4) {
				uint32_t v = io_mem_read32(vd->device.mem, at + i);
				memcpy(p + i, &v, len - i < 4 ? len - i : 4);
			}
		if (common8(vd, COMMON_GENERATION) == before)
			return ERR_OK;
	}
	return ERR_TIMEOUT;
}

uint16_t virtqueue_size(const struct virtqueue *q)
{
	precondition(q != NULL, "q must not be NULL");
	return q->size;
}

static void free_queue(struct virtqueue *q)
{
	if (q->ring)
		dma_buffer_free(q->ring);
	heap_free(q->next_of);
	heap_free(q->chain_of);
	heap_free(q->writable);
	heap_free(q->token);
	heap_free(q);
}

enum err virtio_queue_create(struct virtqueue **out, struct virtio_device *vd, uint16_t index, uint16_t max_size)
{
	precondition(out != NULL && vd != NULL, "out and vd must not be NULL");
	precondition(max_size >= 2 && max_size <= 32768 && !(max_size & (max_size - 1)),
		     "max_size %u is not a power of two from 2 to 32768", max_size);
	precondition(vd->features_ok && !vd->started,
		     "queues are created after virtio_negotiate(), before virtio_start()");
	set16(vd, COMMON_Q_SELECT, index);
	uint16_t size = common16(vd, COMMON_Q_SIZE);
	if (size == 0 || (size & (size - 1))) {
		log_warn("virtio: queue %u has size %u (none, or not a power of two)", index, size);
		return ERR_UNSUPPORTED;
	}
	if (size > max_size)
		size = max_size;
	uint64_t notify_at = (uint64_t)common16(vd, COMMON_Q_NOFF) * vd->notify_mult;
	if (notify_at > vd->notify.length - 2) {
		log_warn("virtio: queue %u notifies at 0x%llx, past the notification area (0x%x bytes)", index,
			 (unsigned long long)notify_at, vd->notify.length);
		return ERR_UNSUPPORTED;
	}
	struct virtqueue *q = heap_zalloc(sizeof(*q));
	if (!q)
		return ERR_NOMEM;
	*q = (struct virtqueue){.vd = vd, .index = index, .size = size, .notify_at = vd->notify.offset + notify_at};
	q->avail_at = 16u * size;				     /* after the descriptor table */
	q->used_at = (q->avail_at + 6 + 2u * size + 4095) & ~4095ul; /* its own page */
	q->next_of = heap_zalloc_array(size, sizeof(uint16_t), _Alignof(uint16_t));
	q->chain_of = heap_zalloc_array(size, sizeof(uint16_t), _Alignof(uint16_t));
	q->writable = heap_zalloc_array(size, sizeof(uint32_t), _Alignof(uint32_t));
	q->token = heap_zalloc_array(size, sizeof(void *), _Alignof(void *));
	enum err e = q->next_of && q->chain_of && q->writable && q->token ? ERR_OK : ERR_NOMEM;
	if (e == ERR_OK)
		e = dma_buffer_alloc(&q->ring, vd->pci, q->used_at + 6 + 8u * size);
	if (e != ERR_OK) {
		free_queue(q);
		return e;
	}
	for (uint16_t i = 0; i < size; i++)
		q->next_of[i] = (uint16_t)(i + 1);
	q->free_count = size;
	uint64_t ring = dma_buffer_device_addr(q->ring);
	set16(vd, COMMON_Q_SIZE, size);
	set64(vd, COMMON_Q_DESC, ring);
	set64(vd, COMMON_Q_DRIVER, ring + q->avail_at);
	set64(vd, COMMON_Q_DEVICE, ring + q->used_at);
	set16(vd, COMMON_Q_ENABLE, 1);
	q->next = vd->queues;
	vd->queues = q;
	*out = q;
	return ERR_OK;
}

/* Interrupt context: claim the interrupt (with INTx, by the ISR status), then the driver's turn. */
static bool on_interrupt(void *ctx)
{
	struct virtio_device *vd = ctx;
	if (pci_irq_kind(vd->line) == PCI_IRQ_INTX && !io_mem_read8(vd->isr.mem, vd->isr.offset))
		return false;
	vd->handler(vd->ctx);
	return true;
}

enum err virtio_start(struct virtio_device *vd, irq_handler_fn handler, void *ctx)
{
	precondition(vd != NULL && handler != NULL, "vd and handler must not be NULL");
	precondition(vd->features_ok && !vd->started, "a device is started once, after virtio_negotiate()");
	enum err e = pci_irq_alloc(&vd->line, vd->pci, PCI_IRQ_MSIX | PCI_IRQ_INTX);
	if (e != ERR_OK)
		return e;
	bool msix = pci_irq_kind(vd->line) == PCI_IRQ_MSIX;
	uint16_t vector = msix ? 0 : NO_VECTOR;
	set16(vd, COMMON_MSIX, vector);
	bool refused = common16(vd, COMMON_MSIX) != vector;
	for (struct virtqueue *q = vd->queues; q; q = q->next) {
		set16(vd, COMMON_Q_SELECT, q->index);
		set16(vd, COMMON_Q_MSIX, vector);
		refused = refused || common16(vd, COMMON_Q_MSIX) != vector;
	}
	if (refused) {
		log_warn("virtio: the device refused MSI-X vector %u", vector);
		irq_line_free(vd->line);
		vd->line = NULL;
		return ERR_UNSUPPORTED;
	}
	vd->handler = handler;
	vd->ctx = ctx;
	vd->started = true;
	irq_line_attach_shared(vd->line, on_interrupt, vd);
	irq_line_enable(vd->line);
	add_status(vd, S_DRIVER_OK);
	return ERR_OK;
}

void virtio_close(struct virtio_device *vd)
{
	precondition(vd != NULL, "vd must not be NULL");
	precondition(!in_interrupt(), "a device is closed by a task, not in interrupt context");
	if (vd->line)
		irq_line_free(vd->line);
	if (!reset(vd)) { /* it may still use the rings: leave them to it rather than free them */
		log_warn("virtio: the device did not reset; its queues stay allocated");
		vd->queues = NULL;
	}
	while (vd->queues) {
		struct virtqueue *q = vd->queues;
		vd->queues = q->next;
		free_queue(q);
	}
	release(vd);
}

struct irq_line *virtio_irq_line(const struct virtio_device *vd)
{
	precondition(vd != NULL && vd->started, "the device must be started");
	return vd->line;
}

/* The ring's 16-bit field at off. */
static uint16_t ring16(struct virtqueue *q, size_t off)
{
	uint16_t v;
	dma_buffer_read(q->ring, off, &v, sizeof(v));
	return v;
}
static void set_ring16(struct virtqueue *q, size_t off, uint16_t v)
{
	dma_buffer_write(q->ring, off, &v, sizeof(v));
}

enum err virtqueue_add(struct virtqueue *q, const struct virtio_buf *bufs, unsigned n, void *token)
{
	precondition(q != NULL && bufs != NULL && token != NULL, "q, bufs and token must not be NULL");
	precondition(n >= 1 && n <= q->size, "a chain of %u buffers in a queue of %u", n, q->size);
	if (q->broken)
		return ERR_IO;
	if (n > q->free_count)
		return ERR_BUSY;
	uint16_t head = q->free_head, d = head;
	uint32_t writable = 0;
	for (unsigned i = 0; i < n; i++) {
		precondition(bufs[i].len > 0, "buffer %u of the chain is empty", i);
		struct {
			uint64_t addr;
			uint32_t len;
			uint16_t flags, next;
		} desc = {bufs[i].addr, bufs[i].len,
			  (uint16_t)((i + 1 < n ? DESC_NEXT : 0) | (bufs[i].device_writes ? DESC_WRITE : 0)),
			  q->next_of[d]};
		dma_buffer_write(q->ring, 16u * d, &desc, sizeof(desc));
		writable += bufs[i].device_writes ? bufs[i].len : 0;
		if (i + 1 < n)
			d = q->next_of[d];
	}
	q->free_head = q->next_of[d];
	q->free_count = (uint16_t)(q->free_count - n);
	q->chain_of[head] = (uint16_t)n;
	q->writable[head] = writable;
	q->token[head] = token;
	set_ring16(q, q->avail_at + 4 + 2u * (q->avail_idx % q->size), head);
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* the entry before the index that publishes it */
	q->avail_idx++;
	set_ring16(q, q->avail_at + 2, q->avail_idx);
	return ERR_OK;
}

void virtqueue_kick(struct virtqueue *q)
{
	precondition(q != NULL, "q must not be NULL");
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* the index before the notification */
	io_mem_write16(q->vd->notify.mem, q->notify_at, q->index);
}

/* The device reported nonsense that names no chain: stop trusting the queue. */
static bool broke(struct virtqueue *q, const char *what, unsigned value)
{
	if (!q->broken)
		log_warn("virtio: queue %u of the device is broken: %s %u", q->index, what, value);
	q->broken = true;
	return false;
}

bool virtqueue_get_used(struct virtqueue *q, void **token, uint32_t *len, enum err *status)
{
	precondition(q != NULL && token != NULL && len != NULL && status != NULL, "no argument may be NULL");
	if (q->broken)
		return false;
	uint16_t used_idx = ring16(q, q->used_at + 2);
	if (used_idx == q->used_seen)
		return false;
	uint16_t in_flight = (uint16_t)(q->size - q->free_count);
	if ((uint16_t)(used_idx - q->used_seen) > in_flight)
		return broke(q, "used index ran ahead of the chains in flight by", (uint16_t)(used_idx - q->used_seen));
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* the index before the entry it publishes */
	struct {
		uint32_t id, len;
	} elem;
	dma_buffer_read(q->ring, q->used_at + 4 + 8u * (q->used_seen % q->size), &elem, sizeof(elem));
	if (elem.id >= q->size || q->chain_of[elem.id] == 0)
		return broke(q, "used entry names no chain in flight: id", elem.id);
	q->used_seen++;
	uint16_t head = (uint16_t)elem.id, d = head;
	for (unsigned i = 1; i < q->chain_of[head]; i++)
		d = q->next_of[d];
	q->next_of[d] = q->free_head; /* the chain, as the driver built it, back on the free list */
	q->free_head = head;
	q->free_count = (uint16_t)(q->free_count + q->chain_of[head]);
	q->chain_of[head] = 0;
	*token = q->token[head];
	*len = elem.len;
	*status = ERR_OK;
	if (elem.len > q->writable[head]) {
		log_warn("virtio: queue %u: the device wrote %u bytes into a chain of %u writable bytes", q->index,
			 elem.len, q->writable[head]);
		*status = ERR_IO;
	}
	return true;
}

bool virtqueue_broken(const struct virtqueue *q)
{
	precondition(q != NULL, "q must not be NULL");
	return q->broken;
}

struct dma_buffer *virtqueue_ring_buffer(const struct virtqueue *q, size_t *used_offset)
{
	precondition(q != NULL && used_offset != NULL, "q and used_offset must not be NULL");
	*used_offset = q->used_at;
	return q->ring;
}

/* --- a driver's requests in flight ------------------------------------------------------------ */

void virtio_slots_init(struct virtio_slots *p, unsigned count, struct spinlock *lock, struct wait_queue *wq)
{
	precondition(p != NULL && lock != NULL && wq != NULL, "p, lock and wq must not be NULL");
	precondition(count >= 1 && count <= VIRTIO_SLOTS_MAX, "count (%u) must be 1 to %d", count, VIRTIO_SLOTS_MAX);
	*p = (struct virtio_slots){.count = count, .lock_ = lock, .wq_ = wq};
}

static bool slot_free(void *ctx)
{
	struct virtio_slots *p = ctx;
	for (unsigned i = 0; i < p->count; i++)
		if (!p->slot[i].busy)
			return true;
	return p->failed;
}

static bool slot_done(void *ctx)
{
	return ((struct virtio_slot *)ctx)->done;
}

enum err virtio_slot_take(struct virtio_slots *p, unsigned *index, struct duration timeout)
{
	precondition(p != NULL && index != NULL, "p and index must not be NULL");
	precondition(!in_interrupt(), "requests sleep: tasks only, not interrupt context");
	for (;;) {
		spin_lock_irqsave(p->lock_);
		unsigned i = 0;
		while (i < p->count && p->slot[i].busy)
			i++;
		bool found = i < p->count && !p->failed, failed = p->failed;
		if (found)
			p->slot[i] = (struct virtio_slot){.busy = true};
		spin_unlock_irqrestore(p->lock_);
		if (found) {
			*index = i;
			return ERR_OK;
		}
		if (failed)
			return ERR_IO;
		enum err e = wait_queue_wait(p->wq_, slot_free, p, timeout);
		if (e != ERR_OK)
			return e;
	}
}

enum err virtio_slot_run(struct virtio_slots *p, unsigned index, struct virtqueue *q, const struct virtio_buf *bufs,
			 unsigned n, struct duration timeout)
{
	precondition(p != NULL && q != NULL && bufs != NULL, "p, q and bufs must not be NULL");
	precondition(index < p->count && p->slot[index].busy, "slot %u is not one the caller took", index);
	precondition(!in_interrupt(), "requests sleep: tasks only, not interrupt context");
	struct virtio_slot *s = &p->slot[index];
	spin_lock_irqsave(p->lock_);
	enum err e = p->failed ? ERR_IO : virtqueue_add(q, bufs, n, s);
	if (e == ERR_OK) {
		s->queued = true;
		virtqueue_kick(q);
		if (++p->in_flight > p->peak)
			p->peak = p->in_flight;
	}
	spin_unlock_irqrestore(p->lock_);
	if (e == ERR_OK)
		e = wait_queue_wait(p->wq_, slot_done, s, timeout);
	spin_lock_irqsave(p->lock_);
	if (e == ERR_TIMEOUT && s->done)
		e = ERR_OK; /* answered as the wait ran out */
	if (e == ERR_TIMEOUT)
		s->abandoned = true; /* the device still has the buffers: its answer frees the slot */
	spin_unlock_irqrestore(p->lock_);
	return e == ERR_OK ? s->result : e;
}

void virtio_slot_release(struct virtio_slots *p, unsigned index, enum err e)
{
	precondition(p != NULL && index < p->count, "p must not be NULL and index (%u) below its count", index);
	if (e == ERR_TIMEOUT)
		return;
	spin_lock_irqsave(p->lock_);
	p->slot[index].busy = false;
	spin_unlock_irqrestore(p->lock_);
	wait_queue_wake_all(p->wq_);
}

/* A chain answered (or failed): its slot is done, and free if its task gave up. Lock held. */
static void answer(struct virtio_slots *p, struct virtio_slot *s, uint32_t len, enum err result)
{
	s->len = len;
	s->result = result;
	s->done = true;
	s->queued = false;
	p->in_flight--;
	if (s->abandoned)
		s->busy = s->abandoned = false;
}

void virtio_slots_fail(struct virtio_slots *p)
{
	if (p->failed)
		return;
	p->failed = true; /* nothing in flight will come back */
	for (unsigned i = 0; i < p->count; i++)
		if (p->slot[i].queued)
			answer(p, &p->slot[i], 0, ERR_IO);
}

void virtio_slots_answer(struct virtio_slots *p, struct virtqueue *q)
{
	void *token;
	uint32_t len;
	enum err status;
	while (virtqueue_get_used(q, &token, &len, &status)) /* tokens: this pool's slots, checked */
		answer(p, token, len, status);
	if (virtqueue_broken(q))
		virtio_slots_fail(p);
}
