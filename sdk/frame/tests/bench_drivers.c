/*
 * Benchmarks of the driver layer, each beside its floor (the bare instruction the window stands
 * for, measured in the same run): a port in + out round trip, a 32-bit MMIO read, an MSI from
 * QEMU's edu device to its handler, and a 4 KiB DMA transfer by edu (make bench boots with
 * -device edu). Linked only into tests/kernels/bench.
 */
#include <frame/console.h>
#include <frame/dma.h>
#include <frame/io.h>
#include <frame/irq.h>
#include <frame/pci.h>
#include <frame/panic.h>
#include "arch/x86_64/x86.h"
#include "mm/kernel_area.h"
#include "mm/page_table.h"
#include "pci/pci.h"
#include "timer/clock.h"

#define RUNS 1001
#define EDU_LIVENESS 0x04
#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64
#define EDU_DMA_SOURCE 0x80
#define EDU_DMA_DEST 0x88
#define EDU_DMA_COUNT 0x90
#define EDU_DMA_COMMAND 0x98
#define EDU_DMA_BUFFER 0x40000

void frame_bench_drivers(void);

static uint64_t samples[RUNS];

static uint64_t median(void)
{
	for (size_t i = 1; i < RUNS; i++) /* insertion sort: RUNS is small */
		for (size_t j = i; j && samples[j - 1] > samples[j]; j--) {
			uint64_t t = samples[j];
			samples[j] = samples[j - 1];
			samples[j - 1] = t;
		}
	return samples[RUNS / 2];
}

/* One line: the frame's figure, the floor's, and their ratio. */
static void report(const char *what, uint64_t frame, uint64_t floor)
{
	uint64_t hz = clock_tsc_hz();
	console_printf("bench: %-50s median %6llu ns, floor %6llu ns (%llu.%02llu x)\n", what,
		       (unsigned long long)(frame * 1000000000ull / hz),
		       (unsigned long long)(floor * 1000000000ull / hz),
		       (unsigned long long)(frame / (floor ? floor : 1)),
		       (unsigned long long)(frame * 100 / (floor ? floor : 1) % 100));
}

static void bench_ports(void)
{
	struct io_ports *cmos;
	if (io_ports_acquire(&cmos, 0x70, 2, IO_PORTS_READ_WRITE) != ERR_OK)
		panic("bench: no CMOS ports");
	for (int i = 0; i < RUNS; i++) {
		uint64_t t = rdtsc();
		io_out8(cmos, 0, 0x00);
		(void)io_in8(cmos, 1);
		samples[i] = rdtsc() - t;
	}
	uint64_t frame = median();
	for (int i = 0; i < RUNS; i++) {
		uint64_t t = rdtsc();
		outb(0x70, 0x00);
		(void)inb(0x71);
		samples[i] = rdtsc() - t;
	}
	report("port out + in round trip (CMOS index, data)", frame, median());
	io_ports_release(cmos);
}

static void bench_mmio(struct pci_device *edu, struct io_mem *regs)
{
	for (int i = 0; i < RUNS; i++) {
		uint64_t t = rdtsc();
		(void)io_mem_read32(regs, EDU_LIVENESS);
		samples[i] = rdtsc() - t;
	}
	uint64_t frame = median();
	volatile uint32_t *raw = kernel_area_map_mmio(edu->bar_phys[0] + EDU_LIVENESS, 4, "the benchmark's floor");
	if (!raw)
		panic("bench: cannot map edu for the floor");
	for (int i = 0; i < RUNS; i++) {
		uint64_t t = rdtsc();
		(void)*raw;
		samples[i] = rdtsc() - t;
	}
	report("MMIO 32-bit read (edu's liveness register)", frame, median());
}

static struct io_mem *edu_regs;
static volatile uint64_t fired_at;

static bool on_edu(void *ctx)
{
	(void)ctx;
	fired_at = rdtsc();
	io_mem_write32(edu_regs, EDU_IRQ_ACK, io_mem_read32(edu_regs, EDU_IRQ_STATUS));
	return true;
}

static bool on_raise(void *ctx)
{
	(void)ctx;
	fired_at = rdtsc();
	return true;
}

