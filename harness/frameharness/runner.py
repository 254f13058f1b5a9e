"""boot(): run a kernel in QEMU, follow its serial output, judge the run.

QEMU always runs in its own process group and is always killed and reaped
before boot() returns or raises (also on Ctrl-C); an atexit hook and a
SIGTERM handler kill any QEMU still running when the Python process ends.
"""

from __future__ import annotations

import atexit
import itertools
import os
import re
import selectors
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Callable, Iterable, NamedTuple, Optional, Sequence, Tuple, TypeVar, Union

from . import qemu, where
from .failure import BootFailure, FailureKind, format_message
from .failure import debug_hint as hint_line
from .panic import END_LINE, START_PREFIX, PanicReport, parse_report, symbolize
from .paths import StrPath

#: After a panic report ends, how long to wait for QEMU to exit by itself.
PANIC_GRACE = 2.0
#: After SIGTERM, how long QEMU gets before SIGKILL.
KILL_GRACE = 1.0
#: How much of the end of QEMU's debug log is read (a -d int log can be huge).
DEBUG_LOG_TAIL = 256 * 1024


#: A regular expression, as a string or compiled.
Regex = Union[str, "re.Pattern[str]"]
#: An ``expect`` item: a regex, or ``(regex, timeout in seconds)``.
ExpectItem = Union[Regex, Tuple[Regex, float]]
#: An ``input`` item: ``(trigger regex or None, data)``.
InputItem = Tuple[Optional[Regex], Union[str, bytes]]
#: A log file listed in a failure message: ``(label, path)``.
LogFile = Tuple[str, StrPath]

_T = TypeVar("_T")


# --- following the serial output ---------------------------------------------

def _as_patterns(items: Regex | Iterable[_T]) -> list[Regex | _T]:
    """A bare string is one pattern; otherwise an iterable of patterns."""
    return [items] if isinstance(items, (str, re.Pattern)) else list(items)


