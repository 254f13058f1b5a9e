"""docs/getting-started.md's debugging session is real: a kernel made by make new from the timer
template, with the mistake the page makes (task_sleep() in the timer callback), prints the quoted
panic report under make run-direct, and make debug's GDB prints the quoted session (stop at the
panic, frame tasks, frame bt ticker). Addresses, and the frame's own line numbers, are compared
loosely; the kernel's own lines (main.c:23, main.c:47) exactly."""
import os
import re
import shutil
import subprocess
import tempfile

import pytest
from frame_build import BUILD, ROOT
from test_docs_outputs import match_block

DOC = os.path.join(ROOT, "docs", "getting-started.md")
MISTAKE = "\ttask_sleep(MSEC(1)); // the mistake: slow the ticks down a little\n"


def section():
    with open(DOC) as f:
        text = f.read()
    return text[text.index("## A debugging session"):]


def run(cmd, cwd, env=None, timeout=180):
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                       env=env)
    return r.stdout + r.stderr


@pytest.fixture(scope="module")
def kernel():
    """The page's kernel: make new's timer template, with the page's mistake, built."""
    parent = tempfile.mkdtemp(prefix="frame-session-")
    kdir = os.path.join(parent, "mykernel")
    out = run([os.path.join(BUILD, "sdk", "tools", "frame-new"), "--template", "timer", kdir], cwd=parent)
    assert os.path.isfile(os.path.join(kdir, "main.c")), out
    with open(os.path.join(kdir, "main.c")) as f:
        src = f.read()
    anchor = "\tatomic_inc(&ticks);\n"
    assert src.count(anchor) == 1, "the timer template's callback changed: update docs/getting-started.md"
    with open(os.path.join(kdir, "main.c"), "w") as f:
        f.write(src.replace(anchor, anchor + MISTAKE))
    assert MISTAKE.strip() in section(), "the page no longer shows the mistake this test makes"
    out = run(["make", "--no-print-directory"], cwd=kdir)
    assert os.path.isfile(os.path.join(kdir, "build", "mykernel.elf")), out
    yield kdir
    shutil.rmtree(parent, ignore_errors=True)


def test_make_run_prints_the_quoted_panic_report(kernel):
    out = run(["make", "--no-print-directory", "run-direct"], cwd=kernel).replace("\r", "")
    text = section()
    start = text.index("    10 ticks, one every 100 ms")
    quoted = []
    for line in text[start:].splitlines():
        if line and not line.startswith("    "):
            break
        quoted.append(line[4:])
    while quoted and not quoted[-1]:
        quoted.pop()
    assert quoted[-1] == "end of panic report"
    why = match_block(["..."] + [q for q in quoted if q], [o for o in out.splitlines() if o.strip()])  # after the host's line
    assert why is None, f"{why}\n{out}"


def loose(line):
    """What one run has and another need not: addresses, numbers in the frame's file:line and in
    GDB's frame numbers and argument values; the kernel's own main.c:N stays."""
    line = re.sub(r"0x[0-9a-f]+", "0x_", line)
    line = re.sub(r"(sdk/\S+):\d+", r"\1:N", line)
    line = re.sub(r"^#\d+ ", "#N ", line)
    line = re.sub(r"\d+ ms from now", "N ms from now", line)
    line = re.sub(r"\b\d+/(\d+)\b", r"N/\1", line)  # stack use
    return re.sub(r"\s+", " ", line).strip()


def test_make_debug_prints_the_quoted_session(kernel):
    block = re.search(r"```gdb\n(.*?)```", section(), re.S).group(1).splitlines()
    steps = []
    for line in block:
        if line.startswith("(gdb) "):
            steps.append((line[6:], []))
        else:
            steps[-1][1].append(line)
    script = os.path.join(kernel, "build", "session.gdb")
    with open(script, "w") as f:
        for i, (cmd, _) in enumerate(steps):
            f.write(f"{cmd}\necho @@{i}\\n\n")
    env = dict(os.environ, GDB_BATCH="1", GDB_EXTRA=script)
    out = run(["make", "--no-print-directory", "debug"], cwd=kernel, env=env)
    parts = re.split(r"^@@\d+\n", out, flags=re.M)
    assert len(parts) == len(steps) + 1, out
    for (cmd, lines), got in zip(steps, parts):
        have = {loose(g) for g in got.splitlines()}
        for line in lines:
            assert loose(line) in have, f"(gdb) {cmd}: {line!r} not in\n{got}"
