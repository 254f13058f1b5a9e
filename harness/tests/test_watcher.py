"""Expectation matching and stop decisions, on recorded lines with a fake clock."""

from frameharness.runner import PANIC_GRACE, SerialWatcher


def feed(watcher, lines, t=0.0, step=0.1):
    for line in lines:
        watcher.feed(line, t)
        t += step
    return t


def test_ordered_matching():
    w = SerialWatcher(expect=("world", "hello"), exit_status=None)
    feed(w, ["hello", "world", "bye"])
    assert w.next == 1 and w.stop_at is None  # "hello" before "world" does not count
    w.feed("hello again", 5.0)
    assert w.all_matched and w.stop_at == 5.0
    assert [m.group(0) for m in w.matches] == ["world", "hello"]
    assert w.match_lines == [1, 3]


def test_several_patterns_on_one_line_in_order():
    w = SerialWatcher(expect=("a", "b", "a"), exit_status=None)
    w.feed("a b a", 1.0)
    assert w.all_matched
    w = SerialWatcher(expect=("b", "a"), exit_status=None)
    w.feed("a b", 1.0)
    assert w.next == 1  # "a" must come after "b"


def test_bare_string_is_one_pattern():
    w = SerialWatcher(expect="Hello", forbid="PANIC")
    assert len(w.expect) == 1 and len(w.forbid) == 1


def test_per_pattern_timeouts_count_from_previous_match():
    w = SerialWatcher(expect=("one", ("two", 2.0), "three"), timeout=30.0, start=100.0)
    assert w.pattern_deadline() == 130.0
    w.feed("one", 101.0)
    assert w.pattern_deadline() == 103.0
    w.feed("two", 102.5)
    assert w.pattern_deadline() == 132.5
    w.feed("three", 110.0)
    assert w.pattern_deadline() is None


def test_expected_exit_status_keeps_reading_after_all_matched():
    w = SerialWatcher(expect=("Hello",), exit_status=33)
    w.feed("Hello", 1.0)
    assert w.all_matched and w.stop_at is None


def test_nothing_expected_waits_for_exit():
    w = SerialWatcher(exit_status=None)
    assert w.wait_for_exit and w.all_matched
    feed(w, ["anything"])
    assert w.stop_at is None


def test_forbidden_pattern_stops_at_once():
    w = SerialWatcher(expect=("never",), forbid=("oops", "bad"), exit_status=33)
    feed(w, ["fine", "this is bad", "oops"], t=1.0)
    assert w.forbidden == ("bad", 1, "this is bad") and w.stop_at == 1.1


def test_panic_report_end_waits_briefly_for_exit(data):
    w = SerialWatcher(expect=("never",), exit_status=35)
    feed(w, data.lines("panic_plain.serial.log"), t=1.0, step=0.0)
    assert (w.panic_start, w.panic_end) == (1, 10)
    assert w.stop_at == 1.0 + PANIC_GRACE


def test_forbidden_panic_line_lets_the_report_finish(data):
    w = SerialWatcher(expect=("never",), forbid=("PANIC",), exit_status=33)
    lines = data.lines("panic_exception.serial.log")
    feed(w, lines[:5], t=1.0, step=0.0)
    assert w.forbidden[1] == 3 and w.stop_at == 1.0 + PANIC_GRACE  # still reading the report
    feed(w, lines[5:], t=1.5, step=0.0)
    assert w.stop_at == 1.5  # report complete: stop now


def test_expected_panic_stops_at_end_of_report(data):
    w = SerialWatcher(expect=("PANIC: assertion failed",), exit_status=None)
    lines = data.lines("panic_plain.serial.log")
    feed(w, lines[:3], t=1.0, step=0.0)
    assert w.all_matched and w.stop_at == 1.0 + PANIC_GRACE
    feed(w, lines[3:], t=1.2, step=0.0)
    assert w.stop_at == 1.2


def test_a_carriage_return_at_either_end_of_a_line_is_dropped():
    """EFI GRUB ends its output with "\\r": the kernel's first line must still match "^...$"."""
    from frameharness.runner import _decode
    assert _decode(b"\rHello\r") == "Hello"
    assert _decode(b"a\rb") == "a\rb"  # inside a line it is kept: it would overwrite on a terminal
    assert _decode("\u00e9\r".encode()) == "\u00e9"
