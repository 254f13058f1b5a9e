"""Building QEMU command lines and reading QEMU's own debug log.

Environment:
    QEMU        the QEMU command (default ``qemu-system-x86_64``); split like a
                shell word list, so ``QEMU="taskset -c 1 qemu-system-x86_64"`` works
    FRAME_ACCEL the accelerator (default ``tcg``)
"""

from __future__ import annotations

import os
import re
import shlex
from typing import Iterable, Sequence, Tuple, Union

from .paths import StrPath

#: A multiboot module: a path, or ``(path, args)``.
Module = Union[StrPath, Tuple[StrPath, str]]

#: QEMU exit status when the kernel wrote 0x10 to isa-debug-exit ((0x10 << 1) | 1).
EXIT_SUCCESS = 33
#: QEMU exit status when the kernel wrote 0x11 to isa-debug-exit ((0x11 << 1) | 1).
EXIT_FAILURE = 35
#: QEMU exit status under -no-reboot when the guest reset (e.g. a triple fault).
EXIT_RESET = 0

#: The QEMU ``-d`` items for a normal run, and for a diagnostic re-run that
#: also records every exception with a register dump (see triple_fault_rip).
DEBUG_ITEMS = "cpu_reset"
DEBUG_ITEMS_WITH_INTERRUPTS = "cpu_reset,int"


def qemu_command() -> list[str]:
    """The QEMU executable (plus any leading words) from env ``QEMU``."""
    return shlex.split(os.environ.get("QEMU", "qemu-system-x86_64"))


def format_modules(modules: Iterable[Module]) -> str:
    """Turn ``[(path, args), ...]`` into the value of QEMU's ``-initrd``.

    QEMU separates multiboot modules with commas, so a comma inside a path
    or argument string is written twice.  An item may also be a bare path.
    """
    parts = []
    for module in modules:
        path, args = (module, "") if isinstance(module, (str, os.PathLike)) else module
        text = os.fspath(path) + (" " + args if args else "")
        parts.append(text.replace(",", ",,"))
    return ",".join(parts)


def build_command(kernel: StrPath, *, qemu_log: StrPath, iso: StrPath | None = None,
                  cmdline: str = "", modules: Iterable[Module] = (), memory: str = "128M",
                  machine: str = "pc", extra_args: Sequence[StrPath] = (),
                  debug_items: str = DEBUG_ITEMS) -> list[str]:
    """Return the QEMU argument list for one boot.

    ``kernel`` is booted directly (``-kernel``) unless ``iso`` is given, in
    which case the ISO is booted from the CD drive and ``cmdline``/``modules``
    must be empty (GRUB's configuration inside the ISO decides those).
    """
    if iso is not None and (cmdline or modules):
        raise ValueError("cmdline and modules apply only to a direct -kernel boot, not to iso=")
    cmd = qemu_command() + [
        "-M", machine,
        "-accel", os.environ.get("FRAME_ACCEL", "tcg"),
        "-m", str(memory),
        "-nic", "none",
        "-display", "none",
        "-serial", "stdio",
        "-monitor", "none",
        "-no-reboot",
        "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
        "-d", debug_items,
        "-D", os.fspath(qemu_log),
    ]
    if iso is not None:
        cmd += ["-cdrom", os.fspath(iso), "-boot", "d"]
    else:
        cmd += ["-kernel", os.fspath(kernel)]
        if cmdline:
            cmd += ["-append", cmdline]
        if modules:
            cmd += ["-initrd", format_modules(modules)]
    cmd += [os.fspath(a) for a in extra_args]
    return cmd


def describe_exit_status(status: int | None) -> str:
    """A short human explanation of a QEMU exit status."""
    if status is None:
        return "QEMU was still running and was killed by the harness"
    if status == EXIT_SUCCESS:
        return "33 = success: the kernel wrote 0x10 to isa-debug-exit"
    if status == EXIT_FAILURE:
        return "35 = failure: the kernel wrote 0x11 to isa-debug-exit"
    if status == EXIT_RESET:
        return "0 = the machine reset (triple fault or reset request) under -no-reboot"
    if status < 0:
        return f"QEMU was killed by signal {-status}"
    if status == 1:
        return "1 = QEMU itself failed (see its stderr), or the kernel wrote 0 to isa-debug-exit"
    if status % 2 == 1:
        return (f"{status} = the kernel wrote {status >> 1:#x} to isa-debug-exit "
                f"(33 = success, 35 = failure); or QEMU itself failed (see its stderr)")
    return f"{status} = QEMU itself failed (see its stderr)"


# --- the -d cpu_reset / -d int log -----------------------------------------

_RESET_RE = re.compile(r"^CPU Reset \(CPU \d+\)")
_INTERRUPT_RE = re.compile(r"^\s*\d+: v=[0-9a-f]+ ")
_IP_RE = re.compile(r"^(?:RIP=([0-9a-f]{16})|EIP=([0-9a-f]{8}))\b")
_TRIPLE_RE = re.compile(r"^Triple fault")
# The power-on reset blocks show the state before reset (IP 0) and the reset
# vector (IP 0xfff0); they say nothing about the kernel.
_POWER_ON_IPS = (0x0, 0xFFF0)


def parse_debug_log(text: str) -> list[tuple[str, int | None]]:
    """Split a QEMU ``-d cpu_reset[,int]`` log into events.

    Returns a list of ``(kind, ip)`` with kind ``"reset"`` (a "CPU Reset"
    register dump), ``"interrupt"`` (an exception/interrupt dump from
    ``-d int``) or ``"triple"`` (QEMU's "Triple fault" line, ip None).
    """
    events: list[tuple[str, int | None]] = []
    pending = None  # kind of the block whose RIP/EIP line we are waiting for
    for line in text.splitlines():
        if _RESET_RE.match(line):
            pending = "reset"
        elif _INTERRUPT_RE.match(line):
            pending = "interrupt"
        elif _TRIPLE_RE.match(line):
            events.append(("triple", None))
            pending = None
        elif pending:
            m = _IP_RE.match(line)
            if m:
                events.append((pending, int(m.group(1) or m.group(2), 16)))
                pending = None
    return events


def triple_fault_rip(text: str) -> int | None:
    """The instruction pointer at a triple fault, from a QEMU debug log, or None.

    QEMU 7.2 under ``-no-reboot`` logs "Triple fault" but no register dump for
    it with ``-d cpu_reset``; the registers are found:
      * in a "CPU Reset" block right after the "Triple fault" line (when QEMU
        really resets the machine, i.e. without -no-reboot), or
      * in the last exception dump before it (with ``-d int``), or
      * without a "Triple fault" line, in the last "CPU Reset" block that is not
        one of the power-on ones.
    """
    events = parse_debug_log(text)
    kinds = [kind for kind, _ in events]
    if "triple" in kinds:
        at = kinds.index("triple")
        for kind, ip in events[at + 1:]:
            if kind == "reset" and ip not in _POWER_ON_IPS:
                return ip
            if kind == "triple":
                break
        before = [ip for kind, ip in events[:at] if kind == "interrupt"]
        return before[-1] if before else None
    resets = [ip for kind, ip in events if kind == "reset" and ip not in _POWER_ON_IPS]
    return resets[-1] if resets else None


def saw_triple_fault(text: str) -> bool:
    """True if QEMU's debug log records a triple fault."""
    return any(kind == "triple" for kind, _ in parse_debug_log(text))
