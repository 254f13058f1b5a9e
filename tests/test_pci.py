"""PCI: the functions the frame finds are exactly the ones QEMU was given, on pc (the legacy
configuration ports) and on q35 (ECAM, with a PCI bridge and a PCI Express root port that have
devices behind them); and misuse of the PCI API panics naming the function, the rule and the
caller (tests/kernels/pci, a command-line case each)."""
import re

import pytest

pytestmark = pytest.mark.kernel("kernels/pci")

HEX = r"0x[0-9a-f]+"

# What tests/kernels/pci prints after "pci <bus>:<slot>.<function> " for each kind of device.
EDU = "1234:11e8 class=00.ff.00 rev=10 pin=1 cfg=256 bar0=mem32:0x100000 caps=05@40"
VGA = "1234:1111 class=03.00.00 rev=02 pin=0 cfg=256 bar0=mem32,prefetchable:0x1000000 bar2=mem32:0x1000"
PCI_BRIDGE = "1b36:0001 class=06.04.00 rev=00 pin=1 cfg=256 bridge bar0=mem64:0x100 caps=04@48,05@4c,0c@40"
ROOT_PORT = "1b36:000c class=06.04.00 rev=00 pin=1 cfg=4096 bridge bar0=mem32:0x1000 caps=0d@40,10@54,11@48"
VIRTIO_RNG = ("1af4:1044 class=00.ff.00 rev=01 pin=1 cfg=4096 bar1=mem32:0x1000 bar4=mem64,prefetchable:0x4000 "
              "caps=01@7c,09@c8,09@b4,09@a4,09@94,09@84,10@40,11@dc")

# The devices QEMU 7.2 puts on each machine by itself (as its monitor's "info pci" shows them).
BUILT_IN = {
    "pc": [
        ("00:00.0", "8086:1237 class=06.00.00 rev=02 pin=0 cfg=256"),  # 440FX host bridge
        ("00:01.0", "8086:7000 class=06.01.00 rev=00 pin=0 cfg=256"),  # PIIX3 ISA bridge
        ("00:01.1", "8086:7010 class=01.01.80 rev=00 pin=0 cfg=256 bar4=io:0x10"),  # PIIX3 IDE
        ("00:01.3", "8086:7113 class=06.80.00 rev=03 pin=1 cfg=256"),  # PIIX4 ACPI
        ("00:02.0", VGA),
    ],
    "q35": [
        ("00:00.0", "8086:29c0 class=06.00.00 rev=00 pin=0 cfg=256"),  # Q35 host bridge
        ("00:01.0", VGA),
        ("00:1f.0", "8086:2918 class=06.01.00 rev=02 pin=0 cfg=256"),  # ICH9 LPC
        ("00:1f.2", "8086:2922 class=01.06.01 rev=02 pin=1 cfg=256 bar4=io:0x20 bar5=mem32:0x1000 "
                    "caps=05@80,12@a8"),  # ICH9 AHCI
        ("00:1f.3", "8086:2930 class=0c.05.00 rev=02 pin=1 cfg=256 bar4=io:0x40"),  # ICH9 SMBus
    ],
}

# The devices each test adds: (QEMU -device argument, where it appears, what it is). The
# firmware numbers the buses behind bridges in slot order: br0's is bus 1, rp0's bus 2.
ADDED = {
    "pc": [
        ("edu,addr=5", "00:05.0", EDU),
    ],
    "q35": [
        ("edu,addr=5", "00:05.0", EDU),
        ("pci-bridge,id=br0,chassis_nr=1,addr=6", "00:06.0", PCI_BRIDGE),
        ("edu,bus=br0,addr=3", "01:03.0", EDU),
        ("pcie-root-port,id=rp0,chassis=2,addr=7", "00:07.0", ROOT_PORT),
        ("virtio-rng-pci,bus=rp0", "02:00.0", VIRTIO_RNG),
    ],
}


def device_args(machine):
    return [a for arg, _, _ in ADDED[machine] for a in ("-device", arg)]


def expected_lines(machine):
    """Every function, in bus, slot, function order, as the kernel prints it."""
    devices = BUILT_IN[machine] + [(where, what) for _, where, what in ADDED[machine]]
    return [f"pci {where} {what}" for where, what in sorted(devices)]


