"""The frame's figures: the frame against the floor, side by side, then boot times and more.

Usage: python3 -m frameharness.bench KERNEL.elf [KERNEL.iso] [--runs N] [--inside BENCH.elf [--inside-nosan BENCH.elf]]
       [--floor FLOOR.elf --rows BENCH.elf [--rounds N] [--linux --build-dir DIR]]
With --floor, first the frame/floor table (docs/performance.md): ``--rounds`` rounds, each booting
the frame's bench kernel in its ``rows`` mode and the floor kernel (tests/floor) one after the
other, and timing the boot of KERNEL.elf against the floor's ``boot`` mode, alternately; every
row shows the median of the per-round medians, the ratio, and the range of the per-round ratios.
Both kernels print "figure: <row> <median> ns ..." lines (the figure contract).  With --linux, a
Linux column from frameharness.linux.linux_figures().
Then the median, min and max over N runs of the boot of KERNEL.elf (wall time of the whole QEMU
process, TCG), and the "bench:" lines a benchmark kernel (--inside) prints about itself, booted
with 128 MiB, an edu device, a 64 MiB virtio disk and a virtio network card whose frames reach a
UDP socket on 127.0.0.1 (QEMU's -netdev socket), where they are counted by size.
"""
from __future__ import annotations

import argparse
import collections
import importlib
import os
import re
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from typing import Dict, List

from .qemu import build_command
from .where import die_with_parent


