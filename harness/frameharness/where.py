"""Where a running kernel is, and the run targets' QEMU wrapper.

report(elf, sock): a few lines saying where the kernel was — idle (every task waits, and on
what) or spinning, the instruction pointer and the running task's backtrace as
``function+0xoff (file:line)`` — read through QEMU's GDB stub on the Unix socket ``sock`` by GDB
in batch mode (where_gdb.py).  boot() prints it when a test times out; ``make run`` and
``run-direct`` print it when interrupted (Ctrl-C).

``python3 -c "from frameharness.where import main; ..." run ELF BUILD_DIR EXIT_STATUS_TOOL -- QEMU ARGS...`` is how the
run targets start QEMU: with a GDB socket ``BUILD_DIR/gdb.sock`` (for ``make attach``), its
stdin relayed through this process, and no QEMU left behind (see run()).

Environment: GDB overrides the ``gdb`` command.
"""

from __future__ import annotations

import ctypes
import os
import select
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .paths import StrPath

#: A Unix socket's path must fit in sockaddr_un (108 bytes, with its NUL).
SOCK_PATH_MAX = 100
_PR_SET_PDEATHSIG = 1


def _own_group_dying_with_parent() -> None:
    os.setpgid(0, 0)
    die_with_parent()


try:  # looked up here, once: a dlopen() in preexec_fn, after fork in a threaded process, may deadlock
    _prctl: Any = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):
    _prctl = None


def die_with_parent() -> None:
    """For Popen's ``preexec_fn``: the child gets SIGKILL when the thread that started it ends
    (its process killed by any signal, SIGKILL included).  Linux only; elsewhere nothing."""
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def gdb_socket_arg(sock: StrPath) -> list[str] | None:
    """QEMU's arguments for a GDB stub on the Unix socket ``sock``, running (not waiting for
    GDB); None if no form of the path (absolute or relative to here) is short enough."""
    for path in (os.path.abspath(sock), os.path.relpath(sock)):
        if len(path) <= SOCK_PATH_MAX:  # QEMU's option syntax: a comma in a value is written twice
            return ["-gdb", f"unix:{path.replace(',', ',,')},server=on,wait=off"]
    return None


def report(elf: StrPath, sock: StrPath, samples: int = 5, timeout: float = 30.0) -> str:
    """Where the kernel running under QEMU's GDB stub at ``sock`` is (see the module docstring).

    Never raises: a failure (no GDB, no socket, GDB stuck) is said in the text instead.  The
    machine is left stopped when GDB exits (QEMU stops it while a debugger is attached and on
    detach resumes it): the caller kills QEMU afterwards.
    """
    if not os.path.exists(sock):
        return f"where: unknown (no GDB socket at {os.fspath(sock)})"
    sock = os.path.abspath(sock)
    cwd = None
    if len(sock) > SOCK_PATH_MAX:  # GDB names it relatively, from its directory
        cwd, sock = os.path.dirname(sock), os.path.basename(sock)
    script = Path(__file__).with_name("where_gdb.py")
    cmd = shlex.split(os.environ.get("GDB", "gdb")) + [
        "-n", "-batch", "-ex", "set pagination off", "-ex", "set confirm off",
        "-ex", "set architecture i386:x86-64", "-ex", f"file {os.path.abspath(elf)}", "-x", str(script)]
    env = dict(os.environ, FRAME_WHERE_SOCK=sock, FRAME_WHERE_SAMPLES=str(samples))
    try:
        r = subprocess.run(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=timeout, preexec_fn=die_with_parent)
    except FileNotFoundError:
        return "where: unknown (GDB is not installed; sudo apt-get install gdb)"
    except subprocess.TimeoutExpired:
        return f"where: unknown (GDB did not answer within {timeout:g} s)"
    lines = [line for line in r.stdout.splitlines() if line.startswith(("where:", "  "))]
    if not lines:
        return "where: unknown (GDB said: " + (r.stderr.strip() or r.stdout.strip() or "nothing") + ")"
    return "\n".join(lines)


# --- the run targets' wrapper --------------------------------------------------

_FATAL = (signal.SIGHUP, signal.SIGINT, signal.SIGTERM)


def _make_ancestors() -> list[tuple[int, int]]:
    """``(pid, its parent's pid)`` for each ``make`` above this process, nearest first: the
    processes whose end (or interruption) must end QEMU."""
    out, pid = [], os.getppid()
    while pid > 1:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            break
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        if comm not in ("make", "gmake", "sh", "dash", "bash"):
            break
        if comm in ("make", "gmake"):  # shells between makes are recipes: go on through them
            out.append((pid, ppid))
        pid = ppid
    return out