@pytest.mark.parametrize("machine", ["pc", "q35"])
def test_enumeration_matches_the_devices_qemu_was_given(boot, machine):
    result = boot(machine=machine, extra_args=device_args(machine),
                  expect=(r"^edu: memory decoding on, msi at 0x40$",))
    found = [line for line in result.lines if line.startswith("pci ")]
    assert found == expected_lines(machine), "\n".join(["found:"] + found + ["expected:"] + expected_lines(machine))
    assert f"pci: {len(found)} functions" in result.lines
    edus = sum(EDU in line for line in found)
    class_00ff = sum("class=00.ff." in line for line in found)
    assert f"find: {edus} by id 1234:11e8, {class_00ff} by class 00.ff" in result.lines, result.output


def message(text):
    """A literal panic message; "<addr>" stands for any hexadecimal address."""
    return re.escape(text).replace(re.escape("<addr>"), HEX)


NOT_A_DEVICE = "<addr> is not a PCI device (pci_device_at(), pci_find() and pci_find_class() give them)"

# (case, machine, message, the function of tests/kernels/pci/main.c that called the frame).
MISUSE = [
    ("write-bar", "pc", "pci_config_write32: offset 0x14 is in BAR 1: the BARs are the frame's", "case_write_bar"),
    ("write-header", "pc", "pci_config_write16: offset 0x4 is in the standard header (below 0x40), which is the "
     "frame's: pci_enable() sets the command register's enable bits", "case_write_header"),
    ("write-misaligned", "pc", "pci_config_write32: offset 0x82 is not aligned to 4 bytes", "case_write_misaligned"),
    ("write-out-of-range", "pc", "pci_config_write8: offset 0x100 is past the end of 00:05.0's configuration space "
     "(256 bytes)", "case_write_out_of_range"),
    ("read-out-of-range", "pc", "pci_config_read32: offset 0xffc is past the end of 00:05.0's configuration space "
     "(256 bytes)", "case_read_out_of_range"),
    ("read-misaligned", "pc", "pci_config_read16: offset 0x3 is not aligned to 2 bytes", "case_read_misaligned"),
    ("write-msi", "pc", "pci_config_write32: offset 0x44 is inside the MSI capability at 0x40, which is the frame's",
     "case_write_msi"),
    ("write-cap-header", "pc", "pci_config_write8: offset 0x41 is in the header of the capability at 0x40: the "
     "capability list is the frame's", "case_write_cap_header"),
    ("write-extended", "q35", "pci_config_write32: offset 0x100 is in extended configuration space, which is the "
     "frame's", "case_write_extended"),
    ("write-msix", "q35", "pci_config_write16: offset 0xde is inside the MSI-X capability at 0xdc, which is the "
     "frame's", "case_write_msix"),
    ("write-flr", "q35", "pci_config_write16: offset 0x48 is inside the PCI Express capability at 0x40, which is "
     "the frame's", "case_write_flr"),
    ("enable-bridge", "pc", "pci_enable: 00:00.0 is a bridge: its command register is the frame's",
     "case_enable_bridge"),
    ("write-bridge", "pc", "pci_config_write8: 00:00.0 is a bridge (class 06.00): its registers are the frame's",
     "case_write_bridge"),
    ("device-at", "pc", "pci_device_at: index 6 is out of range (6 devices)", "case_device_at"),
    ("bogus-device", "pc", "pci_device_info: " + NOT_A_DEVICE, "case_bogus_device"),
    ("bogus-after", "pc", "pci_find: after: " + NOT_A_DEVICE, "case_bogus_after"),
    ("bar-index", "pc", "pci_device_bar: BAR 6 does not exist (0-5)", "case_bar_index"),
    ("cap-after", "pc", "pci_find_capability: after (0x41) is not a capability of 00:05.0", "case_cap_after"),
    ("enable-master", "pc", "pci_enable: flags 0x4: only PCI_ENABLE_IO and PCI_ENABLE_MEMORY (the bus-master bit "
     "is the frame's)", "case_enable_master"),
]


@pytest.mark.parametrize("case, machine, text, caller", MISUSE, ids=[m[0] for m in MISUSE])
def test_misuse_panics_naming_function_rule_and_caller(boot, case, machine, text, caller):
    result = boot(cmdline=case, machine=machine, extra_args=device_args(machine),
                  expect=(rf"^misuse: {case}$", rf"^PANIC: {message(text)} \(called from {caller}\+{HEX} at main\.c:\d+\)$"),
                  exit_status=35)
    assert result.panic.location.function == text.split(":", 1)[0], result.panic.raw_lines
