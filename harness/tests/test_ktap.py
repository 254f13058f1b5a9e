"""KTAP parsing, ktest discovery and the KtestSession pytest helpers."""

import pytest

from frameharness import BootFailure, BootResult, FailureKind, ktest_names
from frameharness.ktap import KtestSession, parse, parse_nm


def test_good_run_with_failure_and_skip(data):
    run = parse(data.lines("ktap_good.serial.log"))
    assert run.version == 1 and run.plan == 4
    assert not run.plan_missing and not run.truncated
    assert [(r.number, r.name, r.ok, r.skip) for r in run] == [
        (1, "console_format", True, False),
        (2, "console_width", False, False),
        (3, "timer_ticks", True, True),
        (4, "alloc_free", True, False),
    ]
    assert run.results[0].diagnostics == ["# running 4 tests"]
    assert run.results[1].diagnostics == [
        "# ASSERTION FAILED: n == 5 at tests/console.c:42", "# got n = 4"]
    assert run.results[2].skip_reason == "no HPET on this machine"
    assert run.results[3].diagnostics == []
    assert run.trailing == ["# ktest: 2 passed, 1 failed, 1 skipped"]


def test_interleaved_noise_is_ignored(data):
    run = parse(data.lines("ktap_noisy.serial.log"))
    assert run.plan == 3 and len(run) == 3
    assert [r.name for r in run] == ["first", "second", "third"]
    assert run.find("second").diagnostics == ["# ASSERTION FAILED: a == b at tests/second.c:9"]
    assert run.find("third").ok


def test_missing_plan():
    run = parse(["KTAP version 1", "ok 1 a", "ok 2 b"])
    assert run.plan_missing and not run.truncated
    assert [r.name for r in run] == ["a", "b"]


def test_truncated_run(data):
    lines = data.lines("ktap_good.serial.log")[:6] + ["PANIC: boom"]
    run = parse(lines)
    assert run.plan == 4 and run.truncated
    assert [r.name for r in run] == ["console_format"]
    assert run.trailing == ["# ASSERTION FAILED: n == 5 at tests/console.c:42"]


def test_no_ktap_at_all():
    run = parse(["hello", "world"])
    assert run.version is None and run.plan_missing and len(run) == 0


def test_new_version_line_starts_a_fresh_run():
    run = parse(["KTAP version 1", "1..1", "not ok 1 old", "KTAP version 1", "1..1", "ok 1 new"])
    assert [r.name for r in run] == ["new"]


def test_result_line_variants():
    run = parse(["ok 1 - dashed", "not ok 2 spaced name # TODO later", "ok 3 x # skip lower"])
    assert [r.name for r in run] == ["dashed", "spaced name", "x"]
    assert not run.results[1].ok and not run.results[1].skip
    assert run.results[2].skip and run.results[2].skip_reason == "lower"


def test_parse_nm_keeps_address_order_and_ignores_others():
    text = ("ffffffff80200000 T kmain\n"
            "ffffffff80212340 d __ktest_console_format\n"
            "ffffffff80212360 d __ktest_alloc_free\n"
            "                 U __ktest_undefined\n"
            "ffffffff80212380 d __ktest_console_format\n"
            "ffffffff80212390 t __ktest_helper.cold\n")
    assert parse_nm(text) == ["console_format", "alloc_free"]


def test_ktest_names_from_a_real_elf(sym_elf):
    assert ktest_names(sym_elf) == ["alpha", "beta"]


def test_ktest_names_missing_kernel_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="build it first"):
        ktest_names(tmp_path / "nope.elf")


# --- KtestSession on a recorded boot -----------------------------------------

def fake_boot(lines, failure=None):
    return BootResult(lines=lines, output="\n".join(lines), exit_status=35, duration=1.0,
                      log_path="logs/ktest.ktap.serial.log", command=["qemu", "-kernel", "k"],
                      matches=[], panic=None, failure=failure,
                      kind=failure.kind if failure else FailureKind.OK)


def session(lines, failure=None):
    return KtestSession("build/tests/kernels/ktest/ktest.elf", fake_boot(lines, failure))


def test_check_passes_skips_and_fails(data):
    s = session(data.lines("ktap_good.serial.log"))
    assert s.check("console_format").ok
    with pytest.raises(pytest.skip.Exception, match="no HPET"):
        s.check("timer_ticks")
    with pytest.raises(BootFailure) as info:
        s.check("console_width")
    message = str(info.value)
    assert "ktest console_width failed" in message
    assert "# ASSERTION FAILED: n == 5 at tests/console.c:42" in message
    assert "debug it: make debug EXAMPLE=ktest" in message
    s.check_complete()


def test_test_missing_after_crash_names_the_crash(data):
    lines = data.lines("ktap_good.serial.log")[:6] + data.lines("panic_plain.serial.log")
    crash = BootFailure("ktest.elf: the kernel panicked: assertion failed\n...report...",
                        FailureKind.PANIC)
    s = session(lines, crash)
    assert s.check("console_format").ok
    with pytest.raises(BootFailure) as info:
        s.check("alloc_free")
    message = str(info.value)
    assert "the kernel stopped before test alloc_free ran" in message
    assert "the kernel panicked: assertion failed" in message
    assert "...report..." in message
    assert "1 results; last result: ok 1 console_format" in message
    with pytest.raises(BootFailure):
        s.check_complete()


def test_test_missing_without_crash():
    s = session(["KTAP version 1", "1..1", "ok 1 a"])
    with pytest.raises(BootFailure, match="no KTAP result for test b"):
        s.result("b")

