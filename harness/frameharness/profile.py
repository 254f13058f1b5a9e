"""make profile: sample a running kernel from outside and draw where its time goes.

QEMU boots the kernel paused, with its GDB stub on a Unix socket; this module speaks the GDB
remote protocol to it directly (no GDB process: a round trip is tens of microseconds).  At a
steady rate (HZ) it stops the machine (``^C``), reads the registers (``g``) and walks the frame
pointers of the current stack (``m``, the stack read a kilobyte at a time), and lets it run on
(``c``).  Kernel code is built with -fno-omit-frame-pointer (mk/flags.mk), so each frame is
``[rbp] = the caller's rbp, [rbp+8] = the return address``; a sample at a function's first
instruction, after its ``push %rbp``, or at its ``ret`` takes the return address from the stack
pointer instead; a trap frame (the return address trap_common_return) is crossed to the
interrupted code.  A sample in user mode (CS's low bits 3) is one frame, ``user: <task>``.

The stacks are named from the ELF's symbol table, folded (``root;...;leaf N``) and written as
``<name>.folded`` and ``<name>.svg`` (a self-contained interactive flame graph); the terminal
gets a top-20 table and what the sampler cost the kernel: how long each sample kept the CPU
stopped.

Command line: ``python3 -m frameharness.profile --elf K.elf --out DIR [--name N] [--seconds 5]
[--hz 1000] -- QEMU ARGS...`` (the QEMU command without its GDB stub, which this adds).
"""
from __future__ import annotations

import argparse
import bisect
import os
import shlex
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any, Optional

from .where import die_with_parent, gdb_socket_arg

DEFAULT_HZ = 1000
MAX_DEPTH = 64
KERNEL_HALF = 0xFFFF800000000000
BLOCK = 1024  # the stack is read in aligned blocks of this size: never across a page
# QEMU's 'g' packet for x86-64: 16 registers (rax rbx rcx rdx rsi rdi rbp rsp r8..r15), rip, then 32-bit eflags, cs...
REG_RBP, REG_RSP, REG_RIP = 6 * 8, 7 * 8, 16 * 8
REG_CS = 16 * 8 + 8 + 4
BEFORE_KERNEL = "[firmware and early boot]"  # paging off: the BIOS, the loader, the kernel's 32-bit start
TRAP = "[trap]"  # between the trapped code and trap_handler()
TRAP_FRAME = "r15 r14 r13 r12 r11 r10 r9 r8 rbp rdi rsi rdx rcx rbx rax vector error_code rip cs rflags rsp ss".split()


# --- the ELF's symbols and code ---------------------------------------------------------------

