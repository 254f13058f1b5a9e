"""The bench kernel's `rows` mode (what make bench boots for the frame's column of the frame/floor
table) prints a positive "figure:" line for every row the frame measures, and nothing else of the
long benchmark (no disk, network, ELF or client-code figures)."""
import pytest

pytestmark = pytest.mark.kernel("kernels/bench")

ROWS = ("user_switch", "map_touch_unmap", "copy_from_user_4k", "frame_write_4k", "null_syscall",
        "null_syscall_fast", "task_switch", "irq")


def test_rows_mode_prints_every_frame_row(boot):
    result = boot(cmdline="rows", expect=[rf"^figure: {row} (\d+(?:\.\d+)?) ns \(1001 runs, min " for row in ROWS],
                  forbid=(r"virtio", r"ELF load", r"client code", r"PANIC"), timeout=60)
    figures = {row: float(m.group(1)) for row, m in zip(ROWS, result.matches)}
    assert all(v > 0 for v in figures.values()), figures
