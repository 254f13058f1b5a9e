"""What is typed on the console reaches the kernel: the serial port's receive interrupt calls the
console_on_input() callback (tests/kernels/input), which hands each line to kernel_main."""
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
