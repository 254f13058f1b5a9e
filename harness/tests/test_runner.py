"""boot() end to end with a fake QEMU (tests/data/fake_qemu.py)."""

import os
import signal
import subprocess
import sys
import textwrap
import time

from pathlib import Path

import pytest

import frameharness
from frameharness import BootFailure, FailureKind, boot
from frameharness import runner

KERNEL = "build/examples/hello/hello.elf"  # never read: the fake ignores it


def test_success(fake_qemu, boot):  # the plugin's boot fixture: logs named after the test
    fake_qemu.set(serial="frame: boot\r\nHello, world\r\n", exit=33)
    r = boot(KERNEL, expect=("Hello",), cmdline="x=1")
    assert r.kind is FailureKind.OK and r.failure is None and r.ok
    assert r.exit_status == 33 and r.lines == ["frame: boot", "Hello, world"]
    assert r.output == "frame: boot\nHello, world"
    assert r.matches[0].string == "Hello, world"
    assert fake_qemu.argv[-4:] == ["-kernel", KERNEL, "-append", "x=1"]
    assert r.command[-4:] == fake_qemu.argv[-4:]
    assert open(r.log_path, "rb").read() == b"frame: boot\r\nHello, world\r\n"
    assert r.log_path == str(fake_qemu.log_dir / "hello.test_runner.test_success.serial.log")
    assert not fake_qemu.running


def test_partial_last_line_is_kept(fake_qemu):
    fake_qemu.set(serial="one\ntwo without newline", exit=33)
    r = boot(KERNEL, expect=("two",))
    assert r.lines == ["one", "two without newline"] and r.kind is FailureKind.OK


def test_wrong_exit_status(fake_qemu):
    fake_qemu.set(serial="Hello\n", exit=35)
    with pytest.raises(BootFailure) as info:
        boot(KERNEL, expect=("Hello",))
    f = info.value
    assert f.kind is FailureKind.EXIT_STATUS and f.result.exit_status == 35
    assert "expected QEMU exit status 33, got 35" in str(f)
    assert "35 = failure" in str(f) and "33 = success" in str(f)


def test_missing_pattern_when_qemu_exits(fake_qemu):
    fake_qemu.set(serial="Hello\n", exit=33)
    r = boot(KERNEL, expect=("Hello", "Goodbye"), check=False)
    assert r.kind is FailureKind.TIMEOUT
    assert "QEMU exited (status 33) before expect[1] 'Goodbye' (pattern 2 of 2)" in str(r.failure)


def test_pattern_timeout_kills_and_reaps(fake_qemu):
    fake_qemu.set(serial="Hello\n", hang="1")
    start = time.monotonic()
    r = boot(KERNEL, expect=("Hello", ("Goodbye", 0.3)), timeout=20, check=False)
    assert time.monotonic() - start < 5
    assert r.kind is FailureKind.TIMEOUT and r.exit_status is None
    message = str(r.failure)
    assert "timed out waiting for expect[1] 'Goodbye' (pattern 2 of 2)" in message
    assert "0.3 s for this pattern" in message
    assert not fake_qemu.running


def test_stops_early_when_all_matched_and_no_exit_expected(fake_qemu):
    fake_qemu.set(serial="Hello\n", hang="1")
    r = boot(KERNEL, expect=("Hello",), exit_status=None, timeout=20)
    assert r.kind is FailureKind.OK and r.exit_status is None and r.duration < 5
    assert not fake_qemu.running


def test_sigterm_ignoring_qemu_gets_sigkill(fake_qemu):
    fake_qemu.set(serial="Hello\n", hang="ignore-term")
    r = boot(KERNEL, expect=("Hello",), exit_status=None, timeout=20)
    assert r.kind is FailureKind.OK and r.duration >= runner.KILL_GRACE
    assert not fake_qemu.running


def test_overall_timeout_waiting_for_exit(fake_qemu):
    fake_qemu.set(serial="Hello\n", hang="1")
    r = boot(KERNEL, expect=("Hello",), timeout=0.5, check=False)
    assert r.kind is FailureKind.TIMEOUT and "QEMU did not exit within 0.5 s" in str(r.failure)
    assert not fake_qemu.running


def test_no_output(fake_qemu):
    fake_qemu.set(exit=1, stderr="qemu: could not open kernel file 'k.elf'\n")
    r = boot(KERNEL, expect=("Hello",), check=False)
    assert r.kind is FailureKind.NO_OUTPUT and r.lines == []
    assert "could not open kernel file" in str(r.failure)
    assert "qemu stderr:" in str(r.failure)


def test_forbidden_pattern(fake_qemu):
    fake_qemu.set(serial="Hello\nwarning: low memory\nbye\n", hang="1")
    r = boot(KERNEL, expect=("never",), forbid=(r"warning:",), check=False)
    assert r.kind is FailureKind.FORBIDDEN and r.exit_status is None
    assert "forbidden pattern 'warning:' matched serial line 2: 'warning: low memory'" \
        in str(r.failure)


