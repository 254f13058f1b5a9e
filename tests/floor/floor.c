/*
 * The floor kernel: what each `make bench` row costs when a kernel does only the essential
 * instructions, in the same QEMU. Prints "figure: <row> <median ns> ns ..." lines (the figure
 * contract, docs/performance.md) and powers off; with the command line word `boot`, powers off
 * at once (the boot row's floor).
 */
#include <stdint.h>
#include <stddef.h>

#include "floor.h"

#define PAGE 4096
#define PTE_P 0x1
#define PTE_W 0x2
#define PTE_U 0x4

typedef uint64_t page_t[512] __attribute__((aligned(PAGE)));

/* boot.S */
extern uint32_t mb_info;
extern uint64_t gdt[];
extern page_t pml4_k, pd_k;
extern char __user_start[], __user_end[];
extern char null_entry[], yield_entry[], yield_touch_entry[], yield_ret_entry[], call_entry[], exit_handler[],
	ipi_handler[], int_handler[], exception_stubs[];
extern char user_null[], user_yield_a[], user_yield_b[], user_map[], user_copy[];
void enter_user(uint64_t rip, uint64_t rsp, uint64_t cr3);
void switch_stack(uint64_t *save, uint64_t next);
void floor_main(void);
void floor_call(uint32_t nr, uint64_t arg);
void floor_exception(const uint64_t *frame) __attribute__((noreturn));

volatile uint8_t irq_seen;

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}
static inline uint64_t read_cr4(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}
static inline void write_cr4(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}
static inline void apic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(uintptr_t)(APIC_VIRT + reg) = v;
}

