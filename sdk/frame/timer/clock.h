/* The frame's clocks: the TSC calibrated at boot, and the periodic tick. */
#ifndef FRAME_TIMER_CLOCK_H
#define FRAME_TIMER_CLOCK_H

#include <stdint.h>

/* Calibrate the TSC (and the local APIC timer): timer/calibrate.h; start the clock. Panics
 * when no source gives a plausible rate. */
void clock_init(void);
/* Start the periodic tick at TIMER_HZ: the local APIC timer, or the PIT without one. */
void tick_start(void);
/* The jiffy time_now_ns() is in: jiffies() or later, when the tick has not yet counted it. */
uint64_t clock_jiffy_now(void);
/* TSC cycles a second, as calibrated at boot (taken at the top of the calibration's bound). */
uint64_t clock_tsc_hz(void);

#endif
