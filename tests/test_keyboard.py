"""The PS/2 keyboard driver (sdk/drivers/keyboard.c, client code in the safe subset): keys typed
through QEMU's monitor (`sendkey`) reach a task as characters, shift, control and backspace
included, on -M pc and -M q35 and through the PIC; keys typed while nobody reads fill the driver's buffer of
KEYBOARD_BUFFER_EVENTS events and the rest are counted as dropped; misuse panics naming the
function, the rule and its caller."""
import os
import re
import threading
import time

import pytest
from frameharness.monitor import connect

pytestmark = pytest.mark.kernel("kernels/keyboard")
BUFFER_EVENTS = 64  # KEYBOARD_BUFFER_EVENTS in sdk/include/drivers/keyboard.h
HOLD_MS = 10  # how long sendkey holds each key down
PACE_S = 0.05  # between sendkey commands: one key is released before the next is pressed


def header_limit():
    """KEYBOARD_BUFFER_EVENTS as the header defines it."""
    header = os.path.join(os.path.dirname(__file__), "..", "sdk", "include", "drivers", "keyboard.h")
    return int(re.search(r"#define KEYBOARD_BUFFER_EVENTS (\d+)", open(header).read())[1])


def type_keys(monitor, serial_log, script, errors):
    """For each (text, keys) of script: once the kernel printed text, send keys with sendkey."""
    try:
        deadline = time.monotonic() + 60
        with connect(monitor, deadline) as s:
            for text, keys in script:
                while not os.path.exists(serial_log) or text.encode() not in open(serial_log, "rb").read():
                    assert time.monotonic() < deadline, f"the kernel never printed {text!r}"
                    time.sleep(0.05)
                for key in keys:
                    s.sendall(f"sendkey {key} {HOLD_MS}\n".encode())
                    time.sleep(PACE_S)
            time.sleep(0.2)  # let the monitor take the last command before the socket closes
    except Exception as e:  # reported by the test, not lost in the thread
        errors.append(e)


def boot_typing(boot, name, script, extra_args=(), **kwargs):
    """Boot with QEMU's monitor on a socket and a helper thread typing script into it."""
    logs = os.environ.get("FRAME_TEST_LOGS", os.path.join("build", "test-logs"))
    os.makedirs(logs, exist_ok=True)
    monitor, serial_log = os.path.join(logs, f"{name}-monitor.sock"), os.path.join(logs, f"{name}.serial.log")
    for stale in (monitor, serial_log):
        if os.path.exists(stale):
            os.unlink(stale)
    errors = []
    helper = threading.Thread(target=type_keys, daemon=True, args=(monitor, serial_log, script, errors))
    helper.start()
    result = boot(name=name, timeout=60, extra_args=("-monitor", f"unix:{monitor},server,nowait", *extra_args),
                  **kwargs)
    helper.join(5)
    assert not errors, errors
    return result


def test_the_buffer_limit_is_the_documented_one():
    assert header_limit() == BUFFER_EVENTS


@pytest.mark.parametrize("machine,cpu", [("pc", ()), ("q35", ()), ("pc", ("-cpu", "qemu64,-apic"))],
                         ids=["pc", "q35", "pic"])  # the last: IRQ 1 through the PIC, not the IOAPIC
def test_a_typed_line_arrives_exactly(boot, machine, cpu):
    line = ["shift-h", "i", "backspace", "e", "l", "l", "o", "comma", "spc", "shift_r-w", "o", "r", "l", "d",
            "shift-1", "ctrl-c", "shift-minus", "up", "caps_lock", "a", "shift-b", "caps_lock", "c", "kp_divide",
            "ret"]
    result = boot_typing(boot, f"keyboard-line-{machine}{'-pic' if cpu else ''}",
                         [("keyboard: ready", line), ("keyboard: events", ["shift-a", "right"])],
                         machine=machine, extra_args=cpu, expect=(r"^keyboard: then ERR_TIMEOUT",), forbid=(r"PANIC",))
    assert "keyboard: a second keyboard_open() returns ERR_BUSY (busy)" in result.lines
    assert "keyboard: typed 'Hi\\bello, World!^C_Abc/'" in result.lines
    assert "keyboard: line 'Hello, World!_Abc/'" in result.lines
    assert "keyboard: dropped 0" in result.lines
    events = [line for line in result.lines if line.startswith("keyboard: event ")]
    assert events == [
        "keyboard: event 0x001c up modifiers 0 ascii 0",  # enter's release, left by keyboard_getchar()
        "keyboard: event 0x002a down modifiers 1 ascii 0",  # left shift
        "keyboard: event 0x001e down modifiers 1 ascii 65",  # A
        "keyboard: event 0x001e up modifiers 1 ascii 0",
        "keyboard: event 0x002a up modifiers 0 ascii 0",
        "keyboard: event 0xe04d down modifiers 0 ascii 0",  # cursor right, an extended key
        "keyboard: event 0xe04d up modifiers 0 ascii 0",
    ], events


DROP_KEYS = 42  # tests/kernels/keyboard/main.c's DROP_KEYS


def test_keys_past_the_buffer_are_counted_as_dropped(boot):
    extra = 10  # keys past the ones that fill the buffer; each key is a press and a release
    keys = ["a"] * (BUFFER_EVENTS // 2 + extra)
    assert len(keys) == DROP_KEYS  # the kernel waits for exactly the drops these keys make
    result = boot_typing(boot, "keyboard-drop", [("keyboard: ready, not reading", keys),
                                                 ("keyboard: ready again", ["x"])],
                         cmdline="drop", expect=(r"^keyboard: then 'x'$",), forbid=(r"PANIC",))
    assert (f"keyboard: {BUFFER_EVENTS} events arrived ({BUFFER_EVENTS // 2} presses), "
            f"{2 * extra} dropped") in result.lines


def test_reading_before_open_panics_naming_the_function_and_caller(boot):
    result = boot(cmdline="before-open", exit_status=35,
                  expect=(r"^PANIC: keyboard_read_event: keyboard_open\(\) must succeed before the keyboard is read "
                          r"\(called from case_before_open\+0x[0-9a-f]+ at main\.c:\d+\)$",))
    assert result.panic.location.function == "keyboard_read_event"
    assert re.search(r"keyboard\.c$", result.panic.location.file), result.panic.location


def test_a_null_out_panics_naming_the_function_and_caller(boot):
    result = boot(cmdline="null", exit_status=35,
                  expect=(r"^PANIC: keyboard_getchar: out must not be NULL \(called from case_null\+0x[0-9a-f]+ at main\.c:\d+\)$",))
    assert result.panic.location.function == "keyboard_getchar"


def test_reading_in_interrupt_context_panics_naming_the_function_and_caller(boot):
    boot(cmdline="in-interrupt", exit_status=35,
         expect=(r"^PANIC: keyboard_read_event: the keyboard is read by tasks \(it sleeps\), not in interrupt context "
                 r"\(called from read_in_timer\+0x[0-9a-f]+ at main\.c:\d+\)$",))