def time_boot(cmd: list[str]) -> float:
    """Seconds from starting QEMU to its exit; the kernel must power off with success (33).

    Waits with a blocking waitpid() (a watchdog kills a hung QEMU after 60 s): Popen.wait() with a
    timeout polls with sleeps of up to 50 ms, which would round every boot time up.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            preexec_fn=die_with_parent)  # no QEMU outlives the bench, whatever kills it
    watchdog = threading.Timer(60, proc.kill)
    watchdog.start()
    try:
        stderr = proc.stderr.read() if proc.stderr else b""  # EOF when QEMU exits
        returncode = proc.wait()
    except BaseException:  # Ctrl-C, a signal turned exception: no QEMU left behind
        proc.kill()
        proc.wait()
        raise
    finally:
        watchdog.cancel()
    elapsed = time.perf_counter() - start
    if returncode == -9 and elapsed >= 60:  # the watchdog
        raise SystemExit(f"bench: {' '.join(cmd)} did not exit within 60 s: killed")
    if returncode != 33:
        raise SystemExit(f"bench: {' '.join(cmd)} exited {returncode}, not 33:\n{stderr.decode()}")
    return elapsed


def report(label: str, times: list[float], target: float | None = None) -> None:
    """Print the median, min and max of ``times`` (and whether the median is under ``target``)."""
    line = (f"{label:<34} median {statistics.median(times) * 1000:7.1f} ms   "
            f"min {min(times) * 1000:7.1f}   max {max(times) * 1000:7.1f}   ({len(times)} runs)")
    if target is not None:
        line += f"   target < {target * 1000:.0f} ms: {'met' if statistics.median(times) < target else 'MISSED'}"
    print(line, flush=True)


def inside(cmd: list[str], title: str) -> list[str]:
    """Boot a benchmark kernel, pass on what it measured, and return those lines."""
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=300, preexec_fn=die_with_parent)
    out = r.stdout.decode(errors="replace").replace("\r", "")
    lines = [line[len("bench: "):] for line in out.splitlines() if line.startswith("bench: ")]
    if r.returncode != 33 or not lines:
        raise SystemExit(f"bench: {' '.join(cmd)} exited {r.returncode}:\n{out}")
    print(f"Inside the kernel, {title} (TSC, medians):")
    for line in lines:
        print("  " + line, flush=True)
    return lines


def first_number(line: str) -> tuple[str, float] | None:
    """("what", value) of a "what: 123 unit ..." line, or None."""
    what, _, rest = line.partition(": ")
    words = rest.split()
    try:
        return what, float(words[0])
    except (IndexError, ValueError):
        return None


def compare(with_san: list[str], without: list[str]) -> None:
    """The figures both kernels printed, side by side: what the sanitizers cost client code."""
    off = dict(filter(None, map(first_number, without)))
    print("The sanitizers' cost (the same kernel built with them, and with SANITIZE=none):")
    for line in with_san:
        figure = first_number(line)
        if figure and figure[0] in off and off[figure[0]]:
            what, on = figure
            unit = line.partition(": ")[2].split()[1] if len(line.partition(": ")[2].split()) > 1 else ""
            print(f"  {what}: {on:g} {unit} with, {off[what]:g} without (with/without: {on / off[what]:.2f})", flush=True)


#: The rows of the frame/floor table, in order, with what each measures (the figure contract).
ROWS = {
    "null_syscall": "null system call (user_mode_run round trip)",
    "null_syscall_fast": "null system call, fast path",
    "task_switch": "kernel task switch (per switch)",
    "user_switch": "user->user switch, two address spaces",
    "map_touch_unmap": "map a zeroed page, touch, unmap",
    "copy_from_user_4k": "4 KiB copy from user, one syscall",
    "frame_write_4k": "4 KiB kernel copy (frame_write)",
    "irq": "IRQ entry + exit (self-IPI)",
    "boot": "boot, direct, QEMU start -> exit",
}
#: Rows measured against another row's floor (and Linux figure): the same instructions at bottom.
SAME_FLOOR = {"null_syscall_fast": "null_syscall"}
#: Issue 13's targets: the frame/floor ratio each row should stay under (boot: the floor + 10 ms).
TARGETS = {"null_syscall": 3.0, "null_syscall_fast": 1.5, "task_switch": 2.0, "user_switch": 1.5,
           "map_touch_unmap": 1.5, "copy_from_user_4k": 1.5, "frame_write_4k": 1.5, "irq": 2.0}
BOOT_TARGET_NS = 10e6

#: What the floor's extra rows measure (printed as notes under the table).
FLOOR_NOTES = {
    "irq_int": "`int $N` + iretq alone",
    "copy_4k_movsb": "4 KiB copy by rep movsb (byte by byte under TCG)",
    "zero_4k_stosq": "4 KiB zeroed by rep stosq",
    "zero_4k_stosb": "4 KiB zeroed by rep stosb",
    "user_switch_global": "user_switch with the kernel's pages global",
    "cr3_write": "one CR3 write alone",
    "user_switch_touch32": "user_switch touching 32 more kernel pages",
}
FIGURE_RE = re.compile(r"^figure: (\S+) ([0-9]+(?:\.[0-9]+)?) ns\b")
BOOTS_PER_ROUND = 3


def figures(cmd: list[str]) -> dict[str, float]:
    """Boot a kernel that prints "figure:" lines and powers off with success; its figures in ns."""
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=120, preexec_fn=die_with_parent)
    out = r.stdout.decode(errors="replace").replace("\r", "")
    found = {m.group(1): float(m.group(2)) for m in map(FIGURE_RE.match, out.splitlines()) if m}
    if r.returncode != 33 or not found:
        raise SystemExit(f"bench: {' '.join(cmd)} exited {r.returncode}, {len(found)} figures:\n{out}")
    return found


def human_ns(ns: float) -> str:
    """A time in ns the way a person reads it: 39.6 ns, 6.67 us, 120 ms."""
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


Figures = Dict[str, List[float]]  # {row: [per-round median ns]}


def side_by_side(kernel: str, rows_elf: str, floor_elf: str, rounds: int, log: str) -> tuple[Figures, Figures]:
    """Frame and floor, alternately, ``rounds`` times: {row: [per-round median ns]} of each."""
    frame: dict[str, list[float]] = collections.defaultdict(list)
    floor: dict[str, list[float]] = collections.defaultdict(list)
    common = {"qemu_log": log, "debug_items": "guest_errors", "memory": "128M"}
    for r in range(rounds):
        print(f"  round {r + 1} of {rounds}", flush=True)
        for key, v in figures(build_command(rows_elf, cmdline="rows", **common)).items():
            frame[key].append(v)
        for key, v in figures(build_command(floor_elf, **common)).items():
            floor[key].append(v)
        boots: dict[str, list[float]] = {"frame": [], "floor": []}
        for _ in range(BOOTS_PER_ROUND):
            boots["frame"].append(time_boot(build_command(kernel, **common)))
            boots["floor"].append(time_boot(build_command(floor_elf, cmdline="boot", **common)))
        frame["boot"].append(statistics.median(boots["frame"]) * 1e9)
        floor["boot"].append(statistics.median(boots["floor"]) * 1e9)
    return frame, floor


def linux_column(build_dir: str, rounds: int) -> Figures | None:
    """Linux's figures from frameharness.linux, or None (with a message) if that module is absent."""
    try:
        linux = importlib.import_module(f"{__package__}.linux")
    except ImportError as e:
        print(f"bench: --linux: no Linux column: frameharness.linux is missing ({e}); see docs/performance.md",
              flush=True)
        return None
    try:
        figures = linux.linux_figures(build_dir, max(1, rounds))
    except linux.LinuxBenchError as e:  # the frame/floor table is still worth printing
        print(f"bench: --linux: no Linux column: {e}", flush=True)
        return None
    return {str(key): [float(v) for v in values] for key, values in figures.items()}


