"""Misuse of tasks, locks, timers and interrupt lines panics with the exact rule, naming the frame
function, the caller (a function of tests/kernels/misuse/main.c) and the task that ran it."""
import re

import pytest

pytestmark = pytest.mark.kernel("kernels/misuse")
HEX = r"0x[0-9a-f]+"


def message(text):
    """A literal panic message; "<addr>" stands for any hexadecimal address."""
    return re.escape(text).replace(re.escape("<addr>"), HEX)


@pytest.fixture
def misuse(boot):
    """misuse(case, pattern): run a case; it must print pattern and exit with failure."""
    return lambda case, pattern: boot(cmdline=case, expect=(rf"misuse: {case}$", pattern), exit_status=35)


# (case, message, the function of main.c that called the frame, the task it ran in).
PRECONDITIONS = [
    ("spin-deadlock",
     'spin_lock: deadlock: spinlock "misuse spin" is held on this CPU already (by main, taken at '
     'case_spin_deadlock+<addr>)', "case_spin_deadlock", "main"),
    ("spin-unlock-free", 'spin_unlock: spinlock "misuse spin" is not held', "case_spin_unlock_free", "main"),
    ("spin-unlock-irqsave",
     'spin_unlock: spinlock "misuse spin" was taken with spin_lock_irqsave(): release it with '
     'spin_unlock_irqrestore()', "case_spin_unlock_irqsave", "main"),
    ("spin-irqrestore-plain",
     'spin_unlock_irqrestore: spinlock "misuse spin" was taken with spin_lock(): release it with spin_unlock()',
     "case_spin_irqrestore_plain", "main"),
    ("spin-irq-deadlock",
     'spin_lock: deadlock: spinlock "misuse spin" is held on this CPU already (by main, taken at '
     'case_spin_irq_deadlock+<addr>); tasks must take a lock that handlers take with spin_lock_irqsave()',
     "timer_takes_spinlock", "main"),
    ("mutex-unlock-free", 'mutex_unlock: mutex "misuse mutex" is not held', "case_mutex_unlock_free", "main"),
    ("mutex-unlock-other",
     "mutex_unlock: mutex \"misuse mutex\" is held by task 'main', not by the calling task 'thief'",
     "task_unlocks_mains_mutex", "thief"),
    ("mutex-relock",
     'mutex_lock: deadlock: mutex "misuse mutex" is held by the calling task already (taken at '
     'case_mutex_relock+<addr>)', "case_mutex_relock", "main"),
    ("mutex-in-irq", "mutex_lock: may not sleep in interrupt context", "timer_takes_mutex", "main"),
    ("mutex-under-spin", 'mutex_lock: may not sleep while holding a spinlock ("misuse spin")',
     "case_mutex_under_spin", "main"),
    ("rwlock-unlock-free", 'rwlock_write_unlock: rwlock "misuse rwlock" is not held for writing by the calling task',
     "case_rwlock_unlock_free", "main"),
    ("sleep-in-irq", "task_sleep: may not sleep in interrupt context", "timer_sleeps", "main"),
    ("yield-under-spin", 'task_yield: may not sleep while holding a spinlock ("misuse spin")',
     "case_yield_under_spin", "main"),
    ("sleep-under-spin", 'task_sleep: may not sleep while holding a spinlock ("misuse spin")',
     "case_sleep_under_spin", "main"),
    ("sleep-preempt-off",
     "task_sleep: may not sleep with preemption disabled (a preempt_disable() without its preempt_enable())",
     "case_sleep_preempt_off", "main"),
    ("sleep-irq-off", "task_sleep: may not sleep with interrupts disabled (an irq_save() without its irq_restore())",
     "case_sleep_irq_off", "main"),
    ("preempt-enable-unbalanced",
     "preempt_enable: preemption is not disabled (a preempt_enable() without its preempt_disable())",
     "case_preempt_enable_unbalanced", "main"),
    ("irq-restore-forged", "irq_restore: the state does not come from irq_save()", "case_irq_restore_forged", "main"),
    ("join-twice", "task_join: <addr> is not a live task (never spawned, or joined already)", "case_join_twice",
     "main"),
    ("join-self", "task_join: a task cannot join itself (it would wait forever)", "task_joins_itself", "selfish"),
    ("join-main", "task_join: task 'main' belongs to the frame", "task_joins_main", "rebel"),
    ("join-busy", "task_join: task 'sleeper' is being joined by task 'joiner' already", "case_join_busy", "main"),
    ("exit-main", 'task_exit: the task "main" cannot exit: return from kernel_main() instead', "case_exit_main",
     "main"),
    ("spawn-in-irq", "task_spawn: tasks are spawned by tasks, not in interrupt context", "timer_spawns", "main"),
    ("policy-late",
     'sched_set_policy: 1 spawned task(s) are not joined yet: set the policy while only "main" exists',
     "case_policy_late", "main"),
    ("timer-restart", "timer_start: the timer is pending already: timer_cancel() it before starting it again",
     "case_timer_restart", "main"),
    ("timer-uninit", "timer_start: <addr> is not a timer set up with TIMER_INIT() or timer_init()",
     "case_timer_uninit", "main"),
    ("irq-enable-no-handler", "irq_line_enable: attach a handler (irq_line_attach()) before enabling the line",
     "case_irq_enable_no_handler", "main"),
    ("vm-map-range-prot", "vm_space_map_range: prot (0x0) must combine VM_READ, VM_WRITE and VM_EXEC",
     "case_vm_map_range_prot", "main"),
    ("vm-map-range-null", "vm_space_map_range: frames must not be NULL (pages is 2)", "case_vm_map_range_null",
     "main"),
    ("vm-map-range-stale",
     "vm_space_map_range: frames[1] was freed (its last reference dropped) or never allocated",
     "case_vm_map_range_stale", "main"),
    ("vm-protect-range-prot", "vm_space_protect_range: prot (0x8) must combine VM_READ, VM_WRITE and VM_EXEC",
     "case_vm_protect_range_prot", "main"),
    ("vm-unmap-range-dead", "vm_space_unmap_range: space is not a live vm_space", "case_vm_unmap_range_dead",
     "main"),
    ("vm-next-mapping-null", "vm_space_next_mapping: cursor and out must not be NULL", "case_vm_next_mapping_null",
     "main"),
    ("vm-copy-partial-null", "vm_copy_to_user_partial: done must not be NULL (use vm_copy_to_user())",
     "case_vm_copy_partial_null", "main"),
    ("vm-map-range-in-irq", "vm_space_map_range: address spaces are used by tasks, not in interrupt context",
     "timer_maps_range", "main"),
    ("vm-next-mapping-in-irq",
     "vm_space_next_mapping: address spaces are used by tasks, not in interrupt context", "timer_walks_space",
     "main"),
]


