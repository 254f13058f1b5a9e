/*
 * Virtio block devices on the virtio PCI transport (virtio.c): one request queue, a slot per
 * request in flight (its header and status in one shared DMA buffer, its data in its own), and
 * tasks that sleep on a wait queue until the interrupt handler marks their slot done.
 */
#include <drivers/virtio.h>
#include <drivers/virtio_blk.h>
#include <frame/dma.h>
#include <frame/heap.h>
#include <frame/irq.h>
#include <frame/log.h>
#include <frame/panic.h>
#include <frame/sync.h>

#define VIRTIO_VENDOR 0x1af4
#define BLK_MODERN 0x1042
#define BLK_TRANSITIONAL 0x1001
#define F_RO (1ull << 5)
#define F_FLUSH (1ull << 9)
enum { T_IN = 0, T_OUT = 1, T_FLUSH = 4 };
enum { S_OK = 0, S_IOERR = 1, S_UNSUPP = 2 };
#define META 32 /* per slot in the shared buffer: the 16-byte header, then the status byte */
#define QUEUE_MAX 256
#define TIMEOUT SEC(10)

struct slot {
	struct virtio_blk *disk;
	struct dma_buffer *data;
	bool busy, queued, done, abandoned; /* taken; in the device; answered; its task gave up */
	enum err result;
	uint32_t len;
};

struct virtio_blk {
	struct virtio_device *vd;
	struct virtqueue *q;
	struct dma_buffer *meta;
	uint64_t capacity;
	bool read_only, can_flush, failed;
	unsigned slots, in_flight, peak;
	struct spinlock lock;
	struct wait_queue wq;
	struct slot slot[VIRTIO_BLK_IN_FLIGHT];
};

struct pci_device *virtio_blk_find(const struct pci_device *after)
{
	size_t n = pci_device_count(), i = 0;
	if (after)
		while (i < n && pci_device_at(i++) != after)
			;
	for (; i < n; i++) {
		struct pci_info info = pci_device_info(pci_device_at(i));
		if (info.vendor == VIRTIO_VENDOR && (info.device == BLK_MODERN || info.device == BLK_TRANSITIONAL))
			return pci_device_at(i);
	}
	return NULL;
}

/* A used chain: its slot is done. With the caller holding the lock. */
static void complete(struct slot *s, uint32_t len, enum err result)
{
	s->len = len;
	s->result = result;
	s->done = true;
	s->queued = false;
	s->disk->in_flight--;
	if (s->abandoned) /* its task gave up waiting: the slot is free only now */
		s->busy = s->abandoned = false;
}

/* Interrupt context: take back what the device finished and wake the tasks. */
static void on_interrupt(void *ctx)
{
	struct virtio_blk *disk = ctx;
	spin_lock(&disk->lock);
	void *token;
	uint32_t len;
	enum err status;
	while (virtqueue_get_used(disk->q, &token, &len, &status))
		complete(token, len, status);
	if (virtqueue_broken(disk->q) && !disk->failed) { /* nothing in flight will come back */
		disk->failed = true;
		for (unsigned i = 0; i < disk->slots; i++)
			if (disk->slot[i].queued)
				complete(&disk->slot[i], 0, ERR_IO);
	}
	spin_unlock(&disk->lock);
	wait_queue_wake_all(&disk->wq);
}

static void undo(struct virtio_blk *disk)
{
	if (disk->vd)
		virtio_close(disk->vd); /* first: the device lets go of the buffers */
	for (unsigned i = 0; i < VIRTIO_BLK_IN_FLIGHT; i++)
		if (disk->slot[i].data)
			dma_buffer_free(disk->slot[i].data);
	if (disk->meta)
		dma_buffer_free(disk->meta);
	heap_free(disk);
}

