// Port windows (<frame/io.h>) as a driver meets them. With no command line: every refused range
// is refused with ERR_DENIED and its owner named, windows never overlap, and two real devices
// answer (the CMOS real-time clock and the i8042 keyboard controller). With a command line:
// one misuse, which must panic naming the function, the rule and the caller (a case_* function).
#include <frame/frame.h>

// The first and last port of every range the frame refuses (the table in <frame/io.h>).
static const uint16_t refused[][2] = {
	{0x00, 0x1f},	  {0x20, 0x21},	    {0x22, 0x23},     {0x40, 0x43},   {0x61, 0x61},   {0x81, 0x8f},
	{0x92, 0x92},	  {0xa0, 0xa1},	    {0xb2, 0xb3},     {0xc0, 0xdf},   {0xf4, 0xf7},   {0x3f8, 0x3ff},
	{0x4d0, 0x4d1},	  {0x510, 0x51b},   {0x600, 0x67f},   {0xcc0, 0xce3}, {0xcf8, 0xcff}, {0xae00, 0xae13},
	{0xaf00, 0xaf1f}, {0xafe0, 0xafe3}, {0xb000, 0xb03f},
};

static struct io_ports *acquire(uint16_t base, uint32_t count, enum io_ports_access access)
{
	struct io_ports *w;
	enum err e = io_ports_acquire(&w, base, count, access);
	if (e != ERR_OK)
		panic("io_ports_acquire(0x%x, %u): %s", base, count, err_name(e));
	return w;
}

static void check_refused(void)
{
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		for (int end = 0; end < 2; end++) {
			struct io_ports *w;
			uint16_t port = refused[i][end];
			enum err e = io_ports_acquire(&w, port, 1, IO_PORTS_READ);
			console_printf("io: port 0x%x: %s: %s\n", port, err_name(e), io_ports_owner(port, 1));
		}
		uint16_t after = (uint16_t)(refused[i][1] + 1); // the ranges are exact: the next port is free
		bool next_refused = i + 1 < sizeof(refused) / sizeof(refused[0]) && refused[i + 1][0] == after;
		if (!next_refused && io_ports_owner(after, 1))
			console_printf("io: port 0x%x is refused too: %s\n", after, io_ports_owner(after, 1));
	}
	struct io_ports *w;
	console_printf("io: a range across COM1: %s\n", err_name(io_ports_acquire(&w, 0x3f0, 0x20, IO_PORTS_READ)));
}

// The real-time clock's seconds register, in BCD: 0x00-0x59.
static void read_rtc(void)
{
	struct io_ports *cmos = acquire(0x70, 2, IO_PORTS_READ_WRITE);
	io_out8(cmos, 0, 0x00); // index: seconds
	uint8_t seconds = io_in8(cmos, 1);
	console_printf("io: rtc seconds %s\n", (seconds >> 4) < 6 && (seconds & 0xf) < 10 ? "valid BCD" : "garbage");
	struct io_ports *other;
	console_printf("io: a second window on 0x71: %s\n", err_name(io_ports_acquire(&other, 0x71, 1, IO_PORTS_READ)));
	io_ports_release(cmos);
	cmos = acquire(0x71, 1, IO_PORTS_READ);
	console_printf("io: after release: %s\n", "acquired again");
	io_ports_release(cmos);
}

// The i8042's status register: bit 2 (system flag) is set once the firmware has run its self
// test. Its data (0x60) and command (0x64) ports take two windows: 0x61 between them is the PIT's.
static void read_i8042(void)
{
	struct io_ports *data = acquire(0x60, 1, IO_PORTS_READ), *command = acquire(0x64, 1, IO_PORTS_READ_WRITE);
	console_printf("io: i8042 status system flag %u\n", (io_in8(command, 0) >> 2) & 1);
	io_out8(command, 0, 0x20); // read the command byte: allowed
	(void)io_in8(data, 0);
	io_ports_release(command);
	io_ports_release(data);
}

static void case_outside(void)
{
	io_in8(acquire(0x70, 2, IO_PORTS_READ), 2);
}

static void case_wide(void)
{
	io_in32(acquire(0x70, 2, IO_PORTS_READ), 0);
}

static void case_misaligned(void)
{
	io_in16(acquire(0x2f8, 8, IO_PORTS_READ), 1);
}

static void case_read_only(void)
{
	io_out8(acquire(0x70, 2, IO_PORTS_READ), 0, 0);
}

static void case_released(void)
{
	struct io_ports *w = acquire(0x70, 2, IO_PORTS_READ);
	io_ports_release(w);
	io_in8(w, 0);
}

