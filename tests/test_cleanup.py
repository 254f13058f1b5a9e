"""No QEMU outlives the process that started it, whatever signal ends that process: make
run-direct's make (a kernel directory's, and the repository's, which runs the kernel's make)
sent SIGINT, SIGTERM, SIGHUP or SIGKILL alone (not its group), a pytest session's process group
sent SIGHUP (a closed terminal), and pytest sent SIGKILL.  Each boots the hang kernel waiting
forever, with a command line of its own, so that pgrep -f finds its QEMU and no other."""
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / "build"
KERNEL = BUILD / "tests/kernels/hang/hang.elf"


def qemus(token):
    """The pids of the QEMUs whose command line has ``token``."""
    r = subprocess.run(["pgrep", "-f", f"qemu-system.*{token}"], capture_output=True, text=True)
    return [int(p) for p in r.stdout.split()]


def wait_for(what, limit):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if what():
            return True
        time.sleep(0.1)
    return what()


def signal_and_check(start, token, send):
    """Start a parent (``start()`` → Popen), wait for its QEMU, ``send(parent)``, and check
    that its QEMU is gone within a few seconds; whatever is left is killed."""
    parent = start()
    try:
        assert wait_for(lambda: qemus(token), 120), f"no QEMU with {token} came up"
        time.sleep(0.5)  # the kernel runs: its QEMU waits forever
        send(parent)
        gone = wait_for(lambda: not qemus(token), 10)
        left = qemus(token)
    finally:
        for pid in qemus(token):
            os.kill(pid, signal.SIGKILL)
        if parent.poll() is None:
            os.killpg(parent.pid, signal.SIGKILL)
        parent.wait()
    assert gone, f"QEMU {left} outlived its parent"


def make_run_direct(token, top_level):
    if top_level:
        cmd = ["make", "-s", "run-direct", "EXAMPLE=hang"]
    else:
        cmd = ["make", "-s", "-C", "tests/kernels/hang", f"SDK={BUILD}/sdk", f"BUILD={BUILD}/tests/kernels/hang",
               "run-direct"]
    # Its own session: a signal sent to make's process alone, not to its group.
    return subprocess.Popen(cmd + [f"CMDLINE=wait-{token}"], cwd=REPO, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGKILL],
                         ids=lambda s: signal.Signals(s).name)
def test_make_run_direct_signalled_alone_leaves_no_qemu(sig):
    token = uuid.uuid4().hex
    signal_and_check(lambda: make_run_direct(token, False), token, lambda p: os.kill(p.pid, sig))


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=lambda s: signal.Signals(s).name)
def test_the_repositorys_make_run_direct_signalled_alone_leaves_no_qemu(sig):
    # Two makes above QEMU: the repository's, then the kernel's; only the first is signalled.
    token = uuid.uuid4().hex
    signal_and_check(lambda: make_run_direct(token, True), token, lambda p: os.kill(p.pid, sig))


def pytest_session(token, tmp):
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "pytest.ini").write_text("[pytest]\n")
    (tmp / "test_waits.py").write_text(textwrap.dedent(f"""\
        from frameharness.runner import boot

        def test_waits():
            boot({str(KERNEL)!r}, cmdline="wait-{token}", expect=["never printed"], timeout=600,
                 log_dir={str(tmp)!r})
        """))
    env = dict(os.environ, PYTHONPATH=str(REPO / "harness"), PYTHONDONTWRITEBYTECODE="1")
    return subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c",
                             str(tmp / "pytest.ini"), str(tmp / "test_waits.py")], cwd=tmp, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


@pytest.mark.parametrize("how", ["SIGHUP to its group", "SIGKILL"])
def test_a_pytest_session_ended_by_a_signal_leaves_no_qemu(how):
    token = uuid.uuid4().hex
    tmp = BUILD / "test-logs" / f"cleanup-{token}"
    send = (lambda p: os.killpg(p.pid, signal.SIGHUP)) if how.startswith("SIGHUP") else \
        (lambda p: os.kill(p.pid, signal.SIGKILL))
    signal_and_check(lambda: pytest_session(token, tmp), token, send)
