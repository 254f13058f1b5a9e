"""Returning from kernel_main() ends the machine, so it needs every spawned task joined: a task
still running, waiting, or finished and never joined makes the frame panic, naming it
(tests/kernels/misuse, the return-* cases). power_off() stops everything on purpose."""
import re

import pytest

pytestmark = pytest.mark.kernel("kernels/misuse")
HINT = "join every task with task_join() before returning, or call power_off() to stop everything on purpose"

CASES = [
    ("return-task-running", "task 'spinner' is still running (and 1 more task(s) not joined)"),
    ("return-task-waiting", "task 'sleeper' is still waiting (sleeping or blocked)"),
    ("return-task-unjoined", "task 'short' has finished but was never joined"),
]


@pytest.mark.parametrize("case, what", CASES, ids=[c[0] for c in CASES])
def test_returning_with_a_task_not_joined_panics_naming_it(boot, case, what):
    message = f"kernel_main() returned while {what}: {HINT}"
    result = boot(cmdline=case, expect=(rf"^misuse: {case}$", r"^misuse: returning from kernel_main\(\)$",
                                        rf"^PANIC: {re.escape(message)}$"), exit_status=35)
    assert result.panic.task == "main", result.panic.raw_lines


def test_power_off_ends_the_machine_whatever_runs(boot):
    boot(cmdline="power-off-with-tasks", expect=(r"^misuse: power_off\(\) with tasks running$",),
         forbid=(r"PANIC", r"returning from kernel_main"), exit_status=33)

