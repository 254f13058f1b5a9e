"""A boot that times out says where the kernel was (harness/frameharness/where.py), read through
QEMU's GDB stub at the timeout: a kernel spinning in a loop names the function and its line; two
tasks deadlocked on two mutexes (a timer pending, so the frame cannot call it a deadlock) show as
idle, each task with the mutex it waits for and who holds it."""
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from frameharness import FailureKind

pytestmark = pytest.mark.kernel("kernels/hang")


def test_a_spinning_kernel_times_out_naming_the_loop_and_its_line(boot):
    result = boot(cmdline="spin", expect=(r"^hang: spinning$", (r"never printed", 3)), check=False)
    assert result.kind == FailureKind.TIMEOUT, result.failure
    message = str(result.failure)
    headline = message.splitlines()[0]
    assert re.search(r"timed out waiting for .*; the kernel was spinning in spin_forever\+0x[0-9a-f]+ "
                     r"\(main\.c:\d+\)$", headline), message
    # The backtrace of the running task: the loop, then kernel_main at the line that called it.
    assert re.search(r"#0 0x[0-9a-f]{16} spin_forever\+0x[0-9a-f]+ \(main\.c:1[45]\)\n"
                     r"\s+#1 0x[0-9a-f]{16} kernel_main\+0x[0-9a-f]+ \(main\.c:\d+\)", message), message
    assert re.search(r"^\s+main: running$", message, re.M), message


def test_a_deadlock_of_two_tasks_times_out_idle_listing_what_each_waits_for(boot):
    result = boot(cmdline="deadlock", expect=(r"^hang: deadlock$", (r"never printed", 3)), check=False)
    assert result.kind == FailureKind.TIMEOUT, result.failure
    message = str(result.failure)
    assert message.splitlines()[0].endswith("; the kernel was idle: every task waits"), message
    assert re.search(r"^\s+left: blocked, waiting for mutex 'b' \(held by 'right'\)$", message, re.M), message
    assert re.search(r"^\s+right: blocked, waiting for mutex 'a' \(held by 'left'\)$", message, re.M), message
    assert re.search(r"^\s+main: blocked, sleeping$", message, re.M), message
    assert re.search(r"#\d 0x[0-9a-f]{16} idle\+0x[0-9a-f]+ \(sched\.c:\d+\)", message), message


def test_a_boot_that_does_not_time_out_has_no_where_report(boot):
    # The report is for timeouts only: a boot that got what it waited for asks GDB nothing.
    result = boot(cmdline="spin", expect=(r"^hang: spinning$",), exit_status=None)
    assert result.ok and result.where == ""


# --- make run-direct: Ctrl-C says where; make attach --------------------------------------------
# These run the kernel directory's make with a build directory of their own, so that its GDB
# socket (BUILD/gdb.sock) is theirs alone.
REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / "build" / "tests" / "kernels" / "hang-run"
MAKE = ["make", "-s", "-C", str(REPO / "tests/kernels/hang"), f"SDK={REPO}/build/sdk", f"BUILD={BUILD}"]


@pytest.fixture
def running():
    """make run-direct of the deadlock case, in its own session, once its GDB socket is up."""
    subprocess.run(MAKE + ["all"], check=True, capture_output=True)
    (BUILD / "gdb.sock").unlink(missing_ok=True)
    proc = subprocess.Popen(MAKE + ["run-direct", "CMDLINE=deadlock"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    while not (BUILD / "gdb.sock").exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    time.sleep(1)  # the kernel reaches its deadlock
    yield proc
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()


def test_ctrl_c_under_make_run_direct_says_where_the_kernel_is(running):
    os.killpg(running.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the foreground group
    out, _ = running.communicate(timeout=60)
    assert "interrupted; where: idle: every task waits" in out, out
    assert re.search(r"left: blocked, waiting for mutex 'b' \(held by 'right'\)", out), out
    assert running.returncode != 0


def test_make_attach_reaches_the_kernel_make_run_direct_runs(running):
    script = BUILD / "attach-test.gdb"
    script.write_text("bt\ninfo registers rip\n")
    r = subprocess.run(MAKE + ["attach"], env=dict(os.environ, GDB_BATCH="1", GDB_EXTRA=str(script)),
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert re.search(r"^rip\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <(cli|idle|sti_hlt)\+?\d*>", r.stdout, re.M), r.stdout + r.stderr
    assert re.search(r"^#\d+ .*\bidle \(", r.stdout, re.M), r.stdout + r.stderr
    assert running.poll() is None, "the kernel must run on after GDB detaches"


def test_make_attach_to_a_socket_left_by_a_killed_run_says_no_kernel_runs():
    """A gdb.sock no QEMU listens on (its make run-direct was killed): not GDB's "Connection
    refused", but what is wrong and what to do, from the repository's make as from the kernel's."""
    top = BUILD / "stale-top"  # the repository's make with its build directory (B) here, its SDK as ever
    top_make = ["make", "-s", "-C", str(REPO), f"B={top.relative_to(REPO)}", "SDK_DIR=build/sdk", "EXAMPLE=hang"]
    for build, cmd, run in ((BUILD / "stale", MAKE[:-1] + [f"BUILD={BUILD / 'stale'}"], "make run or make run-direct"),
                            (top / "tests" / "kernels" / "hang", top_make, "make run EXAMPLE=hang")):
        build.mkdir(parents=True, exist_ok=True)
        sock = build / "gdb.sock"
        sock.unlink(missing_ok=True)
        with socket.socket(socket.AF_UNIX) as s:
            s.bind(str(sock))  # bound, never listening, closed: what a killed QEMU leaves
        try:
            r = subprocess.run(cmd + ["attach"], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
        finally:
            sock.unlink(missing_ok=True)
        assert r.returncode != 0
        assert "error: no kernel 'hang' is running under make run or make run-direct: nothing listens on " \
            f"{sock}" in r.stderr, r.stderr
        assert f"start it with {run}" in r.stderr and "Connection refused" not in r.stdout + r.stderr, r.stderr
