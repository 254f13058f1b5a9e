"""Every frame function that only tasks may call panics when a timer callback calls it (interrupt
context), naming the function, the rule, the caller (a timer_* function of
tests/kernels/misuse/main.c) and the interrupted task; and what interrupt context may call works
there. Rules tested in test_sync_misuse.py already (mutex_lock, task_sleep, task_spawn) are not
repeated here."""
import re

import pytest

pytestmark = pytest.mark.kernel("kernels/misuse")
HEX = r"0x[0-9a-f]+"
SLEEP = "may not sleep in interrupt context"
MUTEX = "a mutex belongs to a task: not in interrupt context"
RWLOCK = "a rwlock belongs to tasks: not in interrupt context"
PREEMPT = "preemption belongs to a task: not in interrupt context (a handler is never preempted)"
LINES = "lines are allocated by tasks, not in interrupt context"


@pytest.fixture
def misuse(boot):
    """misuse(case, pattern, exit_status=35): run a case; it must print pattern and exit so."""
    return lambda case, pattern, exit_status=35: boot(cmdline=case, expect=(rf"misuse: {case}$", pattern),
                                                      exit_status=exit_status)


# (case, the frame function, the rule in its panic, the function of main.c that called it). Every
# case interrupts the task "main".
TASKS_ONLY = [
    ("line-alloc-in-irq", "irq_line_alloc", LINES, "timer_allocates_line"),
    ("line-alloc-isa-in-irq", "irq_line_alloc_isa", LINES, "timer_allocates_isa_line"),
    ("pci-line-alloc-in-irq", "pci_irq_alloc", LINES, "timer_allocates_pci_line"),
    ("line-free-in-irq", "irq_line_free", "lines are freed by tasks, not in interrupt context", "timer_frees_line"),
    ("join-in-irq", "task_join", SLEEP, "timer_joins"),
    ("exit-in-irq", "task_exit", SLEEP, "timer_exits"),
    ("yield-in-irq", "task_yield", SLEEP, "timer_yields"),
    ("preempt-disable-in-irq", "preempt_disable", PREEMPT, "timer_disables_preemption"),
    ("preempt-enable-in-irq", "preempt_enable", PREEMPT, "timer_enables_preemption"),
    ("policy-in-irq", "sched_set_policy", "the policy is set by a task, not in interrupt context",
     "timer_sets_policy"),
    ("mutex-trylock-in-irq", "mutex_trylock", MUTEX, "timer_trylocks_mutex"),
    ("mutex-unlock-in-irq", "mutex_unlock", MUTEX, "timer_unlocks_mutex"),
    ("mutex-held-in-irq", "mutex_held", MUTEX, "timer_asks_mutex_held"),
    ("rwlock-read-lock-in-irq", "rwlock_read_lock", SLEEP, "timer_read_locks"),
    ("rwlock-read-unlock-in-irq", "rwlock_read_unlock", RWLOCK, "timer_read_unlocks"),
    ("rwlock-write-lock-in-irq", "rwlock_write_lock", SLEEP, "timer_write_locks"),
    ("rwlock-write-unlock-in-irq", "rwlock_write_unlock", RWLOCK, "timer_write_unlocks"),
    ("wait-in-irq", "wait_queue_wait", SLEEP, "timer_waits"),
    ("sem-down-in-irq", "sem_down", SLEEP, "timer_downs_semaphore"),
    ("on-input-in-irq", "console_on_input", "the input callback is set by a task, not in interrupt context",
     "timer_sets_input"),
    ("user-run-in-irq", "user_mode_run", SLEEP, "timer_runs_user_mode"),
    ("ktest-main-in-irq", "ktest_main", "tests run in a task, not in interrupt context", "timer_runs_ktests"),
]


@pytest.mark.parametrize("case, function, rule, caller", TASKS_ONLY, ids=[c[0] for c in TASKS_ONLY])
def test_tasks_only_function_panics_in_a_timer_callback(misuse, case, function, rule, caller):
    result = misuse(case, rf"^PANIC: {re.escape(function)}: {re.escape(rule)} \(called from {caller}\+{HEX} at main\.c:\d+\)$")
    assert result.panic.task == "main", result.panic.raw_lines
    assert result.panic.location.function == function, result.panic.raw_lines


def test_what_interrupt_context_may_call_works_in_a_timer_callback(misuse):
    result = misuse("allowed-in-irq", r"^misuse: allowed-in-irq: 0 wrong$", exit_status=33)
    assert "PANIC" not in result.output, result.output
    assert "misuse: wrong in interrupt context" not in result.output, result.output
