"""The Linux column of ``make bench``: Debian's kernel measuring the same rows in the same QEMU.

Usage: python3 -m frameharness.linux [--build DIR] [--rounds N] [--init-source FILE]

:func:`linux_figures` prepares everything under ``<build>/bench-linux/`` and boots:

* the kernel: ``apt-get download linux-image-amd64`` (the metapackage), then the versioned
  ``linux-image-<abi>-amd64`` package it depends on; only ``boot/vmlinuz-*`` is unpacked (from
  ``dpkg-deb --fsys-tarfile``; the modules are not needed), and nothing is installed.  A second run
  finds the kernel there and downloads nothing.  If the download fails, the package lists may be
  missing or old: run ``apt-get update`` (as root) and try again.
* ``/init``: ``tests/linux-init/init.c`` built static with ``musl-gcc`` (``make deps`` installs it),
  in an initramfs (cpio "newc", written here) with ``/dev/console``, ``/mnt``, ``/proc``, ``/sys``.

Each round boots Linux twice with the frame's QEMU flags (``build_command()``: TCG, ``-M pc``,
``-nic none``, 128 MiB, one CPU, serial on stdio, ``-no-reboot``) and ``-append "console=ttyS0 quiet
panic=-1"``: once with ``linux_bench=boot``, where ``/init`` powers off at once and the host times
QEMU's start to its exit (``boot``), and once to measure, where ``/init`` prints one ``figure:`` line per
row (the figure contract) and powers off.  Linux's power-off (ACPI) makes QEMU exit with status 0.

What each Linux figure measures, and how like for like it is with the frame's:

* ``null_syscall``: ``syscall(SYS_getppid)``, 100 per timed run.  A full Linux system call (entry,
  the system-call table, the return path's work checks, Debian's default mitigations) against the
  frame's ``user_mode_run`` round trip: the same hardware path (SYSCALL/SYSRET), like for like.
* ``user_switch``: two processes pinned to CPU 0 calling ``sched_yield`` in turn, the time per switch
  (each of the timed process's yields is two switches, there and back).  Both run ``SCHED_FIFO`` at
  one priority, where a yield always goes to the other process; under the default ``SCHED_OTHER``,
  CFS often gives the CPU back to the yielding process (measured: 60-94% of yields switched, so the
  median swung between 0.55 and 13 µs from boot to boot).  The other process counts its yields,
  printed on the line, to show the pair alternated.  Like the frame's two programs in two address
  spaces: system call, scheduler, address-space (CR3) switch, floating-point state, return to user
  mode; Linux's real-time class is its simplest scheduler, but still more work than a round robin.
* ``map_touch_unmap``: ``mmap`` of one anonymous page, one write (the fault allocates and zeroes
  the page), ``munmap``, one per timed run.  Both system calls, the zeroing, the mapping, the touch
  and the unmap, like the frame's; but Linux maps lazily (the touch takes a page fault) and creates
  and destroys a VMA each round, and its ``munmap`` frees the page-table page and flushes the TLB,
  which TCG makes expensive.
* ``copy_from_user_4k``: ``pwrite`` of 4 KiB to offset 0 of a file on ramfs, 10 per timed run.
  One system call copying 4 KiB of user memory into the kernel (into the file's page-cache page),
  plus the VFS's file-write work (locks, timestamps); the frame copies into a kernel buffer only.
* ``boot``: QEMU start to exit with an ``/init`` that powers off at once: real-mode setup,
  decompressing the kernel, the initramfs, all built-in drivers, ACPI power-off.  A general-purpose
  distribution kernel against a kernel that starts only what it uses; not like for like, but the
  same measure (``-kernel`` direct boot, start to exit).

Timing inside: the TSC (``rdtsc``), its rate calibrated against ``CLOCK_MONOTONIC`` over 200 ms
(under TCG the guest's TSC runs at the host's rate, so it is wall time); each row is the median of
1001 timed runs, per operation.  Each timed run is short (under 0.3 ms: 100 getppid, 10 yields, one
map, 10 pwrites), so that few runs straddle the host descheduling QEMU: with runs of 100 yields
(2.5 ms) on a loaded machine, a round's user_switch median jumped from 12.7 to 29 µs.  A round's
figure is that median; the column is the median of the rounds, with their spread.  ``boot`` is the
host's wall time of a whole QEMU process and moves most with the machine's load (4.0 s idle,
7-8 s measured while other QEMUs ran on both cores).
"""
from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import statistics
import subprocess
import tarfile
from typing import Callable, Iterable, Optional, Tuple

