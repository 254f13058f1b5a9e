/*
 * Clocks: the time-stamp counter, calibrated at boot (timer/calibrate.c), gives time_now_ns(); the
 * tick (the local APIC timer, calibrated in the same window, or PIT channel 0 without a local
 * APIC) counts jiffies and runs timers and the scheduler's time slices.
 *
 * Never early: the calibration bounds its error (error_ppm); time_now_ns() takes the TSC to run
 * that much faster than measured, so it never runs ahead of the reference clock. The tick's
 * period is rounded up (at least 1 ms by both clocks), and jiffy n is counted only once
 * time_now_ns() has reached n ms: a tick that comes early, or a burst of late ones, cannot move
 * jiffies ahead of the clock, so a deadline in jiffies is never reached early.
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
static uint32_t error_ppm; /* the calibration's bound */
static volatile uint64_t ticks;

#define NS_PER_TICK (1000000000ull / TIMER_HZ)
#define APIC_MIN_HZ 1000000ull	  /* 1 MHz (after the divide by 16): 1000 counts a tick at least */
#define APIC_MAX_HZ 1000000000ull /* 1 GHz: a 16 GHz bus clock is a broken measurement */

void clock_init(void)
{
	struct calibration c;
	clock_calibrate(&c, lapic_present());
	error_ppm = c.error_ppm;
	/* The TSC taken as fast as the bound allows: time_now_ns() can only lag the reference. */
	tsc_hz = clock_muldiv(c.tsc_hz, 1000000 + error_ppm, 1000000) + 1;
	apic_hz = c.apic_hz;
	pit_dead = c.pit_dead;
	tsc_start = rdtsc();
	ns_per_cycle_32 = (1000000000ull << 32) / tsc_hz; /* rounded down: late again */
	log_debug("clock: TSC %llu.%03llu MHz from %s (+-%u ppm), local APIC timer %llu kHz",
		  (unsigned long long)(c.tsc_hz / 1000000), (unsigned long long)(c.tsc_hz / 1000 % 1000), c.source,
		  c.error_ppm, (unsigned long long)(apic_hz / 1000));
	if (apic_hz && (apic_hz < APIC_MIN_HZ || apic_hz > APIC_MAX_HZ)) {
		log_warn("clock: the local APIC timer measures %llu Hz, not a plausible rate (%llu to %llu): the PIT "
			 "ticks instead",
			 (unsigned long long)apic_hz, APIC_MIN_HZ, APIC_MAX_HZ);
		apic_hz = 0;
	}
}

static void on_tick(void *ctx)
{
	(void)ctx;
	uint64_t due = time_now_ns() / NS_PER_TICK; /* never ahead of the clock */
	if (ticks < due)
		ticks = due;
	timer_tick();
	sched_tick();
}

void tick_start(void)
{
	/* Each period rounded up, and lengthened by twice the bound (the TSC's and the timer's). */
	uint64_t scale = 1000000ull + 2ull * error_ppm;
	if (apic_hz) {
		irq_frame_line(-1, VECTOR_TICK, on_tick, NULL);
		lapic_timer_periodic((uint32_t)(clock_muldiv(apic_hz, scale, 1000000ull * TIMER_HZ) + 1), VECTOR_TICK);
		source = "local APIC timer";
	} else {
		if (pit_dead)
			panic("tick_start: no local APIC and the PIT does not count: the frame has no tick");
		uint64_t d = clock_muldiv(PIT_HZ, scale, 1000000ull * TIMER_HZ) + 1;
		uint16_t divisor = (uint16_t)(d > 0xffff ? 0xffff : d);
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

uint64_t clock_jiffy_now(void)
{
	uint64_t due = time_now_ns() / NS_PER_TICK;
	return due > ticks ? due : ticks;
}

const char *timer_source(void)
{
	return source;
}
