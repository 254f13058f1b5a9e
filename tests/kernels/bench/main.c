// Prints the frame's benchmark figures ("bench: ..." lines) and, with a virtio disk, the
// virtio-blk driver's sequential read speed; then powers off.
#include <drivers/virtio_blk.h>
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

void kernel_main(void)
{
	frame_bench_run(user_program_null_syscall, user_program_null_syscall_size, USER_PROGRAM_BASE);
	bench_disk();
}