static __attribute__((noreturn)) void power_off(uint8_t code)
{
	outb(0xf4, code); /* isa-debug-exit: QEMU exits (code << 1) | 1 */
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* --- the serial console ------------------------------------------------------------------------ */

static void putc(char c)
{
	while (!(inb(0x3f8 + 5) & 0x20))
		;
	outb(0x3f8, (uint8_t)c);
}
static void puts(const char *s)
{
	while (*s)
		putc(*s++);
}
static void putu(uint64_t v)
{
	char b[21];
	int i = 20;
	b[i] = 0;
	do
		b[--i] = (char)('0' + v % 10);
	while (v /= 10);
	puts(b + i);
}

static uint64_t tsc_hz;

/* cycles as nanoseconds with one decimal */
static void put_ns(uint64_t cycles)
{
	uint64_t tenths = (cycles * 10000000000ull + tsc_hz / 2) / tsc_hz;
	putu(tenths / 10);
	putc('.');
	putu(tenths % 10);
}

static uint64_t samples[ROUNDS];

/* Print `figure: key median ns (runs, min, max)` of samples[0..ROUNDS), each divided by div. */
static void figure(const char *key, const uint64_t *s, unsigned div)
{
	for (int i = 0; i < ROUNDS; i++)
		samples[i] = s[i] / div;
	for (int i = 1; i < ROUNDS; i++)
		for (int j = i; j && samples[j - 1] > samples[j]; j--) {
			uint64_t t = samples[j];
			samples[j] = samples[j - 1];
			samples[j - 1] = t;
		}
	puts("figure: ");
	puts(key);
	putc(' ');
	put_ns(samples[ROUNDS / 2]);
	puts(" ns (");
	putu(ROUNDS);
	puts(" runs, min ");
	put_ns(samples[0]);
	puts(", max ");
	put_ns(samples[ROUNDS - 1]);
	puts(")\n");
}

void floor_exception(const uint64_t *frame)
{
	puts("floor: exception ");
	putu(frame[0]);
	puts(" error ");
	putu(frame[1]);
	puts(" at rip ");
	putu(frame[2]);
	puts("\n");
	power_off(0x11);
}

/* --- CPU tables -------------------------------------------------------------------------------- */

static struct __attribute__((packed)) {
	uint32_t reserved0;
	uint64_t rsp0;
	uint8_t rest[92];
} tss;
static uint64_t idt[256][2];
static uint8_t interrupt_stack[8192] __attribute__((aligned(16)));
static uint8_t kernel_stack[8192] __attribute__((aligned(16)));

static struct percpu {
	uint64_t kstack, user_rsp, cur;
} percpu;

static void set_gate(int vector, void *handler, int dpl)
{
	uint64_t a = (uint64_t)handler;
	idt[vector][0] =
		(a & 0xffff) | (uint64_t)KERNEL_CS << 16 | (uint64_t)(0x8e | dpl << 5) << 40 | (a >> 16 & 0xffff) << 48;
	idt[vector][1] = a >> 32;
}

static void cpu_init(void)
{
	uint64_t base = (uint64_t)&tss;
	tss.rsp0 = (uint64_t)interrupt_stack + sizeof(interrupt_stack);
	gdt[TSS_SEL / 8] = (sizeof(tss) - 1) | (base & 0xffffff) << 16 | 0x89ull << 40 | (base >> 24 & 0xff) << 56;
	gdt[TSS_SEL / 8 + 1] = base >> 32;
	__asm__ volatile("ltr %w0" : : "r"(TSS_SEL));
	for (int v = 0; v < 32; v++)
		set_gate(v, exception_stubs + 16 * v, 0);
	set_gate(VEC_IPI, ipi_handler, 0);
	set_gate(VEC_INT, int_handler, 0);
	set_gate(VEC_EXIT, exit_handler, 3);
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} idtr = {sizeof(idt) - 1, (uint64_t)idt};
	__asm__ volatile("lidt %0" : : "m"(idtr));
	percpu.kstack = (uint64_t)kernel_stack + sizeof(kernel_stack);
	wrmsr(0xc0000101, (uint64_t)&percpu);					  /* GS base: the kernel's */
	wrmsr(0xc0000102, 0);							  /* kernel GS base: the user's */
	wrmsr(0xc0000081, (uint64_t)KERNEL_DS << 48 | (uint64_t)KERNEL_CS << 32); /* STAR */
	wrmsr(0xc0000084, 0x700);						  /* FMASK: IF, TF, DF */
	outb(0x21, 0xff); /* the legacy PICs: every line masked */
	outb(0xa1, 0xff);
	apic_write(0xf0, 0x1ff); /* the local APIC: software-enabled, spurious vector 0xff */
}

/* The TSC's rate, against 10 ms of PIT channel 2 (gate on, speaker off), as the frame does. */
static void calibrate(void)
{
	uint16_t count = 11932; /* 1193182 Hz * 10 ms */
	outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01));
	outb(0x43, 0xb0); /* channel 2, lobyte/hibyte, mode 0 */
	outb(0x42, count & 0xff);
	uint64_t start = rdtsc();
	outb(0x42, count >> 8);
	while (!(inb(0x61) & 0x20))
		;
	tsc_hz = (rdtsc() - start) * 100;
}

/* --- user address spaces ----------------------------------------------------------------------- */

struct space {
	page_t pml4, pdpt, pd, pt;
	page_t stack, samples[2], buf;
};
static struct space space_a, space_b;
static page_t fresh;	 /* the page "map" hands out */
static page_t kbuf, dst; /* kernel buffers for the copies */

