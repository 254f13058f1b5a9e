"""Parsing the kernel's panic reports, and symbolizing addresses with addr2line.

A report on the serial line looks like::

    PANIC: <message>[ (called from <symbol+0xoff> at <file>:<line>)]
      at <file>:<line> in <function>          (absent for CPU exceptions)
      task: <name or "none">
      exception: <mnemonic> <description> (vector <n>), error code 0x<hex>[, CR2=0x<hex>]
      RIP=0x<16hex> RSP=0x<16hex> RBP=0x<16hex> RFLAGS=0x<16hex>
      RAX=... RBX=... RCX=... RDX=...
      backtrace:
        #0 0x<16hex> <symbol+0xoff> (<file>:<line>) (faulting instruction)
        #1 0x<16hex> <symbol+0xoff> (<file>:<line>)
        #2 0x<16hex> <symbol+0xoff>               (no line known)
        #3 0x<16hex> ?
    end of panic report

A broken precondition's ``at`` line names the caller first, then the check::

      at <file>:<line> in <caller> (the caller); checked in <function> at <file>:<line>

The kernel itself knows every line of its code (its own table, sdk/tools/ksyms), so the report
is already symbolized; addr2line is asked only about frames the kernel printed no line for.

Environment: ADDR2LINE overrides the ``addr2line`` command.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from dataclasses import dataclass, field
from typing import Iterable, List, NamedTuple, Optional, Sequence, Tuple

from .paths import StrPath

START_PREFIX = "PANIC:"
END_LINE = "end of panic report"


class Location(NamedTuple):
    """A source position: ``file``, ``line`` (int or None), ``function``."""
    file: str
    line: int | None
    function: str


class Frame(NamedTuple):
    """One backtrace frame.

    ``addr`` is the address the kernel printed, ``kernel_symbol`` its own
    ``symbol+0xoff`` (None for ``?``), ``symbolized`` ``"function file:line"``:
    the kernel's own line when it printed one, else addr2line's answer (None
    until symbolized, ``"?"`` if unknown). ``location`` is the kernel's
    ``(file, line, function)``, None when it printed no line.
    """
    addr: int
    kernel_symbol: str | None
    symbolized: str | None
    location: Location | None = None


@dataclass
class PanicReport:
    """A parsed panic report (see the module docstring for the format)."""
    message: str
    location: Location | None = None  # where it was raised (for a precondition: the check)
    caller: Location | None = None    # a broken precondition's caller, when the kernel knew its line
    task: str | None = None
    exception: str | None = None
    registers: dict[str, int] = field(default_factory=dict)
    frames: list[Frame] = field(default_factory=list)
    raw_lines: list[str] = field(default_factory=list)
    complete: bool = False  # the "end of panic report" line was seen

    def format(self) -> str:
        """The report as printed, each frame followed by its source location."""
        out = []
        frames = iter(self.frames)
        for line in self.raw_lines:
            out.append(line)
            if _FRAME_RE.match(line):
                frame = next(frames, None)
                if frame is not None and frame.symbolized and frame.location is None:
                    out.append("         -> " + frame.symbolized)
        if not self.complete:
            out.append("(report truncated: no 'end of panic report' line)")
        return "\n".join(out)


_AT_RE = re.compile(r"^\s+at (?P<file>.+?):(?P<line>\d+) in (?P<function>.+?)"
                    r"(?: \(the caller\); checked in (?P<check_function>\S+) at (?P<check_file>.+):(?P<check_line>\d+))?"
                    r"\s*$")
_TASK_RE = re.compile(r"^\s+task: (?P<task>.*?)\s*$")
_EXCEPTION_RE = re.compile(r"^\s+exception: (?P<exception>.*?)\s*$")
_REGS_LINE_RE = re.compile(r"^\s+(?:[A-Z][A-Z0-9]*=0x[0-9a-fA-F]+\s*)+$")
_REG_RE = re.compile(r"([A-Z][A-Z0-9]*)=0x([0-9a-fA-F]+)")
_FRAME_RE = re.compile(r"^\s+#(?P<n>\d+)\s+0x(?P<addr>[0-9a-fA-F]+)\s*(?P<rest>.*?)\s*$")
_FAULTING = "(faulting instruction)"
_INTERRUPTED = "(interrupted here)"  # the instruction a trap interrupted: exact, like a fault
_FRAME_LINE_RE = re.compile(r"^(?P<symbol>\S+) \((?P<file>[^()]+):(?P<line>\d+)\)$")


def find_report(lines: Sequence[str]) -> tuple[int, int] | None:
    """Return ``(start, end)`` line indexes of the first panic report, or None.

    ``end`` is the index of the end line, or the last line if the report was
    cut off.
    """
    for start, line in enumerate(lines):
        if line.startswith(START_PREFIX):
            for end in range(start + 1, len(lines)):
                if lines[end].strip() == END_LINE:
                    return start, end
            return start, len(lines) - 1
    return None


def parse_report(lines: Sequence[str], elf: StrPath | None = None) -> PanicReport | None:
    """Parse the first panic report in ``lines``; None if there is none.

    With ``elf``, the backtrace is symbolized and a missing ``at`` location is
    taken from frame #0.
    """
    span = find_report(lines)
    if span is None:
        return None
    start, end = span
    raw = list(lines[start:end + 1])
    report = PanicReport(message=raw[0][len(START_PREFIX):].strip(), raw_lines=raw,
                         complete=raw[-1].strip() == END_LINE)
    frames: list[tuple[int, str | None, bool, Location | None]] = []  # (addr, symbol, faulting, line)
    for line in raw[1:]:
        if m := _AT_RE.match(line):
            report.location = Location(m["file"], int(m["line"]), m["function"])
            if m["check_function"]:
                report.caller = report.location
                report.location = Location(m["check_file"], int(m["check_line"]), m["check_function"])
        elif m := _TASK_RE.match(line):
            report.task = m["task"]
        elif m := _EXCEPTION_RE.match(line):
            report.exception = m["exception"]
        elif _REGS_LINE_RE.match(line):
            report.registers.update((k, int(v, 16)) for k, v in _REG_RE.findall(line))
        elif m := _FRAME_RE.match(line):
            rest = m["rest"]
            faulting = _FAULTING in rest or _INTERRUPTED in rest
            symbol = rest.replace(_FAULTING, "").replace(_INTERRUPTED, "").strip().strip("<>").strip()
            where = None
            if sm := _FRAME_LINE_RE.match(symbol):
                symbol = sm["symbol"]
                where = Location(sm["file"], int(sm["line"]), symbol.split("+", 1)[0])
            frames.append((int(m["addr"], 16), None if symbol in ("", "?") else symbol, faulting, where))

    # The kernel's own lines; addr2line only for the frames it printed none for.
    symbolized: list[str | None] = [f"{w.function} {w.file}:{w.line}" if w else None for *_, w in frames]
    missing = [i for i, (*_, w) in enumerate(frames) if w is None]
    if elf is not None and missing:
        # A return address points after the call; step back into the call
        # instruction so addr2line names the call site's line.
        chains = addr2line(elf, [frames[i][0] - (not frames[i][2]) for i in missing])
        for i, chain in zip(missing, chains):
            symbolized[i] = format_chain(chain)
    if report.location is None and frames:
        addr, _, _, where = frames[0]
        if where is not None:
            report.location = where
        elif elf is not None and missing and missing[0] == 0 and chains and chains[0]:
            function, file, number = chains[0][0]
            if file != "??":
                report.location = Location(file, number, function)
    report.frames = [Frame(addr, symbol, text, where)
                     for (addr, symbol, _, where), text in zip(frames, symbolized)]
    return report


# --- addr2line ---------------------------------------------------------------

#: addr2line's answer for one address: ``(function, file, line)``, innermost first.
Chain = List[Tuple[str, str, Optional[int]]]

_A2L_RE = re.compile(r"^(?: \(inlined by\) )?(?P<function>.*?) at (?P<file>.*?):(?P<line>\d+|\?)"
                     r"(?: \(discriminator \d+\))?\s*$")


def addr2line(elf: StrPath, addrs: Sequence[int]) -> list[Chain]:
    """Look up ``addrs`` in ``elf`` with one addr2line call.

    Returns one list per address of ``(function, file, line)`` tuples,
    innermost first (more than one when functions were inlined); ``line`` is
    an int or None.  An address addr2line knows nothing about gives
    ``[("??", "??", None)]``.  Never raises: if addr2line cannot run, every
    address gets that unknown answer.
    """
    unknown: Chain = [("??", "??", None)]
    if not addrs:
        return []
    cmd = shlex.split(os.environ.get("ADDR2LINE", "addr2line"))
    cmd += ["-f", "-i", "-C", "-p", "-e", os.fspath(elf)] + [f"{a:#x}" for a in addrs]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return [list(unknown) for _ in addrs]
    chains: list[Chain] = []
    for line in out.splitlines():
        m = _A2L_RE.match(line)
        entry = (m["function"], m["file"], int(m["line"]) if m["line"].isdigit() else None) \
            if m else ("??", "??", None)
        if line.startswith(" (inlined by)") and chains:
            chains[-1].append(entry)
        else:
            chains.append([entry])
    if len(chains) != len(addrs):  # unexpected output: do not guess which is which
        return [list(unknown) for _ in addrs]
    return chains


def format_chain(chain: Chain) -> str:
    """``[(function, file, line), ...]`` → ``"function file:line (inlined by) ..."``."""
    parts = []
    for function, file, line in chain:
        if function == "??" and file == "??":
            parts.append("?")
        else:
            parts.append(f"{function} {file}:{line if line is not None else '?'}")
    return " (inlined by) ".join(parts)


def symbolize(elf: StrPath, addrs: Iterable[int]) -> list[str]:
    """Return ``"function file:line"`` (or ``"?"``) for each address, as given.

    Pass the faulting instruction's address as is and a return address minus
    one (so the answer is the call site).  Inlined frames are joined with
    ``" (inlined by) "``.
    """
    return [format_chain(chain) for chain in addr2line(elf, list(addrs))]
