"""KTAP v1 output of in-kernel tests, and turning it into pytest results.

The kernel prints::

    KTAP version 1
    1..3
        # ASSERTION FAILED: <expr> at <file>:<line>   (diagnostics for the next result)
    ok 1 test_name
    not ok 2 other_name
    ok 3 skipped_one # SKIP reason
    # ktest: 2 passed, 1 failed

Other kernel output may be interleaved; it is ignored.  Each in-kernel test
is a symbol ``__ktest_<name>`` in the ELF, which is how :func:`ktest_names`
finds them without booting.

Environment: NM overrides the ``nm`` command.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from .failure import BootFailure, FailureKind, debug_hint, format_message
from .paths import StrPath
from .runner import BootResult, boot

_VERSION_RE = re.compile(r"^KTAP version (\d+)\s*$")
_PLAN_RE = re.compile(r"^1\.\.(\d+)\s*$")
_RESULT_RE = re.compile(r"^(?P<not>not )?ok (?P<number>\d+)(?: -)?(?: (?P<name>[^#]*?))?\s*"
                        r"(?:#\s*(?P<directive>.*?)\s*)?$")
_DIAGNOSTIC_RE = re.compile(r"^\s*#")
_SKIP_RE = re.compile(r"^SKIP\b\s*(?P<reason>.*)$", re.IGNORECASE)


@dataclass
class KtapResult:
    """One ``ok``/``not ok`` line and the diagnostic lines printed before it."""
    number: int
    name: str
    ok: bool
    skip: bool = False
    skip_reason: str = ""
    diagnostics: list[str] = field(default_factory=list)
    line: str = ""

    @property
    def passed(self) -> bool:
        """``ok`` and not skipped."""
        return self.ok and not self.skip


@dataclass
class KtapRun:
    """A parsed KTAP run.

    ``plan`` is N from ``1..N`` (None if missing); ``plan_missing`` and
    ``truncated`` (fewer results than planned) flag incomplete runs;
    ``trailing`` holds diagnostics after the last result (the summary line).
    """
    results: list[KtapResult] = field(default_factory=list)
    plan: int | None = None
    version: int | None = None
    trailing: list[str] = field(default_factory=list)

    @property
    def plan_missing(self) -> bool:
        """No ``1..N`` line."""
        return self.plan is None

    @property
    def truncated(self) -> bool:
        """Fewer results than planned."""
        return self.plan is not None and len(self.results) < self.plan

    def __iter__(self) -> Iterator[KtapResult]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def find(self, name: str) -> KtapResult | None:
        """The result for test ``name``, or None."""
        return next((r for r in self.results if r.name == name), None)


def parse(lines: Iterable[str]) -> KtapRun:
    """Parse KTAP v1 from serial ``lines`` (an iterable of str) into a KtapRun.

    Only unindented version, plan and result lines count (indented ones would
    be nested subtests, which the kernels do not print); any line whose first
    non-blank character is ``#`` is a diagnostic.  A ``KTAP version`` line
    starts a fresh run.
    """
    run = KtapRun()
    diagnostics: list[str] = []
    for line in lines:
        line = line.rstrip()
        if m := _VERSION_RE.match(line):
            run, diagnostics = KtapRun(version=int(m[1])), []
        elif m := _PLAN_RE.match(line):
            run.plan = int(m[1])
        elif m := _RESULT_RE.match(line):
            skip = _SKIP_RE.match(m["directive"] or "")
            run.results.append(KtapResult(
                number=int(m["number"]), name=(m["name"] or "").strip(), ok=not m["not"],
                skip=bool(skip), skip_reason=skip["reason"] if skip else "",
                diagnostics=diagnostics, line=line))
            diagnostics = []
        elif _DIAGNOSTIC_RE.match(line):
            diagnostics.append(line.strip())
    run.trailing = diagnostics
    return run


# --- finding the tests in the ELF -------------------------------------------

_KTEST_SYMBOL_RE = re.compile(r"^__ktest_(\w+)$")


def parse_nm(text: str) -> list[str]:
    """Test names, in order, from ``nm -n`` output (defined symbols ``__ktest_<name>``)."""
    names: list[str] = []
    for line in text.splitlines():
        fields = line.split()  # address, type, name (undefined symbols have no address)
        m = _KTEST_SYMBOL_RE.match(fields[2]) if len(fields) == 3 else None
        if m and m[1] not in names:
            names.append(m[1])
    return names


def ktest_names(elf: StrPath) -> list[str]:
    """The in-kernel tests of ``elf``, in address order (runs ``nm -n``)."""
    if not os.path.exists(elf):
        raise FileNotFoundError(f"ktest_names: kernel {elf!r} does not exist; build it first")
    cmd = shlex.split(os.environ.get("NM", "nm")) + ["-n", os.fspath(elf)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return parse_nm(out)


# --- one boot, many pytest tests ---------------------------------------------

class KtestSession:
    """One boot of a ktest kernel and its KTAP results.

    ``boot`` is the BootResult, ``ktap`` the KtapRun.
    """

    def __init__(self, elf: StrPath, boot_result: BootResult, hint: str | None = None,
                 cmdline: str = ""):
        self.elf = os.fspath(elf)
        self.boot = boot_result
        self.ktap = parse(boot_result.lines)
        self._hint, self._cmdline = hint, cmdline

    def result(self, name: str) -> KtapResult:
        """The KtapResult for test ``name``; raises BootFailure if there is none."""
        found = self.ktap.find(name)
        if found is not None:
            return found
        b = self.boot
        if b.failure is not None:
            crash = str(b.failure).splitlines()[0]
            headline = f"the kernel stopped before test {name} ran (or while it ran): {crash}"
            details = [self._progress(), str(b.failure)]
            raise BootFailure(format_message(headline, details, None), FailureKind.KTEST, b)
        headline = f"no KTAP result for test {name}"
        details = [self._progress(),
                   f"QEMU exit status: {b.exit_status}. Is the test registered and "
                   f"does the kernel run all tests?"]
        raise BootFailure(self._message(headline, details, with_output=True), FailureKind.KTEST, b)

    def check(self, name: str) -> KtapResult:
        """Pass, ``pytest.skip`` or fail (BootFailure) according to test ``name``'s result."""
        r = self.result(name)
        if r.skip:
            import pytest
            pytest.skip(f"ktest {name}: {r.skip_reason or 'skipped'}")
        if not r.ok:
            diagnostics = "\n".join("  " + d for d in r.diagnostics) or "  (no diagnostics)"
            raise BootFailure(self._message(f"ktest {name} failed: {r.line}",
                                            ["diagnostics:\n" + diagnostics]),
                              FailureKind.KTEST, self.boot)
        return r

    def check_complete(self) -> None:
        """Fail unless the boot went fine and every planned test reported a result."""
        if self.boot.failure is not None:
            raise self.boot.failure
        if self.ktap.plan_missing or self.ktap.truncated:
            raise BootFailure(self._message("incomplete KTAP run", [self._progress()], True),
                              FailureKind.KTEST, self.boot)

    def _progress(self) -> str:
        run = self.ktap
        last = run.results[-1].line if run.results else "none"
        plan = "no '1..N' plan line" if run.plan_missing else f"plan 1..{run.plan}"
        return f"KTAP: {plan}, {len(run.results)} results; last result: {last}"

    def _message(self, headline: str, details: list[str], with_output: bool = False) -> str:
        b = self.boot
        logs = [("serial", b.log_path), ("qemu -d log", b.qemu_log_path)]
        return format_message(headline, details, b.lines if with_output else None,
                              b.command, logs, debug_hint(self.elf, self._hint, self._cmdline))


def run_ktests(elf: StrPath, **boot_kwargs: Any) -> KtestSession:
    """Boot ``elf`` and return its KtestSession.

    ``boot_kwargs`` go to boot(); by default the run waits for QEMU to exit,
    does not check the exit status, and logs as ``<kernel>.ktap``.
    """
    kwargs: dict[str, Any] = dict(exit_status=None, name=Path(elf).stem + ".ktap")
    kwargs.update(boot_kwargs, check=False)
    return KtestSession(elf, boot(elf, **kwargs), kwargs.get("debug_hint"), kwargs.get("cmdline", ""))
