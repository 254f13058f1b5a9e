/* The frame's clocks: the TSC calibrated against the PIT, and the periodic tick. */
#ifndef FRAME_TIMER_CLOCK_H
#define FRAME_TIMER_CLOCK_H

#include <stdint.h>

/* Measure the TSC (and the local APIC timer) against 25 ms of the PIT; start the clock. */
void clock_init(void);
/* Start the periodic tick at TIMER_HZ: the local APIC timer, or the PIT without one. */
void tick_start(void);
/* TSC cycles a second, as calibrated at boot. */
uint64_t clock_tsc_hz(void);

#endif
