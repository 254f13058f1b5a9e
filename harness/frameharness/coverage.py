"""Line coverage of a kernel and the frame (make coverage; docs/seeing.md).

A kernel built with COVERAGE=1 against the SDK's coverage/ (an instrumented frame) sends, at
power-off, one HOSTLINK_COVERAGE record per object file: the object's .gcda path where it was
built, a NUL, and the .gcda file's bytes (sdk/frame/core/gcov.c).  Under ``make coverage`` every
boot the harness makes saves its records (FRAME_COVERAGE_DIR, ``boot_args()``); this module then
adds up the counters of all boots per object, writes each .gcda file beside its .gcno file (the
frame's are copied from the SDK when it was built elsewhere), and runs lcov and genhtml:
``<out>/coverage.info`` and ``<out>/index.html``, with one line per directory on the terminal.

    python3 -m frameharness.coverage --sdk SDK --out DIR [--boots DIR] [--boot ELF [--cmdline C]]
"""
from __future__ import annotations

import argparse
import itertools
import os
import shutil
import struct
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Sequence

from . import hostlink
from .paths import Kernel, StrPath

GCDA_MAGIC = 0x67636461
TAG_OBJECT_SUMMARY = 0xA1000000
TAG_COUNTER_BASE = 0x01A10000
_boots = itertools.count()


class CoverageError(Exception):
    """The records or the .gcda files do not fit together."""


# --- the harness's side: instrumented kernels, and every boot's records ----------------------

def coverage_dir() -> Path | None:
    """FRAME_COVERAGE_DIR: the coverage build directory make coverage runs the tests for."""
    d = os.environ.get("FRAME_COVERAGE_DIR")
    return Path(d) if d else None


def boot_args(command: Sequence[str]) -> list[str]:
    """QEMU's arguments that save this boot's records in FRAME_COVERAGE_DIR/boots, when make
    coverage runs the tests; none otherwise, or when the boot has its own isa-debugcon."""
    d = coverage_dir()
    if d is None or any("isa-debugcon" in os.fspath(a) for a in command):
        return []
    boots = d / "boots"
    boots.mkdir(parents=True, exist_ok=True)
    return hostlink.qemu_args(boots / f"{os.getpid()}-{next(_boots)}.hostlink")


def instrumented(kernel: Kernel, build: StrPath | None) -> Kernel:
    """Under make coverage, the instrumented twin of a kernel the repository built in ``build``
    (``build/examples/hello/hello.elf`` -> ``build/coverage/examples/hello/hello.elf``), if it
    was built; else ``kernel``."""
    d = coverage_dir()
    if d is None or build is None:
        return kernel
    rel = os.path.relpath(kernel.elf, build)
    if rel.startswith(".."):
        return kernel
    elf = d / rel
    if not elf.exists():
        return kernel
    return Kernel(str(elf), str(d / os.path.relpath(kernel.iso, build)))


# --- .gcda files -------------------------------------------------------------------------------

def parse_gcda(data: bytes) -> tuple[list[int], list[tuple[int, list[int]]]]:
    """(header words, [(tag, payload words)]) of a .gcda file of GCC 12 or 13 (lengths in bytes)."""
    if len(data) % 4 or len(data) < 16:
        raise CoverageError(f"a .gcda file of {len(data)} bytes")
    words = list(struct.unpack(f"<{len(data) // 4}I", data))
    if words[0] != GCDA_MAGIC:
        raise CoverageError(f"not a .gcda file (magic {words[0]:#x})")
    records, pos = [], 4
    while pos < len(words):
        if pos + 2 > len(words):
            raise CoverageError("a .gcda record cut short")
        tag, length = words[pos], words[pos + 1]
        n = length // 4 if length < 0x80000000 else 0  # a negative length: counters all zero, not stored
        if pos + 2 + n > len(words):
            raise CoverageError(f"a .gcda record (tag {tag:#x}) cut short")
        records.append((tag, words[pos + 2:pos + 2 + n]))
        pos += 2 + n
    return words[:4], records


def format_gcda(header: list[int], records: list[tuple[int, list[int]]]) -> bytes:
    """The bytes of a .gcda file."""
    words = list(header)
    for tag, payload in records:
        words += [tag, 4 * len(payload)] + payload
    return struct.pack(f"<{len(words)}I", *words)