def test_unexpected_panic(fake_qemu, data):
    fake_qemu.set(serial=data.path("panic_exception.serial.log"), hang="1")
    r = boot(KERNEL, expect=("Hello",), forbid=("PANIC",), timeout=20, check=False)
    assert r.kind is FailureKind.PANIC and r.exit_status is None and r.duration < 5
    assert r.panic.message == "unhandled CPU exception" and r.panic.complete
    message = str(r.failure)
    assert message.startswith("hello.elf: the kernel panicked: unhandled CPU exception")
    assert "    #0 0xffffffff80201234 <poke+0x14> (faulting instruction)" in message
    assert "also:" in message and "forbidden pattern 'PANIC'" in message
    assert "had not exited" not in message  # stopped for the forbidden line, not waiting
    assert "debug it: make debug EXAMPLE=hello" in message


def test_expected_panic_is_not_a_failure(fake_qemu, data):
    fake_qemu.set(serial=data.path("panic_plain.serial.log"), exit=35)
    r = boot(KERNEL, expect=(r"PANIC: assertion failed",), exit_status=35)
    assert r.kind is FailureKind.OK and r.panic.location.line == 120


def test_panic_then_hang_stops_after_grace(fake_qemu, monkeypatch, data):
    monkeypatch.setattr(runner, "PANIC_GRACE", 0.2)
    fake_qemu.set(serial=data.path("panic_plain.serial.log"), hang="1")
    r = boot(KERNEL, expect=(r"PANIC: assertion",), exit_status=35, timeout=20, check=False)
    assert r.kind is FailureKind.EXIT_STATUS and r.duration < 5
    assert "had not exited" in str(r.failure)
    assert not fake_qemu.running


def test_triple_fault_reruns_with_int_log(fake_qemu, data):
    fake_qemu.set(serial="Hello\n", exit=0, debug_log=data.path("triple_fault.cpu_reset.log"),
                  int_log=data.path("triple_fault.int.log"))
    r = boot(KERNEL, expect=("Hello",), check=False)
    assert r.kind is FailureKind.TRIPLE_FAULT and r.exit_status == 0
    assert r.triple_fault_rip == 0x10009f
    assert "-d" in fake_qemu.argv and "cpu_reset,int" in fake_qemu.argv  # the re-run
    assert "triple-faulted at RIP=0x000000000010009f" in str(r.failure)
    assert "diagnostic re-run with -d int" in str(r.failure)


def test_reset_without_triple_fault(fake_qemu, data):
    fake_qemu.set(serial="Hello\n", exit=0, debug_log=data.path("clean_exit.cpu_reset.log"))
    r = boot(KERNEL, expect=("Hello",), check=False)
    assert r.kind is FailureKind.TRIPLE_FAULT and r.triple_fault_rip is None
    assert "the machine reset" in str(r.failure)
    assert "cpu_reset,int" not in fake_qemu.argv  # nothing to re-run for


def test_keyboard_interrupt_still_kills_qemu(fake_qemu, monkeypatch):
    fake_qemu.set(serial="Hello\n", hang="1")

    def interrupted(self, line, now):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner.SerialWatcher, "feed", interrupted)
    with pytest.raises(KeyboardInterrupt):
        boot(KERNEL, expect=("never",), timeout=20)
    assert not fake_qemu.running


def test_sigterm_to_python_kills_qemu(fake_qemu, tmp_path):
    fake_qemu.set(serial="Hello\n", hang="1")
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(Path(frameharness.__file__).parents[1])!r})
        from frameharness import boot
        boot("k.elf", expect=("never",), timeout=60, name="sig")
    """)
    serial_log = fake_qemu.log_dir / "sig.serial.log"
    python = subprocess.Popen([sys.executable, "-c", script])
    try:
        # Serial output reaches the log only once boot() tracks QEMU.
        deadline = time.monotonic() + 10
        while not (serial_log.exists() and serial_log.stat().st_size):
            assert time.monotonic() < deadline and python.poll() is None
            time.sleep(0.02)
        python.send_signal(signal.SIGTERM)
        assert python.wait(10) == -signal.SIGTERM
    finally:
        if python.poll() is None:
            python.kill()
            python.wait()
        if fake_qemu.pidfile.exists() and fake_qemu.running:
            os.kill(fake_qemu.pid, signal.SIGKILL)  # do not leave it behind if this test fails
            pytest.fail("QEMU survived SIGTERM of the Python process")
    assert not fake_qemu.running


def test_qemu_binary_missing(monkeypatch, tmp_path):
    monkeypatch.setenv("QEMU", str(tmp_path / "no-qemu"))
    with pytest.raises(FileNotFoundError, match="set QEMU="):
        boot(KERNEL, log_dir=tmp_path)


def test_log_dir_argument_and_name(fake_qemu, tmp_path):
    fake_qemu.set(serial="Hello\n")
    r = boot(KERNEL, expect="Hello", log_dir=tmp_path / "mine", name="custom")
    assert r.log_path == str(tmp_path / "mine" / "custom.serial.log")
    assert os.path.exists(r.log_path)
    assert r.qemu_log_path == str(tmp_path / "mine" / "custom.qemu.log")
