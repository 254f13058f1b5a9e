"""The IOMMU: on -M q35 -device intel-iommu the frame turns DMA remapping on and maps for each of
two QEMU edu devices only its own DMA objects. A write to a segment mapped for the device to
read (alone, or once the mapping for it to write is gone), a write to the address of a mapping
that was undone, and the second device's write into the first one's buffer are each blocked,
reported (device, direction, address, reason), and leave the canary there unchanged; a round
trip through a coherent buffer, a read of the read-only mapping and a write while both mappings
live still work. Without an IOMMU (-M pc, or q35 without one) the same kernel shows the writes
landing, which is what the IOMMU stops (tests/kernels/iommu). Message interrupts (MSI, MSI-X)
still arrive with translation on (tests/kernels/pci-irq)."""
import pytest

pytestmark = pytest.mark.kernel("kernels/iommu")

HEX = r"0x[0-9a-f]+"
DEVICE = r"[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]"
EDUS = ("-device", "edu", "-device", "edu")
BLOCKED = (rf"^\[WARN\] iommu: blocked a DMA write by ({DEVICE}) at page ({HEX}): not writable for it: not one of "
           r"its DMA objects, or one it may only read \(fault reason 5\)$")


def test_the_iommu_blocks_and_reports_what_is_not_the_devices(boot):
    result = boot(machine="q35", extra_args=("-device", "intel-iommu", *EDUS), cmdline="loglevel=debug",
                  expect=(r"^\[DEBUG\] iommu: the unit at 0xfed90000 translates: 3-level tables, \d+ domains, "
                          r"\d+ fault records$",
                          rf"^\[DEBUG\] iommu: ({DEVICE}) gets domain 1$",
                          r"^round trip: frame to edu and back$",
                          rf"^read-only mapping at ({HEX}): the device writes it$", BLOCKED,  # 3, 4
                          r"^read-only mapping: unchanged$",
                          r"^read-only mapping: the device read it$",
                          r"^two mappings: written$",
                          rf"^one mapping left at ({HEX}): the device writes it$", BLOCKED,  # 8, 9
                          r"^one mapping left: unchanged$",
                          r"^one mapping left: the device read it$",
                          rf"^stale address at ({HEX}): the device writes it$", BLOCKED,  # 12, 13
                          r"^stale address: unchanged$",
                          rf"^\[DEBUG\] iommu: ({DEVICE}) gets domain 2$",
                          rf"^the other device ({DEVICE}) writes ({HEX})$", BLOCKED,  # 16, 17
                          r"^the other device: unchanged$"),
                  forbid=(r"PANIC", r"overwritten"))
    m = result.matches
    first, second = m[1].group(1), m[15].group(1)
    assert m[16].group(1) == second
    for device, address, fault in ((first, m[3].group(1), m[4]), (first, m[8].group(1), m[9]),
                                   (first, m[12].group(1), m[13]), (second, m[16].group(2), m[17])):
        assert (fault.group(1), fault.group(2)) == (device, address), fault.group(0)
    assert sum("iommu: blocked" in line for line in result.lines) == 4, result.output


@pytest.mark.parametrize("machine", ["pc", "q35"])
def test_without_an_iommu_the_writes_land(boot, machine):
    boot(machine=machine, extra_args=EDUS, cmdline="loglevel=debug",
         expect=(r"^\[DEBUG\] iommu: no DMA remapping: devices reach all of memory$",
                 r"^round trip: frame to edu and back$",
                 r"^read-only mapping: overwritten$",
                 r"^read-only mapping: the device read it$",
                 r"^two mappings: written$",
                 r"^one mapping left: overwritten$",
                 r"^one mapping left: the device read it$",
                 r"^stale address: overwritten$",
                 r"^the other device: overwritten$"),
         forbid=(r"PANIC", r"iommu: blocked", r"unchanged"))


@pytest.mark.kernel("kernels/pci-irq")
@pytest.mark.parametrize("case, device, kind", [("msi", "edu,addr=5", "MSI"),
                                               ("msix", "e1000e,addr=4,romfile=", "MSI-X")])
def test_message_interrupts_pass_with_translation_on(boot, case, device, kind):
    """Without interrupt remapping, a device's messages are not translated: they arrive as before."""
    name = device.split(",")[0]
    boot(cmdline=case, machine="q35", extra_args=("-device", "intel-iommu", "-device", device),
         forbid=(r"\[WARN\]", r"PANIC"),
         expect=(rf"^pci-irq: {name} {DEVICE} interrupts by {kind}$", rf"^pci-irq: {name}: 8 raised, 8 counted$",
                 r"^pci-irq: done$"))
