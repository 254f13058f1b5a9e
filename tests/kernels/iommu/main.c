// What QEMU's edu device reaches by DMA: its coherent buffer (a round trip), a segment mapped
// for the device to read only (alone, and beside a mapping for it to write), the address of a
// mapping that was undone, and (with a second edu) the first one's buffer. Each target the
// device must not write holds a canary, and the kernel says whether it is still there. With an
// IOMMU (-M q35 -device intel-iommu) the frame blocks those writes and reports them; without one
// (-M pc) they land, which is what tests/test_iommu.py checks.
#include <frame/frame.h>

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8
#define REG_DMA_SOURCE 0x80
#define REG_DMA_DEST 0x88
#define REG_DMA_COUNT 0x90
#define REG_DMA_COMMAND 0x98
#define DMA_START 0x1
#define DMA_TO_RAM 0x2
#define EDU_DMA_BUFFER 0x40000 // the device's own 4 KiB buffer, in its address space
#define LEN 64		       // bytes a transfer moves
#define CANARY 0xca	       // in what the device must not write
#define SCRIBBLE 0x5a	       // what it is told to write there

static struct io_mem *regs; // the first edu's
static struct pci_device *edu;
static struct dma_buffer *buf; // the kernel's way to put bytes into edu's buffer

// One DMA transfer of LEN bytes between RAM (a device address) and the buffer of the edu whose
// registers are dev; waits (at most a second) until it says it is done, whatever became of it.
static void dma_on(struct io_mem *dev, uint64_t ram, bool to_ram)
{
	io_mem_write64(dev, REG_DMA_SOURCE, to_ram ? EDU_DMA_BUFFER : ram);
	io_mem_write64(dev, REG_DMA_DEST, to_ram ? ram : EDU_DMA_BUFFER);
	io_mem_write64(dev, REG_DMA_COUNT, LEN);
	io_mem_write64(dev, REG_DMA_COMMAND, DMA_START | (to_ram ? DMA_TO_RAM : 0));
	uint64_t until = time_now_ns() + 1000000000ull;
	while (io_mem_read32(dev, REG_DMA_COMMAND) & DMA_START)
		if (time_now_ns() > until)
			panic("edu: the DMA engine stays busy");
}

static void dma(uint64_t ram, bool to_ram)
{
	dma_on(regs, ram, to_ram);
}

// Whether all LEN bytes at the start of seg (or of buf, if seg is NULL) are byte.
static bool all(const struct segment *seg, uint8_t byte)
{
	uint8_t got[LEN];
	if (seg)
		segment_read(*seg, 0, got, LEN);
	else
		dma_buffer_read(buf, 0, got, LEN);
	for (size_t i = 0; i < LEN; i++)
		if (got[i] != byte)
			return false;
	return true;
}

// Fill edu's buffer with byte (through the coherent buffer).
static void edu_fill(uint8_t byte)
{
	uint8_t bytes[LEN];
	memset(bytes, byte, LEN);
	dma_buffer_write(buf, 0, bytes, LEN);
	dma(dma_buffer_device_addr(buf), false);
}

// Fill the first LEN bytes of seg with byte.
static void fill(struct segment seg, uint8_t byte)
{
	uint8_t bytes[LEN];
	memset(bytes, byte, LEN);
	segment_write(seg, 0, bytes, LEN);
}

// A page of the kernel's own, with the canary in it.
static struct segment canary_page(void)
{
	struct segment seg;
	if (segment_alloc(&seg, 1, 1, 0) != ERR_OK)
		panic("no memory");
	fill(seg, CANARY);
	return seg;
}

// Tell edu to write over the canary in seg at device address addr, and say what became of it.
static void scribble(const char *what, struct segment seg, uint64_t addr)
{
	edu_fill(SCRIBBLE);
	console_printf("%s at 0x%llx: the device writes it\n", what, (unsigned long long)addr);
	dma(addr, true);
	console_printf("%s: %s\n", what, all(&seg, CANARY) ? "unchanged" : "overwritten");
}

static void round_trip(void)
{
	char text[22];
	dma_buffer_write(buf, 0, "frame to edu and back", 22);
	dma(dma_buffer_device_addr(buf), false);
	dma_buffer_write(buf, 0, "----------------------", 22);
	dma(dma_buffer_device_addr(buf), true);
	dma_buffer_read(buf, 0, text, sizeof(text));
	console_printf("round trip: %s\n", text);
}

