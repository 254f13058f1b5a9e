"""timer prints tick 1..10 at a steady rate and the time that took, by both boot paths and under
QEMU -icount (deterministic time); and it stays within 100 lines.

How long should it take? The task starts a timer with a 100 ms delay and a 100 ms period. The
frame rounds a delay up so that at least that much time passes (the current tick is partly over
already), so the first tick comes 100 to 101 ms after timer_start(), and tick 10 900 ms later:
elapsed = 1000 to 1001 ms, plus the microseconds it takes to wake the task.

- Plain TCG follows the host's clock. The tick, measured against the PIT at boot, comes out up
  to about 1% slower than the clock (1004-1013 ms on an idle 2-core machine); on a busy machine
  QEMU's thread can also be held up long enough to lose timer interrupts (up to 1032 ms seen
  while the whole suite ran). Both make the run longer, never shorter. So the upper bound is
  generous, and the lower one is tight (rounding in the calibration can only make the tick
  shorter by a few parts per million).
- Under `-icount shift=0,sleep=off` the guest's clock is its instruction count (1 ns an
  instruction), and an idle CPU jumps straight to the next timer instead of waiting for the host:
  the run is the same on every machine, however loaded, and the bounds are the exact window.
"""
import os
import re

import pytest

TICKS, PERIOD_MS = 10, 100
NOMINAL_MS = TICKS * PERIOD_MS
EXPECT = tuple(rf"^tick {n}$" for n in range(1, TICKS + 1)) + (r"^elapsed: \d+\.\d{3} ms$",)
FORBID = (r"PANIC", r"\[WARN\]", rf"^tick {TICKS + 1}$")

# Plain TCG: ticks can be lost when the host is busy (the run gets longer), never gained.
LOOSE = (NOMINAL_MS - 2, NOMINAL_MS * 1.5 + 200)
# -icount: the first tick lands 100 to 101 ms after timer_start(); the wake-up takes microseconds.
TIGHT = (NOMINAL_MS - 0.1, NOMINAL_MS + 1.1)
ICOUNT = ("-icount", "shift=0,sleep=off")


def check(result, bounds):
    """Exactly tick 1..TICKS in order, then an elapsed time within bounds (ms); returns it."""
    ticks = [line for line in result.lines if line.startswith("tick ")]
    assert ticks == [f"tick {n}" for n in range(1, TICKS + 1)], ticks
    elapsed = float(re.search(r"^elapsed: (\S+) ms$", result.matches[-1].string).group(1))
    low, high = bounds
    assert low <= elapsed <= high, (
        f"elapsed {elapsed} ms for {TICKS} ticks of {PERIOD_MS} ms: outside [{low}, {high}] ms")
    return elapsed


def test_timer_direct(boot):
    check(boot(expect=EXPECT, forbid=FORBID), LOOSE)


def test_timer_through_grub(boot, kernel):
    check(boot(iso=kernel.iso, expect=EXPECT, forbid=FORBID, timeout=60), LOOSE)


@pytest.mark.skipif(os.environ.get("FRAME_ACCEL", "tcg") != "tcg", reason="-icount needs TCG")
def test_timer_icount_is_exact(boot):
    first = check(boot(expect=EXPECT, forbid=FORBID, extra_args=ICOUNT), TIGHT)
    again = check(boot(expect=EXPECT, forbid=FORBID, extra_args=ICOUNT), TIGHT)
    assert first == again, f"-icount runs differ: {first} ms, then {again} ms"


def test_timer_is_under_100_lines():
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "main.c")) as f:
        assert len(f.read().splitlines()) <= 100