class SerialWatcher:
    """Follows serial lines as they arrive and decides when to stop reading.

    ``expect`` items are regexes (str or compiled) or ``(regex, timeout)``;
    they must match in order, each one searched in the lines after the
    previous match (the rest of the matching line included).  Each has its
    own timeout, counted from the previous match (the first from the start).
    A line matching any ``forbid`` regex is a failure.

    ``input`` items are ``(regex, data)``: ``data`` (bytes, or str sent as
    UTF-8) is due once ``regex`` matched a line, in order, each searched
    after the previous item's match like ``expect``; a regex of None makes it
    due at once (after the previous item).  Due data collects in
    :attr:`to_send` for the caller to write to the guest.

    Feed lines with :meth:`feed`; :attr:`stop_at` becomes the time at which
    the caller should stop reading (None: keep going), and
    :meth:`pattern_deadline` the time at which the pending pattern times out.
    """

    def __init__(self, expect: Regex | Iterable[ExpectItem] = (), forbid: Regex | Iterable[Regex] = (),
                 exit_status: int | None = None, timeout: float = 30.0, start: float = 0.0,
                 input: Iterable[InputItem] = ()):
        self.expect: list[tuple[re.Pattern[str], float]] = []
        for item in _as_patterns(expect):
            regex, limit = item if isinstance(item, tuple) else (item, timeout)
            self.expect.append((re.compile(regex), float(limit)))
        self.forbid = [re.compile(p) for p in _as_patterns(forbid)]
        # With nothing to wait for, wait for QEMU to exit.
        self.wait_for_exit = exit_status is not None or not self.expect
        self.lines: list[str] = []
        self.line_times: list[float] = []  # time.monotonic() when each line was read
        self.matches: list[re.Match[str]] = []  # per matched expectation
        self.match_lines: list[int] = []  # index in self.lines of each match
        self.next = 0            # index of the expectation being waited for
        self.since = start       # when waiting for expect[next] began
        self.forbidden: tuple[str, int, str] | None = None  # (pattern, line index, line), the first
        self.panic_start: int | None = None  # line index of "PANIC: ..."
        self.panic_end: int | None = None    # line index of "end of panic report"
        self.stop_at: float | None = None
        self.inputs: list[tuple[re.Pattern[str] | None, bytes]] = []
        for trigger, data in input:
            self.inputs.append((None if trigger is None else re.compile(trigger),
                                data.encode() if isinstance(data, str) else bytes(data)))
        self.input_next = 0      # index of the input item waiting for its trigger
        self.to_send: list[bytes] = []  # data due, not handed to the guest yet
        self.sent: list[tuple[int | None, bytes]] = []  # (serial line index or None, data) per item due
        self._due_inputs(None, "", 0)

    def _due_inputs(self, index: int | None, line: str, pos: int) -> None:
        """Make due every input item whose trigger matches ``line`` from ``pos`` on."""
        while self.input_next < len(self.inputs):
            regex, data = self.inputs[self.input_next]
            if regex is not None:
                m = regex.search(line, pos) if index is not None else None
                if not m:
                    break
                pos = m.end()
            self.to_send.append(data)
            self.sent.append((index if regex is not None else None, data))
            self.input_next += 1

    @property
    def unsent_inputs(self) -> list[tuple[re.Pattern[str] | None, bytes]]:
        """The input items whose trigger never appeared."""
        return self.inputs[self.input_next:]

    @property
    def all_matched(self) -> bool:
        """Every ``expect`` pattern matched."""
        return self.next == len(self.expect)

    @property
    def in_panic(self) -> bool:
        """A panic report started and has not ended yet."""
        return self.panic_start is not None and self.panic_end is None

    def pattern_deadline(self) -> float | None:
        """When the pending expectation times out, or None if none is pending."""
        if self.all_matched:
            return None
        return self.since + self.expect[self.next][1]

    def feed(self, line: str, now: float) -> None:
        """Take one complete serial line, received at time ``now``."""
        index = len(self.lines)
        self.lines.append(line)
        self.line_times.append(now)

        pos = 0
        while not self.all_matched:
            m = self.expect[self.next][0].search(line, pos)
            if not m:
                break
            self.matches.append(m)
            self.match_lines.append(index)
            self.next += 1
            self.since = now
            pos = m.end()

        self._due_inputs(index, line, 0)

        new_forbidden = False
        if self.forbidden is None:
            for regex in self.forbid:
                if regex.search(line):
                    self.forbidden = (regex.pattern, index, line)
                    new_forbidden = True
                    break

        if self.panic_start is None and line.startswith(START_PREFIX):
            self.panic_start = index
        elif self.in_panic and line.strip() == END_LINE:
            self.panic_end = index

        done = bool(self.expect) and self.all_matched and not self.wait_for_exit
        if self.panic_end == index:
            # The report is complete: stop, or give QEMU a moment to exit.
            self._stop(now if done or self.forbidden else now + PANIC_GRACE)
        elif done or new_forbidden:
            # Let a panic report in progress finish so it can be shown whole.
            self._stop(now + PANIC_GRACE if self.in_panic else now)

    def _stop(self, when: float) -> None:
        self.stop_at = when if self.stop_at is None else min(self.stop_at, when)


# --- running QEMU -------------------------------------------------------------

_live: set[subprocess.Popen[bytes]] = set()
_live_lock = threading.Lock()
_handlers_installed = False
_previous_sigterm: Callable[[int, FrameType | None], Any] | int | None = None


def _terminate(proc: subprocess.Popen[bytes]) -> bool:
    """Kill ``proc``'s process group (SIGTERM, then SIGKILL) and reap it.

    Returns True if it was still running, i.e. the harness killed it.
    """
    running = proc.poll() is None
    if running:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(KILL_GRACE)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    proc.wait()
    with _live_lock:
        _live.discard(proc)
    return running


def _kill_all() -> None:
    """Kill every QEMU this process started that is still running."""
    with _live_lock:
        procs = list(_live)
    for proc in procs:
        _terminate(proc)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    _kill_all()
    previous = _previous_sigterm
    if callable(previous):
        previous(signum, frame)
    elif previous != signal.SIG_IGN:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)


