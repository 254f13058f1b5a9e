"""Panic report parsing and addr2line symbolization."""

from frameharness import symbolize
from frameharness.panic import Location, find_report, format_chain, parse_report


def test_exception_report(data):
    lines = data.lines("panic_exception.serial.log")
    assert find_report(lines) == (3, len(lines) - 1)
    r = parse_report(lines)
    assert r.message == "unhandled CPU exception"
    assert r.location is None  # no ELF given, and CPU exceptions have no "at" line
    assert r.task == "idle"
    assert r.exception == ("#PF page fault (vector 14), error code 0x2, "
                           "CR2=0x00000000dead0000")
    assert r.registers["RIP"] == 0xffffffff80201234
    assert r.registers["RDX"] == 0xdead0000
    assert r.registers["CR3"] == 0x101000
    assert "CR2" not in r.registers
    assert [(f.addr, f.kernel_symbol) for f in r.frames] == [
        (0xffffffff80201234, "poke+0x14"),
        (0xffffffff80201300, "kmain+0x40"),
        (0xffffffff80200010, None),
    ]
    assert all(f.symbolized is None for f in r.frames)
    assert r.complete and r.raw_lines[0].startswith("PANIC:") and len(r.raw_lines) == 12


def test_plain_panic_report(data):
    r = parse_report(data.lines("panic_plain.serial.log"))
    assert r.message == "assertion failed: list_empty(&q->waiters)"
    assert r.location == Location("kernel/sched.c", 120, "schedule")
    assert r.task == "worker-2"
    assert r.exception is None
    assert len(r.frames) == 3 and r.frames[1].kernel_symbol == "schedule+0x55"


def test_precondition_panic_is_just_a_message():
    lines = ["boot", "PANIC: console_write: buf must not be NULL (called from main+0x1a)"]
    r = parse_report(lines)
    assert r.message == "console_write: buf must not be NULL (called from main+0x1a)"
    assert r.frames == [] and r.registers == {} and not r.complete
    assert "report truncated" in r.format()


def test_no_report():
    assert parse_report(["all fine", "  PANIC: indented is not a report"]) is None


def test_format_chain():
    assert format_chain([("??", "??", None)]) == "?"
    assert format_chain([("inner", "a.c", 2), ("outer", "a.c", 5)]) == \
        "inner a.c:2 (inlined by) outer a.c:5"


def test_symbolize_real_elf(sym_elf, sym_addresses):
    first, second = sym_addresses["first"], sym_addresses["second"]
    out = symbolize(sym_elf, [second, first, 0x1234])
    assert out[0].startswith("second ") and out[0].endswith("sym.c:6")
    assert out[1].startswith("first ") and out[1].endswith("sym.c:11")
    assert out[2] == "?"


def test_report_symbolized_faulting_vs_return_address(sym_elf, sym_addresses):
    first, second = sym_addresses["first"], sym_addresses["second"]
    lines = ["PANIC: unhandled CPU exception",
             "  exception: #UD invalid opcode (vector 6), error code 0x0",
             "  backtrace:",
             f"    #0 0x{second:016x} <second+0x0> (faulting instruction)",
             f"    #1 0x{first + 1:016x} <first+0x1>",  # return address: looked up at -1
             "end of panic report"]
    r = parse_report(lines, elf=sym_elf)
    assert r.frames[0].symbolized.startswith("second ")
    assert r.frames[1].symbolized.startswith("first ")
    # no "at" line: the location comes from frame #0
    assert r.location.function == "second" and r.location.line == 6
    assert r.location.file.endswith("sym.c")
    text = r.format()
    assert "-> second " in text and "-> first " in text


def test_symbolize_survives_missing_addr2line(monkeypatch, tmp_path):
    monkeypatch.setenv("ADDR2LINE", str(tmp_path / "no-such-addr2line"))
    assert symbolize(tmp_path / "k.elf", [1, 2]) == ["?", "?"]


def test_kernel_lines_and_precondition_caller():
    """The kernel prints each frame's source line and a precondition's caller: no addr2line needed."""
    lines = ["PANIC: task_sleep: may not sleep in interrupt context (called from fast+0xa1 at main.c:42)",
             "  at main.c:42 in fast (the caller); checked in task_sleep at sdk/frame/task/task.c:126",
             "  task: main",
             "  backtrace:",
             "    #0 0xffffffff80205c0e panic_precondition+0xae (sdk/frame/core/panic.c:200)",
             "    #1 0xffffffff80222a33 fast+0xa1 (main.c:42) (faulting instruction)",
             "    #2 0xffffffff80201c36 start64+0x26",
             "end of panic report"]
    r = parse_report(lines, elf="/nonexistent.elf")
    assert r.caller == Location("main.c", 42, "fast")
    assert r.location == Location("sdk/frame/task/task.c", 126, "task_sleep")
    assert [f.kernel_symbol for f in r.frames] == ["panic_precondition+0xae", "fast+0xa1", "start64+0x26"]
    assert r.frames[0].location == Location("sdk/frame/core/panic.c", 200, "panic_precondition")
    assert r.frames[1].symbolized == "fast main.c:42"
    assert r.frames[2].location is None and r.frames[2].symbolized == "?"  # addr2line, which knew nothing
    assert "-> fast" not in r.format() and "-> ?" in r.format()  # only the frame the kernel left unnamed
