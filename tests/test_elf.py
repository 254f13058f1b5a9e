"""The ELF loader (sdk/loader): a real ELF program loaded and run, its initial stack as the System V
ABI lays it out; every hostile variant refused with its own named error and no frame kept; a
seeded fuzz loop that never panics and leaks nothing. Each KTEST of tests/kernels/elf is one
result here."""
import re

import pytest

pytestmark = pytest.mark.kernel("kernels/elf")

# Every refusal case and the exact name its error must have (the kernel checks it too).
REFUSALS = {
    "empty_file": "shorter than an ELF header",
    "truncated_header": "shorter than an ELF header",
    "text_file": "not ELF",
    "bad_magic": "not ELF",
    "elf32": "not 64-bit",
    "big_endian": "not little-endian",
    "ident_version": "not ELF version 1",
    "e_version": "not ELF version 1",
    "shared_object": "not a static executable (ET_EXEC)",
    "relocatable": "not a static executable (ET_EXEC)",
    "i386": "not x86-64",
    "aarch64": "not x86-64",
    "phentsize_32": "program header size is not 56",
    "phentsize_huge": "program header size is not 56",
    "no_program_headers": "no loadable segment",
    "no_load_segment": "no loadable segment",
    "too_many_segments": "too many segments",
    "phnum_xnum": "too many segments",
    "phoff_past_end": "program headers outside the file",
    "phoff_wraps": "program headers outside the file",
    "truncated_in_program_headers": "program headers outside the file",
    "interpreter": "needs an interpreter (dynamically linked)",
    "filesz_over_memsz": "p_filesz > p_memsz",
    "segment_past_end": "segment past the end of the file",
    "truncated_in_segment": "segment past the end of the file",
    "offset_wraps": "segment past the end of the file",
    "filesz_huge": "segment past the end of the file",
    "kernel_half": "segment outside user space",
    "non_canonical": "segment outside user space",
    "page_zero": "segment outside user space",
    "end_past_user_space": "segment outside user space",
    "vaddr_plus_memsz_wraps": "segment outside user space",
    "misaligned_offset": "segment misaligned",
    "align_not_power_of_two": "segment misaligned",
    "write_exec_code": "W+X segment",
    "write_exec_data": "W+X segment",
    "no_rights": "segment with no access rights",
    "data_over_code": "segments overlap",
    "code_shares_a_page": "segments overlap",
    "entry_in_data": "entry not in an executable segment",
    "entry_zero": "entry not in an executable segment",
    "entry_in_kernel": "entry not in an executable segment",
    "entry_past_code": "entry not in an executable segment",
    "absurd_bss": "out of memory",
    "stack_over_code": "stack outside user space or overlapping a segment",
    "stack_bigger_than_user_space": "stack outside user space or overlapping a segment",
    "arguments_too_big": "arguments too big for the stack",
}


def test_elf(ktap_results, ktest_name):
    ktap_results.check(ktest_name)


def _diagnostics(ktap_results, name):
    (result,) = [r for r in ktap_results.ktap.results if r.name == name]
    return [d.removeprefix("# ").strip() for d in result.diagnostics]


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_refusal_is_named(ktap_results, case):
    assert _diagnostics(ktap_results, f"refuses_{case}") == [f"refused: {REFUSALS[case]}"]


def test_every_refusal_case_is_listed(ktap_results):
    cases = {r.name.removeprefix("refuses_") for r in ktap_results.ktap.results if r.name.startswith("refuses_")}
    assert cases == set(REFUSALS)


def test_the_program_saw_the_system_v_stack(ktap_results):
    lines = _diagnostics(ktap_results, "loads_and_runs_prog")
    assert "prog wrote: hello from argv[1]" in lines
    assert "prog exited with 3" in lines
    assert 'argv[0] = "prog"' in lines and 'argv[2] = "third"' in lines and 'envp[1] = "TERM=dumb"' in lines
    assert "pages: 1 r-x, 2 r--, 4 rw-" in lines  # prog's segments, each with its own rights
    assert "frames leaked: 0" in lines
    report = next(line for line in lines if line.startswith("report:"))
    assert re.search(r"argc 3 AT_PAGESZ 4096 AT_ENTRY 0x401000 AT_PHNUM 5 data 0x123456789abcdef bss 0$", report)


def test_fuzz_leaks_nothing(ktap_results):
    lines = _diagnostics(ktap_results, "fuzz_flipped_bytes")
    assert "fuzz: frames leaked: 0" in lines
    assert any(re.fullmatch(r"fuzz: 400 mutants, [1-9]\d* loaded, [1-9]\d* refused", line) for line in lines)


def test_run_is_complete(ktap_results):
    ktap_results.check_complete()
    assert ktap_results.boot.exit_status == 33