def print_table(frame: Figures, floor: Figures, linux: Figures | None) -> None:
    """One table: row | frame | floor | frame/floor | spread | target [| Linux | frame/Linux]."""
    med = statistics.median
    head = f"{'row':<20}{'frame':>11}{'floor':>11}{'frame/floor':>13}  {'spread':<13}{'target':<14}"
    if linux is not None:
        head += f"{'Linux':>11}{'frame/Linux':>13}"
    print(head + "  what")
    for key, what in ROWS.items():
        base = SAME_FLOOR.get(key, key)
        if key not in frame and base not in floor and not (linux and base in linux):
            continue
        line = f"{key:<20}"
        line += f"{human_ns(med(frame[key])) if key in frame else '-':>11}"
        line += f"{human_ns(med(floor[base])) if base in floor else '-':>11}"
        target = "-"
        if key in frame and base in floor and med(floor[base]) > 0:
            ratios = [a / b for a, b in zip(frame[key], floor[base]) if b > 0]
            ratio = med(frame[key]) / med(floor[base])
            line += f"{ratio:>13.2f}  {min(ratios):.2f}-{max(ratios):<8.2f}"
            if key in TARGETS:
                target = f"<= {TARGETS[key]:.1f} {'met' if ratio <= TARGETS[key] else 'not met'}"
            elif key == "boot":
                met = med(frame[key]) - med(floor[base]) <= BOOT_TARGET_NS
                target = f"+10 ms {'met' if met else 'not met'}"
        else:
            line += f"{'-':>13}  {'-':<13}"
        line += f"{target:<14}"
        if linux is not None:
            lin = med(linux[base]) if linux.get(base) else None
            line += f"{human_ns(lin) if lin else '-':>11}"
            line += f"{med(frame[key]) / lin:>13.2f}" if lin and key in frame else f"{'-':>13}"
        print(line + "  " + what, flush=True)
    notes = [f"{key} {human_ns(med(floor[key]))} ({what})" for key, what in FLOOR_NOTES.items() if key in floor]
    if notes:
        print("Floor only: " + "; ".join(notes) + ".", flush=True)


