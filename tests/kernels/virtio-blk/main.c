// The virtio-blk driver (<drivers/virtio_blk.h>) on a disk image that tests/test_virtio_blk.py
// fills with a pattern: sector s holds s (8 bytes, little-endian), then bytes (s + i) & 0xff for
// i = 8..511. Reads it all, writes the first and the last sector, is refused one past the end,
// flushes. The command line picks another case instead: "parallel" keeps 32 requests in flight,
// "io-error" and "read-only" meet a failing and a read-only disk, "hostile" plays a device that
// writes nonsense into the used ring, "small-buffer" is a misuse.
#include <drivers/virtio.h>
#include <drivers/virtio_blk.h>
#include <frame/frame.h>

#define CHUNK 128 // sectors per read: 64 KiB
#define TASKS 32

static struct virtio_blk *disk;
static uint8_t buf[CHUNK * VIRTIO_BLK_SECTOR];

static void check(enum err e, const char *what)
{
	if (e != ERR_OK)
		panic("%s: %s", what, err_name(e));
}

// Does the sector hold the pattern for sector s?
static bool is_pattern(const uint8_t *p, uint64_t s)
{
	uint64_t head;
	memcpy(&head, p, 8);
	for (int i = 8; i < VIRTIO_BLK_SECTOR; i++)
		if (p[i] != (uint8_t)(s + (uint64_t)i))
			return false;
	return head == s;
}

static void read_all(void)
{
	uint64_t cap = virtio_blk_capacity(disk), bad = 0;
	for (uint64_t s = 0; s < cap; s += CHUNK) {
		uint32_t n = cap - s < CHUNK ? (uint32_t)(cap - s) : CHUNK;
		check(virtio_blk_read(disk, s, n, buf, sizeof(buf)), "read");
		for (uint32_t i = 0; i < n; i++)
			bad += !is_pattern(buf + i * VIRTIO_BLK_SECTOR, s + i);
	}
	console_printf("virtio-blk: read %llu sectors, %llu differ from the pattern\n", (unsigned long long)cap,
		       (unsigned long long)bad);
}

// Write a line of text, zero-padded, to one sector, and read it back.
static void write_line(uint64_t sector, const char *text)
{
	char out[VIRTIO_BLK_SECTOR] = {0}, in[VIRTIO_BLK_SECTOR];
	memcpy(out, text, strlen(text));
	check(virtio_blk_write(disk, sector, 1, out, sizeof(out)), "write");
	check(virtio_blk_read(disk, sector, 1, in, sizeof(in)), "read back");
	console_printf("virtio-blk: sector %llu: %s\n", (unsigned long long)sector, in);
}

// Each task reads 64 KiB of its own and checks it; 32 of them at once.
static int64_t reader(void *arg)
{
	uint64_t first = *(const uint64_t *)arg;
	uint8_t *mine = heap_alloc(CHUNK * VIRTIO_BLK_SECTOR);
	if (!mine)
		panic("no memory");
	int64_t bad = 0;
	check(virtio_blk_read(disk, first, CHUNK, mine, CHUNK * VIRTIO_BLK_SECTOR), "parallel read");
	for (int i = 0; i < CHUNK; i++)
		bad += !is_pattern(mine + i * VIRTIO_BLK_SECTOR, first + (uint64_t)i);
	heap_free(mine);
	return bad;
}

static void in_flight(void)
{
	static uint64_t first[TASKS];
	struct task *t[TASKS];
	for (int i = 0; i < TASKS; i++) {
		first[i] = 1 + (uint64_t)i * 1024; // past sector 0, which the test wrote
		check(task_spawn(&t[i], "reader", reader, &first[i], NULL), "spawn");
	}
	int64_t bad = 0;
	for (int i = 0; i < TASKS; i++)
		bad += task_join(t[i]);
	console_printf("virtio-blk: %d parallel reads, %lld sectors differ, at most %u in flight\n", TASKS,
		       (long long)bad, virtio_blk_peak_in_flight(disk));
}

static void case_before_init(void)
{
	struct virtio_blk *never = NULL; // virtio_blk_init() was not called (or failed)
	char sector[VIRTIO_BLK_SECTOR];
	if (virtio_blk_read(never, 0, 1, sector, sizeof(sector)) == ERR_OK)
		console_printf("virtio-blk: read from no disk\n");
}

static void case_small_buffer(void)
{
	char small[VIRTIO_BLK_SECTOR - 1];
	if (virtio_blk_read(disk, 0, 1, small, sizeof(small)) == ERR_OK)
		console_printf("virtio-blk: read into a small buffer\n");
}

