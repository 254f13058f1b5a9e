/*
 * Clocks: the time-stamp counter, calibrated at boot (timer/calibrate.c), gives time_now_ns(); the
 * tick (the local APIC timer, calibrated in the same window, or PIT channel 0 without a local
 * APIC) counts jiffies and runs timers and the scheduler's time slices.
 */
#include "timer/clock.h"
#include "timer/calibrate.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/x86.h"
#include "irq/irq.h"
#include "task/sched.h"
#include "timer/timer.h"
#include <frame/log.h>
#include <frame/panic.h>
#include <frame/timer.h>

static uint64_t tsc_hz, tsc_start, apic_hz;
static uint64_t ns_per_cycle_32; /* nanoseconds per TSC cycle, times 2^32 */
static bool pit_dead;		 /* calibration found the PIT not counting */
static const char *source = "none";
static volatile uint64_t ticks;

void clock_init(void)
{
	struct calibration c;
	clock_calibrate(&c, lapic_present());
	tsc_hz = c.tsc_hz;
	apic_hz = c.apic_hz;
	pit_dead = c.pit_dead;
	tsc_start = rdtsc();
	ns_per_cycle_32 = (1000000000ull << 32) / tsc_hz;
	log_debug("clock: TSC %llu.%03llu MHz from %s (+-%u ppm), local APIC timer %llu kHz",
		  (unsigned long long)(tsc_hz / 1000000), (unsigned long long)(tsc_hz / 1000 % 1000), c.source,
		  c.error_ppm, (unsigned long long)(apic_hz / 1000));
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
		if (pit_dead)
			panic("tick_start: no local APIC and the PIT does not count: the frame has no tick");
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
