"""The floor kernel (tests/floor: a bare kernel of its own, no SDK, for make bench's frame/floor
table) builds, boots by the direct path, and prints a positive figure for every one of its rows;
with the command line `boot` it powers off at once, measuring nothing."""
import fcntl
import os
import subprocess

import pytest
from frame_build import BUILD, ROOT

FLOOR_BUILD = os.path.join(BUILD, "tests", "floor")
ROWS = ("null_syscall", "task_switch", "user_switch", "map_touch_unmap", "copy_from_user_4k", "frame_write_4k",
        "copy_4k_movsb", "zero_4k_stosq", "zero_4k_stosb", "irq", "irq_int")  # in the order printed


@pytest.fixture(scope="module")
def floor_elf():
    """The floor kernel, built by its own Makefile (one build at a time: tests may run on two CPUs)."""
    os.makedirs(FLOOR_BUILD, exist_ok=True)
    with open(os.path.join(FLOOR_BUILD, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        r = subprocess.run(["make", "-s", "--no-print-directory", "-C", os.path.join(ROOT, "tests", "floor"),
                            f"BUILD={FLOOR_BUILD}", "all"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    return os.path.join(FLOOR_BUILD, "floor.elf")


def test_the_floor_prints_a_positive_figure_for_every_row(boot, floor_elf):
    result = boot(floor_elf, expect=[r"^floor: TSC [1-9]\d* MHz$"] +
                  [rf"^figure: {row} (\d+\.\d) ns \(1001 runs, min \d+\.\d, max \d+\.\d\)$" for row in ROWS] +
                  [r"^floor: done$"], forbid=(r"floor: exception",), timeout=30)
    figures = {row: float(m.group(1)) for row, m in zip(ROWS, result.matches[1:])}
    assert all(v > 0 for v in figures.values()), figures


def test_the_floor_with_boot_powers_off_at_once(boot, floor_elf):
    boot(floor_elf, cmdline="boot", expect=(r"^floor: boot$",), forbid=(r"figure:", r"TSC"), timeout=10)
