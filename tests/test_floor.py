"""The floor kernel (tests/floor: a bare kernel of its own, no SDK, for make bench's frame/floor
table) builds, boots by the direct path, and prints a positive figure for every one of its rows;
with the command line `boot` it powers off at once, measuring nothing. After the table's rows it
prints the extra rows of docs/performance.md's "Global pages, PCID and TLB refills under TCG":
the user switch with global kernel pages, with PCID where the CPU offers it (else a line saying
it does not), a bare CR3 write, N extra kernel pages touched per switch, N call/ret pairs."""
import fcntl
import os
import subprocess

import pytest
from frame_build import BUILD, ROOT

FLOOR_BUILD = os.path.join(BUILD, "tests", "floor")
ROWS = ("null_syscall", "task_switch", "user_switch", "map_touch_unmap", "copy_from_user_4k", "frame_write_4k",
        "copy_4k_movsb", "zero_4k_stosq", "zero_4k_stosb", "irq", "irq_int")  # in the order printed
EXTRA_ROWS = ("user_switch_global", "cr3_write", "user_switch_touch0", "user_switch_touch8", "user_switch_touch16",
              "user_switch_touch32", "user_switch_ret1", "user_switch_ret8")  # after ROWS, in this order
FIGURE = r"(\d+\.\d) ns \(1001 runs, min \d+\.\d, max \d+\.\d\)"


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
                  [rf"^figure: {row} {FIGURE}$" for row in ROWS] +
                  [r"^floor: done$"], forbid=(r"floor: exception",), timeout=30)
    figures = {row: float(m.group(1)) for row, m in zip(ROWS, result.matches[1:])}
    assert all(v > 0 for v in figures.values()), figures


def test_the_floor_prints_the_tlb_rows_after_the_table(boot, floor_elf):
    """The extra rows, each present and positive; under TCG (QEMU 7.2 offers no PCID, not even with
    `-cpu max`) the PCID row is replaced by a line saying so, and appears where PCID is offered."""
    expect = ([rf"^figure: irq_int {FIGURE}$", r"^floor: CPUID PGE 1 PCID ([01]) INVPCID [01]$",
               rf"^figure: user_switch_global {FIGURE}$",
               rf"^(?:figure: user_switch_pcid {FIGURE}|floor: no PCID \(CPUID\.01H:ECX\[17\] clear\): .*)$"] +
              [rf"^figure: {row} {FIGURE}$" for row in EXTRA_ROWS[1:]] + [r"^floor: done$"])
    result = boot(floor_elf, expect=expect, forbid=(r"floor: exception",), timeout=30)
    pcid, pcid_row = result.matches[1].group(1) == "1", result.matches[3].group(1)
    assert pcid == (pcid_row is not None), result.matches[3].group(0)
    figures = {"user_switch_global": float(result.matches[2].group(1))}
    figures.update({row: float(m.group(1)) for row, m in zip(EXTRA_ROWS[1:], result.matches[4:])})
    if pcid_row is not None:
        figures["user_switch_pcid"] = float(pcid_row)
    assert len(figures) == len(EXTRA_ROWS) + pcid and all(v > 0 for v in figures.values()), figures


def test_the_floor_with_boot_powers_off_at_once(boot, floor_elf):
    boot(floor_elf, cmdline="boot", expect=(r"^floor: boot$",), forbid=(r"figure:", r"TSC"), timeout=10)