class Elf:
    """The functions of a 64-bit little-endian ELF (its .symtab) and its code bytes."""

    def __init__(self, path: str) -> None:
        data = Path(path).read_bytes()
        if data[:4] != b"\x7fELF" or data[4] != 2:
            raise ValueError(f"{path}: not a 64-bit ELF file")
        shoff, = struct.unpack_from("<Q", data, 0x28)
        shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
        sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
        self.code: list[tuple[int, bytes]] = []  # (address, bytes) of each executable section
        syms: dict[int, tuple[int, str]] = {}
        for _name, kind, flags, addr, off, size, link, _info, _align, entsize in sections:
            if kind == 1 and flags & 4:  # PROGBITS, executable
                self.code.append((addr, data[off:off + size]))
            if kind != 2:  # SYMTAB
                continue
            strtab = sections[link]
            for i in range(size // entsize):
                st_name, st_info, _other, shndx, value, st_size = struct.unpack_from("<IBBHQQ", data, off + i * entsize)
                if shndx == 0 or value < KERNEL_HALF or (st_info & 0xF) not in (0, 2):  # undefined, data
                    continue
                end = data.index(b"\0", strtab[4] + st_name)
                name = data[strtab[4] + st_name:end].decode(errors="replace")
                if not name or name.startswith(".") or name.startswith("__ksym"):
                    continue
                if value not in syms or (st_info & 0xF) == 2:  # a function wins over a label at its address
                    syms[value] = (st_size, name)
        self.addrs = sorted(syms)
        self.syms = [syms[a] for a in self.addrs]
        self.by_name = {name: a for a, (_s, name) in zip(self.addrs, self.syms)}

    def function(self, pc: int) -> tuple[Optional[str], int]:
        """(name, offset) of the function holding ``pc``, or (None, 0)."""
        i = bisect.bisect_right(self.addrs, pc) - 1
        if i < 0:
            return None, 0
        size, name = self.syms[i]
        off = pc - self.addrs[i]
        if size and off >= size and (i + 1 == len(self.addrs) or off > 4096):
            return None, 0
        return name, off

    def name(self, pc: int) -> str:
        return self.function(pc)[0] or f"{pc:#x}"

    def byte(self, pc: int) -> Optional[int]:
        for addr, code in self.code:
            if addr <= pc < addr + len(code):
                return code[pc - addr]
        return None


# --- the GDB remote protocol --------------------------------------------------------------------

class Gone(Exception):
    """QEMU closed the connection: the kernel powered off (or QEMU died)."""


class Stub:
    """A connection to QEMU's GDB stub, in no-acknowledgement mode."""

    def __init__(self, path: str, qemu: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
        """Connect to the stub at ``path`` as soon as ``qemu`` has opened it; Gone if QEMU exits first."""
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock.connect(path)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                if qemu.poll() is not None:
                    raise Gone(f"QEMU exited with status {qemu.returncode}")
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        self.sock.settimeout(timeout)
        self.buf = b""
        self.acks = True  # QEMU before 8.0 knows no QStartNoAckMode: each packet it sends is acknowledged
        self.pending = b""  # an acknowledgement, sent with the next packet
        self.send(b"qSupported")
        self.reply()
        self.send(b"QStartNoAckMode")
        if self.reply() == b"OK":
            self.acks, self.pending = False, b""

    def _recv(self) -> None:
        try:
            chunk = self.sock.recv(65536)
        except (ConnectionResetError, socket.timeout) as e:
            raise Gone(str(e)) from e
        if not chunk:
            raise Gone("connection closed")
        self.buf += chunk

    def send(self, payload: bytes) -> None:
        packet = b"%s$%s#%02x" % (self.pending, payload, sum(payload) & 0xFF)
        self.pending = b""
        try:
            self.sock.sendall(packet)
        except (BrokenPipeError, ConnectionResetError) as e:
            raise Gone(str(e)) from e

    def reply(self) -> bytes:
        """The next packet's payload (its acknowledgement, when one is due, goes with the next packet)."""
        while True:
            start = self.buf.find(b"$")
            end = self.buf.find(b"#", start) if start >= 0 else -1
            if start >= 0 and end >= 0 and len(self.buf) >= end + 3:
                payload, self.buf = self.buf[start + 1:end], self.buf[end + 3:]
                self.pending = b"+" if self.acks else b""
                return payload
            self._recv()

    def interrupt(self) -> None:
        try:
            self.sock.sendall(self.pending + b"\x03")
            self.pending = b""
        except (BrokenPipeError, ConnectionResetError) as e:
            raise Gone(str(e)) from e
        stop = self.reply()
        if stop[:1] in (b"W", b"X"):
            raise Gone("the machine exited")

    def registers(self) -> bytes:
        self.send(b"g")
        return bytes.fromhex(self.reply().decode())

    def memory(self, addr: int, size: int) -> Optional[bytes]:
        self.send(b"m%x,%x" % (addr, size))
        r = self.reply()
        return None if r[:1] == b"E" or len(r) != 2 * size else bytes.fromhex(r.decode())

    def cont(self) -> None:
        self.send(b"c")

    def close(self) -> None:
        self.sock.close()


class StackReader:
    """The machine's memory as one sample sees it, read in aligned blocks, each once."""

    def __init__(self, stub: Stub) -> None:
        self.stub = stub
        self.blocks: dict[int, Optional[bytes]] = {}

    def u64(self, addr: int) -> Optional[int]:
        base = addr & ~(BLOCK - 1)
        if addr % 8 or addr < KERNEL_HALF or addr + 8 > base + BLOCK:
            return None
        if base not in self.blocks:
            self.blocks[base] = self.stub.memory(base, BLOCK)
        block = self.blocks[base]
        return None if block is None else struct.unpack_from("<Q", block, addr - base)[0]


# --- sampling ---------------------------------------------------------------------------------

@dataclass
class Layout:
    """Where the current task's name is: cpu_local.current's address, the name's offset and size
    in struct task (read once from the debug information by GDB); None where unknown."""
    current: Optional[int] = None
    name_offset: int = 0
    name_size: int = 0


def task_layout(elf: str) -> Layout:
    exprs = ["(unsigned long)&cpu_local.current", "(unsigned long)&((struct task *)0)->name",
             "sizeof(((struct task *)0)->name)"]
    cmd = shlex.split(os.environ.get("GDB", "gdb")) + ["-n", "-batch", "-ex", f"file {os.path.abspath(elf)}"]
    for e in exprs:
        cmd += ["-ex", f"print {e}"]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
        values = [int(line.split("=", 1)[1]) for line in r.stdout.splitlines() if line.startswith("$")]
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return Layout()
    return Layout(*values) if len(values) == 3 else Layout()


def task_name(mem: StackReader, stub: Stub, layout: Layout) -> str:
    if layout.current is None:
        return ""
    task = mem.u64(layout.current)
    raw = stub.memory(task + layout.name_offset, layout.name_size) if task else None
    return raw.split(b"\0")[0].decode(errors="replace") if raw else ""


def walk(elf: Elf, stub: Stub, regs: bytes, layout: Layout) -> list[str]:
    """The current stack's function names, the outermost first."""
    rip, = struct.unpack_from("<Q", regs, REG_RIP)
    rbp, = struct.unpack_from("<Q", regs, REG_RBP)
    rsp, = struct.unpack_from("<Q", regs, REG_RSP)
    cs, = struct.unpack_from("<I", regs, REG_CS)
    mem = StackReader(stub)
    if cs & 3:
        name = task_name(mem, stub, layout)
        return [f"user: {name}" if name else "user"]
    fn, off = elf.function(rip)
    if fn is None and rip < KERNEL_HALF:
        return [BEFORE_KERNEL]
    frames: list[int | str] = [rip]
    trap_return = elf.by_name.get("trap_common_return")
    # Where this function's frame is not set up (yet, or any more), rbp is still its caller's:
    # the return address is on top of the stack.
    at_ret = elf.byte(rip) == 0xC3
    top = mem.u64(rsp + 8) if fn and off == 1 else mem.u64(rsp) if fn and (off == 0 or at_ret) else None
    if top is not None:
        frames.append(top)
    while rbp and len(frames) < MAX_DEPTH:
        saved, ret = mem.u64(rbp), mem.u64(rbp + 8)
        if saved is None or ret is None or ret == 0:
            break
        if ret == trap_return:  # trap_handler(frame): the trap frame is just above its own frame
            words = [mem.u64(rbp + 16 + 8 * i) for i in range(len(TRAP_FRAME))]
            if None in words:
                break
            t = {k: v or 0 for k, v in zip(TRAP_FRAME, words)}
            frames.append(TRAP)
            if t["cs"] & 3:
                break
            frames.append(t["rip"])
            rbp = t["rbp"]
            continue
        frames.append(ret)
        if saved <= rbp:  # callers' frames lie above
            break
        rbp = saved
    return [pc if isinstance(pc, str) else elf.name(pc) for pc in reversed(frames)]


@dataclass
class Profile:
    stacks: dict[str, int] = field(default_factory=dict)  # folded stack -> samples
    samples: int = 0
    missed: int = 0  # ticks skipped because a sample ran late
    stops: list[float] = field(default_factory=list)  # seconds each sample kept the CPU stopped
    elapsed: float = 0.0
    hz: float = DEFAULT_HZ
    powered_off: bool = False


def sample(elf: Elf, stub: Stub, seconds: float, hz: float, layout: Layout) -> Profile:
    """Sample the paused machine behind ``stub`` from its start, for ``seconds`` or until it exits."""
    prof = Profile(hz=hz)
    period = 1.0 / hz
    start = time.monotonic()
    try:
        stub.cont()
        next_tick = start + period
        while True:
            now = time.monotonic()
            if now - start >= seconds:
                break
            if now < next_tick:
                time.sleep(next_tick - now)
            elif now - next_tick > period:  # late by a whole period or more: skip, never burst
                skipped = int((now - next_tick) / period)
                prof.missed += skipped
                next_tick += skipped * period
            next_tick += period
            t0 = time.perf_counter()
            stub.interrupt()
            stack = ";".join(walk(elf, stub, stub.registers(), layout))
            stub.cont()
            prof.stops.append(time.perf_counter() - t0)
            prof.stacks[stack] = prof.stacks.get(stack, 0) + 1
            prof.samples += 1
    except Gone:
        prof.powered_off = True
    except KeyboardInterrupt:  # Ctrl-C: the samples so far
        pass
    finally:
        prof.elapsed = time.monotonic() - start
        stub.close()
    return prof


def run(elf_path: str, qemu: list[str], seconds: float = 5.0, hz: float = DEFAULT_HZ) -> Profile:
    """Boot ``qemu`` (a command that boots ``elf_path``) paused with a GDB stub, and profile it."""
    elf = Elf(elf_path)
    layout = task_layout(elf_path)
    with tempfile.TemporaryDirectory(prefix="frame-profile-") as tmp:
        sock = os.path.join(tmp, "gdb.sock")
        gdb_arg = gdb_socket_arg(sock)
        assert gdb_arg is not None
        proc = subprocess.Popen(qemu + gdb_arg + ["-S"], stdin=subprocess.DEVNULL, preexec_fn=die_with_parent)
        try:
            try:
                stub = Stub(sock, proc)
            except Gone:
                return Profile(hz=hz)
            prof = sample(elf, stub, seconds, hz, layout)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
    return prof


# --- what the samples say ---------------------------------------------------------------------

def folded(prof: Profile) -> str:
    return "".join(f"{stack} {n}\n" for stack, n in sorted(prof.stacks.items()))


def table(prof: Profile, rows: int = 20) -> list[tuple[str, int, int]]:
    """(function, self samples, total samples), the most total first; a function counted once per
    sample however often it recurs."""
    own: dict[str, int] = {}
    total: dict[str, int] = {}
    for stack, n in prof.stacks.items():
        names = stack.split(";")
        own[names[-1]] = own.get(names[-1], 0) + n
        for name in set(names):
            total[name] = total.get(name, 0) + n
    order = sorted(total, key=lambda f: (-total[f], -own.get(f, 0), f))
    return [(f, own.get(f, 0), total[f]) for f in order[:rows]]


def summary(prof: Profile, name: str, out: str) -> str:
    n = max(prof.samples, 1)
    lines = [f"{'function':<40} {'self':>7} {'self%':>6} {'total':>7} {'total%':>6}"]
    for f, own, total in table(prof):
        lines.append(f"{f[:40]:<40} {own:>7} {100 * own / n:>5.1f}% {total:>7} {100 * total / n:>5.1f}%")
    rate = prof.samples / prof.elapsed if prof.elapsed else 0.0
    lines.append(f"profile: {prof.samples} samples in {prof.elapsed:.2f} s ({rate:.0f} a second, asked {prof.hz:g}"
                 f"{f'; {prof.missed} ticks skipped, a sample ran late' if prof.missed else ''})"
                 f"{'; the kernel powered off' if prof.powered_off else ''}")
    if prof.stops:
        stops = sorted(prof.stops)
        med, p99 = stops[len(stops) // 2], stops[min(len(stops) - 1, int(len(stops) * 0.99))]
        busy = sum(stops) / prof.elapsed if prof.elapsed else 0.0
        lines.append(f"profile: cost: each sample stopped the CPU for {1e6 * med:.0f} us (median; 99th percentile "
                     f"{1e6 * p99:.0f} us, mean {1e6 * statistics.fmean(stops):.0f} us): stopped {100 * busy:.1f}% "
                     f"of the wall-clock time")
    lines.append(f"profile: {out}/{name}.svg (open it in a browser) and {out}/{name}.folded")
    return "\n".join(lines)


# --- the flame graph ----------------------------------------------------------------------------

def _color(name: str) -> str:
    h = 0
    for c in name.encode():
        h = (h * 31 + c) & 0xFFFFFFFF
    if name.startswith("user"):
        return f"rgb({80 + h % 40},{150 + h % 60},{200 + h % 40})"
    return f"rgb({205 + h % 50},{80 + (h >> 8) % 130},{40 + (h >> 16) % 40})"


HINT = "Hover over a frame for its samples; click one to zoom into it, Reset zoom (or all) to go back."
SVG_SCRIPT = """
var W = %(width)d, PAD = 10, total = %(total)d, HINT = '%(hint)s';
var frames = Array.prototype.slice.call(document.querySelectorAll('g.f'));
var details = document.getElementById('details');
function attr(g, k) { return +g.getAttribute('data-' + k); }
function label(g) {
  var r = g.querySelector('rect'), t = g.querySelector('text'), name = g.getAttribute('data-name');
  var w = +r.getAttribute('width'), fit = Math.floor((w - 6) / 7);
  t.setAttribute('x', +r.getAttribute('x') + 3);
  t.textContent = fit < 3 ? '' : (name.length <= fit ? name : name.substring(0, fit - 2) + '..');
}
function place(g, x, w) {
  var r = g.querySelector('rect');
  r.setAttribute('x', x); r.setAttribute('width', Math.max(w, 0));
  g.style.display = w < 0.1 ? 'none' : ''; label(g);
}
function zoom(z) {
  var x0 = attr(z, 'x'), n = attr(z, 'n'), d = attr(z, 'd'), scale = (W - 2 * PAD) / n;
  frames.forEach(function (g) {
    var gx = attr(g, 'x'), gn = attr(g, 'n'), gd = attr(g, 'd');
    g.classList.remove('parent');
    if (gd < d && gx <= x0 && gx + gn >= x0 + n) { place(g, PAD, W - 2 * PAD); g.classList.add('parent'); }
    else if (gd >= d && gx >= x0 && gx + gn <= x0 + n) place(g, PAD + (gx - x0) * scale, gn * scale);
    else place(g, 0, 0);
  });
  document.getElementById('reset').style.display = d > 0 ? '' : 'none';
}
function reset() { zoom(frames[0]); }
frames.forEach(function (g) {
  var text = g.getAttribute('data-name') + ' (' + attr(g, 'n') + ' samples, ' +
      (100 * attr(g, 'n') / total).toFixed(2) + '%%)';
  g.addEventListener('mouseover', function () { details.textContent = text; });
  g.addEventListener('mouseout', function () { details.textContent = HINT; });
  g.addEventListener('click', function () { zoom(g); });
  label(g);
});
document.getElementById('reset').addEventListener('click', reset);
"""


def flame_svg(prof: Profile, title: str, width: int = 1200) -> str:
    """The flame graph: the root ("all") at the bottom, each frame's width its samples; hover
    names it, a click zooms into it, "Reset zoom" (or a click on "all") goes back."""
    tree: dict[str, Any] = {"n": 0, "kids": {}}
    for stack, n in sorted(prof.stacks.items()):
        tree["n"] += n
        node = tree
        for name in stack.split(";"):
            node = node["kids"].setdefault(name, {"n": 0, "kids": {}})
            node["n"] += n
    rows: list[tuple[str, int, int, int]] = []  # (name, first sample, samples, depth)

    def visit(name: str, node: dict[str, Any], x: int, depth: int) -> None:
        rows.append((name, x, node["n"], depth))
        for kid, sub in sorted(node["kids"].items()):
            visit(kid, sub, x, depth + 1)
            x += sub["n"]

    visit("all", tree, 0, 0)
    total = max(tree["n"], 1)
    depth = max(d for _n, _x, _s, d in rows) + 1
    fh, pad, top = 17, 10, 40
    height = top + depth * fh + 40
    scale = (width - 2 * pad) / total
    out = [f'<?xml version="1.0" encoding="UTF-8"?>',
           f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="monospace" font-size="12">',
           "<style>g.f:hover rect { stroke: #000; stroke-width: 0.5; } g.f { cursor: pointer; } "
           "g.parent rect { opacity: 0.5; } #reset { cursor: pointer; }</style>",
           f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fdfaf2"/>',
           f'<text x="{width // 2}" y="22" text-anchor="middle" font-size="16">{escape(title)}</text>',
           f'<text id="reset" x="{pad}" y="22" fill="#0645ad" style="display:none">Reset zoom</text>',
           f'<text id="details" x="{pad}" y="{height - 14}">{HINT}</text>']
    for name, x, n, d in rows:
        y = top + (depth - 1 - d) * fh
        out.append(f'<g class="f" data-name="{escape(name)}" data-x="{x}" data-n="{n}" data-d="{d}">'
                   f'<title>{escape(name)} ({n} samples, {100 * n / total:.2f}%)</title>'
                   f'<rect x="{pad + x * scale:.2f}" y="{y}" width="{n * scale:.2f}" height="{fh - 1}" rx="2" '
                   f'fill="{_color(name)}"/><text x="{pad + x * scale + 3:.2f}" y="{y + fh - 5}"></text></g>')
    out.append("<script><![CDATA[" + SVG_SCRIPT % {"width": width, "total": total, "hint": HINT} + "]]></script>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def write(prof: Profile, out: str, name: str) -> None:
    os.makedirs(out, exist_ok=True)
    Path(out, f"{name}.folded").write_text(folded(prof))
    title = f"{name}: {prof.samples} samples at {prof.hz:g} Hz"
    Path(out, f"{name}.svg").write_text(flame_svg(prof, title))


def main(argv: list[str]) -> int:
    if "--" not in argv:
        print("usage: python3 -m frameharness.profile --elf K.elf --out DIR [--name N] [--seconds S] [--hz HZ] "
              "-- QEMU ARGS...", file=sys.stderr)
        return 2
    cut = argv.index("--")
    p = argparse.ArgumentParser(prog="frameharness.profile")
    p.add_argument("--elf", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--name")
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--hz", type=float, default=DEFAULT_HZ)
    args = p.parse_args(argv[:cut])
    if args.hz <= 0 or args.seconds <= 0:
        print("error: --hz and --seconds must be positive", file=sys.stderr)
        return 2
    name = args.name or Path(args.elf).stem
    print(f"profile: sampling {name} at {args.hz:g} Hz for {args.seconds:g} s (or until it powers off)", flush=True)
    prof = run(args.elf, argv[cut + 1:], args.seconds, args.hz)
    if not prof.samples:
        print("error: no samples: QEMU exited before the first one (its output above says why)", file=sys.stderr)
        return 1
    write(prof, args.out, name)
    print(summary(prof, name, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