@pytest.mark.parametrize("case, text, caller, task", PRECONDITIONS, ids=[p[0] for p in PRECONDITIONS])
def test_misuse_panics_naming_function_rule_caller_and_task(misuse, case, text, caller, task):
    result = misuse(case, rf"^PANIC: {message(text)} \(called from {caller}\+{HEX} at main\.c:\d+\)$")
    assert result.panic.task == task, result.panic.raw_lines
    function = text.split(":", 1)[0]
    assert result.panic.location.function == function, result.panic.raw_lines


# Scheduling policies that break the rules: the frame's scheduler catches them (a panic() of its
# own, so no "called from").
POLICIES = [
    ("policy-finished",
     "scheduler policy \"leaky\": pick_next() returned task 'short', which is finished (only a task given to "
     "enqueue() and not picked since may run)", "main"),
    ("policy-twice",
     "scheduler policy \"forgetful\": pick_next() returned task 'worker', which is waiting (sleeping or blocked), "
     "not runnable (only a task given to enqueue() and not picked since may run)", "worker"),
    ("policy-bogus", 'scheduler policy "bogus": pick_next() returned <addr>, which is not a task it was given', "main"),
]


@pytest.mark.parametrize("case, text, task", POLICIES, ids=[p[0] for p in POLICIES])
def test_a_broken_scheduler_policy_is_caught(misuse, case, text, task):
    result = misuse(case, rf"^PANIC: {message(text)}$")
    assert result.panic.task == task, result.panic.raw_lines


def test_task_stack_overflow_names_the_task(misuse):
    result = misuse("stack-overflow", r"^PANIC: CPU exception #(PF|DF) in the kernel: stack overflow: "
                                      r"the stack of task 'deep' is full \(16 KiB\)")
    assert result.panic.task == "deep"
    # the overflowing push may be recurse's own, or in the address sanitizer's check it calls
    assert any(f[1].startswith("recurse+") for f in result.panic.frames[:3]), result.panic.frames[:3]


def test_a_local_array_larger_than_the_stack_is_a_stack_overflow(misuse):
    """-fstack-clash-protection probes every page of a large frame, so the guard is hit and the
    stack below (another task's) is never written."""
    result = misuse("stack-jump", r"^PANIC: CPU exception #(PF|DF) in the kernel: stack overflow: "
                                  r"the stack of task 'jumper' is full \(16 KiB\)")
    assert result.panic.task == "jumper"


def test_unlocking_a_mutex_whose_owner_was_joined_names_that_task(misuse):
    result = misuse("mutex-unlock-joined", r"^PANIC: ")  # caught when locker ends, before any unlock
    assert result.panic.message == ("task 'locker' returned from task_locks_and_returns() while holding mutex "
                                    "\"misuse mutex\": a task must release what it holds before it ends"), \
        result.panic.message
    assert result.panic.task == "locker"


def test_a_task_ending_with_a_mutex_held_is_caught_before_anyone_unlocks(misuse):
    result = misuse("mutex-unlock-finished", r"^PANIC: task 'locker' returned from task_locks_and_returns\(\) while "
                    r"holding mutex \"misuse mutex\"")
    assert result.panic.task == "locker"


def test_a_task_returning_with_a_spinlock_held_names_its_function(misuse):
    result = misuse("spin-held-at-exit", r'^PANIC: .*"misuse spin"')
    assert result.panic.task == "holder"
    assert "task_start" not in result.panic.message, result.panic.message
    assert "task_returns_holding_spinlock" in result.panic.message, result.panic.message
