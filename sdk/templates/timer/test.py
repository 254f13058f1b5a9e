"""@NAME@'s task prints tick 1 to tick 10, woken by a periodic timer, then the time it took.

`make test` runs this file with pytest and the SDK's plugin (frameharness): `boot` starts QEMU on
build/@NAME@.elf, waits for each `expect` pattern in order, fails on a `forbid` pattern, and checks
that QEMU exits with status 33 (success). No bound on the time here: under emulation on a busy
machine a run can take longer.
"""

TICKS = 10


def test_ticks_in_order(boot):
    result = boot(expect=tuple(rf"^tick {n}$" for n in range(1, TICKS + 1)) + (r"^elapsed: \d+\.\d{3} ms$",),
                  forbid=(r"PANIC", r"\[WARN\]", rf"^tick {TICKS + 1}$"))
    assert [line for line in result.lines if line.startswith("tick ")] == [f"tick {n}" for n in range(1, TICKS + 1)]