class FrameCounter:
    """A UDP socket on 127.0.0.1 that counts the datagrams (frames) QEMU sends it, by length."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.5)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:  # a free port for QEMU's end
            probe.bind(("127.0.0.1", 0))
            self.qemu_port = probe.getsockname()[1]
        self.counts: collections.Counter[int] = collections.Counter()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                self.counts[len(self.sock.recv(65536))] += 1
            except socket.timeout:
                pass

    def netdev_args(self) -> tuple[str, ...]:
        """QEMU's arguments for a virtio network card sending to this socket."""
        return ("-device", "virtio-net-pci,netdev=n0,disable-legacy=on",
                "-netdev", f"socket,id=n0,udp=127.0.0.1:{self.sock.getsockname()[1]},"
                f"localaddr=127.0.0.1:{self.qemu_port}")

    def close(self) -> None:
        """Stop counting and print what arrived."""
        self.stop.set()
        self.thread.join()
        self.sock.close()
        for size, n in sorted(self.counts.items()):
            print(f"  virtio-net: the host received {n} frames of {size} bytes", flush=True)


def main() -> None:
    """The command line: see the module docstring."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("kernel")
    ap.add_argument("iso", nargs="?")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--inside", help="a kernel that measures itself and prints 'bench: ...' lines")
    ap.add_argument("--inside-nosan", help="the same kernel built with SANITIZE=none, for the sanitizers' cost")
    ap.add_argument("--floor", help="the floor kernel (tests/floor): a frame/floor table first")
    ap.add_argument("--rows", help="the frame's bench kernel, booted with the command line 'rows' for the table")
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", "5")),
                    help="rounds of frame and floor, alternately (default: BENCH_ROUNDS or 5)")
    ap.add_argument("--linux", action="store_true", help="a Linux column (frameharness.linux)")
    ap.add_argument("--build-dir", default="build", help="where --linux keeps what it builds")
    args = ap.parse_args()
    if args.floor and not args.rows:
        ap.error("--floor needs --rows (the frame's bench kernel)")
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "qemu.log")
        name = os.path.basename(args.kernel)
        if args.floor:
            print(f"Frame and floor, side by side ({args.rounds} rounds, alternately; medians of the per-round "
                  f"medians; spread: the range of the per-round frame/floor ratios):", flush=True)
            frame, floor = side_by_side(args.kernel, args.rows, args.floor, max(1, args.rounds), log)
            print_table(frame, floor, linux_column(args.build_dir, args.rounds) if args.linux else None)
            print(flush=True)
        print(f"Boot to power-off under {os.environ.get('FRAME_ACCEL', 'tcg')}, {os.cpu_count()} CPUs:")
        direct = build_command(args.kernel, qemu_log=log, debug_items="guest_errors")
        report(f"{name} direct (-kernel)", [time_boot(direct) for _ in range(args.runs)], target=0.3)
        if args.iso:
            grub = build_command(args.kernel, iso=args.iso, qemu_log=log, debug_items="guest_errors")
            report(f"{name} through GRUB (ISO)", [time_boot(grub) for _ in range(max(3, args.runs // 2))],
                   target=1.0)
        if args.inside:
            disk = os.path.join(tmp, "disk.img")  # 64 MiB of zeros for the virtio-blk read figures
            with open(disk, "wb") as f:
                f.truncate(64 << 20)
            figures = {}
            for title, elf in (("with the sanitizers", args.inside), ("SANITIZE=none", args.inside_nosan)):
                if not elf:
                    continue
                counter = FrameCounter()
                try:
                    figures[title] = inside(build_command(
                        elf, qemu_log=log, debug_items="guest_errors", memory="128M",
                        extra_args=("-device", "edu", "-device", "virtio-blk-pci,drive=d0,disable-legacy=on",
                                    "-drive", f"if=none,id=d0,file={disk},format=raw", *counter.netdev_args())),
                        title)
                finally:
                    counter.close()
            if len(figures) == 2:
                compare(*figures.values())


if __name__ == "__main__":
    main()
