"""edu drives QEMU's teaching PCI device through the frame's driver API: found by enumeration,
its registers through a memory window, its interrupt by MSI, its factorial, and its DMA engine
through a coherent buffer and a streaming mapping, each job ending in an interrupt, on -M pc and
-M q35 (with an IOMMU and without); and it stays within 100 lines."""
import pathlib

import pytest
from frameharness.qemu import OVMF_INSTALL, ovmf_files

EXPECT = (r"^edu 00:0[0-9a-f]\.0, version 1\.0$", r"^interrupt by MSI$", r"^10! = 3628800$",
          r"^dma: frame to edu and back$", r"^segment: frame to edu and back$", r"^interrupts: 4$")


@pytest.mark.parametrize("machine, iommu", [("pc", ()), ("q35", ()), ("q35", ("-device", "intel-iommu"))],
                         ids=["pc", "q35", "q35-iommu"])
def test_edu_registers_factorial_and_dma(boot, machine, iommu):
    boot(machine=machine, extra_args=(*iommu, "-device", "edu"), expect=EXPECT, forbid=(r"PANIC", r"\[WARN\]"))


@pytest.mark.parametrize("firmware", ["bios", "uefi"])
@pytest.mark.parametrize("machine", ["pc", "q35"])
def test_edu_through_the_iso(boot, kernel, machine, firmware):
    """The ISO under the BIOS and under UEFI (OVMF): the device found by enumeration and driven alike."""
    if firmware == "uefi" and ovmf_files() is None:
        pytest.skip(f"OVMF is not installed: {OVMF_INSTALL}")
    boot(iso=kernel.iso, firmware=firmware, machine=machine, timeout=90, extra_args=("-device", "edu"),
         expect=EXPECT, forbid=(r"PANIC", r"\[WARN\]"))


def test_without_the_device_it_says_what_to_do(boot):
    result = boot(expect=(r"^PANIC: no edu device: run QEMU with -device edu$",), exit_status=35)
    assert result.panic.location.function == "kernel_main"


def test_stays_within_100_lines():
    assert len((pathlib.Path(__file__).parent / "main.c").read_text().splitlines()) <= 100
