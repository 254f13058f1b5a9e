"""make trace (sdk/frame/core/trace.c, frameharness.trace): the frame's trace of examples/timer holds
its ten timer callbacks, each followed by the wake-up and the run of the task "ticker"; the
timeline page draws its lanes in a real browser (headless Chromium); trace_mark() puts the
kernel's own points on it and refuses a name the kernel does not keep; trace=off records nothing."""
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from frameharness import boot as boot_kernel
from frameharness import hostlink, trace
from frameharness.paths import find_kernel

# one directory per pytest-xdist worker: each may trace the same kernel
OUT = Path(__file__).resolve().parent.parent / "build" / "trace-test" / os.environ.get("PYTEST_XDIST_WORKER", "main")
TICKS = 10  # examples/timer's periodic timer runs ten times


def traced(boot, name, **kwargs):
    """Boot with the host channel; the trace as a Timeline."""
    OUT.mkdir(parents=True, exist_ok=True)
    records = OUT / f"{name}.hostlink"
    records.unlink(missing_ok=True)
    boot(extra_args=hostlink.qemu_args(records), **kwargs)
    return trace.read(records)


def chrome_events(path):
    """The trace-event file's slices and points in time order, each with its lane's name."""
    data = json.loads(path.read_text())
    lanes = {e["tid"]: e["args"]["name"] for e in data["traceEvents"] if e["name"] == "thread_name"}
    events = [dict(e, lane=lanes[e["tid"]]) for e in data["traceEvents"] if e["ph"] != "M"]
    return sorted(events, key=lambda e: e["ts"]), set(lanes.values())


@pytest.fixture(scope="module")
def timer_trace():
    """examples/timer traced once for this file: (json path, html path, lanes)."""
    root = Path(__file__).resolve().parent.parent
    kernel = find_kernel(root / "examples" / "timer", root / "build")
    tl = trace.timeline(traced(lambda **kw: boot_kernel(kernel.elf, log_dir=OUT / "logs", **kw), "timer",
                               expect=(r"^tick 10$",)))
    js, page = trace.write(tl, "timer", OUT)
    return js, page, tl.lanes


def test_the_timer_trace_holds_ten_callbacks_each_waking_and_running_ticker(timer_trace):
    js, _, _ = timer_trace
    events, lanes = chrome_events(js)
    assert {"main", "ticker", "idle", "interrupts", "timers"} <= lanes, lanes
    callbacks = [e for e in events if e["lane"] == "timers"]
    assert [(e["ph"], e["name"]) for e in callbacks] == [("X", "on_timer")] * TICKS, callbacks
    for n, cb in enumerate(callbacks):
        end = cb["ts"] + cb["dur"]
        following = callbacks[n + 1]["ts"] if n + 1 < TICKS else float("inf")
        wakes = [e for e in events if e["cat"] == "wake" and cb["ts"] <= e["ts"] <= end]
        assert [(w["lane"], w["name"]) for w in wakes] == [("ticker", "woken by interrupts")], (n, wakes)
        runs = [e for e in events if e["cat"] == "run" and end <= e["ts"] < following]
        assert runs and runs[0]["lane"] == "ticker", (n, runs[:2])
        # then it waits for the next tick, or after the last one returns (and main is woken to join it)
        then = [(e["lane"], e["name"]) for e in events
                if e["cat"] in ("wait", "exit") and runs[0]["ts"] <= e["ts"] < following]
        assert then == [("ticker", "wait on 'tick'") if n + 1 < TICKS else ("ticker", "exit")], (n, then)


def chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(chromium() is None, reason="no Chromium to open the timeline in: install it with "
                    "sudo apt-get install chromium (or FRAME_INSTALL_BROWSER=1 make deps)")
def test_the_timeline_page_draws_its_lanes_in_chromium(timer_trace):
    _, page, lanes = timer_trace
    browser = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               f"--user-data-dir={OUT / 'chromium-profile'}", "--window-size=1400,420"]
    dom = subprocess.run(browser + ["--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=60)
    drawn = re.findall(r'<text[^>]*class="lane-name"[^>]*>([^<]*)</text>', dom.stdout)
    assert drawn == lanes, f"lanes drawn: {drawn}\nchromium's stderr:\n{dom.stderr[-2000:]}"
    shown = re.search(r'data-rendered="(\d+)"', dom.stdout)
    assert shown and int(shown.group(1)) > TICKS, "the page drew no slices"
    assert len(re.findall(r'class="slice timer"', dom.stdout)) == TICKS
    shot = OUT / "timer.png"
    shot.unlink(missing_ok=True)
    subprocess.run(browser + [f"--screenshot={shot}", page.as_uri()], capture_output=True, timeout=60, check=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 5000


@pytest.mark.kernel("kernels/trace-mark")
def test_trace_mark_puts_the_kernels_points_on_the_task_and_interrupt_lanes(boot):
    tl = trace.timeline(traced(boot, "trace-mark", expect=(r"^marked$",)))
    marks = [(i.lane, i.name, i.args["value"]) for i in tl.instants if i.cat == "mark"]
    assert marks == [("main", "before the timer", 7), ("interrupts", "in the callback", 42)]


@pytest.mark.kernel("kernels/trace-mark")
def test_trace_mark_refuses_a_name_on_the_stack(boot):
    result = boot(cmdline="stack", exit_status=35,
                  expect=(r"^PANIC: trace_mark: name 0x[0-9a-f]+ is not in the kernel's read-only data: give a "
                          r"string literal.* \(called from kernel_main\+0x[0-9a-f]+ at main\.c:\d+\)$",))
    assert result.panic.location.function == "trace_mark", result.panic.raw_lines


@pytest.mark.kernel("kernels/trace-mark")
def test_trace_off_on_the_command_line_records_nothing(boot):
    assert traced(boot, "trace-on", expect=(r"^marked$",)).recorded > 0
    with pytest.raises(trace.TraceError, match="the kernel sent no trace"):
        traced(boot, "trace-off", cmdline="trace=off", expect=(r"^marked$",))
