"""make trace: boot a kernel, receive the frame's trace at power-off (sdk/frame/core/trace.c, sent
through the host channel, frameharness.hostlink) and draw it.

Writes ``<out>/<kernel>.json`` in the Chrome trace-event format (chrome://tracing, Perfetto) and
``<out>/<kernel>.html``, a self-contained timeline: one lane per task plus lanes for interrupts and
timer callbacks, zoomable, with each event's details on hover.  Nothing is fetched from the network.

    python3 -m frameharness.trace KERNEL.elf [--out DIR] [--cmdline ...] [--timeout S]

``parse(payload)`` reads one HOSTLINK_TRACE record into a Trace; ``timeline(trace)`` turns it into
lanes, slices and instants (a Timeline); ``chrome_json()`` and ``html()`` write those.
"""
from __future__ import annotations

import argparse
import json
import os
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import hostlink
from .paths import StrPath

# core/trace.h's enum trace_kind
SWITCH, WAKE, SLEEP, WAIT, JOIN, EXIT, IRQ_ENTER, IRQ_EXIT, TIMER_START, TIMER_END, USER_ENTER, USER_LEAVE, \
    MARK, PANIC = range(1, 15)
HEADER = struct.Struct("<IIIIQQ")  # version, event size, ring size, names, TSC Hz, events recorded
NAME = struct.Struct("<QQ48s")     # key, since (TSC), text
EVENT = struct.Struct("<QIIQQ")    # tsc, kind, arg, a, b
VERSION = 1
# sched.h's enum task_state: the state a task is left in when it is switched out
SWITCH_WHY = {1: "yielded or preempted", 3: "blocked", 4: "exited"}
# <frame/user.h>'s enum user_return
USER_WHY = {1: "system call", 2: "exception", 3: "interrupt", 4: "preempted"}
# irq/irq.h, irq/irqchip.h: the frame's own vectors
VECTORS = {32: "ISA 0 (PIT tick)", 33: "ISA 1 (keyboard)", 36: "ISA 4 (serial)", 48: "tick",
           49: "IOMMU fault", 255: "spurious"}
INTERRUPTS, TIMERS = "interrupts", "timers"


class TraceError(Exception):
    """No trace, or a malformed one."""


@dataclass
class Event:
    tsc: int
    kind: int
    arg: int
    a: int
    b: int


@dataclass
class Trace:
    """One run's trace, as the frame sent it."""
    tsc_hz: int
    recorded: int                   #: events recorded in all (the ring keeps the newest ring_size)
    ring_size: int
    names: list[tuple[int, int, str]]  #: (key, since TSC, text): tasks (since > 0), functions, strings
    events: list[Event]

    @property
    def lost(self) -> int:
        """Events overwritten in the ring before power-off (the oldest)."""
        return self.recorded - len(self.events)

    def name(self, key: int, tsc: int = 0) -> str | None:
        """What key (a task, a function, a string) was called at tsc: the latest name given to it
        no later than tsc (a task's memory may hold a later task), else its earliest."""
        found = [(since, text) for k, since, text in self.names if k == key]
        if not found:
            return None
        before = [f for f in found if f[0] <= tsc]
        return max(before)[1] if before else min(found)[1]


def parse(payload: bytes) -> Trace:
    """A HOSTLINK_TRACE record's payload as a Trace (TraceError if malformed)."""
    if len(payload) < HEADER.size:
        raise TraceError(f"trace record of {len(payload)} bytes: shorter than its header")
    version, event_size, ring_size, count, tsc_hz, recorded = HEADER.unpack_from(payload)
    if version != VERSION or event_size != EVENT.size:
        raise TraceError(f"trace record version {version}, events of {event_size} bytes: this reader knows "
                         f"version {VERSION}, {EVENT.size} bytes")
    pos, names = HEADER.size, []
    if count * NAME.size > len(payload) - pos:
        raise TraceError(f"trace record: {count} names do not fit its {len(payload)} bytes")
    for _ in range(count):
        key, since, text = NAME.unpack_from(payload, pos)
        names.append((key, since, text.split(b"\0", 1)[0].decode("utf-8", "replace")))
        pos += NAME.size
    if (len(payload) - pos) % EVENT.size:
        raise TraceError("trace record: the events do not fill it whole")
    events = [Event(*EVENT.unpack_from(payload, p)) for p in range(pos, len(payload), EVENT.size)]
    return Trace(tsc_hz, recorded, ring_size, names, events)