enum err virtio_blk_init(struct virtio_blk **out, struct pci_device *dev)
{
	precondition(out != NULL && dev != NULL, "out and dev must not be NULL");
	precondition(!in_interrupt(), "a disk is started by a task, not in interrupt context");
	struct virtio_blk *disk = heap_zalloc(sizeof(*disk));
	if (!disk)
		return ERR_NOMEM;
	spin_init(&disk->lock, "virtio-blk");
	wait_queue_init(&disk->wq, "virtio-blk");
	uint64_t features = 0;
	enum err e = virtio_open(&disk->vd, dev, 8);
	if (e == ERR_OK)
		e = virtio_negotiate(disk->vd, F_RO | F_FLUSH, &features);
	if (e == ERR_OK)
		e = virtio_config_read(disk->vd, 0, &disk->capacity, 8);
	if (e == ERR_OK)
		e = virtio_queue_create(&disk->q, disk->vd, 0, QUEUE_MAX);
	if (e == ERR_OK) {
		disk->slots = virtqueue_size(disk->q) / 3; /* header, data, status */
		if (disk->slots > VIRTIO_BLK_IN_FLIGHT)
			disk->slots = VIRTIO_BLK_IN_FLIGHT;
		if (disk->slots == 0) {
			log_warn("virtio-blk: a queue of %u entries holds no request", virtqueue_size(disk->q));
			e = ERR_UNSUPPORTED;
		}
	}
	if (e == ERR_OK)
		e = dma_buffer_alloc(&disk->meta, dev, META * VIRTIO_BLK_IN_FLIGHT);
	for (unsigned i = 0; i < disk->slots && e == ERR_OK; i++) {
		disk->slot[i].disk = disk;
		e = dma_buffer_alloc(&disk->slot[i].data, dev, VIRTIO_BLK_MAX_REQUEST);
	}
	if (e == ERR_OK)
		e = virtio_start(disk->vd, on_interrupt, disk);
	if (e != ERR_OK) {
		undo(disk);
		return e;
	}
	disk->read_only = features & F_RO;
	disk->can_flush = features & F_FLUSH;
	*out = disk;
	return ERR_OK;
}

uint64_t virtio_blk_capacity(const struct virtio_blk *disk)
{
	precondition(disk != NULL, "disk must not be NULL");
	return disk->capacity;
}

bool virtio_blk_read_only(const struct virtio_blk *disk)
{
	precondition(disk != NULL, "disk must not be NULL");
	return disk->read_only;
}

unsigned virtio_blk_peak_in_flight(const struct virtio_blk *disk)
{
	precondition(disk != NULL, "disk must not be NULL");
	return disk->peak;
}

static bool slot_free(void *ctx)
{
	struct virtio_blk *disk = ctx;
	for (unsigned i = 0; i < disk->slots; i++)
		if (!disk->slot[i].busy)
			return true;
	return disk->failed;
}

static bool slot_done(void *ctx)
{
	return ((struct slot *)ctx)->done;
}

/* Take a free slot, sleeping while all are busy; NULL on timeout or a failed disk. */
static struct slot *take_slot(struct virtio_blk *disk, enum err *e)
{
	for (;;) {
		spin_lock_irqsave(&disk->lock);
		struct slot *s = NULL;
		for (unsigned i = 0; i < disk->slots && !s && !disk->failed; i++)
			if (!disk->slot[i].busy)
				s = &disk->slot[i];
		if (s)
			*s = (struct slot){.disk = disk, .data = s->data, .busy = true};
		spin_unlock_irqrestore(&disk->lock);
		*e = disk->failed ? ERR_IO : ERR_OK;
		if (s || *e != ERR_OK)
			return s;
		*e = wait_queue_wait(&disk->wq, slot_free, disk, TIMEOUT);
		if (*e != ERR_OK)
			return NULL;
	}
}

/* One request of type with len bytes of data (its data already in the slot for T_OUT). ERR_TIMEOUT
 * means the slot is abandoned to the device: the caller must not release it. */
static enum err request(struct virtio_blk *disk, struct slot *s, uint32_t type, uint64_t sector, uint32_t len)
{
	unsigned i = (unsigned)(s - disk->slot);
	uint64_t meta = dma_buffer_device_addr(disk->meta) + META * i;
	struct {
		uint32_t type, reserved;
		uint64_t sector;
	} header = {type, 0, sector};
	uint8_t status = 0xff;
	dma_buffer_write(disk->meta, META * i, &header, sizeof(header));
	dma_buffer_write(disk->meta, META * i + 16, &status, 1);
	struct virtio_buf bufs[3] = {{meta, 16, false}};
	unsigned n = 1;
	if (len)
		bufs[n++] = (struct virtio_buf){dma_buffer_device_addr(s->data), len, type == T_IN};
	bufs[n++] = (struct virtio_buf){meta + 16, 1, true};
	spin_lock_irqsave(&disk->lock);
	enum err e = virtqueue_add(disk->q, bufs, n, s); /* ERR_BUSY cannot be: three entries a slot */
	if (e == ERR_OK) {
		s->queued = true;
		virtqueue_kick(disk->q);
		if (++disk->in_flight > disk->peak)
			disk->peak = disk->in_flight;
	}
	spin_unlock_irqrestore(&disk->lock);
	if (e == ERR_OK)
		e = wait_queue_wait(&disk->wq, slot_done, s, TIMEOUT);
	spin_lock_irqsave(&disk->lock);
	if (e == ERR_TIMEOUT && s->done)
		e = ERR_OK; /* answered as the wait ran out */
	if (e == ERR_TIMEOUT) {
		s->abandoned = true; /* the device still has the buffers: the handler frees the slot */
		spin_unlock_irqrestore(&disk->lock);
		log_warn("virtio-blk: no answer to a request for sector %llu", (unsigned long long)sector);
		return ERR_TIMEOUT;
	}
	spin_unlock_irqrestore(&disk->lock);
	if (e == ERR_OK)
		e = s->result;
	uint32_t expect = type == T_IN ? len + 1 : 1;
	if (e == ERR_OK && s->len != expect) {
		log_warn("virtio-blk: the device wrote %u bytes for a request of %u", s->len, expect);
		e = ERR_IO;
	}
	if (e == ERR_OK) {
		dma_buffer_read(disk->meta, META * i + 16, &status, 1);
		e = status == S_OK ? ERR_OK : status == S_UNSUPP ? ERR_UNSUPPORTED : ERR_IO;
	}
	return e;
}