static void space_init(struct space *s)
{
	s->pml4[0] = pml4_k[0]; /* the kernel, supervisor-only */
	s->pml4[1] = (uint64_t)s->pdpt | PTE_P | PTE_W | PTE_U;
	s->pdpt[0] = (uint64_t)s->pd | PTE_P | PTE_W | PTE_U;
	s->pd[0] = (uint64_t)s->pt | PTE_P | PTE_W | PTE_U;
	for (char *p = __user_start; p < __user_end; p += PAGE)
		s->pt[(p - __user_start) / PAGE] = (uint64_t)p | PTE_P | PTE_U;
	s->pt[(USER_STACK_TOP - USER_BASE) / PAGE - 1] = (uint64_t)s->stack | PTE_P | PTE_W | PTE_U;
	for (int i = 0; i < 2; i++)
		s->pt[(USER_SAMPLES - USER_BASE) / PAGE + i] = (uint64_t)s->samples[i] | PTE_P | PTE_W | PTE_U;
	s->pt[(USER_BUF - USER_BASE) / PAGE] = (uint64_t)s->buf | PTE_P | PTE_W | PTE_U;
}

static uint64_t user_va(const char *code)
{
	return USER_CODE + (uint64_t)(code - __user_start);
}

/* Run a user program of space a (CR3 `cr3`) through `entry`; its samples come back in space_a.samples. */
static const uint64_t *run_user(const char *program, const char *entry, uint64_t cr3)
{
	wrmsr(0xc0000082, (uint64_t)entry); /* LSTAR */
	enter_user(user_va(program), USER_STACK_TOP, cr3);
	return (const uint64_t *)space_a.samples;
}

/* map, unmap, copy (call_entry) */
void floor_call(uint32_t nr, uint64_t arg)
{
	uint64_t *pte = &space_a.pt[(USER_SLOT - USER_BASE) / PAGE];
	if (nr == SYS_MAP) {
		void *d = fresh;
		uint64_t n = PAGE / 8;
		__asm__ volatile("rep stosq" : "+D"(d), "+c"(n) : "a"(0ul) : "memory");
		*pte = (uint64_t)fresh | PTE_P | PTE_W | PTE_U;
	} else if (nr == SYS_UNMAP) {
		*pte = 0;
		__asm__ volatile("invlpg (%0)" : : "r"(USER_SLOT) : "memory");
	} else if (nr == SYS_COPY) {
		void *d = kbuf;
		const void *s = (const void *)arg;
		uint64_t n = PAGE / 8;
		__asm__ volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
	}
}

/* --- the rows ---------------------------------------------------------------------------------- */

static uint64_t times[ROUNDS];
static uint64_t main_sp, partner_sp;
static uint8_t partner_stack[8192] __attribute__((aligned(16)));

static void partner(void)
{
	for (;;)
		switch_stack(&partner_sp, main_sp);
}

static void bench_task_switch(void)
{
	uint64_t *top = (uint64_t *)(partner_stack + sizeof(partner_stack));
	top[-1] = 0;			  /* partner's return address: never used */
	top[-2] = (uint64_t)partner;	  /* where switch_stack's ret goes */
	partner_sp = (uint64_t)(top - 8); /* and six callee-saved registers */
	for (int i = -1; i < ROUNDS; i++) {
		uint64_t t = rdtsc();
		switch_stack(&main_sp, partner_sp);
		if (i >= 0)
			times[i] = rdtsc() - t;
	}
	figure("task_switch", times, 2);
}

static struct proc {
	uint64_t ksp, ktop, cr3, other;
} proc_a, proc_b;
static uint8_t kstack_a[4096] __attribute__((aligned(16))), kstack_b[4096] __attribute__((aligned(16)));

/* The user_switch row (key, through `entry`): a yields to b, b to a; each space's CR3 is its PML4
 * with `cr3_a`/`cr3_b` or'ed in (a PCID and the no-flush bit for the PCID row, else 0). */