def read(path: StrPath) -> Trace:
    """The trace among the host channel's records written to path (TraceError if none)."""
    traces = [payload for kind, payload in hostlink.read_records(path) if kind == hostlink.TRACE]
    if not traces:
        raise TraceError(f"{os.fspath(path)}: the kernel sent no trace")
    return parse(traces[-1])


@dataclass
class Slice:
    lane: str
    start: float  #: microseconds since the trace's first event
    dur: float
    name: str
    cat: str      #: run, user, irq, timer
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class Instant:
    lane: str
    ts: float
    name: str
    cat: str      #: wake, sleep, wait, join, exit, mark, panic
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class Timeline:
    """The trace as lanes: each task's (running, user mode), interrupts, timer callbacks."""
    lanes: list[str]
    slices: list[Slice]
    instants: list[Instant]
    end: float
    tsc_hz: int
    lost: int


def timeline(trace: Trace) -> Timeline:
    """Lanes, slices and instants from a trace's events, in time order."""
    events = trace.events
    t0 = events[0].tsc if events else 0

    hz = trace.tsc_hz or 1_000_000_000  # 0: the kernel stopped before its clock was calibrated

    def us(tsc: int) -> float:
        return (tsc - t0) * 1e6 / hz

    lanes: dict[tuple[int, int], str] = {}             # (task, since) -> lane name
    used: set[str] = {INTERRUPTS, TIMERS}

    def task(key: int, tsc: int) -> str:
        found = [(since, text) for k, since, text in trace.names if k == key and since]
        before = [f for f in found if f[0] <= tsc]
        since, text = max(before) if before else min(found) if found else (0, f"task {key:#x}")
        if (key, since) not in lanes:
            name, n = text, 2
            while name in used:
                name, n = f"{text} ({n})", n + 1
            used.add(name)
            lanes[(key, since)] = name
        return lanes[(key, since)]

    def named(key: int) -> str:
        return trace.name(key) or f"{key:#x}"

    slices: list[Slice] = []
    instants: list[Instant] = []
    first_switch = next((e for e in events if e.kind == SWITCH), None)
    current = task(first_switch.a, first_switch.tsc) if first_switch else "main"
    run_start, run_args = 0.0, {"from": "the start of the trace"}
    user: dict[str, tuple[float, int]] = {}  # lane -> (start, struct user_mode)
    blocked_on: dict[str, str] = {}          # lane -> what it last said it waits for
    irqs: list[tuple[float, int]] = []
    timers: dict[int, tuple[float, int]] = {}
    for e in events:
        t = us(e.tsc)
        if e.kind == SWITCH:
            prev, nxt = task(e.a, e.tsc), task(e.b, e.tsc)
            why = SWITCH_WHY.get(e.arg, f"state {e.arg}")
            if why == "blocked" and prev in blocked_on:
                why = f"blocked: {blocked_on.pop(prev)}"
            slices.append(Slice(prev, run_start, t - run_start, "running", "run", {**run_args, "until": why}))
            current, run_start, run_args = nxt, t, {"from": f"switched from {prev}"}
        elif e.kind == WAKE:
            woken = task(e.a, e.tsc)
            by = INTERRUPTS if irqs else task(e.b, e.tsc)
            instants.append(Instant(woken, t, f"woken by {by}", "wake", {"by": by}))
        elif e.kind in (SLEEP, WAIT, JOIN):
            lane = task(e.a, e.tsc)
            what = f"sleep until jiffy {e.b}" if e.kind == SLEEP else f"wait on '{named(e.b)}'" \
                if e.kind == WAIT else f"join {task(e.b, e.tsc)}"
            blocked_on[lane] = what
            instants.append(Instant(lane, t, what, {SLEEP: "sleep", WAIT: "wait", JOIN: "join"}[e.kind]))
        elif e.kind == EXIT:
            instants.append(Instant(task(e.a, e.tsc), t, "exit", "exit", {"value": struct.unpack("<q", struct.pack(
                "<Q", e.b))[0]}))
        elif e.kind == IRQ_ENTER:
            irqs.append((t, e.arg))
        elif e.kind == IRQ_EXIT and irqs:
            start, vector = irqs.pop()
            slices.append(Slice(INTERRUPTS, start, t - start, VECTORS.get(vector, f"vector {vector}"), "irq",
                                {"vector": vector, "interrupted": current}))
        elif e.kind == TIMER_START:
            timers[e.b] = (t, e.a)
        elif e.kind == TIMER_END and e.b in timers:
            start, fn = timers.pop(e.b)
            slices.append(Slice(TIMERS, start, t - start, named(fn), "timer", {"timer": f"{e.b:#x}"}))
        elif e.kind == USER_ENTER:
            user[task(e.a, e.tsc)] = (t, e.b)
        elif e.kind == USER_LEAVE:
            lane = task(e.a, e.tsc)
            if lane in user:
                start, um = user.pop(lane)
                slices.append(Slice(lane, start, t - start, "user mode", "user",
                                    {"until": USER_WHY.get(e.arg, f"reason {e.arg}"), "user_mode": f"{um:#x}"}))
        elif e.kind == MARK:
            lane = INTERRUPTS if e.arg else current
            instants.append(Instant(lane, t, named(e.a), "mark", {"value": e.b}))
        elif e.kind == PANIC:
            instants.append(Instant(current, t, "PANIC", "panic", {"at": f"{e.a:#x}"}))
    end = us(events[-1].tsc) if events else 0.0
    slices.append(Slice(current, run_start, end - run_start, "running", "run", {**run_args, "until": "power-off"}))
    for lane, (start, um) in user.items():
        slices.append(Slice(lane, start, end - start, "user mode", "user", {"until": "power-off"}))
    task_lanes = sorted(lanes.items(), key=lambda kv: (kv[0][1], kv[1]))
    order = [name for _, name in task_lanes if name != "idle"] + \
            [name for _, name in task_lanes if name == "idle"] + [INTERRUPTS, TIMERS]
    if "main" not in order and current == "main":
        order.insert(0, "main")
    slices.sort(key=lambda s: (s.start, -s.dur))
    return Timeline(order, slices, instants, end, trace.tsc_hz, trace.lost)


