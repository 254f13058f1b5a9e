// A driver for QEMU's teaching PCI device "edu" (run QEMU with -device edu): find it, map its
// registers, check that it lives, let it compute a factorial, and copy a buffer through its DMA
// engine, to the device and back. No port, address or register is reached but through a window
// or a DMA object the frame checks.
#include <frame/frame.h>

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8
#define REG_ID 0x00	   // 0xRRrr00ed: major and minor version
#define REG_LIVENESS 0x04  // reads back what was written, inverted
#define REG_FACTORIAL 0x08 // write n; reads n! once the status says done
#define REG_STATUS 0x20
#define STATUS_COMPUTING 0x01
#define REG_DMA_SOURCE 0x80
#define REG_DMA_DEST 0x88
#define REG_DMA_COUNT 0x90
#define REG_DMA_COMMAND 0x98
#define DMA_START 0x1
#define DMA_TO_RAM 0x2	       // else from RAM to the device
#define EDU_DMA_BUFFER 0x40000 // the device's own 4 KiB buffer, in its address space

static struct io_mem *regs;

// Busy-wait (at most a second) until (register & mask) is 0.
static void wait_clear(uint64_t reg, uint32_t mask)
{
	uint64_t until = time_now_ns() + 1000000000ull;
	while (io_mem_read32(regs, reg) & mask)
		if (time_now_ns() > until)
			panic("edu: register 0x%llx stays busy", (unsigned long long)reg);
}

// One DMA transfer of len bytes between RAM (a device address) and the device's buffer.
static void dma(uint64_t ram, size_t len, bool to_ram)
{
	io_mem_write64(regs, REG_DMA_SOURCE, to_ram ? EDU_DMA_BUFFER : ram);
	io_mem_write64(regs, REG_DMA_DEST, to_ram ? ram : EDU_DMA_BUFFER);
	io_mem_write64(regs, REG_DMA_COUNT, len);
	io_mem_write64(regs, REG_DMA_COMMAND, DMA_START | (to_ram ? DMA_TO_RAM : 0));
	wait_clear(REG_DMA_COMMAND, DMA_START);
}

void kernel_main(void)
{
	struct pci_device *edu = pci_find(EDU_VENDOR, EDU_DEVICE, NULL);
	if (!edu)
		panic("no edu device: run QEMU with -device edu");
	struct pci_info info = pci_device_info(edu);
	if (pci_bar_map(&regs, edu, 0) != ERR_OK) // BAR 0: 1 MiB of registers
		panic("cannot map edu's registers");
	uint32_t id = io_mem_read32(regs, REG_ID);
	console_printf("edu %02x:%02x.%x, version %u.%u\n", info.bus, info.slot, info.function, id >> 24,
		       (id >> 16) & 0xff);

	io_mem_write32(regs, REG_LIVENESS, 0x12345678);
	console_printf("liveness: 0x%08x\n", io_mem_read32(regs, REG_LIVENESS));

	io_mem_write32(regs, REG_FACTORIAL, 10);
	wait_clear(REG_STATUS, STATUS_COMPUTING);
	console_printf("10! = %u\n", io_mem_read32(regs, REG_FACTORIAL));

	struct dma_buffer *buf; // out and back through a coherent buffer
	if (dma_buffer_alloc(&buf, edu, 4096) != ERR_OK)
		panic("no memory for DMA");
	dma_buffer_write(buf, 0, "frame to edu and back", 22);
	dma(dma_buffer_device_addr(buf), 22, false);
	dma_buffer_write(buf, 0, "----------------------", 22);
	dma(dma_buffer_device_addr(buf), 22, true);
	char text[22];
	dma_buffer_read(buf, 0, text, sizeof(text));
	console_printf("dma: %s\n", text);
	dma_buffer_free(buf);

	struct segment seg; // a segment of the kernel's own, lent for one transfer
	struct dma_mapping *map;
	if (segment_alloc(&seg, 1, 1, FRAME_ALLOC_ZEROED) != ERR_OK ||
	    dma_map(&map, edu, seg, DMA_FROM_DEVICE) != ERR_OK)
		panic("no memory for DMA");
	dma_sync_for_device(map);
	dma(dma_mapping_device_addr(map), 22, true);
	dma_sync_for_cpu(map);
	segment_read(seg, 0, text, sizeof(text));
	console_printf("segment: %s\n", text);
	dma_unmap(map);
	segment_put(seg);
	io_mem_release(regs);
}
