"""Panic reports from a kernel that fails on purpose: they name the function and the source line."""
import os
import re

import pytest
from frame_build import ROOT

from frameharness import FailureKind
from frameharness.panic import Location, addr2line

pytestmark = pytest.mark.kernel("kernels/fault")
SOURCE = os.path.join(ROOT, "tests", "kernels", "fault", "main.c")
ELF = os.path.join(ROOT, "build", "tests", "kernels", "fault", "fault.elf")


def line_of(marker, source=SOURCE):
    with open(source) as f:
        for number, line in enumerate(f, 1):
            if marker in line:
                return number
    raise AssertionError(f"{marker!r} not in {source}")


@pytest.fixture
def fault(boot):
    """fault(how, *expect): fail as the command line says; expect each pattern, then exit with failure."""
    return lambda how, *expect: boot(cmdline=how, expect=expect, exit_status=35)


def test_null_dereference_names_function_and_line(fault):
    result = fault("null", r"PANIC: CPU exception #PF in the kernel: read of address 0x0 .*NULL pointer",
                   r"exception: #PF page fault \(vector 14\), error code 0x0, CR2=0x0{16}")
    top = result.panic.frames[0]
    assert top[1].startswith("dereference_null+")
    assert re.match(rf"dereference_null .*main\.c:{line_of('the null dereference line')}$", top[2]), top


def test_divide_by_zero_names_function_and_line(fault):
    result = fault("div0", r"PANIC: CPU exception #DE in the kernel: division by zero")
    top = result.panic.frames[0]
    assert re.match(rf"divide_by_zero .*main\.c:{line_of('the division line')}$", top[2]), top
    assert any(f[2].startswith("kernel_main ") for f in result.panic.frames[1:])


def test_panic_reports_message_location_and_backtrace(fault):
    result = fault("panic", r"PANIC: the answer is 42", r"at main\.c:\d+ in kernel_main", r"backtrace:",
                   r"end of panic report")
    assert result.panic.location.line == line_of('panic("the answer is %d", 42)')
    names = [f[1] or "" for f in result.panic.frames]
    assert names[0].startswith("kernel_main+") and any(n.startswith("frame_main+") for n in names), names


def test_broken_precondition_names_function_rule_and_caller(fault):
    caller = line_of("boot_memory_region(100000)")
    check = line_of("index %zu is out of range (there are %zu regions)", os.path.join(ROOT, "sdk/frame/boot/bootinfo.c"))
    result = fault("precondition", r"PANIC: boot_memory_region: index 100000 is out of range \(there are \d+ regions\) "
                   rf"\(called from kernel_main\+0x[0-9a-f]+ at main\.c:{caller}\)$",
                   rf"^  at main\.c:{caller} in kernel_main \(the caller\); checked in boot_memory_region at "
                   rf"sdk/frame/boot/bootinfo\.c:{check}$")
    assert result.panic.caller == Location("main.c", caller, "kernel_main")
    assert result.panic.location == Location("sdk/frame/boot/bootinfo.c", check, "boot_memory_region")


def test_every_backtrace_line_names_its_source_line_as_the_debug_information_does(fault):
    """The kernel's own line table (sdk/tools/ksyms) covers the frame's code and the client's, with
    stable relative paths, and agrees with the DWARF line table addr2line reads."""
    result = fault("precondition", r"end of panic report")
    frames = result.panic.frames
    assert [f.kernel_symbol.split("+")[0] for f in frames[:3]] == ["panic_precondition", "boot_memory_region",
                                                                   "kernel_main"], frames
    assert all(f.location is not None for f in frames), result.panic.raw_lines
    assert frames[1].location.file == "sdk/frame/boot/bootinfo.c" and frames[2].location.file == "main.c"
    chains = addr2line(ELF, [f.addr - 1 for f in frames])
    for frame, chain in zip(frames, chains):
        _, file, line = chain[0]  # the innermost, as the kernel's table has it
        ours = frame.location.file
        assert not ours.startswith("/") and (file == ours or file.endswith("/" + ours)), (frame, chain)
        assert frame.location.line == line, (frame, chain)


def test_returning_from_kernel_main_powers_off_with_success(boot):
    boot(cmdline="return", expect=(r"fault: return",), forbid=(r"PANIC",))


def test_an_unexpected_panic_is_explained(boot):
    """What a student sees when their kernel panics in a test."""
    result = boot(cmdline="null", expect=(r"never printed",), check=False)
    assert result.kind is FailureKind.PANIC
    text = str(result.failure)
    line = line_of("the null dereference line")
    assert re.search(rf"dereference_null\+0x[0-9a-f]+ \(main\.c:{line}\) \(faulting instruction\)", text)
    assert "qemu-system-x86_64" in text and "-append null" in text  # the exact command
    assert "fault: null" in text  # the last serial lines
    assert "make debug EXAMPLE=fault" in text  # what to do next


def test_stack_overflow_is_reported_as_such(fault):
    result = fault("overflow", r"PANIC: CPU exception #DF in the kernel: stack overflow: the boot stack is full")
    assert result.panic.frames[0][1].startswith("recurse+")


def test_writing_into_kernel_code_faults(fault):
    result = fault("write-text", r"PANIC: CPU exception #PF in the kernel: write of address 0x[0-9a-f]+, inside the code "
                                 r"of kernel_main \(\+0x[0-9a-f]+\): kernel code is read-only")
    assert result.panic.frames[0][1].startswith("kernel_main+")


def test_a_long_panic_message_keeps_the_report_whole(fault):
    result = fault("long-panic", r"PANIC: 0{599}7$", r"at main\.c:\d+ in kernel_main", r"end of panic report")
    assert result.panic.location.function == "kernel_main"


def test_the_test_runner_cannot_be_reentered(fault):
    fault("ktest", r"PANIC: ktest_main: ktest_main is already running \(called from inside a test\) "
                   r"\(called from ktest_fn_calls_the_runner_again\+0x[0-9a-f]+ at main\.c:\d+\)")


@pytest.mark.parametrize("how, message", [
    ("frame-stale", r"frame_read: the frame was freed \(its last reference dropped\) or never allocated "
                    r"\(called from misuse_frames\+0x[0-9a-f]+ at main\.c:\d+\)"),
    ("frame-double-put", r"frame_put: the frame was freed .* \(a double drop\?\) \(called from misuse_frames\+"),
    ("frame-cursor-stale", r"cursor_read: the cursor's frame or segment was freed \(called from misuse_frames\+"),
    ("frame-range", r"frame_write: bytes 4000\.\.4100 are outside the frame \(4096 bytes\) "
                    r"\(called from misuse_frames\+"),
    ("frame-map-stale", r"vm_space_map: the frame was freed \(its last reference dropped\) or never allocated "
                        r"\(called from misuse_frames\+"),
    ("frame-put-mapped", r"frame_put: the last reference is dropped while the frame is mapped 1 time\(s\) "
                         r"\(called from misuse_frames\+"),
])
def test_frame_misuse_panics_naming_function_rule_and_caller(fault, how, message):
    fault(how, r"PANIC: " + message)


def test_panic_if_names_the_condition(fault):
    result = fault("panic-if", r"PANIC: condition 'strlen\(how\) == 8' is true", r"at main\.c:\d+ in kernel_main")
    assert result.panic.location.function == "kernel_main"


def test_a_deadlock_is_reported_not_hung(fault):
    result = fault("deadlock", r"PANIC: deadlock: every task waits \(task 'waiter' among them\) and nothing can wake one: "
                               r"no timer is pending and no interrupt line is enabled")
    assert result.panic.task == "idle"
