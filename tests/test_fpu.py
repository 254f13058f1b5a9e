"""Each user program has its own floating-point state (x87, SSE, and AVX where the CPU has it):
two programs computing with doubles in the same registers, interleaved by preemption, get
bit-exact results; a program that fills its registers and yields gets them back, and the others
never see them; floating-point exceptions come back as the program's own. On CPU models with
FXSAVE only (qemu64, Nehalem), with XSAVE but no AVX, and with XSAVE and AVX (max)."""
import os
import re
import struct

import pytest

pytestmark = pytest.mark.kernel("kernels/fpu")

ITERATIONS = 20_000_000  # tests/kernels/fpu/main.c
# (m, c) of each program, as the bits of doubles (main.c), and s after ITERATIONS rounds of
# t = t * m + c; s = s + t from s = t = 0, each operation rounded to nearest (reference() below
# computed them; it takes seconds, so they are written out).
SUMS = {
    "doubles0": (0x3FEFF7CED916872B, 0x3FD5555555555555, 0x41F8D582DE1396F7),  # 0.999, 1/3
    "doubles1": (0x3FE0000000000000, 0x4004000000000000, 0x4197D783EC000000),  # 0.5, 2.5
    "avx0": (0x3FECCCCCCCCCCCCD, 0x3FE6666666666666, 0x41A0B07582000000),  # 0.9, 0.7
    "avx1": (0x3FD3333333333333, 0x3FF199999999999A, 0x417DF8FDABF8D10B),  # 0.3, 1.1
}

# -cpu model: (the frame's debug line about its floating-point state, has AVX)
MODELS = {
    "qemu64": ("FXSAVE: x87 SSE, 512 bytes", False),
    "Nehalem": ("FXSAVE: x87 SSE, 512 bytes", False),
    "max,-avx,-avx2": ("XSAVE: x87 SSE, 576 bytes", False),
    "max": ("XSAVE: x87 SSE AVX, 832 bytes", True),
}


def bits_to_double(b: int) -> float:
    return struct.unpack("<d", struct.pack("<Q", b))[0]


def reference(m: int, c: int, n: int = ITERATIONS) -> int:
    """The programs' computation in Python's doubles (IEEE, round to nearest), as bits."""
    md, cd, s, t = bits_to_double(m), bits_to_double(c), 0.0, 0.0
    for _ in range(n):
        t = t * md + cd
        s = s + t
    return struct.unpack("<Q", struct.pack("<d", s))[0]


def test_reference_matches_a_short_run_worked_by_hand():
    # 0.5, 2.5: t = 2.5, 3.75, 4.375; s = 2.5, 6.25, 10.625 (all exact).
    assert bits_to_double(reference(0x3FE0000000000000, 0x4004000000000000, 3)) == 10.625


def line(result, name: str) -> str:
    found = [l for l in result.lines if l.startswith(name + ": ")]
    assert len(found) == 1, (name, found)
    return found[0][len(name) + 2:]


@pytest.mark.parametrize("cpu", MODELS)
def test_programs_keep_their_own_floating_point_state(boot, cpu):
    how, avx = MODELS[cpu]
    result = boot(cmdline="loglevel=debug", extra_args=("-cpu", cpu), expect=(r"^fpu: done$",),
                  forbid=(r"PANIC", r"leaked", r"unknown system call"), timeout=90)
    assert any(l.endswith("user: floating-point state by " + how) for l in result.lines), result.output

    # Started clean (every xmm zero, MXCSR 0x1f80, control word 0x37f) after "dirty" had filled
    # them; the sums bit-exact; each kept its own control words (doubles1 set flush-to-zero and
    # 24-bit x87 precision; the precision flag 0x20 is set by the inexact sums).
    assert line(result, "doubles0") == f"0x{SUMS['doubles0'][2]:016x} 0x0000000000001fa0 0x37f clean"
    assert line(result, "doubles1") == f"0x{SUMS['doubles1'][2]:016x} 0x0000000000009fa0 0x7f clean"
    # Its saved state overwritten with 0xff bytes by the kernel: the frame's restore must not fault
    # (no PANIC) and the program must still compute right: 1000 rounds of t = t/2 + 1 (s = 1998).
    assert line(result, "corrupt").startswith("0x409f380000000000 0x0000000000001fa0 0x37f")
    # Set up again where "dirty" was, right after it ran: its own fresh state, not the CPU's.
    assert line(result, "again") == "0x409f380000000000 0x0000000000001fa0 0x37f clean"
    m = re.search(r"^main: doubles: (\d+) switches between them, preempted (\d+) and (\d+) times$",
                  result.output, re.M)
    assert m and int(m[1]) >= 6 and int(m[2]) >= 3 and int(m[3]) >= 3, m and m[0]

    if avx:  # lanes 0 and 3 (the upper half of ymm0) of each
        for name in ("avx0", "avx1"):
            s = SUMS[name][2]
            assert line(result, name) == f"0x{s:016x} 0x{s:016x} 0x0 clean"
        m = re.search(r"^main: avx: (\d+) switches between them", result.output, re.M)
        assert m and int(m[1]) >= 6, m and m[0]
    else:  # no AVX: XCR0 must not enable it
        assert line(result, "avx0") == "exception 6 (#UD invalid opcode) at 0x400005"
        assert line(result, "avx1") == "exception 6 (#UD invalid opcode) at 0x400005"

    # dirty got back its all-ones registers, round-toward-zero MXCSR and 53-bit control word.
    assert [l for l in result.lines if l.startswith("dirty: ")] == [
        "dirty: yielded", "dirty: 0xffffffffffffffff 0x0000000000007f80 0x27f clean"]

    # x87 0/0 with the invalid-operation exception unmasked: the program's own #MF at its fwait.
    assert line(result, "mf") == "exception 16 (#MF x87 floating-point error) at 0x400011"
    # SSE 1/0 with every exception unmasked: #XM on a real CPU. QEMU's TCG never raises #XM,
    # it only sets the flag (zero divide, 0x4): the program then exits with its MXCSR.
    if os.environ.get("FRAME_ACCEL", "tcg") == "tcg":
        assert line(result, "xm") == "0x0000000000000000 0x0000000000000004 0x0 clean"
    else:
        assert line(result, "xm").startswith("exception 19 (#XM")