/* The time from t to the handler's first instruction; a second at most. */
static uint64_t until_fired(uint64_t t)
{
	while (!fired_at)
		if (rdtsc() - t > clock_tsc_hz())
			panic("bench: the interrupt never came");
	return fired_at - t;
}

/* From the write to edu's "raise interrupt" register to its MSI handler; the floor is the same
 * way without the device: a self-IPI (irq_line_raise()) to a handler. */
static void bench_msi(struct pci_device *edu, struct io_mem *regs)
{
	struct irq_line *line, *soft;
	if (pci_irq_alloc(&line, edu, PCI_IRQ_MSI) != ERR_OK) {
		console_printf("bench: no MSI for edu (no local APIC?): MSI figure skipped\n");
		return;
	}
	if (irq_line_alloc(&soft) != ERR_OK)
		panic("bench: no interrupt line");
	edu_regs = regs;
	irq_line_attach_shared(line, on_edu, NULL);
	irq_line_enable(line);
	irq_line_attach_shared(soft, on_raise, NULL);
	irq_line_enable(soft);
	for (int i = 0; i < RUNS; i++) {
		fired_at = 0;
		uint64_t t = rdtsc();
		io_mem_write32(regs, EDU_IRQ_RAISE, 1);
		samples[i] = until_fired(t);
	}
	uint64_t frame = median();
	for (int i = 0; i < RUNS; i++) {
		fired_at = 0;
		uint64_t t = rdtsc();
		if (irq_line_raise(soft) != ERR_OK)
			panic("bench: cannot raise a line");
		samples[i] = until_fired(t);
	}
	report("MSI: edu raise -> handler (floor: self-IPI)", frame, median());
	irq_line_free(soft);
	irq_line_free(line);
}

/* QEMU 7.2's edu refuses a transfer that reaches the last byte of its 4 KiB buffer (an off-by-one
 * in its range check, fatal to QEMU), so the transfer is 4095 bytes. Each takes the device's own
 * 100 ms timer: 11 runs. */
#define DMA_RUNS 11
#define DMA_BYTES 4095

static void bench_dma(struct pci_device *edu, struct io_mem *regs)
{
	struct dma_buffer *buf;
	if (dma_buffer_alloc(&buf, edu, 4096) != ERR_OK)
		panic("bench: no memory for DMA");
	for (int i = 0; i < DMA_RUNS; i++) {
		uint64_t t = rdtsc();
		io_mem_write64(regs, EDU_DMA_SOURCE, EDU_DMA_BUFFER);
		io_mem_write64(regs, EDU_DMA_DEST, dma_buffer_device_addr(buf));
		io_mem_write64(regs, EDU_DMA_COUNT, DMA_BYTES);
		io_mem_write64(regs, EDU_DMA_COMMAND, 0x3); /* start, device to RAM */
		while (io_mem_read64(regs, EDU_DMA_COMMAND) & 1)
			;
		samples[i] = rdtsc() - t;
	}
	for (int i = 1; i < DMA_RUNS; i++) /* insertion sort */
		for (int j = i; j && samples[j - 1] > samples[j]; j--) {
			uint64_t t = samples[j];
			samples[j] = samples[j - 1];
			samples[j - 1] = t;
		}
	console_printf("bench: %-50s median %6llu us (%d runs; edu's own timer paces it)\n",
		       "4095-byte DMA transfer by edu (device to RAM)",
		       (unsigned long long)(samples[DMA_RUNS / 2] * 1000000ull / clock_tsc_hz()), DMA_RUNS);
	dma_buffer_free(buf);
}

void frame_bench_drivers(void)
{
	bench_ports();
	struct pci_device *edu = pci_find(0x1234, 0x11e8, NULL);
	struct io_mem *regs;
	if (!edu || pci_bar_map(&regs, edu, 0) != ERR_OK) {
		console_printf("bench: no edu device (-device edu): MMIO, MSI and DMA figures skipped\n");
		return;
	}
	bench_mmio(edu, regs);
	bench_msi(edu, regs);
	bench_dma(edu, regs);
	io_mem_release(regs);
}
