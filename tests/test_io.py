"""Port windows (<frame/io.h>): every range the frame keeps is refused with ERR_DENIED and its
owner named; windows never overlap; real devices answer through them; and every misuse panics
naming the function, the rule and the caller (tests/kernels/io)."""
import pathlib
import re

import pytest

pytestmark = pytest.mark.kernel("kernels/io")
HEX = r"0x[0-9a-f]+"

# The first and last port of each refused range, and the owner the frame names for it.
OWNERS = {
    "the ISA DMA controller (it writes any physical memory)": (0x00, 0x1f, 0xc0, 0xdf),
    "the PIC (the frame's interrupt controller)": (0x20, 0x21, 0xa0, 0xa1),
    "the IMCR (it switches interrupt delivery between the PIC and the APIC)": (0x22, 0x23),
    "the PIT (the frame's calibration and tick)": (0x40, 0x43),
    "the PIT's gate (the frame's calibration)": (0x61,),
    "the ISA DMA page registers (they address any physical memory)": (0x81, 0x8f),
    "system control port A (it gates A20 and resets the machine)": (0x92,),
    "the APM/SMI command port (it enters System Management Mode)": (0xb2, 0xb3),
    "QEMU's exit device (power_off())": (0xf4, 0xf7),
    "COM1 (the frame's console)": (0x3f8, 0x3ff),
    "the PIC's trigger-mode registers (the frame's interrupt controller)": (0x4d0, 0x4d1),
    "QEMU's firmware configuration (its DMA interface writes any memory)": (0x510, 0x51b),
    "the ACPI power-management registers (power-off and sleep)": (0x600, 0x67f, 0xb000, 0xb03f),
    "PCI configuration and reset (use <frame/pci.h>)": (0xcf8, 0xcff),
    "QEMU's ACPI PCI hotplug registers (they eject devices)": (0xae00, 0xae13),
    "QEMU's ACPI CPU hotplug registers (they unplug CPUs)": (0xaf00, 0xaf1f),
    "the ACPI general-purpose event registers (the frame's ACPI events)": (0xafe0, 0xafe3),
    "QEMU's ACPI PCI and CPU hotplug registers on q35 (they eject devices)": (0xcc0, 0xce3),
}


def test_refused_ranges_busy_windows_and_real_devices(boot):
    result = boot(expect=(r"^io: done$",), forbid=(r"PANIC", r"is refused too"))
    refused = {}
    for line in result.lines:
        m = re.match(r"^io: port (0x[0-9a-f]+): (\S+) .*?: (.*)$", line)
        if m:
            assert m.group(2) == "ERR_DENIED", line
            refused[int(m.group(1), 16)] = m.group(3)
    assert refused == {port: owner for owner, ports in OWNERS.items() for port in ports}
    for owner in OWNERS:  # the warning names the owner too
        assert any(line.startswith("[WARN] io: ports ") and line.endswith(owner) for line in result.lines), owner
    for expected in ("io: a range across COM1: ERR_DENIED (kept by the frame)", "io: rtc seconds valid BCD",
                     "io: a second window on 0x71: ERR_BUSY (busy)", "io: after release: acquired again",
                     "io: i8042 status system flag 1"):
        assert expected in result.lines, expected


MISUSE = [
    ("outside", "io_in8: a 1-byte access at offset 2 leaves the window (ports 0x70-0x71)", "case_outside"),
    ("wide", "io_in32: a 4-byte access at offset 0 leaves the window (ports 0x70-0x71)", "case_wide"),
    ("misaligned", "io_in16: port 0x2f9 is not aligned for a 2-byte access", "case_misaligned"),
    ("read-only", "io_out8: the window (ports 0x70-0x71) was acquired read-only", "case_read_only"),
    ("released", "io_in8: <addr> is not a live port window (released already, or never acquired?)",
     "case_released"),
    ("i8042-reset", "io_out8: i8042 command 0xfe gates A20 or resets the machine: the frame keeps those",
     "case_i8042_reset"),
    ("cmos-nmi", "io_out8: CMOS index 0x80 has bit 7 set, which masks NMIs: write the index alone (0x00-0x7f)",
     "case_cmos_nmi"),
    ("empty", "io_ports_acquire: count must be at least 1", "case_empty"),
    ("wrap", "io_ports_acquire: ports 0x1 + 4294967295 pass the last port (0xffff)", "case_wrap"),
]


