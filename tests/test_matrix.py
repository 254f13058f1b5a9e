"""A small matrix of machines: CPU models, CPU counts, memory sizes, q35 booting the ISO from a hard
disk, and isapc (no ACPI, no IOAPIC, no PCI). On each, hello and the ktest kernel (every in-kernel
test passes, and the lines they print say which interrupt controller and PCI host bridge the frame
found there)."""
import os
import shutil
from pathlib import Path

import pytest
from frame_build import BUILD

from frameharness import ktap
from frameharness.qemu import OVMF_INSTALL, ovmf_files

GREETING = (r"Hello from the frame!", r"bootloader: \S", r"usable memory: [1-9]\d* KiB")
IOAPIC = "# IOAPIC at 0xfec00000, GSI base 0, ISA 0 on GSI 2"
NO_IOAPIC = "# no IOAPIC in ACPI: ISA lines through the PIC"
NO_ACPI = "# no ACPI tables on this machine"
NO_PCI = "# no PCI devices on this machine"
I440FX = "# PCI host bridge 8086:1237"
Q35_MCH = "# PCI host bridge 8086:29c0"


def disk(iso, name):
    """Boot a copy of the ISO (a disk is writable; the ISO may be some other test's CD meanwhile) as the
    first hard disk (boot(disk=): the CD drive empty, so nothing else can boot)."""
    logs = Path(os.environ.get("FRAME_TEST_LOGS") or os.path.join(BUILD, "test-logs"))
    logs.mkdir(parents=True, exist_ok=True)
    copy = logs / f"{name}.disk.iso"
    shutil.copyfile(iso, copy)
    return dict(disk=copy, timeout=90)


# name: (boot() arguments, the lines the ktest kernel must print, lines it must not print)
PC = ((IOAPIC, I440FX), (NO_IOAPIC, NO_ACPI, NO_PCI))
MACHINES = {
    "core2duo": (dict(extra_args=("-cpu", "core2duo")), *PC),
    "Nehalem": (dict(extra_args=("-cpu", "Nehalem")), *PC),
    "EPYC": (dict(extra_args=("-cpu", "EPYC")), *PC),
    "Icelake-Server": (dict(extra_args=("-cpu", "Icelake-Server")), *PC),  # TCG warns of features it lacks
    "smp4": (dict(extra_args=("-smp", "4")), *PC),
    "24M": (dict(memory="24M"), *PC),
    "5G": (dict(memory="5G"), *PC),
    "q35-disk": (dict(machine="q35"), (IOAPIC, Q35_MCH), (NO_IOAPIC, NO_ACPI, NO_PCI, I440FX)),
    # The ISO's EFI system partition, found on a hard disk by OVMF (a USB stick on a real PC boots so).
    "q35-disk-uefi": (dict(machine="q35", firmware="uefi"), (IOAPIC, Q35_MCH), (NO_IOAPIC, NO_ACPI, NO_PCI, I440FX)),
    # isapc's default CPU is a 486; the frame needs long mode. -cpu qemu64 is what pc has.
    "isapc": (dict(machine="isapc", extra_args=("-cpu", "qemu64")), (NO_IOAPIC, NO_ACPI, NO_PCI),
              (IOAPIC, I440FX, Q35_MCH)),
    # Through GRUB: its VGA mode there is 640x480 of 1 bit, which the frame does not draw in (no warning).
    "isapc-iso": (dict(machine="isapc", extra_args=("-cpu", "qemu64")), (NO_IOAPIC, NO_ACPI, NO_PCI),
                  (IOAPIC, I440FX, Q35_MCH)),
}


def args_for(name, kernel):
    args, _, _ = MACHINES[name]
    if name.startswith("q35-disk"):
        if "firmware" in args and ovmf_files() is None:
            pytest.skip(f"OVMF is not installed: {OVMF_INSTALL}")
        return {**args, **disk(kernel.iso, f"{Path(kernel.elf).stem}-{name}")}
    if name == "isapc-iso":
        return {**args, "iso": kernel.iso, "timeout": 60}
    return args


@pytest.mark.kernel("kernels/ktest")
@pytest.mark.parametrize("name", [name for name in MACHINES if name != "q35-disk-uefi"])  # UEFI: tests/test_uefi.py
def test_ktest_on(boot, kernel, name):
    _, present, absent = MACHINES[name]
    # A debug log names the interrupt controller the frame chose (a disk boot's command line is GRUB's).
    cmdline = {} if name.startswith("q35-disk") or name.endswith("-iso") else dict(cmdline="loglevel=debug")
    result = boot(**args_for(name, kernel), **cmdline, expect=(r"# ktest: \d+ passed",), forbid=(r"PANIC",))
    run = ktap.parse(result.lines)
    failed = [r.name for r in run.results if not r.ok]
    assert not failed and not run.truncated and run.plan == len(run.results), f"failed: {failed}"
    for line in present:
        assert line in result.lines, f"{line!r} not printed"
    for line in absent:
        assert line not in result.lines, f"{line!r} printed"
    if cmdline:
        chip = "PIC" if name.startswith("isapc") else "IOAPIC"
        assert f"[DEBUG] irq: ISA lines through the {chip}" in result.lines


@pytest.mark.kernel("../examples/hello")
@pytest.mark.parametrize("name", MACHINES)
def test_hello_on(boot, kernel, name):
    result = boot(**args_for(name, kernel), expect=GREETING, forbid=(r"PANIC", r"\[WARN\]"))
    usable = next(int(line.split()[2]) for line in result.lines if line.startswith("usable memory: "))
    if name == "24M":
        assert 20 << 10 < usable <= 24 << 10
    elif name == "5G":
        assert usable > (5 << 20) - (2 << 10)  # all 5 GiB but the legacy holes, in KiB
    if name.startswith("q35-disk") or name.endswith("-iso"):
        assert any(line.startswith("bootloader: GRUB") for line in result.lines)
