// Prints the frame's benchmark figures ("bench: ..." lines) and, with a virtio disk, the
// virtio-blk driver's sequential read speed and, with a virtio network card, how many frames a
// second virtio-net sends; then powers off.
#include <drivers/virtio_blk.h>
#include <drivers/virtio_net.h>
#include <frame/frame.h>

#include "user_programs.h"

// In the frame's test objects, linked by tests/kernels/bench/Makefile.
void frame_bench_run(const unsigned char *null_syscall, size_t size, uint64_t base);

// Read the first `total` bytes of the disk in requests of `request` bytes; print MB/s.
static void bench_disk_read(struct virtio_blk *disk, uint8_t *buf, uint64_t total, uint32_t request)
{
	uint32_t count = request / VIRTIO_BLK_SECTOR;
	uint64_t start = time_now_ns();
	for (uint64_t s = 0; s < total / VIRTIO_BLK_SECTOR; s += count)
		if (virtio_blk_read(disk, s, count, buf, request) != ERR_OK)
			panic("bench: virtio-blk read failed");
	uint64_t ns = time_now_ns() - start;
	console_printf("bench: virtio-blk sequential read, %u KiB requests: %llu MB/s (%llu MiB)\n", request / 1024,
		       (unsigned long long)(total * 1000 / (ns ? ns : 1)), (unsigned long long)(total >> 20));
}

static void bench_disk(void)
{
	struct pci_device *dev = virtio_blk_find(NULL);
	struct virtio_blk *disk;
	uint8_t *buf = heap_alloc(VIRTIO_BLK_MAX_REQUEST);
	if (!dev || !buf || virtio_blk_init(&disk, dev) != ERR_OK) {
		console_printf("bench: virtio-blk: no disk (make bench gives one)\n");
		heap_free(buf);
		return;
	}
	uint64_t total = virtio_blk_capacity(disk) * VIRTIO_BLK_SECTOR;
	if (total > 64u << 20)
		total = 64u << 20;
	bench_disk_read(disk, buf, total, 4096);
	bench_disk_read(disk, buf, total, VIRTIO_BLK_MAX_REQUEST);
	heap_free(buf);
}

#define NET_FRAMES 5000

// NET_FRAMES broadcast frames of len bytes, each sent when the last was taken (the blocking API).
static void bench_net_send(struct virtio_net *net, uint8_t *frame, size_t len)
{
	struct virtio_net_addr mac = virtio_net_mac(net);
	memset(frame, 0xff, 6);
	memcpy(frame + 6, mac.bytes, 6);
	frame[12] = 0x88; // the local experimental EtherType 0x88b5
	frame[13] = 0xb5;
	uint64_t start = time_now_ns();
	for (unsigned i = 0; i < NET_FRAMES; i++)
		if (virtio_net_send(net, frame, len) != ERR_OK)
			panic("bench: virtio-net send failed");
	uint64_t ns = time_now_ns() - start;
	console_printf("bench: virtio-net send, %zu-byte frames: %llu frames/s (%u frames)\n", len,
		       (unsigned long long)(NET_FRAMES * 1000000000ull / (ns ? ns : 1)), NET_FRAMES);
}

static void bench_net(void)
{
	struct pci_device *dev = virtio_net_find(NULL);
	struct virtio_net *net;
	uint8_t *frame = heap_zalloc(VIRTIO_NET_FRAME_MAX);
	if (!dev || !frame || virtio_net_open(&net, dev) != ERR_OK) {
		console_printf("bench: virtio-net: no network card (make bench gives one)\n");
		heap_free(frame);
		return;
	}
	bench_net_send(net, frame, 64);
	bench_net_send(net, frame, 1500);
	heap_free(frame);
}

void kernel_main(void)
{
	frame_bench_run(user_program_null_syscall, user_program_null_syscall_size, USER_PROGRAM_BASE);
	bench_disk();
	bench_net();
}
