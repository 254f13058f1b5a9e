"""The outputs the docs quote are real: each quoted panic report and program output is compared
with a run of the kernel that prints it, so a line number or a text in docs/ cannot drift.

A block is found by its doc and its first line. Comparing, addresses (0x and 16 digits) and a
symbol's offset (+0x...) match any; "..." inside a quoted line matches any text, and a line that
is only "..." skips any number of lines; every other quoted line must be the next line of the run.
Every block of docs/ that looks like output is either checked here (CASES) or listed in NOT_RUN,
which says why not; a new quote fails test_every_quoted_output_is_checked until it is one of them.
"""
import os
import re

import pytest
from frame_build import ROOT

DOCS = os.path.join(ROOT, "docs")
BUILD = os.path.join(ROOT, "build")

# (doc, the block's first line, kernel (its directory), boot() arguments; iso: boot through GRUB;
# host_lines: how many of the block's first lines the run target prints on the host, not compared)
CASES = [
    ("getting-started.md", "fault: null", "tests/kernels/fault", dict(cmdline="null", exit_status=35)),
    ("getting-started.md", "PANIC: boot_memory_region:", "tests/kernels/fault",
     dict(cmdline="precondition", exit_status=35)),
    ("getting-started.md", "PANIC: address sanitizer: NULL pointer dereference", "tests/kernels/kasan",
     dict(cmdline="null-read", exit_status=35)),
    ("getting-started.md", "Booting hello through GRUB", "examples/hello", dict(iso=True, timeout=60, host_lines=1)),
    ("safety.md", "PANIC: boot_memory_region:", "tests/kernels/fault", dict(cmdline="precondition", exit_status=35)),
    ("safety.md", "PANIC: stack smashing detected", "tests/kernels/stack-smash", dict(cmdline="smash", exit_status=35)),
    ("safety.md", "PANIC: address sanitizer: heap out of bounds", "tests/kernels/kasan",
     dict(cmdline="heap-overflow", exit_status=35)),
    ("safety.md", "PANIC: undefined behaviour: signed integer overflow", "tests/kernels/ubsan",
     dict(cmdline="add-overflow", exit_status=35)),
    ("concurrency.md", "PANIC: mutex_lock: may not sleep in interrupt context", "tests/kernels/misuse",
     dict(cmdline="mutex-in-irq", exit_status=35)),
    ("timer.md", "PANIC: task_sleep: may not sleep in interrupt context", "tests/kernels/misuse",
     dict(cmdline="sleep-in-irq", exit_status=35)),
    ("timer.md", "10 ticks, one every 100 ms", "examples/timer", dict()),
    ("userspace.md", "Hello, world", "examples/userspace", dict()),
    ("drivers.md", "PANIC: keyboard_read_event: keyboard_open() must succeed", "tests/kernels/keyboard",
     dict(cmdline="before-open", exit_status=35)),
]

# Blocks that look like output but are not a kernel's serial output, and what checks them instead.
NOT_RUN = {
    ("getting-started.md", "error: the Frame SDK needs these packages"): "sdk/tools/install-deps, on a host without them",
    ("getting-started.md", "QEMU is paused for GDB"): "a GDB session (tests/test_gdb.py runs one)",
    ("getting-started.md", "(gdb) bt"): "a GDB session (tests/test_gdb.py runs one)",
    ("getting-started.md", "(gdb) break hello.c:main"): "a GDB session (tests/test_gdb.py runs one)",
    ("getting-started.md", "KTAP version 1"): "the page's own example kernel, not one in the repository",
    ("getting-started.md", "A new kernel, mykernel (hello)"): "frame-new's message (tests/test_new.py checks it)",
    ("getting-started.md", "10 ticks, one every 100 ms"): "a kernel made by make new (tests/test_session.py checks it)",
    ("seeing.md", "function                                    self"): "one run's samples (tests/test_profile.py "
                                                                         "checks the table and the shares)",
    ("performance.md", "make bench"): "commands, not output",
    ("performance.md", "Frame and floor, side by side"): "timings of one machine (make bench prints them)",
    ("architecture.md", "your kernel (kernel_main, in the safe subset)"): "a diagram",
    ("disk.md", "virtio disk 00:03.0:"): "needs the example's disk image (examples/disk/test_disk.py)",
    ("drivers.md", "edu 00:03.0, version 1.0"): "needs QEMU's edu device (examples/edu/test_edu.py)",
    ("drivers.md", "[WARN] iommu: blocked a DMA write"): "needs two edu devices behind VT-d (tests/test_iommu.py)",
    ("programs.md", "[hello] hello from C"): "needs the example's boot modules (examples/programs/test_programs.py)",
    ("timer.md", "[DEBUG] clock: TSC"): "one machine's clock rates",
    ("safety.md", "main.c:(.text+0x14): undefined reference"): "a compiler's message (tests/test_subset.py)",
    ("safety.md", "main.c:6:9: error: ignoring return value"): "a compiler's message (tests/test_subset.py)",
    ("safety.md", "main.c:5:9: error: attempt to use poisoned"): "a compiler's message (tests/test_subset.py)",
    ("safety.md", "main.c:2:10: fatal error: stdio.h"): "a compiler's message (tests/test_subset.py)",
    ("safety.md", "main.c: includes ../frame/sdk/frame/arch"): "a compiler's message (tests/test_subset.py)",
    ("safety.md", "main.c:5: error: integer-to-pointer cast"): "a compiler's message (tests/test_subset.py)",
    ("safety.md", "main.c:7:26: error: format"): "a compiler's message (tests/test_subset.py)",
    ("safety.md", "main.c:5: error: floating point (double)"): "a compiler's message (tests/test_subset.py)",
    ("safety.md", "error: helper.S has no _start"): "a compiler's message (tests/test_subset.py)",
    ("safety.md", "main.c:1: error: __attribute__((no_sanitize_address))"): "a compiler's message (tests/test_subset.py)",
}