from .qemu import build_command
from .runner import SerialWatcher, run_qemu

#: The rows /init measures, in the order they are printed, and the one the host measures.
KEYS = ("null_syscall", "user_switch", "map_touch_unmap", "copy_from_user_4k", "boot")
#: The kernel's command line (linux_bench=... reaches /init's environment).
CMDLINE = "console=ttyS0 quiet panic=-1"
#: Seconds one boot may take under TCG before it is killed.
BOOT_TIMEOUT = 180
#: The source of /init, in the Frame repository.
INIT_SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "linux-init", "init.c")

#: One file of an initramfs: (name, st_mode, data, (device major, minor)).
CpioEntry = Tuple[str, int, bytes, Tuple[int, int]]

_FIGURE_RE = re.compile(r"^figure: (\S+) ([0-9]+(?:\.[0-9]*)?) ns\b")


class LinuxBenchError(Exception):
    """A step of preparing or booting Linux failed; the message says which and what to do."""


def parse_figures(text: str) -> dict[str, float]:
    """``{key: median_ns}`` of the ``figure: <key> <median_ns> ns ...`` lines in a serial log."""
    out = {}
    for line in text.replace("\r", "").splitlines():
        m = _FIGURE_RE.match(line)
        if m:
            out[m.group(1)] = float(m.group(2))
    return out


# --- the initramfs --------------------------------------------------------------------------

def _cpio_entry(name: str, mode: int, data: bytes = b"", rdev: tuple[int, int] = (0, 0), ino: int = 0) -> bytes:
    """One cpio "newc" record: the 110-byte header, the name, the data, each padded to 4 bytes."""
    name_bytes = name.encode() + b"\0"
    fields = (ino, mode, 0, 0, 2 if mode & 0o170000 == 0o040000 else 1, 0, len(data), 0, 0, rdev[0], rdev[1],
              len(name_bytes), 0)
    head = b"070701" + b"".join(b"%08X" % f for f in fields) + name_bytes
    head += b"\0" * (-len(head) % 4)
    return head + data + b"\0" * (-len(data) % 4)


def write_cpio(path: str, entries: Iterable[CpioEntry]) -> None:
    """Write a cpio "newc" archive (what Linux's initramfs reads) of ``(name, mode, data, (major, minor))``.

    ``mode`` is the full st_mode (type and permissions); ``(major, minor)`` is the device of a
    device node, else (0, 0).  Owners are root and times 0, so the archive depends only on its entries.
    """
    with open(path, "wb") as f:
        for ino, (name, mode, data, rdev) in enumerate(entries, start=1):
            f.write(_cpio_entry(name, mode, data, rdev, ino))
        f.write(_cpio_entry("TRAILER!!!", 0))


def initramfs_entries(init: bytes) -> list[CpioEntry]:
    """The initramfs: /init, /dev/console (so /init has a console), and the mount points it uses."""
    return [
        ("dev", 0o040755, b"", (0, 0)),
        ("dev/console", 0o020600, b"", (5, 1)),
        ("mnt", 0o040755, b"", (0, 0)),
        ("proc", 0o040755, b"", (0, 0)),
        ("sys", 0o040755, b"", (0, 0)),
        ("init", 0o100755, init, (0, 0)),
    ]


# --- preparing --------------------------------------------------------------------------------

def _run(cmd: list[str], cwd: str, what: str, hint: str = "") -> str:
    """Run a preparing step; its output, or LinuxBenchError with its output and ``hint``."""
    try:
        r = subprocess.run(cmd, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=900)
    except FileNotFoundError:
        raise LinuxBenchError(f"{what}: {cmd[0]} not found. {hint}".rstrip()) from None
    except subprocess.TimeoutExpired:
        raise LinuxBenchError(f"{what}: {' '.join(cmd)} took more than 15 minutes. {hint}".rstrip()) from None
    if r.returncode != 0:
        raise LinuxBenchError(f"{what}: {' '.join(cmd)} exited {r.returncode}:\n{r.stdout}{r.stderr}{hint}")
    return r.stdout


