"""The fast system-call path (user_mode_set_fast_handler()): handled calls never reach the task,
hostile register values the handler passes on come back as the program's own exceptions, the
floating-point state survives other programs between slow calls, and a handler that breaks a
context rule panics naming the rule and itself (tests/kernels/fastcall)."""
import pytest

pytestmark = pytest.mark.kernel("kernels/fastcall")

JUMPS = (
    ("rip non-canonical", "#GP general protection"),
    ("rip in the kernel", "#GP general protection"),
    ("rip all ones", "#GP general protection"),
    (r"rsp non-canonical \(IRET\)", "#GP general protection"),
    ("fs base non-canonical", "#GP general protection"),
    ("fs base in the kernel", "#GP general protection"),
    (r"rip in the last user page \(IRET, not SYSRET\)", "#PF page fault"),
    ("every flag set", "runs with flags 0xed7"),
    (r"every flag set, RCX and R11 not RIP and flags \(IRET\)", "runs with flags 0xed7"),
    (r"flags zero \(IF forced on\)", "runs with flags 0x202"),
)


def test_fast_calls_stay_in_trap_context_and_hostile_returns_fault_only_the_program(boot):
    result = boot(expect=(
        r"^calls: hello from user mode through the fast path$",
        r"^calls: exit\(700000\) after 100000 fast calls; the task saw 1 system call\(s\) and \d+ tick\(s\)$",
        *(rf"^jump: {what}: {outcome}$" for what, outcome in JUMPS),
        r"^jump: 10 of 10 hostile returns handled as they should$",
        r"^fsbase: the task sees 0x900000, the program reads 0x5eed5eed5eed5eed through it$",
        r"^lazy: xmm0 0x123456789abcdef after 40 yields to a program that changes it$",
        r"^fastcall: done$",
    ), forbid=(r"PANIC", r"WRONG"), timeout=30)
    assert result.exit_status == 33


@pytest.mark.parametrize("rule, panic", [
    ("sleep", r"PANIC: task_sleep: may not sleep in a fast system-call handler .* \(called from fast\+0x[0-9a-f]+"),
    ("space", r"PANIC: vm_space_activate: a fast system-call handler may not switch address spaces "
              r"\(called from fast\+0x[0-9a-f]+"),
    ("garbage", r"PANIC: user_syscall: the fast handler fast\(\) returned 7, neither USER_FAST_DONE nor "
                r"USER_FAST_SLOW"),
    ("irqon", r"PANIC: irq_restore: interrupts stay off in interrupt context and in a fast system-call handler: "
              r"this state \(interrupts on\) was saved elsewhere \(called from fast\+0x[0-9a-f]+"),
    ("reinit", r"PANIC: user_mode_init: the program is running \(a fast handler may not set up its own program "
               r"again\) \(called from fast\+0x[0-9a-f]+"),
])
def test_a_fast_handler_breaking_a_rule_panics_naming_it(boot, rule, panic):
    boot(cmdline=rule, expect=(rf"^fastcall: a handler that breaks a rule: {rule}$", panic), exit_status=35,
         timeout=30)