HEX = re.compile(r"0x[0-9a-f]{16}")
OFFSET = re.compile(r"\+0x[0-9a-f]+")


def blocks(doc):
    """Every code block of a doc page: (line number, its lines), indented or fenced (not source code)."""
    lines = open(os.path.join(DOCS, doc)).read().split("\n")
    found, i = [], 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            end = lines.index("```", i + 1) if "```" in lines[i + 1:] else len(lines)
            if line.strip() == "```":
                found.append((i + 1, lines[i + 1:end]))
            i = end + 1
            continue
        indent = len(line) - len(line.lstrip(" "))
        if indent >= 4 and line.strip() and (i == 0 or not lines[i - 1].strip()):
            end = i
            while end < len(lines) and (lines[end].startswith(" " * indent) or not lines[end].strip()):
                end += 1
            body = [text[indent:] for text in lines[i:end]]
            while body and not body[-1].strip():
                body.pop()
            found.append((i + 1, body))
            i = end
            continue
        i += 1
    return found


def block(doc, first):
    for number, body in blocks(doc):
        if body and body[0].startswith(first):
            return body
    raise AssertionError(f"docs/{doc} has no quoted block starting {first!r}")


def looks_like_source(body):
    return any(re.match(r"^(#include|static |struct |int |void |enum |[a-z_]+\(.*\);$)", text) for text in body)


def normalize(text):
    return OFFSET.sub("+0x…", HEX.sub("0x…", text.rstrip()))


def match_block(quoted, output):
    """None if the quoted lines follow each other in output (see the module's docstring), else why not."""
    pos, skipping = 0, False
    for text in quoted:
        if text.strip() == "...":
            skipping = True
            continue
        pattern = re.compile("^" + ".*".join(re.escape(part) for part in normalize(text).split("...")) + "$")
        while pos < len(output) and not pattern.match(normalize(output[pos])):
            if not skipping:
                return f"quoted {text!r}, the run printed {output[pos]!r}"
            pos += 1
        if pos == len(output):
            return f"quoted {text!r}: not in the run's output" + (" (after the lines before it)" if skipping else "")
        pos, skipping = pos + 1, False
    return None


def kernel_of(directory):
    name = os.path.basename(directory)
    return os.path.join(BUILD, directory, name + ".elf"), os.path.join(BUILD, directory, name + ".iso")


@pytest.mark.parametrize("doc, first, directory, args", CASES, ids=[f"{c[0]}:{c[1][:30]}" for c in CASES])
def test_quoted_output_is_what_the_kernel_prints(boot, doc, first, directory, args):
    elf, iso = kernel_of(directory)
    args = dict(args)
    quoted = block(doc, first)[args.pop("host_lines", 0):]
    if args.pop("iso", False):
        args["iso"] = iso
    if args.get("exit_status") == 35:
        args["expect"] = (r"^end of panic report$",)
    output = boot(elf, **args).lines
    start = next((i for i, text in enumerate(output) if match_block(quoted[:1], [text]) is None), None)
    assert start is not None, f"the run never printed {quoted[0]!r}:\n" + "\n".join(output)
    why = match_block(quoted, output[start:])
    assert why is None, f"docs/{doc}: {why}\n--- the run's output ---\n" + "\n".join(output[start:])


def test_every_quoted_output_is_checked():
    known = {(doc, first) for doc, first, _, _ in CASES} | set(NOT_RUN)
    unchecked = []
    for doc in sorted(os.listdir(DOCS)):
        if not doc.endswith(".md"):
            continue
        for number, body in blocks(doc):
            if not body or looks_like_source(body):
                continue
            if not any(d == doc and body[0].startswith(first) for d, first in known):
                unchecked.append(f"docs/{doc}:{number}: {body[0]}")
    assert not unchecked, "quoted output neither checked (CASES) nor explained (NOT_RUN):\n" + "\n".join(unchecked)


def test_matching_notices_a_changed_line_number():
    """The comparison itself: a stale line number or text fails, addresses and offsets do not."""
    run = ["  #2 0xffffffff80222ef0 kernel_main+0x10c (main.c:103)", "end of panic report"]
    assert match_block(["  #2 0xffffffff80200000 kernel_main+0x20 (main.c:103)", "end of panic report"], run) is None
    assert match_block(["  #2 0xffffffff80200000 kernel_main+0x20 (main.c:8)"], run) is not None
    assert match_block(["...", "end of panic report"], run) is None
    assert match_block(["end of panic report"], run) is not None
