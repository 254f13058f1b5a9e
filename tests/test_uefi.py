"""The GRUB ISO under UEFI (OVMF), on pc and q35, and the device-less examples under the BIOS too:
it boots, and the frame takes what UEFI gives (the firmware's memory map from GRUB's EFI
memory-map tag, the RSDP from GRUB's ACPI tag, the GOP framebuffer; serial still COM1)."""
import os
import subprocess

import pytest
from frame_build import BUILD, ROOT, fnv1a

from frameharness import ktap
from frameharness.qemu import OVMF_INSTALL, ovmf_files

pytestmark = pytest.mark.skipif(ovmf_files() is None, reason=f"OVMF is not installed: {OVMF_INSTALL}")

MACHINES = ["pc", "q35"]
TIMEOUT = 90  # OVMF takes seconds to start under TCG, more on a loaded machine
FORBID = (r"PANIC", r"\[WARN\]")  # e.g. "acpi: the boot loader's RSDP copy is broken"
DONE = r"bootinfo: done"


def uefi_boot(boot, kernel, machine, firmware="uefi", **kwargs):
    return boot(iso=kernel.iso, machine=machine, firmware=firmware, timeout=TIMEOUT, **kwargs)


# The examples without devices: the same ISO under both firmwares on both machines (under the
# BIOS on pc, the examples' own tests boot it; the others' own tests boot their ISO under both:
# examples/{edu,disk,programs,typewriter}, tests/test_hostile.py).
BOTH = pytest.mark.parametrize("machine, firmware", [("pc", "uefi"), ("q35", "bios"), ("q35", "uefi")])


@pytest.mark.kernel("../examples/hello")
@BOTH
def test_hello_boots_under_uefi(boot, kernel, machine, firmware):
    uefi_boot(boot, kernel, machine, firmware, expect=(r"^Hello from the frame!$",), forbid=FORBID)


@pytest.mark.kernel("../examples/userspace")
@BOTH
def test_userspace_under_uefi(boot, kernel, machine, firmware):
    uefi_boot(boot, kernel, machine, firmware, expect=(r"^Hello, world$", r"^user program exited with status 0$"),
              forbid=(r"PANIC", r"user program: "))


@pytest.mark.kernel("../examples/timer")
@BOTH
def test_timer_under_uefi(boot, kernel, machine, firmware):
    # The clock calibrated and the timer interrupt routed (IOAPIC from ACPI) under UEFI too.
    uefi_boot(boot, kernel, machine, firmware,
              expect=tuple(rf"^tick {n}$" for n in range(1, 11)) + (r"^elapsed: ",), forbid=FORBID)


# Modules GRUB places where it likes: under UEFI a small one below 640 KiB (ordinary RAM in the
# firmware's map), an empty one at address 0. The frame must hand out every one, whole.
MODULES = {"large": bytes(range(256)) * 4096, "small": b"x", "empty": b""}  # 1 MiB, 1 byte, none


def write_modules(tmp_path):
    for name, data in MODULES.items():
        (tmp_path / name).write_bytes(data)
    return [(str(tmp_path / name), name) for name in MODULES]


def check_modules(result):
    for name, data in MODULES.items():
        assert f"module: [{name}] size {len(data)} fnv {fnv1a(data):08x}" in result.lines, result.output


@pytest.mark.kernel("kernels/bootinfo")
@pytest.mark.parametrize("machine", MACHINES)
def test_boot_information_under_uefi(boot, kernel, machine, tmp_path):
    cmdline = "uefi=yes path=/a/b loglevel=debug"
    result = uefi_boot(boot, kernel, machine, cmdline=cmdline, forbid=FORBID, modules=write_modules(tmp_path),
                       expect=(r"^\[DEBUG\] boot: memory map from UEFI: \d+ entries in \d+ regions$",
                               r"loader: GRUB 2", r"framebuffer: \d+x\d+ type 1", DONE))  # GOP: RGB, no text
    assert f"cmdline: [{cmdline}]" in result.lines
    regions = [line.split(" ", 3)[1:] for line in result.lines if line.startswith("region: ")]
    usable = [int(length, 16) for base, length, kind in regions if kind == "usable"]
    assert len(usable) > 1, "OVMF's map has several usable ranges around its own"
    assert 100 << 20 < sum(usable) <= 128 << 20  # -m 128M
    assert f"usable: {sum(usable)}" in result.lines
    check_modules(result)


@pytest.mark.kernel("kernels/ktest")
@pytest.mark.parametrize("machine", MACHINES)
def test_ktest_under_uefi(boot, kernel, machine):
    """Every frame test passes under UEFI, on pc and q35, among them
    irqchip_is_the_ioapic_acpi_finds_else_the_pic, which finds the IOAPIC through ACPI: OVMF keeps
    the RSDP out of the BIOS area, so the frame must take it from GRUB's tag."""
    result = boot(iso=kernel.iso, machine=machine, firmware="uefi", timeout=TIMEOUT, memory="1G",
                  exit_status=None, expect=(r"# ktest: \d+ passed",), forbid=(r"PANIC",), name=f"ktest-uefi-{machine}")
    run = ktap.parse(result.lines)
    assert run.results and not run.truncated
    assert any(r.name == "irqchip_is_the_ioapic_acpi_finds_else_the_pic" and r.ok and not r.skip
               for r in run.results)
    assert any(line.startswith("# IOAPIC at 0xfec00000") for line in result.lines), result.lines  # found by ACPI
    failed = [r.name for r in run.results if not r.ok]
    assert not failed, f"failed under UEFI on {machine}: {failed}"


BOOTINFO_DIR = os.path.join(ROOT, "tests", "kernels", "bootinfo")
MAKE_BUILD = os.path.join(BUILD, "tests", "uefi-make")


def make(*args):
    return subprocess.run(["make", "-s", "-C", BOOTINFO_DIR, f"SDK={os.path.join(BUILD, 'sdk')}",
                           f"BUILD={MAKE_BUILD}", *args], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=300)


def test_make_run_firmware_uefi_boots_the_iso_with_a_copy_of_the_variable_store():
    template = ovmf_files()[1]
    before = os.stat(template).st_mtime_ns
    r = make("run", "FIRMWARE=uefi", "CMDLINE=via make, under UEFI")
    assert "loader: GRUB 2" in r.stdout and "cmdline: [via make, under UEFI]" in r.stdout, r.stdout + r.stderr
    assert "bootinfo: done" in r.stdout
    assert os.path.exists(os.path.join(MAKE_BUILD, "ovmf-vars.fd"))  # the copy, in the kernel's build
    assert os.stat(template).st_mtime_ns == before


def test_make_run_direct_refuses_uefi_saying_what_to_use():
    r = make("run-direct", "FIRMWARE=uefi")
    assert r.returncode != 0
    assert "boots only under the BIOS" in r.stderr and "make run FIRMWARE=uefi" in r.stderr, r.stderr


@pytest.mark.kernel("kernels/bootinfo")
def test_modules_through_grub_under_the_bios_large_small_and_empty(boot, kernel, tmp_path):
    """As under UEFI (test_boot_information_under_uefi): BIOS GRUB gives the empty one address 0."""
    check_modules(boot(iso=kernel.iso, modules=write_modules(tmp_path), expect=(DONE,), forbid=FORBID, timeout=60))
