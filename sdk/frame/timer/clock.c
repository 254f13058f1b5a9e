/*
 * Clocks: the time-stamp counter, measured against the PIT at boot, gives time_now_ns(); the
 * tick (the local APIC timer, calibrated in the same window, or PIT channel 0 without a local
 * APIC) counts jiffies and runs timers and the scheduler's time slices.
 */
#include "timer/clock.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/x86.h"
#include "irq/irq.h"
#include "task/sched.h"
#include "timer/timer.h"
#include <frame/log.h>
#include <frame/panic.h>
#include <frame/timer.h>

#define PIT_HZ 1193182u
#define CALIBRATE_MS 25

static uint64_t tsc_hz, tsc_start, apic_hz;
static uint64_t ns_per_cycle_32; /* nanoseconds per TSC cycle, times 2^32 */
static const char *source = "none";
static volatile uint64_t ticks;

/* Busy-wait ms milliseconds on PIT channel 2 (gate on, speaker off). */
static void pit_wait(unsigned ms)
{
	uint16_t count = (uint16_t)(PIT_HZ * ms / 1000);
	outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01));
	outb(0x43, 0xb0); /* channel 2, lobyte/hibyte, mode 0: output goes high at terminal count */
	outb(0x42, count & 0xff);
	outb(0x42, count >> 8);
	while (!(inb(0x61) & 0x20))
		;
}

/* The APIC timer's count and, as a TSC value, the moment it was read (reading it is slow under
 * emulation: the middle of the TSC values taken around it). */
static uint32_t apic_sample(uint64_t *tsc)
{
	uint64_t before = rdtsc();
	uint32_t count = lapic_count_now();
	*tsc = before + (rdtsc() - before) / 2;
	return count;
}

void clock_init(void)
{
	bool apic = lapic_present();
	uint64_t apic_t0 = 0, apic_t1 = 0;
	uint32_t apic_c0 = 0, apic_c1 = 0;
	if (apic) {
		lapic_count_begin();
		apic_c0 = apic_sample(&apic_t0);
	}
	uint64_t start = rdtsc();
	pit_wait(CALIBRATE_MS);
	uint64_t end = rdtsc();
	if (apic)
		apic_c1 = apic_sample(&apic_t1);
	tsc_hz = (end - start) * 1000 / CALIBRATE_MS;
	/* the APIC timer against the TSC, each count paired with the moment it was read */
	apic_hz = apic ? (uint64_t)(apic_c1 - apic_c0) * tsc_hz / (apic_t1 - apic_t0) : 0; /* < 2^64: 25 ms of counts */
	tsc_start = end;
	if (!tsc_hz)
		panic("clock_init: the time-stamp counter does not count");
	ns_per_cycle_32 = (1000000000ull << 32) / tsc_hz;
	log_debug("clock: TSC %llu kHz, local APIC timer %llu kHz", (unsigned long long)(tsc_hz / 1000),
		  (unsigned long long)(apic_hz / 1000));
}

static void on_tick(void *ctx)
{
	(void)ctx;
	ticks++;
	timer_tick();
	sched_tick();
}

void tick_start(void)
{
	if (apic_hz / TIMER_HZ > 0) {
		irq_frame_line(-1, VECTOR_TICK, on_tick, NULL);
		lapic_timer_periodic((uint32_t)(apic_hz / TIMER_HZ), VECTOR_TICK);
		source = "local APIC timer";
	} else {
		uint16_t divisor = (uint16_t)((PIT_HZ + TIMER_HZ / 2) / TIMER_HZ);
		outb(0x43, 0x34); /* channel 0, lobyte/hibyte, mode 2: a rate generator */
		outb(0x40, divisor & 0xff);
		outb(0x40, divisor >> 8);
		irq_frame_line(0, 0, on_tick, NULL);
		source = "PIT";
	}
	log_debug("clock: %d Hz tick from the %s", TIMER_HZ, source);
}

uint64_t clock_tsc_hz(void)
{
	return tsc_hz;
}

uint64_t time_now_ns(void)
{
	unsigned __int128 cycles = rdtsc() - tsc_start;
	return (uint64_t)((cycles * ns_per_cycle_32) >> 32);
}

uint64_t jiffies(void)
{
	return ticks;
}

const char *timer_source(void)
{
	return source;
}
