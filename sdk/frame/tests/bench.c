/*
 * Benchmarks of frame internals, printed as "bench: <what> <figure>" lines for make bench, and
 * for the rows of make bench's frame/floor table also as "figure: <row> <median> ns ..." lines
 * (docs/performance.md).
 * Linked only into tests/kernels/bench (with the other frame test objects), never into libframe.a.
 */
#include <frame/console.h>
#include <frame/boot.h>
#include <frame/mm.h>
#include <frame/user.h>
#include <frame/vm.h>
#include <frame/panic.h>
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/x86.h"
#include "mm/frame_alloc.h"
#include "timer/clock.h"
#include "core/trace.h"
#include <frame/irq.h>
#include <frame/sync.h>
#include <frame/task.h>
#include <frame/timer.h>

#define RUNS 1001

void frame_bench_run(const unsigned char *null_syscall, size_t size, uint64_t base, bool rows_only);
void frame_bench_drivers(void);

static uint64_t samples[RUNS];
static uint64_t tsc_hz;

static void sort(uint64_t *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

/* TSC cycles as tenths of nanoseconds */
static uint64_t tenths_of_ns(uint64_t cycles)
{
	return (cycles * 10000000000ull + tsc_hz / 2) / tsc_hz;
}

/* The human line, and with `key` the figure contract's line: "figure: key median ns (runs, min, max)". */
static void report_row(const char *what, const char *key)
{
	sort(samples, RUNS);
	uint64_t median = samples[RUNS / 2];
	console_printf("bench: %-50s median %6llu ns %8llu cycles (%d runs)\n", what,
		       (unsigned long long)(median * 1000000000ull / tsc_hz), (unsigned long long)median, RUNS);
	if (!key)
		return;
	uint64_t m = tenths_of_ns(median), lo = tenths_of_ns(samples[0]), hi = tenths_of_ns(samples[RUNS - 1]);
	console_printf("figure: %s %llu.%llu ns (%d runs, min %llu.%llu, max %llu.%llu)\n", key,
		       (unsigned long long)(m / 10), (unsigned long long)(m % 10), RUNS, (unsigned long long)(lo / 10),
		       (unsigned long long)(lo % 10), (unsigned long long)(hi / 10), (unsigned long long)(hi % 10));
}

static void report(const char *what)
{
	report_row(what, NULL);
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
	report_row("frame_write of 4 KiB", "frame_write_4k");
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

/* The same through the range calls, 64 pages at a time, per page: what one call saves. */
static void bench_map_unmap_range(void)
{
	enum { PAGES = 64 };
	struct vm_space *space;
	struct frame f[PAGES];
	if (vm_space_create(&space) != ERR_OK || frame_alloc(&f[0], 0) != ERR_OK)
		panic("bench: out of memory");
	for (int i = 1; i < PAGES; i++)
		f[i] = f[0];
	if (vm_space_map_range(space, 0x10000, f, PAGES, VM_READ) != ERR_OK ||
	    vm_space_unmap_range(space, 0x10000, PAGES) != ERR_OK)
		panic("bench: map failed"); /* the page tables now exist */
	for (int i = 0; i < RUNS; i++) {
		uint64_t t = rdtsc();
		if (vm_space_map_range(space, 0x10000, f, PAGES, VM_READ | VM_WRITE) != ERR_OK ||
		    vm_space_unmap_range(space, 0x10000, PAGES) != ERR_OK)
			panic("bench: map failed");
		samples[i] = (rdtsc() - t) / PAGES;
	}
	frame_put(f[0]);
	vm_space_destroy(space);
	report("vm_space_map_range + unmap_range, per page of 64");
}

/* A new space with the program image at base. */
static struct vm_space *program_space(const unsigned char *image, size_t size, uint64_t base)
{
	struct vm_space *space;
	struct frame f;
	if (vm_space_create(&space) != ERR_OK || frame_alloc(&f, FRAME_ALLOC_ZEROED) != ERR_OK)
		panic("bench: out of memory");
	frame_write(f, 0, image, size);
	if (vm_space_map(space, base, f, VM_READ | VM_EXEC) != ERR_OK)
		panic("bench: map failed");
	frame_put(f);
	return space;
}

/* user -> kernel -> user through user_mode_run(): one SYSCALL and one SYSRET per run. */
static void bench_null_syscall(const unsigned char *image, size_t size, uint64_t base)
{
	struct vm_space *space = program_space(image, size, base);
	struct user_mode um;
	user_mode_init(&um, space, base, 0);
	for (int i = -1; i < RUNS; i++) { /* the first run enters by IRET: not measured */
		uint64_t t = rdtsc();
		enum user_return why = user_mode_run(&um);
		if (why == USER_RETURN_INTERRUPT || why == USER_RETURN_PREEMPTED) {
			i--; /* the tick came in between: run it again */
			continue;
		}
		if (why != USER_RETURN_SYSCALL)
			panic("bench: the null syscall program faulted");
		if (i >= 0)
			samples[i] = rdtsc() - t;
	}
	vm_space_destroy(space);
	if (trace_enabled())
		report_row("null syscall round trip (user_mode_run)", "null_syscall");
	else
		report("null syscall round trip (user_mode_run), trace off");
}

/* The same program with a fast handler: each call answered in trap context, straight back to
 * user mode. The handler times the round trips, from one call to the next. */
static uint64_t fast_last;
static int fast_runs;
static enum user_fast fast_null(struct user_context *ctx, void *data)
{
	(void)ctx;
	(void)data;
	uint64_t now = rdtsc();
	if (fast_runs >= 0)
		samples[fast_runs] = now - fast_last;
	fast_last = now;
	return ++fast_runs < RUNS ? USER_FAST_DONE : USER_FAST_SLOW;
}

static void bench_null_syscall_fast(const unsigned char *image, size_t size, uint64_t base)
{
	struct vm_space *space = program_space(image, size, base);
	static struct user_mode um;
	user_mode_init(&um, space, base, 0);
	user_mode_set_fast_handler(&um, fast_null, NULL);
	for (int round = 0; round < 1000; round++) { /* a tick in between spoils a round: run it again */
		fast_runs = -1;
		enum user_return why;
		while ((why = user_mode_run(&um)) == USER_RETURN_INTERRUPT || why == USER_RETURN_PREEMPTED)
			fast_runs = -1;
		if (why != USER_RETURN_SYSCALL)
			panic("bench: the null syscall program faulted");
		if (fast_runs >= RUNS)
			break;
	}
	vm_space_destroy(space);
	report_row("null syscall round trip (fast handler)", "null_syscall_fast");
}

/* What user_mode_run() adds to every user entry and exit for the program's floating-point state:
 * one save (in user_trap()) and one restore (before user_enter()), by XSAVE or FXSAVE. */
static void bench_fpu_save_restore(void)
{
	static uint8_t area[USER_FPU_SIZE] __attribute__((aligned(64)));
	for (int i = -1; i < RUNS; i++) {
		uint64_t t = rdtsc();
		clts(); /* the registers are usable (user/user.c keeps CR0.TS set outside user mode) */
		if (cpu_xsave_mask) {
			xsave(area, cpu_xsave_mask);
			xrstor(area, cpu_xsave_mask);
		} else {
			fxsave(area);
			fxrstor(area);
		}
		stts();
		if (i >= 0)
			samples[i] = rdtsc() - t;
	}
	report(cpu_xsave_mask ? "FPU state save + restore (XSAVE + XRSTOR)"
			      : "FPU state save + restore (FXSAVE + FXRSTOR)");
}

/* --- tasks, locks, timers, interrupts ---------------------------------------------------------- */

static volatile bool pong_stop;
static int64_t pong(void *arg)
{
	(void)arg;
	while (!pong_stop)
		task_yield();
	return 0;
}

/* main yields to a partner that yields straight back: two switches per run. */
static void bench_context_switch(void)
{
	struct task *t;
	pong_stop = false;
	if (task_spawn(&t, "pong", pong, NULL, NULL) != ERR_OK)
		panic("bench: out of memory");
	task_yield();
	for (int i = 0; i < RUNS; i++) {
		uint64_t s = rdtsc();
		task_yield();
		samples[i] = (rdtsc() - s) / 2;
	}
	pong_stop = true;
	task_join(t);
	if (trace_enabled())
		report_row("task switch (task_yield ping-pong, per switch)", "task_switch");
	else
		report("task switch (task_yield ping-pong), trace off");
}

static void bench_locks(void)
{
	static struct spinlock spin = SPINLOCK_INIT("bench");
	static struct mutex mutex = MUTEX_INIT("bench");
	for (int i = 0; i < RUNS; i++) {
		uint64_t s = rdtsc();
		spin_lock(&spin);
		spin_unlock(&spin);
		samples[i] = rdtsc() - s;
	}
	report("spin_lock + spin_unlock (uncontended)");
	for (int i = 0; i < RUNS; i++) {
		uint64_t s = rdtsc();
		spin_lock_irqsave(&spin);
		spin_unlock_irqrestore(&spin);
		samples[i] = rdtsc() - s;
	}
	report("spin_lock_irqsave + unlock_irqrestore");
	for (int i = 0; i < RUNS; i++) {
		uint64_t s = rdtsc();
		mutex_lock(&mutex);
		mutex_unlock(&mutex);
		samples[i] = rdtsc() - s;
	}
	report("mutex_lock + mutex_unlock (uncontended)");
}

static struct wait_queue bench_wq = WAIT_QUEUE_INIT("bench");
static volatile uint64_t fired_at;
static void fire(struct timer *t, void *ctx)
{
	(void)t;
	(void)ctx;
	fired_at = rdtsc();
	wait_queue_wake_one(&bench_wq);
}
static bool has_fired(void *ctx)
{
	(void)ctx;
	return fired_at != 0;
}

/* From the timer callback (interrupt context) to the woken task running. */
#define LATENCY_RUNS 201
static void bench_timer_wakeup(void)
{
	static struct timer timer = TIMER_INIT(fire, NULL);
	for (int i = 0; i < LATENCY_RUNS; i++) {
		fired_at = 0;
		timer_start(&timer, NSEC(1), NSEC(0));
		if (wait_queue_wait(&bench_wq, has_fired, NULL, SEC(1)) != ERR_OK)
			panic("bench: the timer never fired");
		samples[i] = rdtsc() - fired_at;
	}
	for (int i = LATENCY_RUNS; i < RUNS; i++)
		samples[i] = samples[i % LATENCY_RUNS];
	report("timer callback -> woken task runs");
}

static void nothing(void *ctx)
{
	(void)ctx;
}

/* A self-IPI: the local APIC's interrupt, the entry stub, dispatch, an empty handler, EOI, iret. */
static void bench_irq(void)
{
	struct irq_line *line;
	if (irq_line_alloc(&line) != ERR_OK)
		panic("bench: no interrupt line");
	irq_line_attach(line, nothing, NULL);
	irq_line_enable(line);
	for (int i = 0; i < RUNS; i++) {
		uint64_t s = rdtsc();
		if (irq_line_raise(line) != ERR_OK) {
			console_printf("bench: IRQ entry + exit: no local APIC, not measured\n");
			irq_line_free(line);
			return;
		}
		samples[i] = rdtsc() - s;
	}
	irq_line_free(line);
	report_row("IRQ entry + exit (self-IPI, empty handler)", "irq");
}

/* Every benchmark; with rows_only, only those of make bench's frame/floor table, quickly. */
void frame_bench_run(const unsigned char *null_syscall, size_t size, uint64_t base, bool rows_only)
{
	tsc_hz = clock_tsc_hz();
	if (rows_only) {
		bench_frame_write();
		bench_null_syscall(null_syscall, size, base);
		bench_null_syscall_fast(null_syscall, size, base);
		bench_context_switch();
		bench_irq();
		return;
	}
	console_printf("bench: TSC %llu MHz (calibrated at boot: timer/calibrate.c)\n",
		       (unsigned long long)(tsc_hz / 1000000));
	console_printf("bench: page metadata %zu bytes per 4 KiB page (Linux's struct page: 64)\n",
		       sizeof(struct page_meta));
	console_printf("bench: free after boot %zu KiB of %llu KiB usable\n", frame_free_count() * 4,
		       (unsigned long long)(boot_usable_memory() / 1024));
	bench_frame_alloc_free();
	bench_frame_write();
	bench_map_unmap();
	bench_map_unmap_range();
	bench_null_syscall(null_syscall, size, base);
	bench_null_syscall_fast(null_syscall, size, base);
	bench_fpu_save_restore();
	bench_context_switch();
	trace_enable(false); /* what tracing costs (core/trace.c): the same two rows without it */
	bench_null_syscall(null_syscall, size, base);
	bench_context_switch();
	trace_enable(true);
	bench_locks();
	bench_timer_wakeup();
	bench_irq();
	frame_bench_drivers();
}