def _kernel_package(work: str) -> tuple[str, str]:
    """Download linux-image-amd64 and return (name, version) of the linux-image package it depends on."""
    hint = ("\nThe package lists may be missing or old: run `apt-get update` (as root), then "
            "`make bench-linux` again.")
    for old in glob.glob(os.path.join(work, "linux-image-amd64_*.deb")):
        os.remove(old)
    _run(["apt-get", "download", "linux-image-amd64"], work, "downloading Debian's linux-image-amd64", hint)
    meta = glob.glob(os.path.join(work, "linux-image-amd64_*.deb"))
    if len(meta) != 1:
        raise LinuxBenchError(f"apt-get download linux-image-amd64 left {meta} in {work}, not one package")
    depends = _run(["dpkg-deb", "-f", meta[0], "Depends"], work, "reading linux-image-amd64's dependency")
    for alternative in re.split(r"[,|]", depends):
        m = re.match(r"\s*(linux-image-[0-9][^\s(]*)\s*(?:\(\s*=\s*([^\s)]+)\s*\))?", alternative)
        if m:
            return m.group(1), m.group(2) or ""
    raise LinuxBenchError(f"linux-image-amd64 depends on {depends.strip()!r}: no versioned linux-image package")


def fetch_kernel(work: str) -> str:
    """The path of Debian's vmlinuz under ``work``/kernel, downloading and unpacking it if not there yet."""
    found = sorted(glob.glob(os.path.join(work, "kernel", "boot", "vmlinuz-*")))
    if found:
        return found[-1]
    name, version = _kernel_package(work)
    hint = ("\nThe package lists may be missing or old: run `apt-get update` (as root), then "
            "`make bench-linux` again.")
    spec = f"{name}={version}" if version else name
    print(f"bench-linux: downloading {spec} (apt-get download; unpacked into {work}, not installed)", flush=True)
    _run(["apt-get", "download", spec], work, f"downloading {spec}", hint)
    debs = glob.glob(os.path.join(work, f"{name}_*.deb"))
    if len(debs) != 1:
        raise LinuxBenchError(f"apt-get download {spec} left {debs} in {work}, not one package")
    # Only the kernel: the package's modules (hundreds of MiB unpacked) are of no use to an initramfs of one program.
    target = os.path.join(work, "kernel")
    with subprocess.Popen(["dpkg-deb", "--fsys-tarfile", debs[0]], stdout=subprocess.PIPE) as p:
        assert p.stdout is not None
        with tarfile.open(fileobj=p.stdout, mode="r|") as tar:
            for member in tar:
                path = os.path.normpath(member.name)
                if member.isfile() and re.fullmatch(r"boot/vmlinuz-[^/]+", path):
                    os.makedirs(os.path.join(target, "boot"), exist_ok=True)
                    src = tar.extractfile(member)
                    assert src is not None
                    with open(os.path.join(target, path + ".part"), "wb") as out:
                        shutil.copyfileobj(src, out)
                    os.replace(os.path.join(target, path + ".part"), os.path.join(target, path))
            with open(os.devnull, "wb") as sink:  # let dpkg-deb finish writing
                shutil.copyfileobj(p.stdout, sink)
    if p.returncode != 0:
        raise LinuxBenchError(f"dpkg-deb --fsys-tarfile {debs[0]} exited {p.returncode}")
    found = sorted(glob.glob(os.path.join(target, "boot", "vmlinuz-*")))
    if not found:
        raise LinuxBenchError(f"{debs[0]} has no boot/vmlinuz-*")
    return found[-1]


def build_initramfs(work: str, source: str) -> str:
    """Build /init from ``source`` (static, musl-gcc) and the initramfs around it; its path."""
    init = os.path.join(work, "init")
    if not os.path.exists(init) or os.path.getmtime(init) < os.path.getmtime(source):
        _run(["musl-gcc", "-static", "-O2", "-Wall", "-Wextra", "-Werror", "-o", init + ".part", source], work,
             "building /init", "\nmusl-gcc comes with Debian's musl-tools: run `make deps`.")
        os.replace(init + ".part", init)
    cpio = os.path.join(work, "initramfs.cpio")
    with open(init, "rb") as f:
        write_cpio(cpio + ".part", initramfs_entries(f.read()))
    os.replace(cpio + ".part", cpio)
    return cpio


# --- booting ----------------------------------------------------------------------------------

