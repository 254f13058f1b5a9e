"""boot(input=...): bytes typed on the guest's serial console (QEMU's stdin), with a fake QEMU
that answers what it reads."""

import shlex
import sys
import textwrap

import pytest

from frameharness import FailureKind, boot
from frameharness.runner import SerialWatcher

KERNEL = "build/examples/hello/hello.elf"  # never read: the fake ignores it

# Prints "ready", then echoes each line it reads on stdin as "got: <line>" until "bye".
ECHO = textwrap.dedent("""\
    import sys
    print("booting", flush=True)
    print("ready", flush=True)
    for line in sys.stdin:
        line = line.rstrip("\\n")
        print("got: " + line, flush=True)
        if line == "bye":
            sys.exit(33)
    print("stdin closed", flush=True)
    sys.exit(35)
""")


@pytest.fixture
def echo_qemu(monkeypatch, tmp_path):
    script = tmp_path / "echo_qemu.py"
    script.write_text(ECHO)
    monkeypatch.setenv("QEMU", shlex.join([sys.executable, str(script)]))
    monkeypatch.setenv("FRAME_TEST_LOGS", str(tmp_path / "logs"))


def test_input_is_sent_after_its_trigger(echo_qemu):
    r = boot(KERNEL, input=[(r"^ready$", "hello\n"), (r"^got: hello$", b"bye\n")],
             expect=(r"^got: hello$", r"^got: bye$"), timeout=20)
    assert r.kind is FailureKind.OK and r.exit_status == 33
    assert r.lines == ["booting", "ready", "got: hello", "got: bye"]
    assert r.sent == [(1, b"hello\n"), (2, b"bye\n")]


def test_input_without_trigger_is_sent_at_once(echo_qemu):
    r = boot(KERNEL, input=[(None, "bye\n")], expect=(r"^got: bye$",), timeout=20)
    assert r.kind is FailureKind.OK and r.sent == [(None, b"bye\n")]


def test_a_trigger_that_never_appears_is_reported(echo_qemu):
    r = boot(KERNEL, input=[(r"^ready$", "hello\n"), (r"^never$", "bye\n")],
             expect=((r"^got: bye$", 1.0),), timeout=20, check=False)
    assert r.kind is FailureKind.TIMEOUT and r.sent == [(1, b"hello\n")]
    assert "input never sent (its trigger did not appear):\n  after '^never$': b'bye\\n'" in str(r.failure)


def test_without_input_stdin_is_empty(echo_qemu):
    r = boot(KERNEL, expect=(r"^stdin closed$",), exit_status=35, timeout=20)
    assert r.kind is FailureKind.OK and r.sent == []


def test_watcher_makes_input_due_in_order_on_one_line():
    w = SerialWatcher(expect=("x",), input=[("a", "1"), ("b", b"2"), (None, "3"), ("a", "4")])
    assert w.to_send == []
    w.feed("b a", 0.0)  # "b" comes before "a": only the first item is due
    w.feed("a b", 0.0)  # "b" after that line's "a": the second, then at once the third
    assert w.to_send == [b"1", b"2", b"3"]
    assert w.sent == [(0, b"1"), (1, b"2"), (None, b"3")]
    assert [regex.pattern for regex, _ in w.unsent_inputs] == ["a"]