/* Give the slot back after request() returned e (an abandoned one is the handler's to free). */
static void release_slot(struct virtio_blk *disk, struct slot *s, enum err e)
{
	if (e == ERR_TIMEOUT)
		return;
	spin_lock_irqsave(&disk->lock);
	s->busy = false;
	spin_unlock_irqrestore(&disk->lock);
	wait_queue_wake_all(&disk->wq);
}

/* Read or write count sectors, in requests of at most VIRTIO_BLK_MAX_REQUEST bytes. */
static enum err transfer(struct virtio_blk *disk, uint32_t type, uint64_t sector, uint32_t count, uint8_t *in,
			 const uint8_t *out)
{
	if (count > disk->capacity || sector > disk->capacity - count)
		return ERR_INVAL;
	enum err e = ERR_OK;
	for (uint64_t done = 0; done < count && e == ERR_OK;) {
		uint64_t n = count - done;
		if (n > VIRTIO_BLK_MAX_REQUEST / VIRTIO_BLK_SECTOR)
			n = VIRTIO_BLK_MAX_REQUEST / VIRTIO_BLK_SECTOR;
		uint32_t len = (uint32_t)n * VIRTIO_BLK_SECTOR;
		size_t at = done * VIRTIO_BLK_SECTOR;
		struct slot *s = take_slot(disk, &e);
		if (!s)
			break;
		if (out)
			dma_buffer_write(s->data, 0, out + at, len);
		e = request(disk, s, type, sector + done, len);
		if (e == ERR_OK && in)
			dma_buffer_read(s->data, 0, in + at, len);
		release_slot(disk, s, e);
		done += n;
	}
	return e;
}

enum err virtio_blk_read(struct virtio_blk *disk, uint64_t sector, uint32_t count, void *buf, size_t size)
{
	precondition(disk != NULL && buf != NULL, "disk and buf must not be NULL");
	precondition(size / VIRTIO_BLK_SECTOR >= count, "a buffer of %zu bytes is too small for %u sectors", size,
		     count);
	precondition(!in_interrupt(), "requests sleep: tasks only, not interrupt context");
	return transfer(disk, T_IN, sector, count, buf, NULL);
}

enum err virtio_blk_write(struct virtio_blk *disk, uint64_t sector, uint32_t count, const void *buf, size_t size)
{
	precondition(disk != NULL && buf != NULL, "disk and buf must not be NULL");
	precondition(size / VIRTIO_BLK_SECTOR >= count, "a buffer of %zu bytes is too small for %u sectors", size,
		     count);
	precondition(!in_interrupt(), "requests sleep: tasks only, not interrupt context");
	if (disk->read_only)
		return ERR_DENIED;
	return transfer(disk, T_OUT, sector, count, NULL, buf);
}

enum err virtio_blk_flush(struct virtio_blk *disk)
{
	precondition(disk != NULL, "disk must not be NULL");
	precondition(!in_interrupt(), "requests sleep: tasks only, not interrupt context");
	if (!disk->can_flush)
		return ERR_OK;
	enum err e;
	struct slot *s = take_slot(disk, &e);
	if (!s)
		return e;
	e = request(disk, s, T_FLUSH, 0, 0);
	release_slot(disk, s, e);
	return e;
}