def _install_handlers() -> None:
    global _handlers_installed, _previous_sigterm
    if _handlers_installed:
        return
    _handlers_installed = True
    atexit.register(_kill_all)
    try:
        _previous_sigterm = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread: rely on atexit and finally
        pass


@dataclass
class _Run:
    """What one QEMU process did."""
    exit_status: int | None  # None: the harness killed it
    duration: float
    ended: str                  # "exit", "stop", "pattern-timeout" or "timeout"
    stopped: float              # time.monotonic() when reading stopped
    received: int               # serial bytes received
    where: str = ""             # where the kernel was when it timed out (where.report())


def run_qemu(command: Sequence[str], watcher: SerialWatcher, timeout: float, serial_log: StrPath,
             stderr_log: StrPath, on_timeout: Callable[[], str] | None = None) -> _Run:
    """Run QEMU, feeding its serial output to ``watcher`` line by line.

    Stops when QEMU exits, the watcher says so, the pending pattern times
    out, or ``timeout`` seconds have passed.  The raw serial bytes go to
    ``serial_log`` and QEMU's stderr to ``stderr_log``.  Data the watcher
    makes due (``input``) is written to QEMU's stdin, the guest's serial port.
    QEMU is always killed and reaped before this returns or raises, and dies with this
    process whatever ends it (the parent-death signal: where.die_with_parent()).  When it
    times out with QEMU still running, ``on_timeout()``'s text (where the kernel was) is kept.
    """
    _install_handlers()
    start = time.monotonic()
    watcher.since = start
    deadline = start + timeout
    received, pending = 0, b""
    ended, where_text = "timeout", ""
    with open(serial_log, "wb", buffering=0) as serial, open(stderr_log, "wb") as stderr:
        try:
            proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, start_new_session=True,
                                    stdin=subprocess.PIPE if watcher.inputs else subprocess.DEVNULL,
                                    preexec_fn=where.die_with_parent)
        except FileNotFoundError as e:
            raise FileNotFoundError(f"cannot run QEMU {command[0]!r} ({e.strerror}); "
                                    f"install it or set QEMU=/path/to/qemu-system-x86_64") from e
        with _live_lock:
            _live.add(proc)
        try:
            assert proc.stdout is not None
            _send_input(proc, watcher)
            fd = proc.stdout.fileno()
            os.set_blocking(fd, False)
            with selectors.DefaultSelector() as selector:
                selector.register(fd, selectors.EVENT_READ)
                while True:
                    limits = {"timeout": deadline, "stop": watcher.stop_at,
                              "pattern-timeout": watcher.pattern_deadline()}
                    ended, until = min(((k, v) for k, v in limits.items() if v is not None),
                                       key=lambda kv: kv[1])
                    now = time.monotonic()
                    if now >= until:
                        break
                    if not selector.select(until - now):
                        continue
                    try:
                        data = os.read(fd, 65536)
                    except BlockingIOError:
                        continue
                    if not data:
                        ended = "exit"
                        break
                    serial.write(data)
                    received += len(data)
                    *complete, pending = (pending + data).split(b"\n")
                    now = time.monotonic()
                    for raw in complete:
                        watcher.feed(_decode(raw), now)
                    _send_input(proc, watcher)
            stopped = time.monotonic()
            if pending:
                watcher.feed(_decode(pending), stopped)
            if ended == "exit":
                try:
                    proc.wait(PANIC_GRACE)
                except subprocess.TimeoutExpired:
                    pass
            elif ended.endswith("timeout") and on_timeout is not None and proc.poll() is None:
                where_text = on_timeout()
        finally:
            killed = _terminate(proc)
            if proc.stdout:
                proc.stdout.close()
            if proc.stdin:
                try:
                    proc.stdin.close()
                except OSError:
                    pass
    return _Run(exit_status=None if killed else proc.returncode,
                duration=time.monotonic() - start, ended=ended, stopped=stopped,
                received=received, where=where_text)


