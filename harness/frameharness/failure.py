"""BootFailure, the kinds of failure, and the text of a failure message."""

from __future__ import annotations

import enum
import os
import shlex
from typing import TYPE_CHECKING, Iterable, Sequence

from .paths import StrPath

if TYPE_CHECKING:
    from .runner import BootResult

TAIL_LINES = 30


class FailureKind(enum.Enum):
    """What went wrong in a run, most telling first (``OK``: nothing did)."""
    OK = "ok"
    PANIC = "panic"                # a panic report no expect pattern matched
    TRIPLE_FAULT = "triple-fault"  # QEMU exited 0: the machine reset under -no-reboot
    FORBIDDEN = "forbidden"        # a forbid pattern matched
    NO_OUTPUT = "no-output"        # not a byte on the serial line
    EXIT_STATUS = "exit-status"    # QEMU exited with another status than expected
    TIMEOUT = "timeout"            # a pattern did not appear, or QEMU did not exit, in time
    KTEST = "ktest"                # an in-kernel test failed or never reported


class BootFailure(AssertionError):
    """A kernel run that did not go as expected.

    ``str(failure)`` is the whole, self-contained message; ``kind`` a
    FailureKind; ``result`` the BootResult, when there is one.
    """

    def __init__(self, message: str, kind: FailureKind, result: BootResult | None = None):
        super().__init__(message)
        self.kind = kind
        self.result = result

    def __str__(self) -> str:
        return str(self.args[0])


def debug_hint(kernel: StrPath, override: str | None = None, cmdline: str = "") -> str:
    """The "how to debug this" line.

    The default names the kernel (its file name without extension, which in
    the Frame repository is its directory's name) and the command line:
    ``build/examples/hello/hello.elf`` gives ``debug it: make debug EXAMPLE=hello``.
    ``override`` (else env FRAME_DEBUG_HINT) replaces the whole line; ``{example}``,
    ``{kernel}`` and ``{cmdline}`` in it are filled in.
    """
    example = os.path.splitext(os.path.basename(kernel))[0]
    text = override if override is not None else os.environ.get("FRAME_DEBUG_HINT")
    if text is None:
        text = "debug it: make debug EXAMPLE={example}"
        if cmdline:
            text += " CMDLINE=" + shlex.quote(cmdline)
    return (text.replace("{example}", example).replace("{kernel}", os.fspath(kernel))
            .replace("{cmdline}", shlex.quote(cmdline)))


def format_message(headline: str, details: Iterable[str] = (), lines: Sequence[str] | None = (),
                   command: Sequence[str] = (), logs: Iterable[tuple[str, StrPath]] = (),
                   hint: str = "") -> str:
    """Assemble a failure message.

    ``details`` are paragraphs shown under the headline; ``lines`` the serial
    output (only the last 30 are shown); ``command`` the QEMU argument list;
    ``logs`` ``(label, path)`` pairs.
    """
    out = [headline]
    for text in details:
        if text:
            out += ["", text]
    if lines is not None:
        tail = list(lines)[-TAIL_LINES:]
        shown = f"last {len(tail)} of {len(lines)}" if len(lines) > len(tail) else f"all {len(tail)}"
        out += ["", f"--- serial output ({shown} lines) ---"]
        out += tail if tail else ["(nothing)"]
        out.append("--- end of serial output ---")
    if command:
        out += ["", "QEMU command:", "  " + shlex.join(command)]
    if logs:
        out += ["", "logs:"] + [f"  {label}: {path}" for label, path in logs]
    if hint:
        out += ["", hint]
    return "\n".join(out)