// A mapping to the device: it may read the segment, and (with an IOMMU) not write it. The write
// comes first: QEMU's IOMMU drops a write through a read-only translation it has cached (from
// the device's read) without recording a fault, where hardware records one.
static void read_only(void)
{
	struct segment seg = canary_page();
	struct dma_mapping *map;
	if (dma_map(&map, edu, seg, DMA_TO_DEVICE) != ERR_OK)
		panic("no memory for DMA");
	uint64_t addr = dma_mapping_device_addr(map);
	dma_sync_for_device(map);
	scribble("read-only mapping", seg, addr);
	fill(seg, CANARY);
	dma_sync_for_device(map);
	dma(addr, false); // edu reads the canary, and it comes back through the coherent buffer
	dma_buffer_write(buf, 0, (uint8_t[LEN]){0}, LEN);
	dma(dma_buffer_device_addr(buf), true);
	console_printf("read-only mapping: the device read %s\n", all(NULL, CANARY) ? "it" : "something else");
	dma_unmap(map);
	segment_put(seg);
}

// A segment mapped twice, for the device to read and for it to write: it may write while both
// mappings live, and only read once the second is gone.
static void two_mappings(void)
{
	struct segment seg = canary_page();
	struct dma_mapping *reads, *writes;
	// the writable mapping first: the page's rights are the union, not the last mapping's
	if (dma_map(&writes, edu, seg, DMA_FROM_DEVICE) != ERR_OK || dma_map(&reads, edu, seg, DMA_TO_DEVICE) != ERR_OK)
		panic("no memory for DMA");
	uint64_t addr = dma_mapping_device_addr(reads);
	edu_fill(SCRIBBLE);
	dma(addr, true);
	console_printf("two mappings: %s\n", all(&seg, SCRIBBLE) ? "written" : "not written");
	dma_unmap(writes);
	fill(seg, CANARY);
	scribble("one mapping left", seg, addr);
	fill(seg, CANARY); // (without an IOMMU the scribble landed)
	dma(addr, false);  // the read-only mapping still lets the device read the page
	dma_buffer_write(buf, 0, (uint8_t[LEN]){0}, LEN);
	dma(dma_buffer_device_addr(buf), true);
	console_printf("one mapping left: the device read %s\n", all(NULL, CANARY) ? "it" : "something else");
	dma_unmap(reads);
	segment_put(seg);
}

// An address the device learnt from a mapping that is gone, while the kernel still has the
// memory behind it.
static void stale_address(void)
{
	struct segment seg = canary_page();
	struct dma_mapping *map;
	if (dma_map(&map, edu, seg, DMA_FROM_DEVICE) != ERR_OK)
		panic("no memory for DMA");
	uint64_t addr = dma_mapping_device_addr(map);
	dma_unmap(map);
	scribble("stale address", seg, addr);
	segment_put(seg);
}

// A second edu, with a coherent buffer of its own (so that it may master the bus), told to write
// into the first one's.
static void other_device(void)
{
	struct pci_device *other = pci_find(EDU_VENDOR, EDU_DEVICE, edu);
	struct io_mem *other_regs;
	struct dma_buffer *own;
	if (!other)
		return;
	if (pci_bar_map(&other_regs, other, 0) != ERR_OK || dma_buffer_alloc(&own, other, 4096) != ERR_OK)
		panic("cannot map the second edu's registers or allocate its buffer");
	uint8_t bytes[LEN];
	memset(bytes, SCRIBBLE, LEN);
	dma_buffer_write(own, 0, bytes, LEN);
	dma_on(other_regs, dma_buffer_device_addr(own), false);
	memset(bytes, CANARY, LEN);
	dma_buffer_write(buf, 0, bytes, LEN);
	struct pci_info i = pci_device_info(other);
	console_printf("the other device %02x:%02x.%x writes 0x%llx\n", i.bus, i.slot, i.function,
		       (unsigned long long)dma_buffer_device_addr(buf));
	dma_on(other_regs, dma_buffer_device_addr(buf), true);
	console_printf("the other device: %s\n", all(NULL, CANARY) ? "unchanged" : "overwritten");
	dma_buffer_free(own);
	io_mem_release(other_regs);
}

void kernel_main(void)
{
	edu = pci_find(EDU_VENDOR, EDU_DEVICE, NULL);
	if (!edu)
		panic("no edu device: run QEMU with -device edu");
	if (pci_bar_map(&regs, edu, 0) != ERR_OK || dma_buffer_alloc(&buf, edu, 4096) != ERR_OK)
		panic("cannot map edu's registers or allocate its buffer");
	round_trip();
	read_only();
	two_mappings();
	stale_address();
	other_device();
	dma_buffer_free(buf);
	io_mem_release(regs);
}