def boot_linux(vmlinuz: str, initramfs: str, cmdline: str, log_prefix: str,
               timeout: float = BOOT_TIMEOUT) -> tuple[float, str]:
    """Boot Linux once with the frame's QEMU flags; (seconds from QEMU's start to its exit, serial output).

    The harness's run_qemu() runs QEMU in its own process group and kills the group if it outlives
    ``timeout``, on Ctrl-C, on SIGTERM and on any error, so nothing is left running.  The serial
    output, QEMU's stderr and its log are kept as ``<log_prefix>.serial.log``, ``.stderr.log``, ``.qemu.log``.
    """
    cmd = build_command(vmlinuz, qemu_log=log_prefix + ".qemu.log", cmdline=cmdline, debug_items="guest_errors",
                        extra_args=("-initrd", initramfs))
    serial_log, stderr_log = log_prefix + ".serial.log", log_prefix + ".stderr.log"
    run = run_qemu(cmd, SerialWatcher(timeout=timeout), timeout, serial_log, stderr_log)
    with open(serial_log, "rb") as f:
        text = f.read().decode(errors="replace").replace("\r", "")
    if run.exit_status is None:
        raise LinuxBenchError(f"Linux did not power off within {timeout:.0f} s: {' '.join(cmd)}\n{text[-4000:]}")
    if run.exit_status != 0 or "linux-init: started" not in text or "Kernel panic" in text:
        with open(stderr_log, errors="replace") as f:
            stderr = f.read()
        raise LinuxBenchError(f"Linux did not run /init and power off (QEMU exited {run.exit_status}): "
                              f"{' '.join(cmd)}\n{text[-4000:]}{stderr[-2000:]}")
    return run.duration, text


def linux_figures(build_dir: str, rounds: int = 3, *, init_source: str = INIT_SOURCE,
                  log: Optional[Callable[[str], None]] = None) -> dict[str, list[float]]:
    """Prepare Linux (see the module docstring) and boot it ``rounds`` times.

    Returns ``{key: [median_ns of round 1, ...]}`` for the keys in :data:`KEYS` (``boot``: the
    timed boot of each round).  ``log`` (a callable taking a line, default print) hears the
    progress and the lines /init prints about the kernel.  Raises LinuxBenchError when a step fails.
    """
    say = log or (lambda line: print(line, flush=True))
    if rounds < 1:
        raise ValueError("rounds must be at least 1")
    work = os.path.abspath(os.path.join(build_dir, "bench-linux"))
    os.makedirs(work, exist_ok=True)
    vmlinuz = fetch_kernel(work)
    initramfs = build_initramfs(work, os.path.abspath(init_source))
    figures: dict[str, list[float]] = {key: [] for key in KEYS}
    for r in range(rounds):
        say(f"bench-linux: round {r + 1} of {rounds}: {os.path.basename(vmlinuz)}, boot and measure")
        elapsed, _ = boot_linux(vmlinuz, initramfs, CMDLINE + " linux_bench=boot",
                                os.path.join(work, f"round{r + 1}-boot"))
        figures["boot"].append(elapsed * 1e9)
        _, text = boot_linux(vmlinuz, initramfs, CMDLINE, os.path.join(work, f"round{r + 1}"))
        if r == 0:
            for line in text.splitlines():
                if line.startswith("linux-init: ") and "started" not in line and "done" not in line:
                    say("  " + line[len("linux-init: "):])
        found = parse_figures(text)
        missing = [key for key in KEYS if key != "boot" and key not in found]
        if missing:
            raise LinuxBenchError(f"/init printed no figure for {', '.join(missing)}; its output:\n{text[-4000:]}")
        for key in KEYS:
            if key != "boot":
                figures[key].append(found[key])
    return figures


def format_ns(ns: float) -> str:
    """A duration in ns as the bench prints it: ns, µs, ms or s with three significant digits."""
    for unit, size in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= size:
            return f"{ns / size:#.3g}".rstrip(".") + f" {unit}"
    return f"{ns:#.3g}".rstrip(".") + " ns"


def main() -> None:
    """The command line: prints the Linux column on its own."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--build", default="build", help="the build directory (default: build)")
    ap.add_argument("--rounds", type=int, default=3, help="boots to measure (default: 3)")
    ap.add_argument("--init-source", default=INIT_SOURCE, help="the source of /init")
    args = ap.parse_args()
    try:
        figures = linux_figures(args.build, args.rounds, init_source=args.init_source)
    except LinuxBenchError as e:
        raise SystemExit(f"bench-linux: {e}")
    print(f"Linux (Debian's linux-image-amd64, same QEMU flags as the frame), medians of {args.rounds} rounds:")
    for key in KEYS:
        values = figures[key]
        print(f"  {key:<18} {format_ns(statistics.median(values)):>9}   "
              f"(rounds: {', '.join(format_ns(v) for v in values)})", flush=True)


if __name__ == "__main__":
    main()
