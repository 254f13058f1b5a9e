"""A user program in an endless loop cannot hang the machine: the tick preempts it, another task
runs meanwhile, and the kernel stops the program and goes on, without leaking a page frame."""
import pytest


@pytest.mark.kernel("kernels/userloop")
def test_an_endless_user_loop_is_preempted_and_stopped(boot):
    result = boot(expect=(
        r"^looper: running the user program \(an endless loop\)$",
        r"^ticker: tick 1, the user program was preempted (\d+) times so far$",
        r"^ticker: tick 2, the user program was preempted (\d+) times so far$",
        r"^ticker: tick 3, the user program was preempted (\d+) times so far$",
        r"^ticker: asking the looper to stop$",
        r"^looper: user program preempted (\d+) times: an endless loop; stopped$",
        r"^main: looper returned 0, ticker returned 3$",
        r"^main: no page frame leaked \(\d+ free before and after\)$",
        r"^userloop: done$",
    ), forbid=(r"PANIC", r"outside the loop", r"not USER_RETURN_PREEMPTED", r"leaked:"), timeout=20)
    counts = [int(m.group(1)) for m in result.matches[1:4]] + [int(result.matches[5].group(1))]
    # The ticker only runs when the looper yields, after a preemption: the count grows under it.
    assert counts == sorted(counts), counts
    assert counts[-1] >= 2, counts