@pytest.mark.parametrize("case, text, caller", MISUSE, ids=[m[0] for m in MISUSE])
def test_port_window_misuse_panics_naming_function_rule_and_caller(boot, case, text, caller):
    pattern = re.escape(text).replace(re.escape("<addr>"), HEX)
    result = boot(cmdline=case, expect=(rf"^io: {case}$", rf"^PANIC: {pattern} \(called from {caller}\+{HEX} at main\.c:\d+\)$"),
                  exit_status=35)
    assert result.panic.location.function == text.split(":", 1)[0], result.panic.raw_lines


# Memory windows, BARs and DMA objects, on QEMU's edu device (BAR 0: 1 MiB of registers).
DEVICE_MISUSE = [
    ("mem-outside", "io_mem_read32: a 4-byte access at offset 0x100000 leaves the window (0x100000 bytes)",
     "case_mem_outside"),
    ("mem-misaligned", "io_mem_read32: offset 0x2 is not aligned for a 4-byte access", "case_mem_misaligned"),
    ("mem-released", "io_mem_read32: <addr> is not a live memory window (released already, or never acquired?)",
     "case_mem_released"),
    ("bar-twice", "pci_bar_ports: BAR 0 of 00:03.0 is device memory: pci_bar_map() is for memory BARs, "
     "pci_bar_ports() for I/O", "case_bar_twice"),
    ("dma-bogus-segment", "dma_map: the segment was freed (its last reference dropped) or never allocated",
     "case_dma_bogus_segment"),
    ("dma-free-mapped", "segment_put: the segment is mapped for DMA (1 mapping(s)): dma_unmap() it before dropping "
     "the last reference", "case_dma_free_mapped"),
    ("dma-outside", "dma_buffer_write: bytes 96..101 are outside the buffer (100 bytes)", "case_dma_outside"),
    ("dma-free-twice", "dma_buffer_free: <addr> is not a live DMA buffer (freed already?)", "case_dma_free_twice"),
]


@pytest.mark.parametrize("case, text, caller", DEVICE_MISUSE, ids=[m[0] for m in DEVICE_MISUSE])
def test_device_window_and_dma_misuse_panics_naming_function_rule_and_caller(boot, case, text, caller):
    pattern = re.escape(text).replace(re.escape("<addr>"), HEX)
    result = boot(cmdline=case, extra_args=("-device", "edu"), exit_status=35,
                  expect=(rf"^io: {case}$", rf"^PANIC: {pattern} \(called from {caller}\+{HEX} at main\.c:\d+\)$"))
    assert result.panic.location.function == text.split(":", 1)[0], result.panic.raw_lines
    if case == "bar-twice":  # before the panic: the BAR in one window at a time
        assert "io: a second window on BAR 0: ERR_BUSY (busy)" in result.lines
        assert "io: after release: mapped again" in result.lines


def test_the_drivers_page_lists_exactly_the_refused_ranges():
    """docs/drivers.md's deny table and this file's OWNERS (checked against the frame above) agree."""
    page = (pathlib.Path(__file__).parents[1] / "docs" / "drivers.md").read_text()
    rows = re.findall(r"^\| (0x[0-9a-f][^|]*)\| ([^|]+) \| ([^|]+) \|$", page, re.M)
    listed = {}
    for ports, owner, why in rows:
        for part in ports.split(","):
            if "except" in part:  # "0x80-0x8f except 0x80" is not used; ranges are exact
                raise AssertionError(part)
            first, _, last = part.strip().partition("-")
            listed[int(first, 16)] = f"{owner.strip().replace('`', '')} ({why.strip().replace('`', '')})"
            listed[int(last or first, 16)] = listed[int(first, 16)]
    assert listed == {port: owner for owner, ports in OWNERS.items() for port in ports}
