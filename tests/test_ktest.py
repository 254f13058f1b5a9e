"""In-kernel tests: the frame's own (one pytest result each), and how failures are reported."""
import pytest
from frame_build import kernel

from frameharness import boot, ktap, ktap_results, ktest_names

KTEST = kernel("ktest")


@pytest.mark.parametrize("name", ktest_names(KTEST))
def test_frame(name):
    ktap_results(KTEST, memory="4G").check(name)


def test_frame_run_is_complete():
    session = ktap_results(KTEST, memory="4G")
    session.check_complete()
    assert session.boot.exit_status == 33
    assert "# highest usable address: 0x140000000" in session.boot.lines  # RAM above 4 GiB reached
    assert "# written%d" in session.boot.lines  # console_write prints bytes as given
    assert "# via va_list: ok 7" in session.boot.lines  # console_vprintf formats a va_list


def test_failures_are_reported_and_the_run_goes_on():
    result = boot(kernel("ktest-fail"), expect=(r"# ktest: 2 passed, 2 failed, 1 skipped",), exit_status=35)
    run = ktap.parse(result.lines)
    assert run.plan == 5 and not run.truncated
    outcome = {r.name: (r.ok, r.skip) for r in run.results}
    assert outcome == {
        "passes_first": (True, False),
        "fails_an_assertion": (False, False),
        "fails_an_equality": (False, False),
        "is_skipped": (True, True),
        "passes_after_failures": (True, False),
    }
    by_name = {r.name: r for r in run.results}
    assert any("ASSERTION FAILED: two + 1 == 4 at main.c:" in d for d in by_name["fails_an_assertion"].diagnostics)
    assert "# not reached" not in result.lines  # KTEST_ASSERT leaves the test
    eq = "\n".join(by_name["fails_an_equality"].diagnostics)
    assert "6 * 7 == 41" in eq and "left:  42" in eq and "right: 41" in eq