def chrome_json(tl: Timeline, kernel: str) -> dict[str, Any]:
    """The Chrome trace-event format: one process, a thread per lane; "X" slices, "i" instants."""
    tid = {lane: i + 1 for i, lane in enumerate(tl.lanes)}
    out: list[dict[str, Any]] = [{"ph": "M", "pid": 1, "name": "process_name", "args": {"name": kernel}}]
    for lane, n in tid.items():
        out.append({"ph": "M", "pid": 1, "tid": n, "name": "thread_name", "args": {"name": lane}})
        out.append({"ph": "M", "pid": 1, "tid": n, "name": "thread_sort_index", "args": {"sort_index": n}})
    for s in tl.slices:
        out.append({"ph": "X", "pid": 1, "tid": tid[s.lane], "ts": round(s.start, 3), "dur": round(s.dur, 3),
                    "name": s.name, "cat": s.cat, "args": s.args})
    for i in tl.instants:
        out.append({"ph": "i", "s": "t", "pid": 1, "tid": tid[i.lane], "ts": round(i.ts, 3), "name": i.name,
                    "cat": i.cat, "args": i.args})
    return {"traceEvents": out, "displayTimeUnit": "ms",
            "otherData": {"kernel": kernel, "tsc_hz": tl.tsc_hz, "events_lost": tl.lost}}