def _send_input(proc: subprocess.Popen[bytes], watcher: SerialWatcher) -> None:
    """Write the input that became due to QEMU's stdin (a small write: the pipe takes it whole)."""
    while watcher.to_send:
        data = watcher.to_send.pop(0)
        assert proc.stdin is not None
        try:
            proc.stdin.write(data)
            proc.stdin.flush()
        except (BrokenPipeError, OSError):  # QEMU is gone; its exit tells the rest
            watcher.to_send.clear()


def _decode(raw: bytes) -> str:
    """One serial line as text. A carriage return at either end moves nothing on a terminal: gone
    (EFI GRUB ends its output with one, so the kernel's first line would start with it)."""
    return raw.decode("utf-8", errors="replace").strip("\r")


# --- boot() -----------------------------------------------------------------

@dataclass
class BootResult:
    """The outcome of boot().  ``kind`` is FailureKind.OK or the failure's kind."""
    lines: list[str]
    output: str
    exit_status: int | None
    duration: float
    log_path: str
    command: list[str]
    matches: list[re.Match[str]]
    panic: PanicReport | None
    failure: BootFailure | None
    kind: FailureKind
    qemu_log_path: str = ""
    stderr: str = ""
    triple_fault_rip: int | None = None
    extra_logs: list[LogFile] = field(default_factory=list)
    sent: list[tuple[int | None, bytes]] = field(default_factory=list)
    where: str = ""  #: where the kernel was when the boot timed out (where.report()), or ""
    #: time.monotonic() when each of ``lines`` was read from the serial port (a line that waited
    #: in the pipe for the harness reads late, never early)
    line_times: list[float] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Nothing failed."""
        return self.failure is None

    def check(self) -> BootResult:
        """Raise the failure, if any; return self otherwise."""
        if self.failure is not None:
            raise self.failure
        return self


_used_names: dict[str, int] = {}
_sockets = itertools.count(1)


def log_name(kernel: StrPath, name: str | None = None) -> str:
    """The base name of a run's log files: ``name`` (default: the kernel's file name), made
    safe for a file name.  A name used again in this process gets ``.2``, ``.3``...
    """
    if name is None:
        name = Path(kernel).stem
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._")[:150] or "kernel"
    count = _used_names[name] = _used_names.get(name, 0) + 1
    return name if count == 1 else f"{name}.{count}"


def _read_tail(path: StrPath, limit: int = DEBUG_LOG_TAIL) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(max(0, os.fstat(f.fileno()).st_size - limit))
            return f.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


def boot(kernel: StrPath, iso: StrPath | None = None, cmdline: str = "",
         modules: Iterable[qemu.Module] = (), memory: str = "128M", machine: str = "pc",
         expect: Regex | Iterable[ExpectItem] = (), forbid: Regex | Iterable[Regex] = (),
         exit_status: int | None = qemu.EXIT_SUCCESS, timeout: float = 30.0,
         extra_args: Sequence[StrPath] = (), name: str | None = None,
         log_dir: StrPath | None = None, check: bool = True, debug_hint: str | None = None,
         input: Iterable[InputItem] = (), firmware: str = "bios", disk: StrPath | None = None) -> BootResult:
    """Boot ``kernel`` (or ``iso``, or the hard-disk image ``disk``) in QEMU and check what it prints.

    See the package README for the arguments.  Returns a BootResult; if the
    run failed and ``check`` is true, raises its BootFailure instead.
    """
    kernel = os.fspath(kernel)
    log_dir = Path(log_dir or os.environ.get("FRAME_TEST_LOGS") or "build/test-logs")
    log_dir.mkdir(parents=True, exist_ok=True)
    base = log_name(kernel, name)
    serial_log = log_dir / f"{base}.serial.log"
    qemu_log = log_dir / f"{base}.qemu.log"
    stderr_log = log_dir / f"{base}.stderr.log"
    named = qemu.check_modules(modules)
    if disk is not None and (iso is not None or cmdline or named):  # before an ISO is made for nothing
        raise ValueError("disk= boots an image as it is: not with iso=, cmdline or modules")
    if iso is not None and (cmdline or named):
        boot_args = _BootArgs(make_iso(kernel, log_dir / f"{base}.iso", cmdline, named), "", [], memory, machine,
                              extra_args, firmware, disk)
    else:
        boot_args = _BootArgs(iso, cmdline, _link_spaced(named, log_dir / f"{base}.modules"), memory, machine,
                              extra_args, firmware, disk)
    # A GDB stub for where.report() when the boot times out (none if no path to it is short enough).
    # Named shortly: a Unix socket's path must fit in 108 bytes, and the log's base may not.
    sock = log_dir / f"gdb-{os.getpid()}-{next(_sockets)}.sock"
    gdb_args = where.gdb_socket_arg(sock) or []
    command = qemu.build_command(kernel, qemu_log=qemu_log, gdb=gdb_args, **boot_args._asdict())

    watcher = SerialWatcher(expect, forbid, exit_status, timeout, input=input)
    try:
        run = run_qemu(command, watcher, timeout, serial_log, stderr_log,
                       on_timeout=(lambda: where.report(kernel, sock)) if gdb_args else None)
    finally:
        sock.unlink(missing_ok=True)

    lines = watcher.lines
    panic = parse_report(lines, elf=kernel)
    stderr = _read_tail(stderr_log, 64 * 1024)
    if not stderr:
        stderr_log.unlink(missing_ok=True)
    extra_logs: list[LogFile] = []

    reset = None
    if run.exit_status == qemu.EXIT_RESET and exit_status != qemu.EXIT_RESET:
        reset = _diagnose_reset(kernel, qemu_log, log_dir / base, boot_args, timeout, input)
        extra_logs += reset.logs

    problems = _problems(watcher, run, exit_status, timeout, panic, reset, kernel, stderr)
    kind = problems[0][0] if problems else FailureKind.OK
    result = BootResult(
        lines=lines, output="\n".join(lines), exit_status=run.exit_status,
        duration=run.duration, log_path=str(serial_log), command=command,
        matches=watcher.matches, panic=panic, failure=None, kind=kind,
        qemu_log_path=str(qemu_log), stderr=stderr,
        triple_fault_rip=reset.rip if reset else None, extra_logs=extra_logs, sent=watcher.sent,
        where=run.where, line_times=watcher.line_times)

    if problems:
        details = [problems[0][2]]
        if len(problems) > 1:
            details.append("also:\n" + "\n".join(f"  - {p[1]}" for p in problems[1:]))
        qemu_stderr = "\n".join(line for line in stderr.splitlines()
                                if "terminating on signal" not in line)
        if qemu_stderr:
            details.append("QEMU stderr:\n" + qemu_stderr)
        if watcher.unsent_inputs:
            details.append("input never sent (its trigger did not appear):\n" + "\n".join(
                f"  {'after ' + repr(regex.pattern) if regex else 'at once'}: {data!r}"
                for regex, data in watcher.unsent_inputs))
        logs: list[LogFile] = [("serial", serial_log), ("qemu -d log", qemu_log)]
        if stderr:
            logs.append(("qemu stderr", stderr_log))
        logs += extra_logs
        message = format_message(f"{os.path.basename(kernel)}: {problems[0][1]}", details,
                                 lines, command, logs, hint_line(kernel, debug_hint, cmdline))
        result.failure = BootFailure(message, kind, result)
        if check:
            raise result.failure
    return result


def _mkiso() -> Path:
    """sdk/tools/mkiso: beside the harness in the SDK (build/sdk/tools), or in the repository."""
    here = Path(__file__).resolve().parent.parent
    for tool in (here / "tools" / "mkiso", here.parent / "sdk" / "tools" / "mkiso"):
        if tool.exists():
            return tool
    raise FileNotFoundError(f"mkiso not found beside the harness ({here})")


def make_iso(kernel: StrPath, iso: StrPath, cmdline: str = "",
             modules: Iterable[qemu.Module] = ()) -> str:
    """A GRUB ISO at ``iso`` that boots ``kernel`` with ``cmdline`` and ``modules`` (as
    kernel.mk's ISO with CMDLINE and MODULES: sdk/tools/mkiso).  Returns its path."""
    specs = [f"{os.path.abspath(path)}={name}" for path, name in qemu.check_modules(modules)]
    r = subprocess.run([str(_mkiso()), os.fspath(kernel), os.fspath(iso), cmdline, *specs],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"mkiso failed making {iso}:\n{r.stdout}{r.stderr}")
    return os.fspath(iso)


def _link_spaced(modules: list[tuple[str, str]], directory: Path) -> list[tuple[str, str]]:
    """The modules, each file whose path has a space (which QEMU's -initrd cannot carry) linked
    as ``directory/name`` first."""
    out = []
    for path, name in modules:
        if " " in path:
            directory.mkdir(parents=True, exist_ok=True)
            link = directory / name
            link.unlink(missing_ok=True)
            link.symlink_to(os.path.abspath(path))
            if " " in str(link):
                raise ValueError(f"boot module {path!r}: its path has a space, and so has the log directory")
            path = str(link)
        out.append((path, name))
    return out


class _BootArgs(NamedTuple):
    """boot()'s arguments for QEMU's command line, kept for a diagnostic re-run."""
    iso: StrPath | None
    cmdline: str
    modules: Iterable[qemu.Module]
    memory: str
    machine: str
    extra_args: Sequence[StrPath]
    firmware: str = "bios"
    disk: StrPath | None = None


class _Reset(NamedTuple):
    """Where the machine reset: ``rip`` (None if unknown), where that came from, whether QEMU
    logged a triple fault, and the diagnostic re-run's log."""
    rip: int | None
    source: str
    saw_triple: bool
    logs: list[LogFile]


def _diagnose_reset(kernel: StrPath, qemu_log: Path, log_base: Path, boot_args: _BootArgs,
                    timeout: float, input: Iterable[InputItem] = ()) -> _Reset:
    """Where did the machine reset?

    ``-d cpu_reset`` has no registers for a triple fault under -no-reboot
    (QEMU 7.2 only logs "Triple fault"), so in that case the kernel is booted
    again with ``-d cpu_reset,int``, which logs every exception with its
    registers, and RIP is taken from the last one before the triple fault.
    """
    log_text = _read_tail(qemu_log)
    saw_triple = qemu.saw_triple_fault(log_text)
    rip, source = qemu.triple_fault_rip(log_text), f"QEMU log {qemu_log}"
    if rip is not None or not saw_triple:
        return _Reset(rip, source, saw_triple, [])
    int_log = Path(f"{log_base}.int.qemu.log")
    command = qemu.build_command(kernel, qemu_log=int_log,
                                 debug_items=qemu.DEBUG_ITEMS_WITH_INTERRUPTS, **boot_args._asdict())
    rerun = run_qemu(command, SerialWatcher(exit_status=0, timeout=timeout, input=input), timeout,
                     f"{log_base}.int.serial.log", os.devnull)
    if rerun.exit_status == qemu.EXIT_RESET:
        rip = qemu.triple_fault_rip(_read_tail(int_log))
        source = f"a diagnostic re-run with -d int ({int_log})"
    else:
        source = "nowhere: a diagnostic re-run with -d int did not reproduce the reset"
    return _Reset(rip, source, saw_triple, [("diagnostic re-run with -d int", int_log)])


def _problems(w: SerialWatcher, run: _Run, expected_exit: int | None, timeout: float,
              panic: PanicReport | None, reset: _Reset | None, kernel: StrPath,
              stderr: str) -> list[tuple[FailureKind, str, str]]:
    """Everything that went wrong, most telling first: ``(kind, headline, details)`` each."""
    problems = []
    if panic is not None and w.panic_start is not None:
        end = w.panic_end if w.panic_end is not None else len(w.lines) - 1
        if not any(w.panic_start <= i <= end for i in w.match_lines):
            problems.append((FailureKind.PANIC, f"the kernel panicked: {panic.message}", panic.format()))

    if reset is not None:
        rip, source, saw_triple, _ = reset
        what = "the CPU triple-faulted" if saw_triple else \
            "the machine reset (QEMU's log shows no triple fault: a reset request?)"
        if rip is not None:
            at = f"at RIP={rip:#018x} {symbolize(kernel, [rip])[0]}"
        else:
            at = "at an unknown RIP"
        problems.append((FailureKind.TRIPLE_FAULT, f"{what} {at}",
                         f"QEMU exited with status 0, which under -no-reboot means the machine "
                         f"reset; RIP from {source}."))

    if w.forbidden is not None:
        pattern, index, line = w.forbidden
        problems.append((FailureKind.FORBIDDEN, f"forbidden pattern {pattern!r} matched serial "
                                                f"line {index + 1}: {line!r}", ""))

    if run.received == 0:
        described = qemu.describe_exit_status(run.exit_status)
        problems.append((FailureKind.NO_OUTPUT, f"QEMU produced no serial output at all ({described})",
                         "" if stderr else "QEMU's stderr is empty."))

    status = run.exit_status
    if expected_exit is not None and not (reset and status == qemu.EXIT_RESET):
        if status is not None and status != expected_exit:
            problems.append((FailureKind.EXIT_STATUS, f"expected QEMU exit status {expected_exit}, "
                                                      f"got {status}",
                             f"got:      {qemu.describe_exit_status(status)}\n"
                             f"expected: {qemu.describe_exit_status(expected_exit)}"))
        elif (status is None and run.ended == "stop" and w.panic_end is not None
              and w.forbidden is None):  # we were waiting for QEMU to exit after the panic
            problems.append((FailureKind.EXIT_STATUS, f"expected QEMU exit status {expected_exit}, "
                                                      f"but QEMU had not exited {PANIC_GRACE:g} s "
                                                      f"after the panic report (killed)",
                             f"expected: {qemu.describe_exit_status(expected_exit)}"))

    if not w.all_matched:
        k = w.next
        what = f"expect[{k}] {w.expect[k][0].pattern!r} (pattern {k + 1} of {len(w.expect)})"
        since = f"expect[{k - 1}] matched (serial line {w.match_lines[-1] + 1})" if k else "boot"
        waited = f"waited {run.stopped - w.since:.1f} s since {since}"
        if run.ended == "exit":
            headline = f"QEMU exited (status {status}) before {what} appeared; {waited}"
        elif run.ended == "stop":
            headline = f"stopped reading (see above) before {what} appeared; {waited}"
        else:
            headline = f"timed out waiting for {what}: {waited}{_where_headline(run.where)}"
        problems.append((FailureKind.TIMEOUT, headline,
                         f"limits: {w.expect[k][1]:g} s for this pattern, {timeout:g} s overall"
                         + (f"\n{run.where}" if run.where else "")))
    elif w.wait_for_exit and status is None and run.ended == "timeout":
        problems.append((FailureKind.TIMEOUT, f"QEMU did not exit within {timeout:g} s"
                                              + (" (all expected patterns matched)" if w.expect else "")
                                              + _where_headline(run.where),
                         "\n".join(filter(None, [f"expected: {qemu.describe_exit_status(expected_exit)}"
                                                  if expected_exit is not None else "", run.where]))))
    return problems


def _where_headline(text: str) -> str:
    """``"; the kernel was spinning in f+0x4 (main.c:15)"`` from where.report()'s first line."""
    first = text.split("\n", 1)[0]
    if not first.startswith("where: ") or first.startswith("where: unknown") or "cannot" in first:
        return ""
    return "; the kernel was " + first[len("where: "):].split(" (the CPU was")[0]
