"""Device interrupts (tests/kernels/pci-irq): QEMU's edu device interrupts by MSI and by INTx, on
pc (the IOAPIC routes ISA lines), q35 and pc without ACPI (no MADT, so the PIC routes them);
e1000e by MSI-X, and by INTx through the PIC on a CPU without a local APIC; two edu devices share
one INTx line; a line whose handler never claims its interrupt is disabled; and misuse of the API
panics naming the function, the rule and the caller. Each case counts what arrived (irq_line_count)
and checks that a disabled line holds interrupts back and a freed one gets none."""
import re

import pytest

pytestmark = pytest.mark.kernel("kernels/pci-irq")

HEX = r"0x[0-9a-f]+"
EDU = ["-device", "edu,addr=5"]
TWO_EDUS = EDU + ["-device", "edu,addr=9"]  # slots 5 and 9 are on one PIRQ, so on one ISA line
E1000E = ["-device", "e1000e,addr=4,romfile="]  # no option ROM: the frame needs none
NO_ACPI = "pc,acpi=off"  # no MADT: the PIC routes the ISA lines, the local APIC still takes messages


def lines(*texts):
    """The kernel's lines "pci-irq: <text>", in order, as anchored patterns."""
    return tuple(rf"^pci-irq: {re.escape(text)}$" for text in texts)


@pytest.mark.parametrize("machine, case, kind", [
    ("pc", "msi", "MSI"),
    ("pc", "intx", "INTx"),
    ("pc", "any", "MSI"),  # edu has no MSI-X: the best it has
    ("q35", "msi", "MSI"),
    ("q35", "intx", "INTx"),
    (NO_ACPI, "intx", "INTx"),
])
def test_edu_interrupts_arrive_are_counted_masked_and_freed(boot, machine, case, kind):
    boot(cmdline=case, machine=machine, extra_args=EDU, forbid=(r"\[WARN\]",), expect=lines(
        f"edu 00:05.0 interrupts by {kind}",
        "edu: 8 raised, 8 counted",
        "edu: held back while disabled, delivered when enabled",
        "edu: 10! = 3628800, by interrupt",
        f"edu 00:05.0 interrupts by {kind}",
        "edu: freed and allocated again; 0 spurious",
        "done"))


@pytest.mark.parametrize("machine", ["pc", "q35"])
def test_e1000e_interrupts_by_msix_with_its_table_a_hole_in_the_bar(boot, machine):
    boot(cmdline="msix", machine=machine, extra_args=E1000E, forbid=(r"\[WARN\]",), expect=lines(
        "e1000e 00:04.0 interrupts by MSI-X",
        "e1000e: 8 raised, 8 counted",
        "e1000e: held back while disabled, delivered when enabled",
        "e1000e: BAR 3 mapped, pending bits 0x0",
        "e1000e: freed",
        "done"))


def test_without_a_local_apic_only_intx_through_the_pic(boot):
    boot(cmdline="no-apic", extra_args=["-cpu", "qemu64,-apic"] + E1000E, expect=lines(
        "no local APIC: MSI or MSI-X: ERR_UNSUPPORTED (not supported on this machine)",
        "e1000e 00:04.0 interrupts by INTx",
        "e1000e: 8 raised, 8 counted",
        "e1000e: held back while disabled, delivered when enabled",
        "done"))


@pytest.mark.parametrize("machine", ["pc", "q35", NO_ACPI])
def test_two_devices_share_one_intx_line_and_claim_their_own(boot, machine):
    boot(cmdline="shared", machine=machine, extra_args=TWO_EDUS, forbid=(r"\[WARN\]",), expect=(
        r"^pci-irq: shared: edu-a on ISA line (\d+), edu-b on ISA line \1$",) + lines(
        "edu-a 00:05.0 interrupts by INTx",
        "edu-b 00:09.0 interrupts by INTx",
        "shared: each handler claimed its own: 2 and 2",
        "shared: one line disabled, the other's interrupts still came",
        "shared: 0 spurious",
        "done"))


def test_a_line_whose_interrupts_nobody_claims_is_disabled(boot):
    boot(cmdline="storm", extra_args=EDU, expect=(
        r"^\[WARN\] irq: 1000 interrupts in a row on ISA line \d+ that no handler claimed .*: its lines are "
        r"disabled$",) + lines(
        "storm: stopped after 1000 spurious interrupts, 0 claimed",
        "storm: the line works again",
        "done"))


NOT_A_DEVICE = "<addr> is not a PCI device (pci_device_at(), pci_find() and pci_find_class() give them)"
TABLE = "touch the MSI-X table of 00:04.0 (offsets 0x0-0x4f of the window), which the frame programs"

# (case, devices, panic message, the function of tests/kernels/pci-irq/main.c that called the frame).
MISUSE = [
    ("bogus-device", EDU, "pci_irq_alloc: " + NOT_A_DEVICE, "case_bogus_device"),
    ("bad-kind", EDU, "pci_irq_alloc: allowed (0x8) is not a mix of PCI_IRQ_MSIX, PCI_IRQ_MSI and PCI_IRQ_INTX",
     "case_bad_kind"),
    ("bridge", EDU, "pci_irq_alloc: 00:00.0 is a bridge (class 06.00): its interrupts are the frame's",
     "case_bridge"),
    ("free-twice", EDU, "irq_line_free: <addr> is not an allocated interrupt line", "case_free_twice"),
    ("attach-plain", EDU, "irq_line_attach: a line from pci_irq_alloc() takes irq_line_attach_shared(), whose "
     "handler says whether the interrupt was its device's", "case_attach_plain"),
    ("raise-device", EDU, "irq_line_raise: the line is a PCI device's: only lines from irq_line_alloc() can be "
     "raised", "case_raise_device"),
    ("kind-of-soft-line", EDU, "pci_irq_kind: <addr> is not a line from pci_irq_alloc()", "case_kind_of_soft_line"),
    ("touch-msix-table", E1000E, "io_mem_write32: 4 bytes at offset 0x10 " + TABLE, "case_touch_msix_table"),
    ("read-msix-table", E1000E, "io_mem_read: 64 bytes at offset 0x40 " + TABLE, "case_read_msix_table"),
]


def message(text):
    """A literal panic message; "<addr>" stands for any hexadecimal address."""
    return re.escape(text).replace(re.escape("<addr>"), HEX)


@pytest.mark.parametrize("case, devices, text, caller", MISUSE, ids=[m[0] for m in MISUSE])
def test_misuse_panics_naming_function_rule_and_caller(boot, case, devices, text, caller):
    result = boot(cmdline=case, extra_args=devices, exit_status=35, expect=(
        rf"^pci-irq: {case}$", rf"^PANIC: {message(text)} \(called from {caller}\+{HEX} at main\.c:\d+\)$"))
    assert result.panic.location.function == text.split(":", 1)[0], result.panic.raw_lines
