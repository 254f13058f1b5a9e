"""User programs in C: built with the SDK's user runtime (sdk/user) and embedded as ELF
(tests/kernels/user-c). The runtime speaks the Linux x86-64 system-call ABI, so the same
executable also runs on this (Linux) host: that checks crt0, printf and exit for real."""
import os
import re
import subprocess

import pytest
from frame_build import BUILD

pytestmark = pytest.mark.kernel("kernels/user-c")
HELLO = os.path.join(BUILD, "tests", "kernels", "user-c", "user-c", "hello.elf")
MHELLO = os.path.join(BUILD, "tests", "kernels", "user-c", "user-musl", "mhello.elf")
FMT = os.path.join(BUILD, "tests", "kernels", "user-fmt", "user-c", "fmt.elf")


def test_the_kernel_embeds_the_programs_as_elf_executables(boot):
    result = boot(expect=(r"^user/hello\.c: ELF, class 2, machine 0x3e, type 2, entry 0x4[0-9a-f]{5}, \d+ bytes$",
                          r"^user/musl/mhello\.c: ELF, class 2, machine 0x3e, type 2, entry 0x4[0-9a-f]{5}, \d+ bytes$"))
    for match, path in zip(result.matches, (HELLO, MHELLO)):
        assert int(re.search(r"(\d+) bytes$", match.group(0)).group(1)) == os.path.getsize(path)


def test_the_kernel_loads_and_runs_the_c_program_in_user_mode(boot):
    # elf_load() and user_mode_run(), with write and exit_group: argv {"hello", "frame"}, exit status strlen("frame")
    boot(expect=(r"^hello from C: argc 2, left  \|   42\|000ff\|!\|frame, 26 bytes$", r"^hello exited with 5$"))


def test_a_musl_program_runs_with_malloc_and_floating_point():
    r = subprocess.run([MHELLO, "x"], capture_output=True, text=True, timeout=10)
    assert (r.stdout, r.returncode) == ("hello from musl: x 2 3.143 (9 bytes)\n", 0)


def test_the_runtime_runs_main_with_its_arguments_and_exit_status():
    r = subprocess.run([HELLO, "argument"], capture_output=True, text=True, timeout=10)
    assert r.stdout == "hello from C: argc 2, left  |   42|000ff|!|argument, 29 bytes\n"
    assert r.returncode == len("argument")
    r = subprocess.run([HELLO], capture_output=True, text=True, timeout=10)
    assert r.stdout.startswith("hello from C: argc 1, left  |   42|000ff|!|-,")
    assert r.returncode == 3


def test_the_program_has_debug_information():
    sections = subprocess.run(["readelf", "-S", "-W", HELLO], capture_output=True, text=True).stdout
    assert ".debug_info" in sections and ".debug_line" in sections
    segments = subprocess.run(["readelf", "-l", "-W", HELLO], capture_output=True, text=True).stdout
    loads = [line for line in segments.splitlines() if line.strip().startswith("LOAD")]
    assert len(loads) >= 2 and not any(re.search(r" RWE ", line) for line in loads), segments


def test_printf_at_its_edges_matches_c():
    """Precision wider than the digits (once a stack overflow in the runtime), widths from
    arguments, a huge width saturated at 4096, snprintf's truncation: as C's printf says."""
    r = subprocess.run([FMT], capture_output=True, text=True, timeout=10)
    lines = r.stdout.splitlines(keepends=True)
    assert lines[0] == "%.30d|%.40x|%-8.3d|%08d\n" % (7, 255, 5, -42)
    assert lines[1] == "%*d|%-*s|%u|%d|%d\n" % (6, 12, 4, "ab", 300 % 256, -9000000000, 8)
    assert lines[2] == "truncat|9||" + " " * 4095 + "1|\n"
    assert r.returncode == 0
