/* Private x86-64 instruction wrappers: the only place C code in the frame touches ports and registers. */
#ifndef FRAME_ARCH_X86_H
#define FRAME_ARCH_X86_H

#include <stdbool.h>
#include <stdint.h>

#define RFLAGS_IF (1ull << 9)

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}
static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port));
}
static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t read_cr0(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}
static inline void write_cr0(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr0" ::"r"(v) : "memory");
}
/* CR0.TS: clear, the floating-point registers usable; set, their first use traps (#NM). */
static inline void clts(void)
{
	__asm__ volatile("clts" ::: "memory");
}
static inline void stts(void)
{
	write_cr0(read_cr0() | (1u << 3));
}
static inline uint64_t read_cr2(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}
static inline uint64_t read_cr3(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}
static inline void write_cr3(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr3" ::"r"(v) : "memory");
}
static inline uint64_t read_cr4(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}
static inline void write_cr4(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr4" ::"r"(v) : "memory");
}
static inline uint64_t read_rflags(void)
{
	uint64_t v;
	__asm__ volatile("pushfq; popq %0" : "=r"(v));
	return v;
}
static inline uint64_t read_rsp(void)
{
	uint64_t v;
	__asm__ volatile("mov %%rsp, %0" : "=r"(v));
	return v;
}
static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}
static inline void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
	return ((uint64_t)hi << 32) | lo;
}
/* One 64-bit number from the CPU's random number generator (where CPUID_1_ECX_RDRAND says there
 * is one); false if it had none ready (CF clear), which may pass: try again. */
static inline bool rdrand64(uint64_t *v)
{
	bool ok;
	__asm__ volatile("rdrand %0" : "=r"(*v), "=@ccc"(ok));
	return ok;
}
static inline void invlpg(uint64_t va)
{
	__asm__ volatile("invlpg (%0)" ::"r"(va) : "memory");
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
static inline void cli(void)
{
	__asm__ volatile("cli" ::: "memory");
}
static inline void sti(void)
{
	__asm__ volatile("sti" ::: "memory");
}
/* Interrupts off; returns the flags from before, for cli_restore(). */
static inline uint64_t cli_save(void)
{
	uint64_t v;
	__asm__ volatile("pushfq; popq %0; cli" : "=r"(v)::"memory");
	return v;
}
static inline void cli_restore(uint64_t flags)
{
	if (flags & RFLAGS_IF)
		sti();
}
static inline void cli_cleanup_(uint64_t *flags)
{
	cli_restore(*flags);
}
/* Interrupts off from here to the end of the enclosing block (every return included): on one
 * CPU, the lock of the frame's short critical sections (allocators, lists). */
#define IRQ_OFF_SCOPE() uint64_t irq_scope_ __attribute__((cleanup(cli_cleanup_))) = cli_save()
/* Interrupts on and wait for one, atomically (sti's one-instruction shadow covers hlt). */
static inline void sti_hlt(void)
{
	__asm__ volatile("sti; hlt" ::: "memory");
}
static inline uint8_t mmio_read8(volatile void *base, uint32_t reg)
{
	return *((volatile uint8_t *)base + reg);
}
static inline uint16_t mmio_read16(volatile void *base, uint32_t reg)
{
	return *(volatile uint16_t *)((volatile char *)base + reg);
}
static inline uint32_t mmio_read32(volatile void *base, uint32_t reg)
{
	return *(volatile uint32_t *)((volatile char *)base + reg);
}
static inline uint64_t mmio_read64(volatile void *base, uint32_t reg)
{
	return *(volatile uint64_t *)((volatile char *)base + reg);
}
static inline void mmio_write8(volatile void *base, uint32_t reg, uint8_t v)
{
	*((volatile uint8_t *)base + reg) = v;
}
static inline void mmio_write16(volatile void *base, uint32_t reg, uint16_t v)
{
	*(volatile uint16_t *)((volatile char *)base + reg) = v;
}
static inline void mmio_write32(volatile void *base, uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)((volatile char *)base + reg) = v;
}
static inline void mmio_write64(volatile void *base, uint32_t reg, uint64_t v)
{
	*(volatile uint64_t *)((volatile char *)base + reg) = v;
}
/* Write every dirty cache line back to memory (for a device that reads memory around the caches). */
static inline void wbinvd(void)
{
	__asm__ volatile("wbinvd" ::: "memory");
}
static inline __attribute__((noreturn)) void halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* The extended (x87, SSE, AVX) state: XCR0, and saving it to or loading it from a 64-byte aligned
 * area. The frame itself never runs an FPU instruction but these. */
static inline uint64_t xgetbv(uint32_t reg)
{
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(reg));
	return (uint64_t)hi << 32 | lo;
}
static inline void xsetbv(uint32_t reg, uint64_t v)
{
	__asm__ volatile("xsetbv" ::"c"(reg), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
static inline void xsave(void *area, uint64_t mask)
{
	__asm__ volatile("xsave64 (%0)" ::"r"(area), "a"((uint32_t)mask), "d"((uint32_t)(mask >> 32)) : "memory");
}
static inline void xrstor(const void *area, uint64_t mask)
{
	__asm__ volatile("xrstor64 (%0)" ::"r"(area), "a"((uint32_t)mask), "d"((uint32_t)(mask >> 32)) : "memory");
}
static inline void fxsave(void *area)
{
	__asm__ volatile("fxsave64 (%0)" ::"r"(area) : "memory");
}
static inline void fxrstor(const void *area)
{
	__asm__ volatile("fxrstor64 (%0)" ::"r"(area) : "memory");
}

#define MSR_EFER 0xc0000080u
#define EFER_NXE (1u << 11)
#define CR4_MCE (1u << 6)
#define CR4_SMEP (1u << 20)
#define CR4_SMAP (1u << 21)
#define CR4_UMIP (1u << 11)
#define CPUID_7_ECX_UMIP (1u << 2)
#define CR0_MP (1u << 1)
#define CR0_EM (1u << 2)
#define CR0_NE (1u << 5)
#define CR0_TS (1u << 3)
#define CR4_OSFXSR (1u << 9)
#define CR4_OSXMMEXCPT (1u << 10)
#define CR4_OSXSAVE (1u << 18)
#define CPUID_1_ECX_XSAVE (1u << 26)
#define CPUID_1_ECX_AVX (1u << 28)
#define XCR0_X87 (1u << 0)
#define XCR0_SSE (1u << 1)
#define XCR0_AVX (1u << 2)
#define CPUID_7_EBX_SMEP (1u << 7)
#define CPUID_7_EBX_SMAP (1u << 20)
#define CPUID_1_EDX_MCE (1u << 7)
#define CPUID_1_ECX_RDRAND (1u << 30)

#endif
