"""Line coverage (make coverage; core/gcov.c, frameharness.coverage): a kernel built with
COVERAGE=1 against the SDK's instrumented frame sends every object's counters at power-off, and
GCC's own gcov reads the .gcda files the host writes from them: the branch the kernel never takes
is a line never executed, the other lines ran as often as the kernel ran them, in the kernel's
code and in the frame's."""
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from frameharness import coverage, hostlink

pytestmark = pytest.mark.kernel("kernels/coverage")

HERE = Path(__file__).parent
SDK = HERE.parent / "build" / "sdk"


def marked_lines(source, text):
    """{marker: line number} for each '// COVERAGE: marker' comment (or each line containing text)."""
    lines = Path(source).read_text().splitlines()
    return {m: next(i + 1 for i, line in enumerate(lines) if m in line) for m in text}


def gcov_counts(gcda, source_dir):
    """{line: count} for the .gcda file's source, from gcov's JSON (GCC's reader, not ours)."""
    out = subprocess.run(["gcov", "--json-format", "--stdout", str(gcda)], cwd=source_dir, check=True,
                         capture_output=True, text=True).stdout
    files = [f for doc in out.splitlines() if doc.strip() for f in json.loads(doc)["files"]]
    return {ln["line_number"]: ln["count"] for f in files for ln in f["lines"]}


@pytest.fixture
def counters(boot, kernel, tmp_path):
    """Boot the kernel once with the host channel; every object's .gcda bytes, by path."""
    path = tmp_path / "boot.hostlink"
    boot(extra_args=hostlink.qemu_args(path), expect=["coverage: taken 3 times"], exit_status=33)
    gcdas, runs, skipped = coverage.collect([path])
    assert runs == 1 and not skipped
    return gcdas


def test_a_branch_never_taken_is_a_line_never_executed(counters, kernel, tmp_path):
    name = next(n for n in counters if n.endswith("/obj/main.c.gcda"))
    assert Path(name).parent == Path(kernel.elf).parent / "obj"  # named where the kernel was built
    shutil.copyfile(Path(name).with_suffix(".gcno"), tmp_path / "main.c.gcno")
    (tmp_path / "main.c.gcda").write_bytes(counters[name])
    lines = marked_lines(HERE / "kernels/coverage/main.c",
                         ["COVERAGE: never", "COVERAGE: once", "COVERAGE: taken", "unsigned taken = count(3)"])
    counts = gcov_counts(tmp_path / "main.c.gcda", HERE / "kernels/coverage")
    assert counts[lines["COVERAGE: never"]] == 0
    assert counts[lines["COVERAGE: once"]] == 1
    assert counts[lines["COVERAGE: taken"]] == 3
    assert counts[lines["unsigned taken = count(3)"]] == 1


def test_the_frames_counters_reach_the_host_too(counters, tmp_path):
    """The frame's objects, written under out/frame/ beside their .gcno copied from the SDK: the
    boot sequence called kernel_main(), which powered off, so frame_main() never went on."""
    refused = coverage.place(counters, SDK.resolve(), tmp_path)
    assert refused == [next(r for r in refused if "/obj/main.c.gcda" in r)]  # the kernel's: outside tmp_path
    init = tmp_path / "frame" / "core" / "init.c.gcda"
    lines = marked_lines(HERE.parent / "sdk/frame/core/init.c", ["\tkernel_main();", "\tsched_main_returned();"])
    counts = gcov_counts(init, HERE.parent)
    assert counts[lines["\tkernel_main();"]] == 1
    assert counts[lines["\tsched_main_returned();"]] == 0


def test_two_runs_add_up(counters):
    name = next(n for n in counters if n.endswith("/obj/main.c.gcda"))
    one = coverage.parse_gcda(counters[name])
    two = coverage.parse_gcda(coverage.merge_gcda(counters[name], counters[name]))
    assert two[0] == one[0]
    for (tag, a), (_, b) in zip(one[1], two[1]):
        if tag == coverage.TAG_COUNTER_BASE:  # 64-bit counters, low word first: doubled
            assert [x * 2 for x in a[0::2]] == b[0::2] and any(a)


@pytest.mark.skipif(not shutil.which("genhtml"), reason="lcov is not installed: sudo apt-get install lcov")
def test_the_report_names_every_frame_directory(counters, tmp_path):
    boots = tmp_path / "boots"
    boots.mkdir()
    # A hostlink file as the kernel sends it, with the frame's records only (the kernel's object
    # is outside tmp_path), then END.
    records = b"".join(_record(hostlink.COVERAGE, n.encode() + b"\0" + d) for n, d in counters.items()
                       if "/obj/" not in n) + _record(hostlink.END, b"")
    (boots / "run.hostlink").write_bytes(records)
    assert coverage.main(["--sdk", str(SDK), "--out", str(tmp_path / "out"), "--boots", str(boots),
                          "--root", str(HERE.parent)]) == 0
    assert (tmp_path / "out" / "index.html").exists()
    files = coverage.read_info(tmp_path / "out" / "coverage.info")
    init = next(lines for path, lines in files.items() if path.endswith("sdk/frame/core/init.c"))
    assert any(init.values()) and not all(init.values())


def _record(kind, payload):
    return hostlink.MAGIC + kind.to_bytes(4, "little") + len(payload).to_bytes(4, "little") + payload


def test_sources_the_sdk_was_built_with_are_found_in_its_src(tmp_path):
    """A kernel built against an SDK from elsewhere (the tarball): the frame's sources named where
    the SDK was built are shown from the SDK's own copy, src/."""
    sdk = tmp_path / "sdk"
    (sdk / "coverage").mkdir(parents=True)
    (sdk / "coverage" / "prefix").write_text("/gone/build/coverage/frame\n/gone\n")
    info = tmp_path / "coverage.info"
    info.write_text("SF:/gone/sdk/frame/mm/heap.c\nDA:1,1\nend_of_record\nSF:/here/main.c\nend_of_record\n")
    coverage.relocate_sources(info, sdk)
    assert list(coverage.read_info(info)) == [f"{sdk}/src/frame/mm/heap.c", "/here/main.c"]
