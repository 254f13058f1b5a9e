"""programs runs C programs (the SDK's runtime and musl) from boot modules, by both boot paths:
each program's exact output, the fault report, no frame leaked; and the bad input: a module
that is not ELF, a program that takes all memory, a program that passes pointers it does not own."""
import os
import re
import struct

import pytest
from frameharness.qemu import OVMF_INSTALL, ovmf_files

HERE = os.path.dirname(os.path.abspath(__file__))
STDIN = "from the command line"
DONE = r"^programs: \d+ ran; free frames before \d+, after \d+$"


def elf(kernel, name):
    """The path of a user program the example's Makefile built beside the kernel."""
    build = os.path.dirname(kernel.elf)
    path = os.path.join(build, "user-musl" if name == "stats" else "user-c", name + ".elf")
    assert os.path.exists(path), f"{path} is not built (make)"
    return path


def out(result, name):
    """What program `name` wrote, line by line (the kernel prefixes each of its lines)."""
    return [l[len(name) + 3:] for l in result.lines if l.startswith(f"[{name}] ")]


def no_frame_leaked(result):
    m = re.search(r"^programs: (\d+) ran; free frames before (\d+), after (\d+)$", result.output, re.M)
    assert m and m.group(2) == m.group(3), m and m.group(0)
    return int(m.group(1))


def doubles_bits():
    """The doubles program's sum, computed in the same order: IEEE 754 gives the same bits."""
    s = 0.0
    for k in range(1, 2000001):
        s += 1.0 / (float(k) * float(k))
    return struct.unpack("<Q", struct.pack("<d", s))[0]


def check_the_four(result, stdin):
    assert out(result, "hello") == [
        "hello from C: I am hello, argc 1, pid 1",
        f"stdin: {len(stdin)} bytes: '{stdin}'",
    ]
    assert out(result, "stats") == ["mean of 1000 250.250", "stats 1 3.143"]
    assert out(result, "doubles") == [
        f"sum of 1/k^2 for k = 1..2000000: 0x{doubles_bits():016x}, 0 of 30 rounds differ"]
    fault = out(result, "fault")
    assert len(fault) == 1 and fault[0].startswith("writing to my own code at 0x"), fault
    address = fault[0].rsplit(" ", 1)[1]
    assert re.search(rf"^programs: fault: #PF page fault at address {address} \(instruction 0x[0-9a-f]+\): killed$",
                     result.output, re.M), result.output
    for name in ("hello", "stats"):
        assert re.search(rf"^programs: {name} exited with status 0, preempted \d+ times$", result.output, re.M)
    preempted = re.search(r"^programs: doubles exited with status 0, preempted (\d+) times$", result.output, re.M)
    assert preempted and int(preempted.group(1)) >= 10, "doubles was not preempted many times"
    assert no_frame_leaked(result) == 4


def the_four(kernel):
    return [(elf(kernel, n), n) for n in ("hello", "doubles", "fault", "stats")]


def test_programs_direct(boot, kernel):
    result = boot(modules=the_four(kernel), cmdline=STDIN, expect=(DONE,), forbid=(r"PANIC",), timeout=60)
    check_the_four(result, STDIN)


@pytest.mark.parametrize("firmware", ["bios", "uefi"])
@pytest.mark.parametrize("machine", ["pc", "q35"])
def test_programs_through_grub(boot, kernel, machine, firmware):
    """The ISO `make` built: the Makefile's MODULES put the four programs on it. Under the BIOS, and
    under UEFI (OVMF) on pc and q35: GRUB's EFI build loads the same modules."""
    if firmware == "uefi" and ovmf_files() is None:
        pytest.skip(f"OVMF is not installed: {OVMF_INSTALL}")
    result = boot(iso=kernel.iso, machine=machine, firmware=firmware, expect=(DONE,), forbid=(r"PANIC",), timeout=90)
    check_the_four(result, "")


def test_a_module_that_is_not_elf_is_named_and_the_others_run(boot, kernel, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("These are notes, not a program: a boot module a kernel cannot run.\n")
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    result = boot(modules=[str(notes), (elf(kernel, "hello"), "hello"), str(empty)], cmdline="x", expect=(DONE,),
                  forbid=(r"PANIC",))
    assert "programs: notes.txt: not loaded: not ELF" in result.lines
    assert "programs: empty: not loaded: shorter than an ELF header" in result.lines
    assert out(result, "hello")[0] == "hello from C: I am hello, argc 1, pid 1"
    assert no_frame_leaked(result) == 1


def test_a_program_that_takes_all_memory_gets_errors_and_gives_every_frame_back(boot, kernel):
    """Two at once, so that one may also run out on a first touch (killed: out of memory)."""
    hog = elf(kernel, "hog")
    result = boot(modules=[(elf(kernel, "hello"), "hello"), (hog, "hog"), (hog, "hog2")], cmdline="x", expect=(DONE,),
                  forbid=(r"PANIC",), timeout=90)
    for name in ("hog", "hog2"):
        lines = out(result, name)
        assert lines[:8] == [f"mmap(0x{1 << 40:x}) = -12", f"mmap(0x{1 << 47:x}) = -12",
                             f"mmap(0x{1 << 63:x}) = -12", "mmap(0xffffffffffffffff) = -12"] + [
            f"brk(+0x{n:x}) moved it by 0" for n in (1 << 40, 1 << 47, 1 << 63, (1 << 64) - 1)], lines
        ran_out = [l for l in lines[8:] if re.fullmatch(r"mmap ran out after \d+ MiB: -12|brk ran out after \d+ MiB", l)]
        killed = re.search(rf"^programs: {name}: #PF page fault at address 0x[0-9a-f]+ \(instruction 0x[0-9a-f]+\), "
                           r"out of memory: killed$", result.output, re.M)
        assert ran_out == lines[8:] and (len(ran_out) == 2 or killed), result.output
    assert out(result, "hello")[0] == "hello from C: I am hello, argc 1, pid 1"
    assert no_frame_leaked(result) == 3


def test_pointers_a_program_does_not_own_get_efault(boot, kernel):
    result = boot(modules=[(elf(kernel, "badptr"), "badptr")], cmdline=STDIN, expect=(DONE,), forbid=(r"PANIC",))
    lines = out(result, "badptr")
    calls = [l for l in lines if l.startswith("0x")]
    assert len(calls) == 7, lines
    for line in calls:
        assert line.endswith(": read -14 write -14 writev -14 -14 nanosleep -14"), line
    assert "read into my code: -14" in lines
    assert re.search(r"^programs: badptr exited with status 0, preempted \d+ times$", result.output, re.M)
    assert no_frame_leaked(result) == 1


def test_the_kernel_stays_within_200_lines():
    with open(os.path.join(HERE, "main.c")) as f:
        assert len(f.read().splitlines()) <= 200