static void bench_user_switch(const char *key, const char *entry, uint64_t cr3_a, uint64_t cr3_b)
{
	proc_a = (struct proc){0, (uint64_t)kstack_a + sizeof(kstack_a), (uint64_t)space_a.pml4 | cr3_a,
			       (uint64_t)&proc_b};
	proc_b = (struct proc){0, (uint64_t)kstack_b + sizeof(kstack_b), (uint64_t)space_b.pml4 | cr3_b,
			       (uint64_t)&proc_a};
	uint64_t *top = (uint64_t *)proc_b.ktop; /* b starts as if it had yielded: user rsp, rip, flags */
	top[-1] = USER_STACK_TOP;
	top[-2] = user_va(user_yield_b);
	top[-3] = 0x2;
	proc_b.ksp = (uint64_t)(top - 3);
	percpu.cur = (uint64_t)&proc_a;
	percpu.kstack = proc_a.ktop;
	figure(key, run_user(user_yield_a, entry, proc_a.cr3), 2);
	percpu.kstack = (uint64_t)kernel_stack + sizeof(kernel_stack);
}

/* --- extra rows: what global pages, PCID, TLB refills and the TB jump cache cost under TCG -------- */

#define CR4_PGE (1ul << 7)
#define CR4_PCIDE (1ul << 17)
#define CR3_NOFLUSH (1ul << 63)
#define PDE_G 0x100

page_t touch_area[32]; /* yield_touch_entry reads one byte of each of the first touch_count */
uint32_t touch_count;
uint32_t ret_count; /* yield_ret_entry's `call; ret` pairs */

static const char *const touch_keys[] = {"user_switch_touch0", "user_switch_touch8", "user_switch_touch16",
					 "user_switch_touch32"};
static const char *const ret_keys[] = {"user_switch_ret1", "user_switch_ret8"};

static void bench_tlb(void)
{
	uint32_t r1[4], r7[4];
	cpuid(1, 0, r1);
	cpuid(7, 0, r7);
	int pge = r1[3] >> 13 & 1, pcid = r1[2] >> 17 & 1, invpcid = r7[1] >> 10 & 1;
	puts("floor: CPUID PGE ");
	putu(pge);
	puts(" PCID ");
	putu(pcid);
	puts(" INVPCID ");
	putu(invpcid);
	puts("\n");

	/* user_switch_global: the kernel's 2 MiB pages global (G), CR4.PGE on; then both off again. */
	if (pge) {
		for (int i = 0; i < 512; i++)
			pd_k[i] |= PDE_G;
		write_cr4(read_cr4() | CR4_PGE);
		bench_user_switch("user_switch_global", yield_entry, 0, 0);
		write_cr4(read_cr4() & ~CR4_PGE);
		for (int i = 0; i < 512; i++)
			pd_k[i] &= ~(uint64_t)PDE_G;
	}
	/* user_switch_pcid: PCID 1 for a, 2 for b, every CR3 write with the no-flush bit. */
	if (pcid) {
		write_cr4(read_cr4() | CR4_PCIDE);
		bench_user_switch("user_switch_pcid", yield_entry, CR3_NOFLUSH | 1, CR3_NOFLUSH | 2);
		write_cr4(read_cr4() & ~CR4_PCIDE); /* CR3 is pml4_k (PCID 0) again: allowed */
	} else {
		puts("floor: no PCID (CPUID.01H:ECX[17] clear): user_switch_pcid not measured\n");
	}
	/* cr3_write: the kernel writes CR3 with the value it has (TCG flushes all the same), alone. */
	for (int i = -1; i < ROUNDS; i++) {
		uint64_t t = rdtsc();
		__asm__ volatile("mov %0, %%cr3" : : "r"((uint64_t)pml4_k) : "memory");
		if (i >= 0)
			times[i] = rdtsc() - t;
	}
	figure("cr3_write", times, 1);
	/* user_switch_touchN: N more kernel pages read per switch; (touch32 - touch8) / 24 is one refill. */
	for (unsigned i = 0; i < sizeof(touch_keys) / sizeof(touch_keys[0]); i++) {
		touch_count = i ? 8u << (i - 1) : 0;
		bench_user_switch(touch_keys[i], yield_touch_entry, 0, 0);
	}
	/* user_switch_retN: N `call; ret` pairs per switch, one cold TB jump cache lookup, N - 1 warm. */
	for (unsigned i = 0; i < sizeof(ret_keys) / sizeof(ret_keys[0]); i++) {
		ret_count = i ? 8 : 1;
		bench_user_switch(ret_keys[i], yield_ret_entry, 0, 0);
	}
}

