"""The pytest plugin's fixtures and mark, on test files run by pytester with a fake QEMU."""

import shutil
import textwrap

import pytest


@pytest.fixture
def run(pytester, fake_qemu, monkeypatch):
    """Write test files ({path: source}) and run pytest on them with the plugin loaded.

    They run in this process: their names must differ from every other test module's."""
    monkeypatch.delenv("FRAME_KERNEL", raising=False)
    monkeypatch.delenv("FRAME_ISO", raising=False)

    def run(files, *args):
        for path, source in files.items():
            target = pytester.path / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(textwrap.dedent(source))
        return pytester.runpytest("-p", "frameharness.plugin", "-p", "no:cacheprovider", *args)
    return run


def built(pytester, directory, elf=None):
    """Make <directory>/build/<name>.elf exist (a copy of elf, or an empty file)."""
    path = pytester.path / directory / "build" / (directory.rsplit("/", 1)[-1] + ".elf")
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(elf, path) if elf else path.touch()
    return path


def test_boot_and_kernel_default_to_the_kernel_beside_the_test(run, pytester, fake_qemu):
    elf = built(pytester, "mykernel")
    fake_qemu.set(serial="Hello\n")
    result = run({"mykernel/test_inner_mykernel.py": f"""
        def test_up(boot, kernel):
            assert kernel.elf == {str(elf)!r} and kernel.iso == {str(elf.with_suffix(".iso"))!r}
            r = boot(expect=("Hello",))
            assert r.command[-2:] == ["-kernel", kernel.elf]
            assert r.log_path.endswith("/mykernel.test_inner_mykernel.test_up.serial.log")
    """})
    result.assert_outcomes(passed=1)


def test_the_kernel_mark_names_another_kernel_and_boot_arguments(run, pytester, fake_qemu):
    elf = built(pytester, "kernels/other")
    fake_qemu.set(serial="Hello\n")
    result = run({"tests/test_inner_other.py": """
        import pytest

        pytestmark = pytest.mark.kernel("../kernels/other", memory="256M")

        def test_module_mark(boot):
            r = boot(expect=("Hello",))
            assert r.command[r.command.index("-m") + 1] == "256M"

        @pytest.mark.kernel("../kernels/other")
        def test_closest_mark_wins(boot, kernel):
            r = boot(kernel=kernel.elf, expect=("Hello",), cmdline="x")
            assert r.command[r.command.index("-m") + 1] == "128M"
            assert r.command[-4:] == ["-kernel", kernel.elf, "-append", "x"]
    """})
    result.assert_outcomes(passed=2)
    assert fake_qemu.argv[-4:] == ["-kernel", str(elf), "-append", "x"]


def test_a_kernel_not_built_is_a_clear_error(run):
    result = run({"nokernel/test_inner_nokernel.py": """
        def test_it(boot):
            boot(expect=("Hello",))
    """})
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*kernel */nokernel/build/nokernel.elf is not built: build it first (make)*"])


def test_frame_build_finds_kernels_where_the_repository_builds_them(run, pytester):
    elf = pytester.path / "build" / "examples" / "hello" / "hello.elf"
    elf.parent.mkdir(parents=True)
    elf.touch()
    pytester.makeini("[pytest]\nframe_build = build\n")
    result = run({"examples/hello/test_inner_hello.py": f"""
        def test_where(kernel):
            assert kernel.elf == {str(elf)!r}
    """})
    result.assert_outcomes(passed=1)


def test_ktap_results_boots_once_and_ktest_name_lists_the_tests(run, pytester, fake_qemu, sym_elf):
    built(pytester, "ktest", sym_elf)  # its __ktest_ symbols: alpha and beta
    fake_qemu.set(serial="KTAP version 1\n1..2\nok 1 alpha\nnot ok 2 beta\n", exit=35)
    result = run({"ktest/test_inner_ktest.py": """
        import pytest

        sessions = []

        def test_each(ktap_results, ktest_name):
            sessions.append(ktap_results)
            ktap_results.check(ktest_name)

        def test_one_boot(ktap_results):
            assert len(sessions) == 2 and all(s is ktap_results for s in sessions)
            assert ktap_results.boot.exit_status == 35 and ktap_results.boot.failure is None
            assert ktap_results.boot.log_path.endswith("/ktest.ktap.serial.log")

        @pytest.mark.kernel(timeout=11)
        def test_other_arguments_other_boot(ktap_results):
            assert ktap_results is not sessions[0]
    """}, "-v")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*test_each?alpha? PASSED*", "*test_each?beta? FAILED*"])
    result.stdout.fnmatch_lines(["*ktest beta failed: not ok 2 beta*"])
    assert sorted(p.name for p in fake_qemu.log_dir.glob("*.serial.log")) == \
        ["ktest.ktap.2.serial.log", "ktest.ktap.serial.log"]
