"""The linear map keeps the frame's own memory read-only: a pointer forged from a number (a union
pun) that writes the kernel image, a page table or the page metadata through it faults, and the
report names the address; a client frame stays writable there."""
import os
import re

import pytest
from frame_build import ROOT

pytestmark = pytest.mark.kernel("kernels/linear-map")
SOURCE = os.path.join(ROOT, "tests", "kernels", "linear-map", "main.c")
TABLES = "the frame's page tables and page metadata"


def line_of(marker):
    with open(SOURCE) as f:
        return next(n for n, line in enumerate(f, 1) if marker in line)


@pytest.mark.parametrize("how, what, owner", [
    ("image", "the kernel image", "the kernel image"),
    ("table", "a page table", TABLES),
    ("meta", "the page metadata", TABLES),
])
def test_a_forged_write_through_the_linear_map_faults(boot, how, what, owner):
    result = boot(cmdline=how, exit_status=35, expect=(
        rf"linear-map: writing (0xffff8[0-9a-f]+), {what} at physical 0x[0-9a-f]+",
        r"PANIC: CPU exception #PF in the kernel: write of address (0x[0-9a-f]+): the linear map's view of "
        rf"{re.escape(owner)} is read-only - a pointer made from a number\?",
        r"error code 0x3,"), forbid=(r"the write went through",))
    forged, reported = result.matches[0].group(1), result.matches[1].group(1)
    assert int(forged, 16) == int(reported, 16)
    top = result.panic.frames[0]
    assert re.match(rf"kernel_main .*main\.c:{line_of('the forged write line')}$", top[2]), top


def test_a_client_frame_stays_writable_through_the_linear_map(boot):
    boot(cmdline="frame", expect=(r"linear-map: a client frame written through the linear map reads 0x1234$",))
