"""The SDK's drivers (sdk/drivers) are client code: built into lib/libdrivers.a by the same make
fragment, flags and check-subset as a kernel, with no exception. A driver file with inline
assembly or an integer-to-pointer cast fails the SDK's build of the library."""
import os
import shutil
import subprocess

import pytest
from frame_build import BUILD, ROOT

SDK = os.path.join(BUILD, "sdk")
BAD = {
    "inline_asm": ('void rogue(void);\nvoid rogue(void)\n{\n\t__asm__ volatile("cli");\n}\n',
                   'attempt to use poisoned "__asm__"'),
    "int_to_pointer": ("void rogue(void);\nvoid rogue(void)\n{\n\t*(volatile char *)0xb8000UL = 'A';\n}\n",
                       "integer-to-pointer cast"),
}


def test_the_sdk_ships_the_drivers_library_and_headers():
    assert os.path.exists(os.path.join(SDK, "lib", "libdrivers.a"))
    for header in ("rtc.h", "keyboard.h"):
        assert os.path.exists(os.path.join(SDK, "include", "drivers", header))
    members = subprocess.run(["ar", "t", os.path.join(SDK, "lib", "libdrivers.a")], capture_output=True,
                             text=True, check=True).stdout.split()
    assert "rtc.c.o" in members and "keyboard.c.o" in members, members


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_driver_outside_the_subset_fails_the_library_build(tmp_path, case):
    drivers = tmp_path / "drivers"
    shutil.copytree(os.path.join(ROOT, "sdk", "drivers"), drivers)
    source, error = BAD[case]
    (drivers / "rogue.c").write_text(source)
    r = subprocess.run(["make", "-C", str(drivers), f"SDK={SDK}", f"BUILD={tmp_path / 'build'}"],
                       capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert r.returncode != 0, r.stdout + r.stderr
    assert error in r.stdout + r.stderr, r.stdout + r.stderr
    assert not (tmp_path / "build" / "libdrivers.a").exists()
