// A driver for QEMU's teaching PCI device "edu" (run QEMU with -device edu): find it, map its
// registers, let it compute a factorial and copy a buffer through its DMA engine, each job ending
// in an interrupt. Every register, address and interrupt goes through something the frame checks.
#include <frame/frame.h>

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8
#define REG_ID 0x00	   // 0xRRrr00ed: major and minor version
#define REG_FACTORIAL 0x08 // write n; reads n! once done
#define REG_STATUS 0x20
#define STATUS_IRQ 0x80	    // interrupt when the factorial is done
#define REG_IRQ_STATUS 0x24 // why it interrupted
#define REG_IRQ_ACK 0x64
enum { REG_DMA_SOURCE = 0x80, REG_DMA_DEST = 0x88, REG_DMA_COUNT = 0x90, REG_DMA_COMMAND = 0x98 };
enum { DMA_START = 1, DMA_TO_RAM = 2, DMA_IRQ = 4 }; // the command's bits; not TO_RAM: from RAM
#define EDU_DMA_BUFFER 0x40000			     // the device's own 4 KiB buffer, in its address space

static struct io_mem *regs;
static struct semaphore done = SEMAPHORE_INIT("edu done", 0);

// Interrupt context: acknowledge and wake the task. On a shared line, say whether it was edu.
static bool on_interrupt(void *ctx)
{
	(void)ctx;
	uint32_t why = io_mem_read32(regs, REG_IRQ_STATUS);
	if (!why)
		return false;
	io_mem_write32(regs, REG_IRQ_ACK, why);
	sem_up(&done);
	return true;
}

// Sleep until edu's interrupt says it is done (at most a second).
static void wait_for_interrupt(const char *what)
{
	if (sem_down(&done, SEC(1)) != ERR_OK)
		panic("edu: no interrupt after %s", what);
}

// One DMA transfer of len bytes between RAM (a device address) and the device's buffer.
static void dma(uint64_t ram, size_t len, bool to_ram)
{
	io_mem_write64(regs, REG_DMA_SOURCE, to_ram ? EDU_DMA_BUFFER : ram);
	io_mem_write64(regs, REG_DMA_DEST, to_ram ? ram : EDU_DMA_BUFFER);
	io_mem_write64(regs, REG_DMA_COUNT, len);
	io_mem_write64(regs, REG_DMA_COMMAND, DMA_START | DMA_IRQ | (to_ram ? DMA_TO_RAM : 0));
	wait_for_interrupt("a DMA transfer");
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

	struct irq_line *line; // MSI where the machine has it, else INTx
	if (pci_irq_alloc(&line, edu, PCI_IRQ_ANY) != ERR_OK)
		panic("edu cannot interrupt");
	irq_line_attach_shared(line, on_interrupt, NULL);
	irq_line_enable(line);
	console_printf("interrupt by %s\n", pci_irq_kind(line) == PCI_IRQ_MSI ? "MSI" : "INTx");

	io_mem_write32(regs, REG_STATUS, STATUS_IRQ);
	io_mem_write32(regs, REG_FACTORIAL, 10);
	wait_for_interrupt("a factorial");
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
	console_printf("interrupts: %llu\n", (unsigned long long)irq_line_count(line));
	irq_line_free(line);
	io_mem_release(regs);
}