static void case_i8042_reset(void)
{
	io_out8(acquire(0x64, 1, IO_PORTS_READ_WRITE), 0, 0xfe);
}

static void case_cmos_nmi(void)
{
	io_out8(acquire(0x70, 2, IO_PORTS_READ_WRITE), 0, 0x80);
}

static void case_wrap(void)
{
	struct io_ports *w;
	if (io_ports_acquire(&w, 1, 0xffffffffu, IO_PORTS_READ) == ERR_OK) // 1 + count wraps to 0
		io_ports_release(w);
}

static void case_empty(void)
{
	struct io_ports *w;
	if (io_ports_acquire(&w, 0x300, 0, IO_PORTS_READ) == ERR_OK)
		io_ports_release(w);
}

// --- memory windows and DMA, on QEMU's edu device (-device edu) -------------------------------

static struct pci_device *edu(void)
{
	struct pci_device *dev = pci_find(0x1234, 0x11e8, NULL);
	if (!dev)
		panic("no edu device: run QEMU with -device edu");
	return dev;
}

static struct io_mem *edu_regs(void)
{
	struct io_mem *regs;
	enum err e = pci_bar_map(&regs, edu(), 0);
	if (e != ERR_OK)
		panic("pci_bar_map: %s", err_name(e));
	return regs;
}

static void case_mem_outside(void)
{
	io_mem_read32(edu_regs(), 1 << 20); // BAR 0 is 1 MiB
}

static void case_mem_misaligned(void)
{
	io_mem_read32(edu_regs(), 2);
}

static void case_mem_released(void)
{
	struct io_mem *regs = edu_regs();
	io_mem_release(regs);
	io_mem_read32(regs, 0);
}

static void case_bar_twice(void)
{
	struct io_mem *regs = edu_regs(), *again;
	console_printf("io: a second window on BAR 0: %s\n", err_name(pci_bar_map(&again, edu(), 0)));
	io_mem_release(regs);
	regs = edu_regs();
	console_printf("io: after release: %s\n", "mapped again");
	struct io_ports *ports;
	if (pci_bar_ports(&ports, edu(), 0, IO_PORTS_READ) == ERR_OK) // BAR 0 is memory
		io_ports_release(ports);
}

static void case_dma_bogus_segment(void)
{
	struct segment never = {0};
	struct dma_mapping *map;
	if (dma_map(&map, edu(), never, DMA_TO_DEVICE) == ERR_OK)
		dma_unmap(map);
}

static void case_dma_free_mapped(void)
{
	struct segment seg;
	struct dma_mapping *map;
	if (segment_alloc(&seg, 1, 1, 0) != ERR_OK || dma_map(&map, edu(), seg, DMA_TO_DEVICE) != ERR_OK)
		panic("no memory");
	segment_put(seg); // the device may still read it
}

static void case_dma_outside(void)
{
	struct dma_buffer *buf;
	if (dma_buffer_alloc(&buf, edu(), 100) != ERR_OK)
		panic("no memory");
	dma_buffer_write(buf, 96, "12345", 5);
}

static void case_dma_free_twice(void)
{
	struct dma_buffer *buf;
	if (dma_buffer_alloc(&buf, edu(), 100) != ERR_OK)
		panic("no memory");
	dma_buffer_free(buf);
	dma_buffer_free(buf);
}

static const struct {
	const char *name;
	void (*run)(void);
} cases[] = {
	{"outside", case_outside},
	{"wide", case_wide},
	{"misaligned", case_misaligned},
	{"read-only", case_read_only},
	{"released", case_released},
	{"i8042-reset", case_i8042_reset},
	{"cmos-nmi", case_cmos_nmi},
	{"empty", case_empty},
	{"wrap", case_wrap},
	{"mem-outside", case_mem_outside},
	{"mem-misaligned", case_mem_misaligned},
	{"mem-released", case_mem_released},
	{"bar-twice", case_bar_twice},
	{"dma-bogus-segment", case_dma_bogus_segment},
	{"dma-free-mapped", case_dma_free_mapped},
	{"dma-outside", case_dma_outside},
	{"dma-free-twice", case_dma_free_twice},
};

void kernel_main(void)
{
	const char *how = boot_cmdline();
	if (!*how) {
		check_refused();
		read_rtc();
		read_i8042();
		console_printf("io: done\n");
		return;
	}
	console_printf("io: %s\n", how);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (strcmp(how, cases[i].name) == 0) {
			cases[i].run();
			console_printf("io: case '%s' did not panic\n", how);
			power_off(POWER_EXIT_FAILURE);
		}
	}
	console_printf("io: unknown case '%s'\n", how);
	power_off(POWER_EXIT_FAILURE);
}