static void bench_copies(void)
{
	for (int i = 0; i < ROUNDS; i++) {
		void *d = dst;
		const void *s = kbuf;
		uint64_t n = PAGE / 8, t = rdtsc();
		__asm__ volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
		times[i] = rdtsc() - t;
	}
	figure("frame_write_4k", times, 1);
	/* What TCG makes of the byte-wide string instructions, for docs/performance.md. */
	for (int i = 0; i < ROUNDS; i++) {
		void *d = dst;
		const void *s = kbuf;
		uint64_t n = PAGE, t = rdtsc();
		__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
		times[i] = rdtsc() - t;
	}
	figure("copy_4k_movsb", times, 1);
	for (int i = 0; i < ROUNDS; i++) {
		void *d = dst;
		uint64_t n = PAGE / 8, t = rdtsc();
		__asm__ volatile("rep stosq" : "+D"(d), "+c"(n) : "a"(0ul) : "memory");
		times[i] = rdtsc() - t;
	}
	figure("zero_4k_stosq", times, 1);
	for (int i = 0; i < ROUNDS; i++) {
		void *d = dst;
		uint64_t n = PAGE, t = rdtsc();
		__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(0ul) : "memory");
		times[i] = rdtsc() - t;
	}
	figure("zero_4k_stosb", times, 1);
}

static void bench_irq(void)
{
	__asm__ volatile("sti");
	for (int i = 0; i < ROUNDS; i++) {
		irq_seen = 0;
		uint64_t t = rdtsc();
		apic_write(0x300, 0x40000 | VEC_IPI); /* ICR: fixed, to self */
		while (!irq_seen)
			;
		times[i] = rdtsc() - t;
	}
	__asm__ volatile("cli");
	figure("irq", times, 1);
	for (int i = 0; i < ROUNDS; i++) {
		uint64_t t = rdtsc();
		__asm__ volatile("int %0" : : "i"(VEC_INT) : "memory");
		times[i] = rdtsc() - t;
	}
	figure("irq_int", times, 1);
}

/* The command line (multiboot info flag 2) has the word `word`. */
static int cmdline_has(const char *word)
{
	const uint32_t *mbi = (const uint32_t *)(uintptr_t)mb_info;
	if (!mbi || !(mbi[0] & 4))
		return 0;
	for (const char *p = (const char *)(uintptr_t)mbi[4]; *p;) {
		while (*p == ' ')
			p++;
		const char *w = word;
		while (*w && *p == *w)
			p++, w++;
		if (!*w && (*p == ' ' || !*p))
			return 1;
		while (*p && *p != ' ')
			p++;
	}
	return 0;
}

void floor_main(void)
{
	if (cmdline_has("boot")) { /* the boot row's floor: one line (the harness wants one), off */
		puts("floor: boot\n");
		power_off(0x10);
	}
	cpu_init();
	calibrate();
	puts("floor: TSC ");
	putu(tsc_hz / 1000000);
	puts(" MHz\n");
	space_init(&space_a);
	space_init(&space_b);
	figure("null_syscall", run_user(user_null, null_entry, (uint64_t)space_a.pml4), 1);
	bench_task_switch();
	bench_user_switch("user_switch", yield_entry, 0, 0);
	figure("map_touch_unmap", run_user(user_map, call_entry, (uint64_t)space_a.pml4), 1);
	figure("copy_from_user_4k", run_user(user_copy, call_entry, (uint64_t)space_a.pml4), 1);
	bench_copies();
	bench_irq();
	bench_tlb(); /* extra rows, after the figure contract's */
	puts("floor: done\n");
	power_off(0x10);
}
