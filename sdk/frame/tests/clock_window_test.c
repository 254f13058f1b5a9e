/* In-kernel tests of the calibration's windows (timer/calibrate.c) on crafted counter values: a
 * 16-bit PIT count summed over two windows never wraps, and a window held up long enough to hide
 * a wrap (the emulator stopped 51 ms in 55) is refused. */
#include <frame/ktest.h>
#include "timer/calibrate.h"

#define PIT_MASK 0xffffu
#define TSC 2596096000ull /* a TSC rate, Hz */

/* TSC cycles for n PIT ticks. */
static uint64_t cycles(uint64_t n)
{
	return clock_muldiv(n, TSC, PIT_HZ);
}

KTEST(clock_two_windows_are_summed_not_wrapped)
{
	/* Two sound 30 ms windows: 35795 ticks each, 71590 in all, which a 16-bit span reads as 6054. */
	uint32_t n = 35795;
	uint64_t hz = clock_span_hz(n, n, cycles(2ull * n), PIT_HZ);
	KTEST_EXPECT(clock_rates_agree(hz, TSC, 10));
	uint32_t wrapped = (2 * n) & PIT_MASK; /* what the span from the first to the last reading gave */
	KTEST_EXPECT(!clock_rate_plausible(clock_span_hz(wrapped, 0, cycles(2ull * n), PIT_HZ)));
	KTEST_EXPECT(clock_span_hz(0, 0, 12345, PIT_HZ) == 0); /* a count of 0: no division by zero */
}

KTEST(clock_a_window_read_closely_is_sound)
{
	/* 5 ms: 5966 ticks, the longest stretch between reads 3 us (4 ticks). */
	KTEST_EXPECT(clock_window_sound(5966, cycles(5966), 4, cycles(4), PIT_MASK));
	/* held up 10 ms in the middle (a busy host): still far from the wrap */
	KTEST_EXPECT(clock_window_sound(5966 + 11932, cycles(5966 + 11932), 11932, cycles(11932), PIT_MASK));
}

KTEST(clock_a_window_that_may_hide_a_wrap_is_refused)
{
	/* 4 ms of reads (4773 ticks), then stopped 76 ms (90763 ticks, which a 16-bit count shows
	 * as 25227): the window's rate, 3.2 times too high, alone looks plausible. */
	uint32_t seen = 4773 + 25227, gap_seen = 25227;
	uint64_t all = cycles(4773 + 90763);
	KTEST_EXPECT(clock_rate_plausible(clock_span_hz(seen, 0, all, PIT_HZ)));
	KTEST_EXPECT(!clock_window_sound(seen, all, gap_seen, cycles(90763), PIT_MASK));
	/* a count of half the wrap or more is refused whatever the reads */
	KTEST_EXPECT(!clock_window_sound(32768, cycles(32768), 4, cycles(4), PIT_MASK));
	/* stopped before the first read: nothing to time the stretch by */
	KTEST_EXPECT(!clock_window_sound(6000, cycles(66000), 5990, cycles(65990), PIT_MASK));
	/* a gap over more than the window is broken input */
	KTEST_EXPECT(!clock_window_sound(6000, cycles(6000), 6001, cycles(10), PIT_MASK));
	KTEST_EXPECT(!clock_window_sound(6000, cycles(6000), 10, cycles(6000), PIT_MASK));
	/* the 32-bit HPET: a 2 ms window is far from its wrap */
	KTEST_EXPECT(clock_window_sound(2000000, 5192192, 10, 26, 0xffffffffu));
}
