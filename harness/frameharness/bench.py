"""Boot-time benchmark: how long QEMU takes from start to power-off, by each boot path.

Usage: python3 -m frameharness.bench KERNEL.elf [KERNEL.iso] [--runs N] [--inside BENCH.elf [--inside-nosan BENCH.elf]]
Prints the median, min and max over N runs (wall time of the whole QEMU process, TCG), then
the "bench:" lines a benchmark kernel (--inside) prints about itself, booted with 128 MiB, an
edu device, a 64 MiB virtio disk and a virtio network card whose frames reach a UDP socket on
127.0.0.1 (QEMU's -netdev socket), where they are counted by size.
"""
from __future__ import annotations

import argparse
import collections
import os
import socket
import statistics
import subprocess
import tempfile
import threading
import time

from .qemu import build_command


def time_boot(cmd: list[str]) -> float:
    """Seconds from starting QEMU to its exit; the kernel must power off with success (33)."""
    start = time.perf_counter()
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
    elapsed = time.perf_counter() - start
    if r.returncode != 33:
        raise SystemExit(f"bench: {' '.join(cmd)} exited {r.returncode}, not 33:\n{r.stderr.decode()}")
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
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=300)
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
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "qemu.log")
        name = os.path.basename(args.kernel)
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
