"""Failure messages, debug hints and log names."""

import shlex

from frameharness import BootFailure, FailureKind
from frameharness.failure import debug_hint, format_message
from frameharness.plugin import log_name_for
from frameharness.runner import log_name


def test_message_shows_only_the_last_30_lines_and_everything_else():
    lines = [f"line {i}" for i in range(1, 101)]
    command = ["qemu-system-x86_64", "-append", "a b", "-kernel", "build/x y/k.elf"]
    message = format_message("k.elf: boom", ["details here"], lines, command,
                             [("serial", "logs/k.serial.log")], "debug it: make debug EXAMPLE=k")
    assert message.startswith("k.elf: boom\n\ndetails here\n")
    assert "last 30 of 100 lines" in message
    assert "line 71\n" in message and "line 100\n" in message and "line 70\n" not in message
    assert shlex.join(command) in message
    assert "'build/x y/k.elf'" in message and "'a b'" in message
    assert "serial: logs/k.serial.log" in message
    assert message.endswith("debug it: make debug EXAMPLE=k")


def test_message_with_no_output():
    message = format_message("k.elf: nothing", lines=[])
    assert "(nothing)" in message


def test_boot_failure_is_an_assertion_error_with_the_whole_message():
    failure = BootFailure("line one\nline two", FailureKind.TIMEOUT)
    assert isinstance(failure, AssertionError)
    assert str(failure) == "line one\nline two" and failure.kind is FailureKind.TIMEOUT


def test_debug_hint(monkeypatch):
    monkeypatch.delenv("FRAME_DEBUG_HINT", raising=False)
    assert debug_hint("build/examples/hello/hello.elf") == "debug it: make debug EXAMPLE=hello"
    assert debug_hint("build/mykernel.elf") == "debug it: make debug EXAMPLE=mykernel"
    assert debug_hint("build/tests/fault/fault.elf", cmdline="null deref") == \
        "debug it: make debug EXAMPLE=fault CMDLINE='null deref'"
    assert debug_hint("k.elf", "run: gdb {kernel} {cmdline}", "x") == "run: gdb k.elf x"
    monkeypatch.setenv("FRAME_DEBUG_HINT", "debug it: make -C ~/os debug K={example}")
    assert debug_hint("out/x/mykernel.elf") == "debug it: make -C ~/os debug K=mykernel"


def test_log_name_from_pytest_and_repeats():
    kernel = "build/examples/hello/hello.elf"
    test = log_name_for(kernel, "tests/test_boot.py::TestX::test_hello[q35 fast]")
    first = log_name(kernel, test)
    assert first == "hello.test_boot.TestX.test_hello_q35_fast"
    assert log_name(kernel, test) == first + ".2"
    assert log_name("k.elf", name="my run/1") == "my_run_1"
