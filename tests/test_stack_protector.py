"""The stack protector: a local array overrun is caught when its function returns, by the canary
alone (the overrunning functions have no sanitizer instrumentation), and the canary is chosen
anew at every boot."""
import os
import re
import subprocess

import pytest
from frame_build import BUILD

pytestmark = pytest.mark.kernel("kernels/stack-smash")
CANARY = r"\[DEBUG\] frame: stack protector canary 0x([0-9a-f]{16}) \(from (RDRAND|the TSC)\)"


@pytest.mark.parametrize("how, victim", [
    ("smash", "overrun_local_array"),          # the function overruns its own array
    ("smash-callee", "hand_out_local_array"),  # a callee overruns it: the array's owner is named
])
def test_an_overrun_local_array_panics_naming_the_function(boot, how, victim):
    result = boot(cmdline=how, exit_status=35, forbid=(r"was not caught", r"canary 0x"),
                  expect=(rf"PANIC: stack smashing detected in {victim}: the canary after its local arrays "
                          r"was overwritten \(a write past the end of one\?\)$", r"backtrace:"))
    names = [f[1] or "" for f in result.panic.frames]
    assert names[0].startswith("__stack_chk_fail+"), names
    assert names[1].startswith(f"{victim}+") and names[2].startswith("kernel_main+"), names


@pytest.mark.parametrize("cpu, source", [("qemu64", "the TSC"), ("max", "RDRAND")])
def test_the_canary_differs_from_boot_to_boot(boot, cpu, source):
    """Two boots, two canaries, each with a low byte of 0; correct code runs with them."""
    canaries = []
    for _ in range(2):
        result = boot(cmdline="ok loglevel=debug", extra_args=("-cpu", cpu),
                      expect=(CANARY, r"stack-smash: ok, AB"), forbid=(r"PANIC",))
        value, came_from = result.matches[0].groups()
        assert came_from == source
        canaries.append(int(value, 16))
    assert canaries[0] != canaries[1], [hex(c) for c in canaries]
    for c in canaries:
        assert c & 0xff == 0 and c >> 8, hex(c)


def test_the_frame_is_protected_too():
    """The frame is built with the stack protector: log_printf() (a line buffer) checks its canary."""
    elf = os.path.join(BUILD, "tests", "kernels", "stack-smash", "stack-smash.elf")
    code = subprocess.run(["objdump", "-d", "--disassemble=log_printf", elf], capture_output=True, text=True,
                          check=True).stdout
    assert re.search(r"<__stack_chk_guard>", code) and re.search(r"call .*<__stack_chk_fail>", code), code
