"""The kernel heap catches its misuse: each panics naming the function, the rule and the caller."""
import os
import shutil
import subprocess

import pytest
from frame_build import BUILD

pytestmark = pytest.mark.kernel("kernels/heap-misuse")
ADDR = r"0x[0-9a-f]{16}"


@pytest.fixture
def misuse(boot):
    """misuse(how, message, caller): the kernel must panic with message, naming caller."""
    return lambda how, message, caller: boot(
        cmdline=how, exit_status=35, expect=(rf"PANIC: {message} \(called from {caller}\+0x[0-9a-f]+ at main\.c:\d+\)$",),
        forbid=(r"was not caught",))


@pytest.mark.parametrize("how, message, caller", [
    ("double-free", rf"heap_free: double free of the 24-byte block at {ADDR}", "double_free"),
    ("double-free-big", rf"heap_free: {ADDR} is not a live heap block: never handed out, or freed already "
                        r"\(a double free\?\)", "double_free_big"),
    ("free-middle", rf"heap_free: {ADDR} is not the start of the 64-byte block at {ADDR} \(it is \+8 bytes from it\)",
     "free_middle"),
    ("free-local", rf"heap_free: {ADDR} is not heap memory \(a global, a local variable\?\): free only what the heap "
                   r"handed out", "free_local"),
    ("free-global", rf"heap_free: {ADDR} is not heap memory .*", "free_global"),
    ("write-past-end", rf"heap_free: a write past the end of the 24-byte block allocated at {ADDR} "
                       r"\(red zone damaged at byte 24\)", "write_past_end"),
    ("write-past-end-big", rf"heap_free: a write past the end of the 10000-byte block allocated at {ADDR} "
                           r"\(red zone damaged at byte 10000\)", "write_past_end_big"),
    ("write-before-start", rf"heap_free: a write before the start of the 8-byte block allocated at {ADDR} "
                           r"\(red zone damaged at byte -1\)", "write_before_start"),
    ("bad-alignment", r"heap_alloc_aligned: align \(48\) must be a power of two, at most 4096", "bad_alignment"),
])
def test_heap_misuse_panics_naming_function_rule_and_caller(misuse, how, message, caller):
    misuse(how, message, caller)


def test_a_write_after_free_is_found_when_the_block_is_handed_out_again(boot):
    result = boot(cmdline="use-after-free", exit_status=35, forbid=(r"was not caught",),
                  expect=(rf"PANIC: heap: the freed 24-byte block at {ADDR} was written after heap_free "
                          r"\(byte 3 of it is 0x21, not the junk 0x6b\): a use after free",))
    names = [f[1] or "" for f in result.panic.frames]
    assert any(n.startswith("use_after_free+") for n in names), names


@pytest.mark.parametrize("how, access, size", [
    ("write-after-free-big", "write", 12288),  # a big block's pages given back
    ("write-after-free-slab", "write", 1900),  # the only block of a slab: its page given back
    ("read-after-free-big", "read", 5000),
])
def test_a_stale_pointer_into_pages_given_back_faults_as_a_use_after_free(boot, how, access, size):
    """The outside finding: the block's page went back to the frame allocator and a new frame was
    allocated; the stale pointer must fault at the access (reported as a use after free), never
    reach the new frame or read what it holds."""
    result = boot(cmdline=how, exit_status=35, forbid=(r"was not caught", r"the new frame.s byte", r"heap-misuse: read 0x"),
                  expect=(rf"PANIC: CPU exception #PF in the kernel: use after free: {access} of address {ADDR}, "
                          rf"in the freed {size}-byte heap block at {ADDR} \(its page was given back\)$",))
    names = [f[1] or "" for f in result.panic.frames]
    assert any(n.startswith(("stale_write+", how.replace("-", "_") + "+")) for n in names), names


def test_a_stale_pointer_into_a_page_freed_ahead_of_the_cursor_faults(boot):
    """The hostile review's finding: a block's page given back just ahead of the heap's cursor was
    mapped again by the very next allocation, for a page of the heap's own descriptors, and a stale
    write rewrote a live block's size. The page must stay unmapped until the cursor has gone a full
    lap past it: the write faults, reported as a use after free of the freed block."""
    result = boot(cmdline="write-after-free-ahead", exit_status=35,
                  forbid=(r"was not caught", r"wrote through a stale pointer", r"red zone damaged"),
                  expect=(r"PANIC: CPU exception #PF in the kernel: use after free: write of address "
                          rf"{ADDR}, in the freed 4000-byte heap block at {ADDR} \(its page was given back\)$",))
    names = [f[1] or "" for f in result.panic.frames]
    assert any(n.startswith("write_after_free_ahead+") for n in names), names


def test_a_read_after_free_reads_junk(boot):
    boot(cmdline="read-after-free", expect=(r"heap-misuse: read after free: 24 of 24 bytes are 0x6b",),
         forbid=(r"PANIC",))


def test_correct_use_leaves_no_block_behind(boot):
    boot(cmdline="ok", expect=(r"heap-misuse: 3 blocks, 20408 bytes, \d+ pages", r"heap-misuse: ok, 0 blocks left"),
         forbid=(r"PANIC",))


MISTAKES = {
    "ignored_result": ("\theap_alloc(16);", "ignoring return value of 'heap_alloc'"),
    "ignored_new": ("\tHEAP_NEW(int);", "ignoring return value of 'heap_zalloc_array'"),
    "free_local": ("\tint x = 0;\n\theap_free(&x);", "'heap_free' called on unallocated object 'x'"),
    "free_middle": ("\tchar *p = heap_alloc(8);\n\theap_free(p + 4);", "called on pointer 'p' with nonzero offset 4"),
    "use_after_free": ("\tchar *p = heap_alloc(8);\n\tif (!p)\n\t\treturn;\n\theap_free(p);\n\tp[0] = 1;",
                       "pointer 'p' used after 'heap_free'"),
}


@pytest.mark.parametrize("name", MISTAKES)
def test_the_compiler_catches_plain_mistakes(name):
    body, error = MISTAKES[name]
    kdir = os.path.join(BUILD, "test-heap", name)
    shutil.rmtree(kdir, ignore_errors=True)
    os.makedirs(kdir)
    with open(os.path.join(kdir, "main.c"), "w") as f:
        f.write("#include <frame/frame.h>\n\nvoid kernel_main(void)\n{\n%s\n}\n" % body)
    with open(os.path.join(kdir, "Makefile"), "w") as f:
        f.write(f"SDK = {os.path.join(BUILD, 'sdk')}\ninclude $(SDK)/mk/kernel.mk\n")
    r = subprocess.run(["make", "--no-print-directory", "-C", kdir, f"build/{name}.elf"],
                       capture_output=True, text=True, timeout=120)
    out = (r.stdout + r.stderr).replace("\u2018", "'").replace("\u2019", "'")
    assert r.returncode != 0, f"{name} was accepted:\n{out}"
    assert error in out, out
