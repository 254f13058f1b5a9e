// A disk through the SDK's virtio-blk driver (<drivers/virtio_blk.h>): find the virtio disk,
// print its capacity and the text in sector 0, write a line to sector 1 and read it back, flush.
// Run QEMU with -device virtio-blk-pci,drive=d0 -drive if=none,id=d0,file=IMAGE,format=raw
// (make run EXAMPLE=disk does, with an image it makes under build/, or DISK=path).
#include <drivers/virtio_blk.h>
#include <frame/frame.h>

#define LINE "Written by the frame's disk example.\n"

static struct virtio_blk *disk;
static char sector[VIRTIO_BLK_SECTOR];

// Stop with the error's name if a request failed: every call's result must be checked.
static void check(enum err e, const char *what)
{
	if (e != ERR_OK)
		panic("disk: %s: %s", what, err_name(e));
}

// Print the text at the start of the sector, up to its first NUL or newline.
static void print_text(uint64_t n)
{
	size_t len = 0;
	while (len < sizeof(sector) && sector[len] && sector[len] != '\n')
		len++;
	console_printf("sector %llu: %.*s\n", (unsigned long long)n, (int)len, sector);
}

void kernel_main(void)
{
	struct pci_device *dev = virtio_blk_find(NULL);
	if (!dev)
		panic("no virtio disk: run QEMU with -device virtio-blk-pci (make run EXAMPLE=disk)");
	check(virtio_blk_init(&disk, dev), "virtio_blk_init");
	struct pci_info info = pci_device_info(dev);
	uint64_t sectors = virtio_blk_capacity(disk);
	console_printf("virtio disk %02x:%02x.%x: %llu sectors of %u bytes (%llu KiB)\n", info.bus, info.slot,
		       info.function, (unsigned long long)sectors, VIRTIO_BLK_SECTOR,
		       (unsigned long long)(sectors * VIRTIO_BLK_SECTOR / 1024));
	if (sectors < 2)
		panic("disk: %llu sectors are too few for this example", (unsigned long long)sectors);

	check(virtio_blk_read(disk, 0, 1, sector, sizeof(sector)), "read sector 0");
	print_text(0);

	memset(sector, 0, sizeof(sector)); // the line, then zeros to the end of the sector
	memcpy(sector, LINE, sizeof(LINE) - 1);
	check(virtio_blk_write(disk, 1, 1, sector, sizeof(sector)), "write sector 1");
	memset(sector, 0, sizeof(sector));
	check(virtio_blk_read(disk, 1, 1, sector, sizeof(sector)), "read sector 1");
	print_text(1);

	check(virtio_blk_flush(disk), "flush"); // on the host's file before the power goes off
	console_printf("flushed; powering off\n");
}