// The test plays a hostile device: two chains offered (never notified, so the real device never
// looks), then the used ring written with `n` entries {id, len} and the index `idx`. Prints what
// the driver took back, and whether the queue broke.
struct used {
	uint32_t id, len;
};
static void hostile(struct pci_device *dev, const char *what, const struct used *entries, unsigned n, uint16_t idx)
{
	struct virtio_device *vd;
	struct virtqueue *q;
	struct dma_buffer *data;
	uint64_t features;
	check(virtio_open(&vd, dev, 8), "virtio_open");
	check(virtio_negotiate(vd, 0, &features), "virtio_negotiate");
	check(virtio_queue_create(&q, vd, 0, 8), "virtio_queue_create");
	check(dma_buffer_alloc(&data, dev, 4096), "dma_buffer_alloc");
	static int tokens[2];
	for (int i = 0; i < 2; i++) { // chains of one 16-byte writable buffer: heads 0 and 1
		struct virtio_buf b = {dma_buffer_device_addr(data) + 16u * (unsigned)i, 16, true};
		check(virtqueue_add(q, &b, 1, &tokens[i]), "virtqueue_add");
	}
	size_t used;
	struct dma_buffer *ring = virtqueue_ring_buffer(q, &used);
	dma_buffer_write(ring, used + 4, entries, n * sizeof(*entries));
	dma_buffer_write(ring, used + 2, &idx, sizeof(idx));
	void *token;
	uint32_t len;
	enum err status;
	console_printf("virtio: %s\n", what);
	while (virtqueue_get_used(q, &token, &len, &status))
		console_printf("virtio: chain %d, %u bytes: %s\n", (int)((int *)token - tokens), len, err_name(status));
	struct virtio_buf b = {dma_buffer_device_addr(data), 16, true};
	console_printf("virtio: %s, a new chain: %s\n", virtqueue_broken(q) ? "broken" : "not broken",
		       err_name(virtqueue_add(q, &b, 1, &tokens[0])));
	virtio_close(vd);
	dma_buffer_free(data);
}

static void hostile_cases(struct pci_device *dev)
{
	hostile(dev, "honest", (struct used[]){{1, 16}, {0, 3}}, 2, 2);
	hostile(dev, "a length past the chain", (struct used[]){{0, 17}, {1, 16}}, 2, 2);
	hostile(dev, "an id past the queue", (struct used[]){{8, 16}}, 1, 1);
	hostile(dev, "an id not in flight", (struct used[]){{5, 16}}, 1, 1);
	hostile(dev, "a chain taken back twice", (struct used[]){{0, 16}, {0, 16}}, 2, 2);
	hostile(dev, "an index past the chains in flight", (struct used[]){{0, 16}}, 1, 3);
	hostile(dev, "an index run a queue ahead", (struct used[]){{0, 16}}, 1, 0x8000);
}

void kernel_main(void)
{
	struct pci_device *dev = virtio_blk_find(NULL);
	if (!dev) {
		console_printf("virtio-blk: no device\n");
		return;
	}
	if (strcmp(boot_cmdline(), "hostile") == 0) {
		hostile_cases(dev);
		return;
	}
	struct virtio_device *vd; // the transport alone, opened and closed: its BARs are free again
	check(virtio_open(&vd, dev, 8), "virtio_open");
	virtio_close(vd);
	check(virtio_blk_init(&disk, dev), "virtio_blk_init");
	uint64_t cap = virtio_blk_capacity(disk);
	console_printf("virtio-blk: %llu sectors%s\n", (unsigned long long)cap,
		       virtio_blk_read_only(disk) ? ", read-only" : "");
	if (strcmp(boot_cmdline(), "small-buffer") == 0) {
		case_small_buffer();
		return;
	}
	if (strcmp(boot_cmdline(), "before-init") == 0) {
		case_before_init();
		return;
	}
	if (strcmp(boot_cmdline(), "io-error") == 0) { // the test's disk fails sector 1000
		console_printf("virtio-blk: read sector 999: %s\n", err_name(virtio_blk_read(disk, 999, 1, buf, 512)));
		console_printf("virtio-blk: read sectors 990-1009: %s\n",
			       err_name(virtio_blk_read(disk, 990, 20, buf, sizeof(buf))));
		console_printf("virtio-blk: write sector 1000: %s\n",
			       err_name(virtio_blk_write(disk, 1000, 1, buf, 512)));
		console_printf("virtio-blk: read sector 1001: %s\n",
			       err_name(virtio_blk_read(disk, 1001, 1, buf, 512)));
		return;
	}
	if (strcmp(boot_cmdline(), "read-only") == 0) { // the test's disk is read-only=on
		console_printf("virtio-blk: write sector 1: %s\n", err_name(virtio_blk_write(disk, 1, 1, buf, 512)));
		console_printf("virtio-blk: read sector 1: %s\n", err_name(virtio_blk_read(disk, 1, 1, buf, 512)));
		return;
	}
	if (strcmp(boot_cmdline(), "parallel") == 0) { // on a slow (throttled) disk
		for (int i = 0; i < 8; i++)	       // use up the throttle's first burst
			check(virtio_blk_read(disk, 1, 1, buf, sizeof(buf)), "read");
		in_flight();
		return;
	}
	read_all();
	write_line(0, "first sector, written by the frame");
	write_line(cap - 1, "last sector, written by the frame");
	char sector[VIRTIO_BLK_SECTOR] = "one past the end";
	console_printf("virtio-blk: write past the end: %s\n", err_name(virtio_blk_write(disk, cap, 1, sector, 512)));
	console_printf("virtio-blk: write across the end: %s\n",
		       err_name(virtio_blk_write(disk, cap - 1, 2, buf, sizeof(buf))));
	console_printf("virtio-blk: read past the end: %s\n", err_name(virtio_blk_read(disk, cap, 1, buf, 512)));
	check(virtio_blk_flush(disk), "flush");
	console_printf("virtio-blk: flushed\n");
}
