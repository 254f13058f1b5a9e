/* GDT, TSS and IDT: loaded once at boot; after cpu_init() every CPU exception reaches trap_handler(). */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/x86.h"
#include "mm/kernel_map.h"

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

struct idt_entry {
	uint16_t offset_low, selector;
	uint8_t ist, type;
	uint16_t offset_mid;
	uint32_t offset_high, reserved;
} __attribute__((packed));

struct table_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/* Vectors that never trust the current stack get one of their own each (IST 1-4). */
#define IST_COUNT 4
static const struct {
	uint8_t vector;
	const char *name;
} ist_users[IST_COUNT] = {{VECTOR_DF, "the double-fault stack"},
			  {VECTOR_NMI, "the NMI stack"},
			  {VECTOR_MC, "the machine-check stack"},
			  {VECTOR_DB, "the debug-exception stack"}};
#define GATE_INTERRUPT 0x8e
#define GATE_DPL3 0x60 /* user code may raise it with int3 / into */

static struct tss tss;
static uint64_t gdt[7];
static struct idt_entry idt[256];
static char ist_area[IST_COUNT][4096 + IST_STACK_SIZE] __attribute__((aligned(4096))); /* guard page, then stack */

static void gdt_init(void)
{
	gdt[1] = 0x00af9a000000ffff; /* kernel code, 64-bit */
	gdt[2] = 0x00cf92000000ffff; /* kernel data */
	gdt[3] = 0x00cff2000000ffff; /* user data (SYSRET wants it just below user code) */
	gdt[4] = 0x00affa000000ffff; /* user code, 64-bit */
	uint64_t base = (uint64_t)&tss, limit = sizeof(tss) - 1;
	gdt[5] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) | ((limit >> 16 & 0xf) << 48) |
		 ((base >> 24 & 0xff) << 56);
	gdt[6] = base >> 32;
	for (int i = 0; i < IST_COUNT; i++)
		tss.ist[i] = (uint64_t)(ist_area[i] + sizeof(ist_area[i]));
	tss.iomap_base = sizeof(tss); /* no I/O bitmap: user port access always faults */

	struct table_ptr ptr = {sizeof(gdt) - 1, (uint64_t)gdt};
	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movw %w2, %%ax\n\t"
			 "movw %%ax, %%ds\n\t"
			 "movw %%ax, %%es\n\t"
			 "movw %%ax, %%ss\n\t"
			 "ltr %w3"
			 :
			 : "m"(ptr), "i"(SEL_KERNEL_CODE), "r"(SEL_KERNEL_DATA), "r"(SEL_TSS)
			 : "rax", "memory");
}

static void idt_set(int vector, uint8_t ist, uint8_t dpl)
{
	uint64_t addr = (uint64_t)trap_stubs + (uint64_t)vector * TRAP_STUB_SIZE;
	idt[vector] = (struct idt_entry){
		.offset_low = addr & 0xffff,
		.selector = SEL_KERNEL_CODE,
		.ist = ist,
		.type = GATE_INTERRUPT | dpl,
		.offset_mid = addr >> 16 & 0xffff,
		.offset_high = addr >> 32,
	};
}

static uint8_t ist_of(int vector)
{
	for (int i = 0; i < IST_COUNT; i++)
		if (ist_users[i].vector == vector)
			return (uint8_t)(i + 1);
	return 0;
}

static void idt_init(void)
{
	for (int v = 0; v < 256; v++)
		idt_set(v, ist_of(v), v == VECTOR_BP || v == VECTOR_OF ? GATE_DPL3 : 0);
	struct table_ptr ptr = {sizeof(idt) - 1, (uint64_t)idt};
	__asm__ volatile("lidt %0" ::"m"(ptr));
}

/* Machine checks become #MC (vector 18) instead of shutting the CPU down silently. */
static void machine_check_init(void)
{
	uint32_t a, b, c, d;
	cpuid(1, &a, &b, &c, &d);
	if (d & CPUID_1_EDX_MCE)
		write_cr4(read_cr4() | CR4_MCE);
}

/* SMEP and SMAP where the CPU has them: the kernel never runs or touches user pages directly;
 * UMIP: sgdt, sidt and friends fault in user mode instead of showing kernel addresses. */
static void protection_init(void)
{
	uint32_t a, b, c, d;
	cpuid(0, &a, &b, &c, &d);
	if (a < 7)
		return;
	cpuid(7, &a, &b, &c, &d);
	write_cr4(read_cr4() | (b & CPUID_7_EBX_SMEP ? CR4_SMEP : 0) | (b & CPUID_7_EBX_SMAP ? CR4_SMAP : 0) |
		  (c & CPUID_7_ECX_UMIP ? CR4_UMIP : 0));
}

uint64_t cpu_xsave_mask;
uint32_t cpu_mxcsr_mask;

/* x87, SSE and AVX for user programs (the frame is built general-registers-only and never uses
 * them; user/user.c saves and restores each program's state): FXSAVE and SIMD exceptions (#XM)
 * on, x87 errors as #MF (CR0.NE), no emulation; XSAVE with x87|SSE|AVX where the CPU has it.
 * AVX-512 and later components stay off, so a program's state fits struct user_mode. */
static void fpu_init(void)
{
	uint32_t a, b, c, d;
	write_cr0((read_cr0() | CR0_MP | CR0_NE) & ~(uint64_t)(CR0_EM | CR0_TS));
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	cpuid(1, &a, &b, &c, &d);
	if (c & CPUID_1_ECX_XSAVE) {
		write_cr4(read_cr4() | CR4_OSXSAVE);
		cpu_xsave_mask = XCR0_X87 | XCR0_SSE | (c & CPUID_1_ECX_AVX ? XCR0_AVX : 0);
		xsetbv(0, cpu_xsave_mask);
	}
	static uint8_t area[512] __attribute__((aligned(64))) = {0};
	fxsave(area); /* bytes 28-31: the MXCSR mask, 0 meaning the default 0xffbf */
	cpu_mxcsr_mask =
		(uint32_t)area[28] | (uint32_t)area[29] << 8 | (uint32_t)area[30] << 16 | (uint32_t)area[31] << 24;
	if (cpu_mxcsr_mask == 0)
		cpu_mxcsr_mask = 0xffbf;
}

/* The CPU's own stacks in the registry of guarded stacks: known to backtraces from here on,
 * their guard pages unmapped by kernel_map_init(). */
static void guard_stacks(void)
{
	for (int i = 0; i < IST_COUNT; i++)
		kernel_map_guard(ist_area[i], ist_users[i].name, IST_STACK_SIZE);
}

/* Load the frame's GDT, TSS and IDT. */
void cpu_init(void)
{
	gdt_init();	      // segments and the task-state segment
	idt_init();	      // every vector reaches trap_handler()
	guard_stacks();	      // the IST stacks, for backtraces and overflow reports
	machine_check_init(); // #MC reported, not a silent reset
	protection_init();    // SMEP, SMAP
	fpu_init();	      // x87, SSE, AVX for user programs; their state is saved per program
}

void cpu_set_kernel_stack(uint64_t rsp0)
{
	tss.rsp[0] = rsp0;
}