def html(tl: Timeline, kernel: str) -> str:
    """A self-contained page drawing the timeline (SVG, built by its own script)."""
    data = {"kernel": kernel, "lanes": tl.lanes, "end": tl.end, "lost": tl.lost, "tsc_hz": tl.tsc_hz,
            "slices": [[tl.lanes.index(s.lane), s.start, s.dur, s.name, s.cat, s.args] for s in tl.slices],
            "instants": [[tl.lanes.index(i.lane), i.ts, i.name, i.cat, i.args] for i in tl.instants]}
    blob = json.dumps(data, separators=(",", ":")).replace("<", "\\u003c")  # no "</script>", no "<!--"
    return PAGE.replace("@TITLE@", f"trace: {kernel}").replace("@DATA@", blob)


def write(tl: Timeline, kernel: str, out: StrPath) -> tuple[Path, Path]:
    """<out>/<kernel>.json and <out>/<kernel>.html; returns their paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    js, page = out / f"{kernel}.json", out / f"{kernel}.html"
    js.write_text(json.dumps(chrome_json(tl, kernel)))
    page.write_text(html(tl, kernel))
    return js, page


def summary(tl: Timeline) -> str:
    """A few lines for the terminal: the span, the lanes, what was lost."""
    busy: dict[str, float] = {}
    for s in tl.slices:
        if s.cat in ("run", "irq", "timer"):
            busy[s.lane] = busy.get(s.lane, 0.0) + s.dur
    lines = [f"trace: {len(tl.slices)} slices and {len(tl.instants)} points over {tl.end / 1000:.3f} ms"
             + (f" ({tl.lost} older events overwritten in the ring)" if tl.lost else "")]
    for lane in tl.lanes:
        count = sum(1 for s in tl.slices if s.lane == lane and s.cat != "user")
        lines.append(f"  {lane:<16} {count:6d} slices, busy {busy.get(lane, 0.0) / 1000:10.3f} ms")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="frameharness.trace", description=__doc__.split("\n\n")[0])
    ap.add_argument("elf", help="the kernel's ELF")
    ap.add_argument("--out", default="build/trace", help="where to write <kernel>.json and .html")
    ap.add_argument("--name", help="the kernel's name in the files (default: the ELF's)")
    ap.add_argument("--cmdline", default="", help="the kernel's command line")
    ap.add_argument("--memory", default="128M")
    ap.add_argument("--machine", default="pc")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds before the kernel is stopped")
    ap.add_argument("--initrd", help="boot modules, as QEMU's -initrd takes them (make's MODULES)")
    args = ap.parse_args(argv)
    from .runner import boot  # not at import time: the parsing and drawing need no QEMU
    kernel = args.name or Path(args.elf).stem
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    records = out / f"{kernel}.hostlink"
    records.unlink(missing_ok=True)
    result = boot(args.elf, cmdline=args.cmdline, memory=args.memory, machine=args.machine, timeout=args.timeout,
                  extra_args=hostlink.qemu_args(records) + (["-initrd", args.initrd] if args.initrd else []),
                  log_dir=out / "logs", check=False)
    for line in result.lines:
        print(line)
    try:
        tl = timeline(read(records))
    except (hostlink.HostlinkError, TraceError, OSError) as e:
        print(f"trace: no trace from {args.elf}: {e}", file=sys.stderr)
        if result.failure:
            print(result.failure, file=sys.stderr)
        return 1
    js, page = write(tl, kernel, out)
    print(summary(tl))
    if not tl.tsc_hz:
        print("trace: the kernel stopped before its clock was calibrated: times are TSC cycles / 1000, not µs")
    print(f"trace: wrote {js} (chrome://tracing, ui.perfetto.dev) and {page} (any browser)")
    return 0


PAGE = r"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>@TITLE@</title>
<style>
body { font: 13px sans-serif; margin: 0; background: #fafafa; color: #222; }
header { padding: 8px 12px; display: flex; gap: 12px; align-items: center; border-bottom: 1px solid #ddd; }
header h1 { font-size: 15px; margin: 0; }
button { font: inherit; padding: 2px 10px; }
#info { color: #555; }
#chart { display: block; cursor: grab; user-select: none; }
#chart.drag { cursor: grabbing; }
.lane-name { font: bold 12px sans-serif; fill: #222; }
.axis { font: 11px sans-serif; fill: #666; }
#tip { position: fixed; pointer-events: none; background: #fff; border: 1px solid #888; padding: 6px 8px;
       font: 12px monospace; white-space: pre; display: none; box-shadow: 2px 2px 6px rgba(0,0,0,.2); }
#legend span { display: inline-block; width: 10px; height: 10px; margin: 0 3px 0 10px; vertical-align: middle; }
</style></head>
<body>
<header><h1 id="title"></h1>
<button id="zoom-in" title="zoom in">+</button><button id="zoom-out" title="zoom out">&minus;</button>
<button id="reset" title="the whole run">whole run</button>
<span id="info"></span><span id="legend"></span></header>
<svg id="chart" xmlns="http://www.w3.org/2000/svg"></svg>
<div id="tip"></div>
<script>
"use strict";
const D = @DATA@;
const NS = "http://www.w3.org/2000/svg";
const LABEL = 130, LANE = 34, TOP = 26, PAD = 6;
const COLORS = {run: "#4e79a7", user: "#f28e2b", irq: "#e15759", timer: "#59a14f"};
const POINTS = {wake: "#59a14f", sleep: "#9c755f", wait: "#9c755f", join: "#9c755f", exit: "#222",
                mark: "#b07aa1", panic: "#d00"};
const svg = document.getElementById("chart"), tip = document.getElementById("tip");
let view = [0, Math.max(D.end, 1)];
document.getElementById("title").textContent = "trace: " + D.kernel;
document.title = "trace: " + D.kernel;
const legend = document.getElementById("legend");
for (const [k, c] of Object.entries(COLORS)) {
  const s = document.createElement("span"); s.style.background = c; legend.appendChild(s);
  legend.appendChild(document.createTextNode({run: "running", user: "user mode", irq: "interrupt",
                                              timer: "timer callback"}[k]));
}
function fmt(us) {
  if (Math.abs(us) >= 1000) return (us / 1000).toFixed(3) + " ms";
  return us.toFixed(3) + " \u00b5s";
}
function el(name, attrs, parent) {
  const e = document.createElementNS(NS, name);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (parent) parent.appendChild(e);
  return e;
}
function width() { return Math.max(400, window.innerWidth - 2); }
function x(t, w) { return LABEL + (t - view[0]) / (view[1] - view[0]) * (w - LABEL - PAD); }
function details(kind, lane, start, dur, name, args) {
  let s = name + "\nlane: " + D.lanes[lane] + "\n" + kind + ": " + fmt(start);
  if (dur !== null) s += "\nduration: " + fmt(dur);
  for (const k in args) s += "\n" + k + ": " + args[k];
  return s;
}
function hover(node, text) {
  node.addEventListener("mousemove", ev => {
    tip.textContent = text; tip.style.display = "block";
    tip.style.left = Math.min(ev.clientX + 12, window.innerWidth - tip.offsetWidth - 4) + "px";
    tip.style.top = (ev.clientY + 14) + "px";
  });
  node.addEventListener("mouseleave", () => { tip.style.display = "none"; });
}
function draw() {
  const w = width(), h = TOP + D.lanes.length * LANE + 4;
  svg.setAttribute("width", w); svg.setAttribute("height", h);
  svg.replaceChildren();
  const span = view[1] - view[0];
  const step = Math.pow(10, Math.floor(Math.log10(span / 8)));
  const tick = [1, 2, 5, 10].map(m => m * step).find(s => span / s <= 10);
  for (let t = Math.ceil(view[0] / tick) * tick; t <= view[1]; t += tick) {
    const px = x(t, w);
    el("line", {x1: px, x2: px, y1: TOP - 6, y2: h, stroke: "#e4e4e4"}, svg);
    el("text", {x: px + 2, y: TOP - 10, class: "axis"}, svg).textContent = fmt(t);
  }
  D.lanes.forEach((name, i) => {
    const y = TOP + i * LANE;
    el("rect", {x: 0, y: y, width: w, height: LANE, fill: i % 2 ? "#f3f3f3" : "#fff"}, svg);
    const label = el("text", {x: 6, y: y + LANE / 2 + 4, class: "lane-name", "data-lane": name}, svg);
    label.textContent = name;
  });
  const clip = el("clipPath", {id: "plot"}, el("defs", {}, svg));
  el("rect", {x: LABEL, y: 0, width: w - LABEL, height: h}, clip);
  const plot = el("g", {"clip-path": "url(#plot)"}, svg);
  let shown = 0;
  for (const [lane, start, dur, name, cat, args] of D.slices) {
    if (start > view[1] || start + dur < view[0]) continue;
    const x0 = x(start, w), x1 = Math.max(x(start + dur, w), x0 + 1);
    const user = cat === "user", y = TOP + lane * LANE + (user ? LANE / 2 : 4);
    const r = el("rect", {x: x0, y: y, width: x1 - x0, height: user ? LANE / 2 - 4 : LANE - 8,
                          fill: COLORS[cat] || "#888", class: "slice " + cat}, plot);
    hover(r, details("start", lane, start, dur, name, args));
    if (x1 - x0 > 40) {
      const t = el("text", {x: x0 + 3, y: y + 13, fill: "#fff", "font-size": 11}, plot);
      t.textContent = name;
      t.style.pointerEvents = "none";
    }
    shown++;
  }
  for (const [lane, ts, name, cat, args] of D.instants) {
    if (ts < view[0] || ts > view[1]) continue;
    const px = x(ts, w), y = TOP + lane * LANE + 2;
    const p = el("path", {d: `M${px - 4},${y} L${px + 4},${y} L${px},${y + 8} Z`, fill: POINTS[cat] || "#444",
                          class: "point " + cat}, plot);
    hover(p, details("at", lane, ts, null, name, args));
    shown++;
  }
  document.getElementById("info").textContent = fmt(view[0]) + " \u2013 " + fmt(view[1]) + " of " + fmt(D.end)
    + ", " + shown + " shown" + (D.lost ? ", " + D.lost + " older events lost" : "");
  svg.setAttribute("data-rendered", shown);
}
function zoom(factor, at) {
  const span = view[1] - view[0], nspan = Math.min(Math.max(span * factor, 0.01), Math.max(D.end, 1));
  let a = at - (at - view[0]) * nspan / span;
  a = Math.max(0, Math.min(a, Math.max(D.end, 1) - nspan));
  view = [a, a + nspan];
  draw();
}
function timeAt(clientX) {
  const w = width(), r = svg.getBoundingClientRect();
  const f = Math.min(Math.max((clientX - r.left - LABEL) / (w - LABEL - PAD), 0), 1);
  return view[0] + f * (view[1] - view[0]);
}
svg.addEventListener("wheel", ev => { ev.preventDefault(); zoom(ev.deltaY < 0 ? 0.8 : 1.25, timeAt(ev.clientX)); },
                     {passive: false});
let drag = null;
svg.addEventListener("mousedown", ev => { drag = [ev.clientX, view.slice()]; svg.classList.add("drag"); });
window.addEventListener("mouseup", () => { drag = null; svg.classList.remove("drag"); });
window.addEventListener("mousemove", ev => {
  if (!drag) return;
  const span = drag[1][1] - drag[1][0], dt = (ev.clientX - drag[0]) / (width() - LABEL - PAD) * span;
  const a = Math.max(0, Math.min(drag[1][0] - dt, Math.max(D.end, 1) - span));
  view = [a, a + span];
  draw();
});
document.getElementById("zoom-in").onclick = () => zoom(0.5, (view[0] + view[1]) / 2);
document.getElementById("zoom-out").onclick = () => zoom(2, (view[0] + view[1]) / 2);
document.getElementById("reset").onclick = () => { view = [0, Math.max(D.end, 1)]; draw(); };
window.addEventListener("resize", draw);
draw();
</script></body></html>
"""

if __name__ == "__main__":
    sys.exit(main())
