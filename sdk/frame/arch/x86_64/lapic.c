/* The local APIC: enabled at boot, its timer drives the tick, and it ends IOAPIC interrupts. */
#include "lib/hot.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/x86.h"

#define MSR_APIC_BASE 0x1bu
#define APIC_BASE_ENABLE (1u << 11)
#define APIC_BASE_ADDR 0x000ffffffffff000ull
#define CPUID_1_EDX_APIC (1u << 9)
#define REG_TPR 0x80
#define REG_EOI 0xb0
#define REG_SVR 0xf0
#define REG_ICR_LOW 0x300
#define REG_ICR_HIGH 0x310
#define REG_LVT_TIMER 0x320
#define REG_TIMER_INITIAL 0x380
#define REG_TIMER_CURRENT 0x390
#define REG_TIMER_DIVIDE 0x3e0
#define SVR_ENABLE 0x100u
#define LVT_MASKED (1u << 16)
#define LVT_PERIODIC (1u << 17)
#define ICR_SELF (1u << 18)
#define ICR_ASSERT (1u << 14)
#define DIVIDE_BY_16 0x3u

static volatile void *regs;

bool lapic_present(void)
{
	static int present = -1; /* CPUID asked once: under TCG it is a trip to a helper */
	if (present < 0) {
		uint32_t a, b, c, d;
		cpuid(1, &a, &b, &c, &d);
		present = (d & CPUID_1_EDX_APIC) != 0;
	}
	return present;
}

uint8_t lapic_id(void)
{
	uint32_t a, b, c, d;
	cpuid(1, &a, &b, &c, &d);
	return (uint8_t)(b >> 24);
}

uint64_t lapic_phys_base(void)
{
	return rdmsr(MSR_APIC_BASE) & APIC_BASE_ADDR;
}

void lapic_init(volatile void *mapped, uint8_t spurious_vector)
{
	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_ENABLE);
	regs = mapped;
	mmio_write32(regs, REG_TPR, 0);
	mmio_write32(regs, REG_SVR, SVR_ENABLE | spurious_vector);
}

HOT_PATH void lapic_eoi(void)
{
	if (regs)
		mmio_write32(regs, REG_EOI, 0);
}

void lapic_count_begin(void)
{
	mmio_write32(regs, REG_TIMER_DIVIDE, DIVIDE_BY_16);
	mmio_write32(regs, REG_LVT_TIMER, LVT_MASKED);
	mmio_write32(regs, REG_TIMER_INITIAL, 0xffffffffu);
}

uint32_t lapic_count_now(void)
{
	return 0xffffffffu - mmio_read32(regs, REG_TIMER_CURRENT);
}

void lapic_timer_periodic(uint32_t count, uint8_t vector)
{
	mmio_write32(regs, REG_TIMER_DIVIDE, DIVIDE_BY_16);
	mmio_write32(regs, REG_LVT_TIMER, LVT_PERIODIC | vector);
	mmio_write32(regs, REG_TIMER_INITIAL, count);
}

void lapic_self_ipi(uint8_t vector)
{
	mmio_write32(regs, REG_ICR_HIGH, 0);
	mmio_write32(regs, REG_ICR_LOW, ICR_SELF | ICR_ASSERT | vector);
}