def _interrupted(ancestors: list[tuple[int, int]]) -> bool:
    """Whether a make above is gone, or is handling a fatal signal sent to it alone.

    GNU make, on SIGINT or SIGHUP, waits for its children to end, which they never would: the
    terminal sent them nothing.  While its handler runs the signal is blocked, which
    /proc/PID/status shows (SigBlk); a make that died (a zombie until its parent reaps it) or
    whose parent changed is gone.
    """
    mask = sum(1 << (s - 1) for s in _FATAL)
    for pid, ppid in ancestors:
        try:
            fields = dict(line.split(":\t", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                          if ":\t" in line)
        except OSError:
            return True
        if (fields.get("State", "Z")[0] in "ZX" or int(fields.get("PPid", "0")) != ppid
                or int(fields.get("SigBlk", "0"), 16) & mask):
            return True
    return False


def run(elf: str, build: str, exit_status_tool: str, qemu_args: list[str]) -> int:
    """Run QEMU for ``make run``/``run-direct`` and return what make should exit with.

    QEMU gets a GDB stub at BUILD/gdb.sock (``make attach``), its own process group (a
    terminal's Ctrl-C reaches this process, not QEMU) and its stdin through this process, and
    dies with this process (the parent-death signal).  This process dies with its make (the
    parent-death signal again, the recipe ``exec``s it), and watches the makes above it: one
    gone or interrupted ends QEMU.  Ctrl-C (SIGINT) prints where the kernel was, then ends QEMU;
    SIGTERM and SIGHUP end it at once.  When QEMU exits by itself, EXIT_STATUS_TOOL explains
    its status.
    """
    die_with_parent()
    ancestors = _make_ancestors()
    sock = os.path.join(build, "gdb.sock")
    gdb_arg = gdb_socket_arg(sock)
    if gdb_arg is None:
        print(f"note: no GDB socket (make attach): the path {os.path.abspath(sock)} is too long for one",
              file=sys.stderr)
    caught: list[int] = []
    for s in _FATAL:
        signal.signal(s, lambda signum, frame: caught.append(signum))
    proc = subprocess.Popen(qemu_args + (gdb_arg or []), stdin=subprocess.PIPE,
                            preexec_fn=_own_group_dying_with_parent)
    assert proc.stdin is not None
    tty = os.isatty(0)
    saved = _raw_with_signals(0) if tty else None
    stdin_open = True
    try:
        while proc.poll() is None and not caught and not _interrupted(ancestors):
            try:
                ready = select.select([0] if stdin_open else [], [], [], 0.2)[0]
            except InterruptedError:
                continue
            if not ready:
                continue
            data = os.read(0, 4096)
            if not data:
                stdin_open = False
                continue
            try:
                proc.stdin.write(data)
                proc.stdin.flush()
            except BrokenPipeError:
                stdin_open = False
    finally:
        if saved is not None:
            import termios
            termios.tcsetattr(0, termios.TCSADRAIN, saved)
    if proc.poll() is None:
        interrupted = signal.SIGINT in caught or not caught
        if interrupted and gdb_arg and signal.SIGINT in caught:
            print("\r\ninterrupted; " + report(elf, sock).replace("\n", "\r\n" if tty else "\n"), flush=True)
        proc.kill()
        proc.wait()
        _remove(sock)
        return 128 + (caught[0] if caught else signal.SIGTERM)
    _remove(sock)
    status = proc.returncode if proc.returncode >= 0 else 128 - proc.returncode  # killed by a signal
    return subprocess.call([exit_status_tool, str(status)])


def _raw_with_signals(fd: int) -> list[Any]:
    """The terminal in raw mode, as QEMU's own stdio sets it, but Ctrl-C still a signal (to this
    process, not to QEMU in its own group); returns the old settings."""
    import termios
    import tty
    saved = termios.tcgetattr(fd)
    tty.setraw(fd, termios.TCSADRAIN)
    mode = termios.tcgetattr(fd)
    mode[1] |= termios.OPOST  # output as before: "\n" is still a new line
    mode[3] |= termios.ISIG
    mode[6][termios.VQUIT] = mode[6][termios.VSUSP] = b"\0"  # Ctrl-\ and Ctrl-Z go to the kernel, as before
    termios.tcsetattr(fd, termios.TCSADRAIN, mode)
    return saved


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


_SO_ACCEPTCON = 0x10000  # /proc/net/unix's flag of a listening socket


def listening(sock: StrPath) -> bool:
    """Whether a process (QEMU) listens on the Unix socket ``sock``, under either name
    gdb_socket_arg() may give it; without connecting, which would stop QEMU's machine.  A socket
    file whose QEMU died without removing it (killed) is not.  True where Linux's
    /proc/net/unix is not there to ask."""
    names = {os.path.abspath(sock), os.path.relpath(sock)}
    try:
        with open("/proc/net/unix") as f:
            rows = f.read().splitlines()[1:]
    except OSError:
        return True
    return any(len(r) >= 8 and r[7] in names and int(r[3], 16) & _SO_ACCEPTCON for r in map(str.split, rows))


def main(argv: list[str]) -> int:
    if argv[:1] == ["listening"] and len(argv) == 2:  # make attach: exit status 0 if QEMU is there
        return 0 if listening(argv[1]) else 1
    if len(argv) < 6 or argv[0] != "run" or argv[4] != "--":
        print("usage: frameharness.where.main(): run ELF BUILD_DIR EXIT_STATUS_TOOL -- QEMU ARGS...\n"
              "       frameharness.where.main(): listening SOCK", file=sys.stderr)
        return 2
    return run(argv[1], argv[2], argv[3], argv[5:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