def merge_gcda(a: bytes, b: bytes) -> bytes:
    """Two runs of one object added up: the counters summed, the runs too."""
    ha, ra = parse_gcda(a)
    hb, rb = parse_gcda(b)
    if ha != hb or [t for t, _ in ra] != [t for t, _ in rb]:
        raise CoverageError("two runs of one object from different builds (stamps or functions differ)")
    out = []
    for (tag, pa), (_, pb) in zip(ra, rb):
        if tag == TAG_OBJECT_SUMMARY and len(pa) == len(pb) == 2:
            pa = [pa[0] + pb[0], min(pa[1] + pb[1], 0xFFFFFFFF)]
        elif tag & 0xFFFF0000 == TAG_COUNTER_BASE and pa and pb:
            if len(pa) != len(pb):
                raise CoverageError("two runs of one object with different counters")
            ca = struct.unpack(f"<{len(pa) // 2}Q", struct.pack(f"<{len(pa)}I", *pa))
            cb = struct.unpack(f"<{len(pb) // 2}Q", struct.pack(f"<{len(pb)}I", *pb))
            summed = [min(x + y, 2**64 - 1) for x, y in zip(ca, cb)]
            pa = list(struct.unpack(f"<{len(pa)}I", struct.pack(f"<{len(summed)}Q", *summed)))
        elif tag & 0xFFFF0000 == TAG_COUNTER_BASE:
            pa = pa or pb
        out.append((tag, pa))
    return format_gcda(ha, out)


def collect(files: Sequence[StrPath]) -> tuple[dict[str, bytes], int, list[str]]:
    """Every object's .gcda bytes, added up over the runs in ``files`` (hostlink files), the
    number of runs that sent counters, and what was skipped (runs that never reached power-off)."""
    gcdas: dict[str, bytes] = {}
    runs, skipped = 0, []
    for f in files:
        try:
            records = hostlink.read_records(f)
        except hostlink.HostlinkError as e:
            skipped.append(str(e))
            continue
        cov = [payload for kind, payload in records if kind == hostlink.COVERAGE]
        runs += bool(cov)
        for payload in cov:
            name, nul, data = payload.partition(b"\0")
            key = name.decode("utf-8", "surrogateescape")
            try:
                if not nul:
                    raise CoverageError(f"{os.fspath(f)}: a coverage record without a file name")
                gcdas[key] = merge_gcda(gcdas[key], data) if key in gcdas else data
            except CoverageError as e:  # one bad record: skipped and said, the report goes on
                skipped.append(str(e))
    return gcdas, runs, skipped


# --- where the .gcda files go ------------------------------------------------------------------

def place(gcdas: dict[str, bytes], sdk: Path, out: Path) -> list[str]:
    """Write each .gcda file beside its .gcno file, inside ``out`` only: the frame's under
    ``out/frame/`` (its .gcno copied from the SDK's coverage/frame/ when the frame was built
    elsewhere), the kernel's where it was built (under ``out``).  Returns what was refused."""
    prefix_file = sdk / "coverage" / "prefix"
    frame_prefix = prefix_file.read_text().splitlines()[0] if prefix_file.exists() else None
    refused = []
    out = out.resolve()
    for name, data in sorted(gcdas.items()):
        dest = Path(name)
        if frame_prefix and name.startswith(frame_prefix + "/"):
            rel = name[len(frame_prefix) + 1:]
            dest = out / "frame" / rel
            if ".." in Path(rel).parts or not dest.resolve().is_relative_to(out / "frame"):
                refused.append(f"{name}: outside {out / 'frame'}")
                continue
            gcno = dest.with_suffix(".gcno")
            if not gcno.exists():
                src = sdk / "coverage" / "frame" / Path(rel).with_suffix(".gcno")
                if not src.exists():
                    refused.append(f"{name}: no {src}")
                    continue
                gcno.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, gcno)
        elif not dest.resolve().is_relative_to(out):
            refused.append(f"{name}: outside {out}")
            continue
        gcno = dest.with_suffix(".gcno")
        if not gcno.exists():
            refused.append(f"{name}: no .gcno file beside it")
            continue
        if gcno.read_bytes()[8:12] != data[8:12]:  # the compilation's stamp
            refused.append(f"{name}: the kernel was linked with another build of this object than {gcno}; rebuild it")
            continue
        dest.write_bytes(data)
    return refused


# --- the report --------------------------------------------------------------------------------

def read_info(path: StrPath) -> dict[str, dict[int, int]]:
    """lcov's tracefile: {source file: {line: times run}}."""
    files: dict[str, dict[int, int]] = {}
    current: dict[int, int] | None = None
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("SF:"):
                current = files.setdefault(line[3:], {})
            elif line.startswith("DA:") and current is not None:
                num, count = line[3:].split(",")[:2]
                current[int(num)] = current.get(int(num), 0) + int(count)
            elif line == "end_of_record":
                current = None
    return files


def relocate_sources(info: Path, sdk: Path) -> None:
    """Sources named where the SDK was built but missing here: the SDK's copy in src/."""
    built = sdk_root(sdk)
    if built is None:
        return
    root = built + "/sdk/"
    text = info.read_text().splitlines(keepends=True)
    for i, line in enumerate(text):
        if line.startswith("SF:" + root) and not os.path.exists(line[3:].rstrip("\n")):
            text[i] = "SF:" + str(sdk / "src") + "/" + line[3 + len(root):]
    info.write_text("".join(text))


