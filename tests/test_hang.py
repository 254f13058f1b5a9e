"""A boot that times out says where the kernel was (harness/frameharness/where.py), read through
QEMU's GDB stub at the timeout: a kernel spinning in a loop names the function and its line; two
tasks deadlocked on two mutexes (a timer pending, so the frame cannot call it a deadlock) show as
idle, each task with the mutex it waits for and who holds it."""
import re

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
