/*
 * Benchmarks of frame internals, printed as "bench: <what> <figure>" lines for make bench.
 * Linked only into tests/kernels/bench (with the other frame test objects), never into libframe.a.
 */
#include <frame/console.h>
#include <frame/boot.h>
#include <frame/mm.h>
#include <frame/user.h>
#include <frame/vm.h>
#include <frame/panic.h>
#include "arch/x86_64/x86.h"
#include "mm/frame.h"

#define RUNS 1001
#define PIT_HZ 1193182u

void frame_bench_run(const unsigned char *null_syscall, size_t size, uint64_t base);

static uint64_t samples[RUNS];
static uint64_t tsc_hz;

/* TSC ticks per second, measured over 50 ms of PIT channel 2 (gate on, speaker off). */
static uint64_t calibrate_tsc(void)
{
	uint16_t count = PIT_HZ / 20;
	outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01));
	outb(0x43, 0xb0); /* channel 2, lobyte/hibyte, mode 0: output goes high at terminal count */
	outb(0x42, count & 0xff);
	outb(0x42, count >> 8);
	uint64_t start = rdtsc();
	while (!(inb(0x61) & 0x20))
		;
	return (rdtsc() - start) * 20;
}

static void sort(uint64_t *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

static void report(const char *what)
{
	sort(samples, RUNS);
	uint64_t median = samples[RUNS / 2];
	console_printf("bench: %-36s median %6llu ns %8llu cycles (%d runs)\n", what,
		       (unsigned long long)(median * 1000000000ull / tsc_hz), (unsigned long long)median, RUNS);
}

static void bench_frame_alloc_free(void)
{
	for (int i = 0; i < RUNS; i++) {
		struct frame f;
		uint64_t t = rdtsc();
		if (frame_alloc(&f, 0) != ERR_OK)
			panic("bench: out of memory");
		frame_put(f);
		samples[i] = rdtsc() - t;
	}
	report("frame_alloc + frame_put (one page)");
}

static void bench_frame_write(void)
{
	static char page[PAGE_SIZE];
	struct frame f;
	if (frame_alloc(&f, 0) != ERR_OK)
		panic("bench: out of memory");
	for (int i = 0; i < RUNS; i++) {
		uint64_t t = rdtsc();
		frame_write(f, 0, page, sizeof(page));
		samples[i] = rdtsc() - t;
	}
	frame_put(f);
	report("frame_write of 4 KiB");
}

static void bench_map_unmap(void)
{
	struct vm_space *space;
	struct frame f;
	if (vm_space_create(&space) != ERR_OK || frame_alloc(&f, 0) != ERR_OK)
		panic("bench: out of memory");
	if (vm_space_map(space, 0x10000, f, VM_READ) != ERR_OK || vm_space_unmap(space, 0x10000) != ERR_OK)
		panic("bench: map failed"); /* the page tables now exist: measure the mapping itself */
	for (int i = 0; i < RUNS; i++) {
		uint64_t t = rdtsc();
		if (vm_space_map(space, 0x10000, f, VM_READ | VM_WRITE) != ERR_OK ||
		    vm_space_unmap(space, 0x10000) != ERR_OK)
			panic("bench: map failed");
		samples[i] = rdtsc() - t;
	}
	frame_put(f);
	vm_space_destroy(space);
	report("vm_space_map + vm_space_unmap (one page)");
}

/* user -> kernel -> user through user_mode_run(): one SYSCALL and one SYSRET per run. */
static void bench_null_syscall(const unsigned char *image, size_t size, uint64_t base)
{
	struct vm_space *space;
	struct frame f;
	if (vm_space_create(&space) != ERR_OK || frame_alloc(&f, FRAME_ALLOC_ZEROED) != ERR_OK)
		panic("bench: out of memory");
	frame_write(f, 0, image, size);
	if (vm_space_map(space, base, f, VM_READ | VM_EXEC) != ERR_OK)
		panic("bench: map failed");
	frame_put(f);
	struct user_mode um;
	user_mode_init(&um, space, base, 0);
	for (int i = -1; i < RUNS; i++) { /* the first run enters by IRET: not measured */
		uint64_t t = rdtsc();
		if (user_mode_run(&um) != USER_RETURN_SYSCALL)
			panic("bench: the null syscall program faulted");
		if (i >= 0)
			samples[i] = rdtsc() - t;
	}
	vm_space_destroy(space);
	report("null syscall round trip (user_mode_run)");
}

void frame_bench_run(const unsigned char *null_syscall, size_t size, uint64_t base)
{
	tsc_hz = calibrate_tsc();
	console_printf("bench: TSC %llu MHz (calibrated against the PIT)\n", (unsigned long long)(tsc_hz / 1000000));
	console_printf("bench: page metadata %zu bytes per 4 KiB page (Linux's struct page: 64)\n",
		       sizeof(struct page_meta));
	console_printf("bench: free after boot %zu KiB of %llu KiB usable\n", frame_free_count() * 4,
		       (unsigned long long)(boot_usable_memory() / 1024));
	bench_frame_alloc_free();
	bench_frame_write();
	bench_map_unmap();
	bench_null_syscall(null_syscall, size, base);
}