def sdk_root(sdk: Path) -> str | None:
    """The repository the SDK was built from (its coverage/prefix), where the frame's sources were."""
    prefix_file = sdk / "coverage" / "prefix"
    lines = prefix_file.read_text().splitlines() if prefix_file.exists() else []
    return lines[1] if len(lines) > 1 else None


def display(path: str, bases: Sequence[Path]) -> str:
    """A source's name for the summary: relative to the first of ``bases`` it is in."""
    for base in bases:
        if Path(path).is_relative_to(base):
            return os.path.relpath(path, base)
    return path


def summary(files: dict[str, dict[int, int]], bases: Sequence[Path]) -> list[str]:
    """One line per directory, then the least-covered frame files."""
    dirs: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    frame = [0, 0]
    per_file = []
    for path, lines in files.items():
        name = display(path, bases)
        hit, found = sum(1 for c in lines.values() if c), len(lines)
        d = dirs[os.path.dirname(name) or "."]
        d[0] += hit
        d[1] += found
        if "frame/" in name and "/tests/" not in name and "include/" not in name and found:
            frame[0] += hit
            frame[1] += found
            per_file.append((hit / found, found, name))
    out = [f"  {d}: {pct(h, n)} of {n} lines" for d, (h, n) in sorted(dirs.items())]
    if frame[1]:
        out.append(f"  the frame: {pct(*frame)} of {frame[1]} lines")
        least = sorted(f for f in per_file if f[1] >= 20)[:8]
        out.append("  least covered frame files: " + ", ".join(f"{n} {r:.0%} of {c}" for r, c, n in least))
    return out


def pct(hit: int, found: int) -> str:
    return f"{100 * hit // found}%" if found else "-"


def report(out: Path, sdk: Path, root: Path | None) -> list[str]:
    """lcov and genhtml over the .gcda files under ``out``: coverage.info, index.html."""
    if not shutil.which("lcov") or not shutil.which("genhtml"):
        raise CoverageError("lcov is not installed: sudo apt-get install lcov (make deps does)")
    info = out / "coverage.info"
    quiet = ["--quiet"]
    subprocess.run(["lcov", *quiet, "--capture", "--directory", str(out), "--output-file", str(info)],
                   check=True, stderr=subprocess.DEVNULL)
    subprocess.run(["lcov", *quiet, "--remove", str(info), "/usr/*", "--output-file", str(info)], check=True)
    relocate_sources(info, sdk)
    subprocess.run(["genhtml", *quiet, "--output-directory", str(out), "--title", "Frame SDK coverage", str(info)],
                   check=True)
    bases = [b for b in [root, Path.cwd()] if b is not None]
    bases += [Path(b) for b in [sdk_root(sdk)] if b] + [sdk / "src", sdk / "coverage", sdk]
    return summary(read_info(info), bases)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="frameharness.coverage", description=__doc__.split("\n\n")[0])
    ap.add_argument("--sdk", required=True, type=Path, help="the SDK the kernels were built with")
    ap.add_argument("--out", required=True, type=Path, help="the coverage build directory: .gcda files, report")
    ap.add_argument("--boots", type=Path, help="a directory of the test boots' hostlink files")
    ap.add_argument("--boot", help="boot this instrumented kernel once more and count it too")
    ap.add_argument("--cmdline", default="", help="its command line")
    ap.add_argument("--root", type=Path, help="names in the summary relative to this directory")
    args = ap.parse_args(argv)
    files = sorted(args.boots.glob("*.hostlink")) if args.boots and args.boots.is_dir() else []
    if args.boot:
        from . import runner  # not at the top: runner imports qemu, which imports this module
        path = args.out / "boot.hostlink"
        runner.boot(args.boot, cmdline=args.cmdline, extra_args=hostlink.qemu_args(path), exit_status=None,
                    check=False, timeout=60, log_dir=args.out / "test-logs")
        files.append(path)
    try:
        gcdas, runs, skipped = collect(files)
        if not gcdas:
            print("coverage: no boot sent counters (no instrumented kernel reached power-off)", file=sys.stderr)
            return 1
        refused = place(gcdas, args.sdk.resolve(), args.out)
        for r in refused:
            print(f"coverage: skipped {r}", file=sys.stderr)
        lines = report(args.out.resolve(), args.sdk.resolve(), args.root.resolve() if args.root else None)
    except (CoverageError, subprocess.CalledProcessError) as e:
        print(f"coverage: {e}", file=sys.stderr)
        return 1
    note = f", {len(skipped)} boots did not reach power-off" if skipped else ""
    print(f"coverage: {runs} boot{'s' if runs != 1 else ''}{note}; {args.out / 'index.html'}")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
