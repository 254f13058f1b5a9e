"""Address spaces belong to tasks: each vm function called from a timer callback panics with the
exact rule, naming the frame function and the caller (timer_calls_vm in tests/kernels/mm-context/main.c).
The heap and page frames may be used there: their in-kernel tests call them from a timer callback."""
import re

import pytest

pytestmark = pytest.mark.kernel("kernels/mm-context")
HEX = r"0x[0-9a-f]+"
RULE = "address spaces are used by tasks, not in interrupt context"

# (case, the frame function that refused); the caller is always the timer callback timer_calls_vm.
CASES = [
    ("vm-create", "vm_space_create"),
    ("vm-destroy", "vm_space_destroy"),
    ("vm-map", "vm_space_map"),
    ("vm-unmap", "vm_space_unmap"),
    ("vm-protect", "vm_space_protect"),
    ("vm-query", "vm_space_query"),
    ("vm-activate", "vm_space_activate"),
    ("vm-copy-from", "vm_copy_from_user"),
    ("vm-copy-to", "vm_copy_to_user"),
]


@pytest.mark.parametrize("case, function", CASES, ids=[c[0] for c in CASES])
def test_vm_in_interrupt_context_panics_naming_function_rule_and_caller(boot, case, function):
    result = boot(cmdline=case, exit_status=35, forbid=(r"did not panic",),
                  expect=(rf"mm-context: {case}$",
                          rf"^PANIC: {function}: {re.escape(RULE)} \(called from timer_calls_vm\+{HEX} at main\.c:\d+\)$"))
    assert result.panic.location.function == function, result.panic.raw_lines
    assert result.panic.task == "main", result.panic.raw_lines
