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
_Static_assert(VIRTIO_BLK_IN_FLIGHT <= VIRTIO_SLOTS_MAX, "a slot per request in flight");

struct virtio_blk {
	struct virtio_device *vd;
	struct virtqueue *q;
	struct dma_buffer *meta;
	uint64_t capacity;
	bool read_only, can_flush;
	struct spinlock lock;
	struct wait_queue wq;
	struct virtio_slots req;		       /* the requests in flight */
	struct dma_buffer *data[VIRTIO_BLK_IN_FLIGHT]; /* slot i's data */
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

/* Interrupt context: take back what the device finished and wake the tasks. */
static void on_interrupt(void *ctx)
{
	struct virtio_blk *disk = ctx;
	spin_lock(&disk->lock);
	virtio_slots_answer(&disk->req, disk->q);
	spin_unlock(&disk->lock);
	wait_queue_wake_all(&disk->wq);
}

static void undo(struct virtio_blk *disk)
{
	if (disk->vd)
		virtio_close(disk->vd); /* first: the device lets go of the buffers */
	for (unsigned i = 0; i < VIRTIO_BLK_IN_FLIGHT; i++)
		if (disk->data[i])
			dma_buffer_free(disk->data[i]);
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
	unsigned slots = e == ERR_OK ? virtqueue_size(disk->q) / 3 : 0; /* header, data, status */
	if (slots > VIRTIO_BLK_IN_FLIGHT)
		slots = VIRTIO_BLK_IN_FLIGHT;
	if (e == ERR_OK && slots == 0) {
		log_warn("virtio-blk: a queue of %u entries holds no request", virtqueue_size(disk->q));
		e = ERR_UNSUPPORTED;
	}
	if (e == ERR_OK)
		virtio_slots_init(&disk->req, slots, &disk->lock, &disk->wq);
	if (e == ERR_OK)
		e = dma_buffer_alloc(&disk->meta, dev, META * VIRTIO_BLK_IN_FLIGHT);
	for (unsigned i = 0; i < slots && e == ERR_OK; i++)
		e = dma_buffer_alloc(&disk->data[i], dev, VIRTIO_BLK_MAX_REQUEST);
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
	return disk->req.peak;
}

/* One request of type with len bytes of data in slot i (its data already there for T_OUT).
 * ERR_TIMEOUT means the slot is left to the device: virtio_slot_release() leaves it so. */
static enum err request(struct virtio_blk *disk, unsigned i, uint32_t type, uint64_t sector, uint32_t len)
{
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
		bufs[n++] = (struct virtio_buf){dma_buffer_device_addr(disk->data[i]), len, type == T_IN};
	bufs[n++] = (struct virtio_buf){meta + 16, 1, true};
	enum err e = virtio_slot_run(&disk->req, i, disk->q, bufs, n, TIMEOUT); /* three entries a slot */
	if (e == ERR_TIMEOUT)
		log_warn("virtio-blk: no answer to a request for sector %llu", (unsigned long long)sector);
	uint32_t expect = type == T_IN ? len + 1 : 1;
	if (e == ERR_OK && disk->req.slot[i].len != expect) {
		log_warn("virtio-blk: the device wrote %u bytes for a request of %u", disk->req.slot[i].len, expect);
		e = ERR_IO;
	}
	if (e == ERR_OK) {
		dma_buffer_read(disk->meta, META * i + 16, &status, 1);
		e = status == S_OK ? ERR_OK : status == S_UNSUPP ? ERR_UNSUPPORTED : ERR_IO;
	}
	return e;
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
		unsigned i;
		if ((e = virtio_slot_take(&disk->req, &i, TIMEOUT)) != ERR_OK)
			break;
		if (out)
			dma_buffer_write(disk->data[i], 0, out + at, len);
		e = request(disk, i, type, sector + done, len);
		if (e == ERR_OK && in)
			dma_buffer_read(disk->data[i], 0, in + at, len);
		virtio_slot_release(&disk->req, i, e);
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
	unsigned i;
	enum err e = virtio_slot_take(&disk->req, &i, TIMEOUT);
	if (e != ERR_OK)
		return e;
	e = request(disk, i, T_FLUSH, 0, 0);
	virtio_slot_release(&disk->req, i, e);
	return e;
}
