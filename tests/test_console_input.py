"""What is typed on the console reaches the kernel: the serial port's receive interrupt calls the
console_on_input() callback (tests/kernels/input), which hands each line to kernel_main. What is
typed before the callback is set is kept (CONSOLE_INPUT_KEPT bytes) and handed to it first; the
rest is counted in a warning."""
import pytest

pytestmark = pytest.mark.kernel("kernels/input")
DONE = r"^input: bytes dropped: 0, callbacks outside interrupt context: 0$"


def test_typed_lines_reach_the_kernel(boot):
    result = boot(input=[(r"^ready$", "hello\n"), (r"^got: hello$", "bye\n")], expect=(
        r"^input: a second console_on_input\(\) returns ERR_BUSY",
        r"^ready$",
        r"^got: hello$",
        r"^got: bye$",
        DONE,
    ), forbid=(r"PANIC",), timeout=20)
    assert [data for _, data in result.sent] == [b"hello\n", b"bye\n"]


def test_bytes_typed_at_once_are_all_received(boot):
    text = "".join(f"line {i} {'x' * 40}\n" for i in range(5)) + "bye\n"
    boot(input=[(r"^ready$", text)],
         expect=[rf"^got: line {i} x{{40}}$" for i in range(5)] + [r"^got: bye$", DONE],
         forbid=(r"PANIC",), timeout=20)


def test_no_input_times_out(boot):
    boot(cmdline="impatient",
         expect=(r"^ready$", r"^input: no line within 50 ms \(ERR_TIMEOUT"), forbid=(r"^got:", r"PANIC"),
         exit_status=35, timeout=20)


KEPT = 256  # CONSOLE_INPUT_KEPT
LINE = 32   # "line N " + 24 x + newline


def lines(n):
    return "".join(f"line {i} {'x' * (LINE - 8)}\n" for i in range(n))


def test_bytes_typed_before_the_callback_are_kept(boot):
    # Typed at once, before the frame even sets the serial port up: the first byte sits in the
    # UART with its FIFO off, and turning the FIFO on would clear it.
    boot(cmdline="late", input=[(None, "early\n"), (r"^ready$", "bye\n")], expect=(
        r"^input: no callback for 500 ms$",
        r"^ready$",
        r"^got: early$",
        r"^got: bye$",
        DONE,
    ), forbid=(r"PANIC", r"dropped \(it keeps"), timeout=20)


def test_bytes_beyond_the_kept_ones_are_counted(boot):
    assert KEPT % LINE == 0
    kept, typed = KEPT // LINE, KEPT // LINE + 2
    boot(cmdline="late", input=[(None, lines(typed)), (rf"^got: line {kept - 1} ", "bye\n")], expect=[
        r"^input: no callback for 500 ms$",
        rf"^\[WARN\] console: {(typed - kept) * LINE} bytes typed before console_on_input\(\) were dropped "
        rf"\(it keeps the first {KEPT}\)$",
        r"^ready$",
    ] + [rf"^got: line {i} x{{{LINE - 8}}}$" for i in range(kept)] + [r"^got: bye$", DONE],
        forbid=(r"PANIC", rf"^got: line {kept}"), timeout=20)
