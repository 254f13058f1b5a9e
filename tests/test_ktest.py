"""In-kernel tests: the frame's own (one pytest result each), and how failures are reported."""
import pytest

from frameharness import ktap

pytestmark = pytest.mark.kernel("kernels/ktest", memory="4G")


def test_frame(ktap_results, ktest_name):
    ktap_results.check(ktest_name)


def test_frame_run_is_complete(ktap_results):
    ktap_results.check_complete()
    lines = ktap_results.boot.lines
    assert ktap_results.boot.exit_status == 33
    assert "# highest usable address: 0x140000000" in lines  # RAM above 4 GiB reached
    assert "# written%d" in lines  # console_write prints bytes as given
    assert "# via va_list: ok 7" in lines  # console_vprintf formats a va_list
    # The machine ktests pass on machines without ACPI or PCI too (tests/test_matrix.py): on pc,
    # what they found must be there.
    assert "# IOAPIC at 0xfec00000, GSI base 0, ISA 0 on GSI 2" in lines
    assert "# PCI host bridge 8086:1237" in lines


@pytest.mark.kernel("kernels/ktest-fail")
def test_failures_are_reported_and_the_run_goes_on(boot):
    result = boot(expect=(r"# ktest: 2 passed, 2 failed, 1 skipped",), exit_status=35)
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
