"""Hostile user programs: each attack is reported as what it is, and the kernel goes on."""
import pytest
from frameharness.qemu import OVMF_INSTALL, ovmf_files

pytestmark = pytest.mark.kernel("kernels/hostile")
KERNEL_ADDR = "0xffffffff80200000"
EXPECTED = {
    "write_null": r"exit\(-14\)",  # -EFAULT returned to the program
    "write_kernel": r"exit\(-14\)",
    "write_noncanonical": r"exit\(-14\)",
    "write_into_unmapped": r"exit\(-14\)",
    "halt": r"#GP general protection at 0x4[0-9a-f]+",
    "clear_interrupts": r"#GP general protection",
    "port_in": r"#GP general protection",
    "port_out": r"#GP general protection",
    "write_msr": r"#GP general protection",
    "write_cr3": r"#GP general protection",
    "read_kernel": rf"#PF page fault at 0x4[0-9a-f]+, address {KERNEL_ADDR}",
    "write_kernel_memory": rf"#PF page fault at 0x4[0-9a-f]+, address {KERNEL_ADDR}",
    "jump_to_kernel": rf"#PF page fault at {KERNEL_ADDR}, address {KERNEL_ADDR}",
    "syscall_at_the_top": r"#GP general protection at 0x800000000000,",  # never returned to by SYSRET
    "raise_iopl_with_popf": r"#GP general protection",  # popf left IOPL at 0: port I/O still faults
    "divide_by_zero": r"#DE divide error",
    "breakpoint": r"#BP breakpoint",
    "invalid_opcode": r"#UD invalid opcode",
    "garbage_stack_then_syscall": r"(#GP general protection|#SS stack-segment fault) at 0x4[0-9a-f]+",
    # TF set right before SYSCALL: FMASK clears it, so no single-step trap lands in the kernel;
    # the flags are sanitized on the way back and the program reaches its ud2.
    "single_step_into_syscall": r"(#UD invalid opcode|#DB debug) at 0x4[0-9a-f]+",
    # MMX is the program's own state now (tests/test_fpu.py): it runs on into store_gdt_address.
    "mmx_register": r"(#GP general protection at 0x4[0-9a-f]+|exit\(0\))",
    "store_gdt_address": r"(#GP general protection|exit\(0\))",  # #GP where the CPU has UMIP
    "report_flags": r"exit\(514\)$",  # 0x202: IF (and the bit that is always 1)
}
# Registers the kernel set to hostile values before the run (report_flags exits with RFLAGS as the
# program saw them): the frame sanitizes the flags, or refuses to enter user mode and comes back
# as if the program had raised #GP at its first instruction (nothing ran). (A non-canonical RIP is
# refused too, but under QEMU an IRET to one faults in user mode, as the refusal looks: no test.)
CONTEXTS = {
    # 0xed7 = IF, bit 1 and the arithmetic flags; IOPL, TF, NT, AC, ID... were stripped
    "all_flags": r"exit\(3799\)$",
    "all_flags_sysret": r"exit\(3799\)$",
    "rsp_noncanonical": r"#GP general protection at 0x400000, address 0x0$",  # IRET: a fault in ring 0
    "fs_base_noncanonical": r"#GP general protection at 0x400000, address 0x0$",  # WRMSR: a fault in ring 0
}


@pytest.mark.parametrize("cpu, machine, firmware", [("qemu64", "pc", "bios"), ("max", "pc", "bios"),
                                                    ("qemu64", "pc", "uefi"), ("qemu64", "q35", "uefi")],
                         ids=["qemu64", "max", "uefi-pc", "uefi-q35"])  # max: SMEP, SMAP and UMIP on
def test_every_attack_is_reported_and_the_kernel_survives(boot, kernel, cpu, machine, firmware):
    """Directly under the BIOS; through the ISO under UEFI (OVMF), on pc and q35."""
    expect = tuple(rf"^attack {name}: {outcome}" for name, outcome in EXPECTED.items())
    expect += tuple(rf"^context {name}: {outcome}" for name, outcome in CONTEXTS.items())
    uefi = dict(iso=kernel.iso, firmware="uefi", timeout=90) if firmware == "uefi" else {}
    if uefi and ovmf_files() is None:
        pytest.skip(f"OVMF is not installed: {OVMF_INSTALL}")
    result = boot(extra_args=("-cpu", cpu), machine=machine, forbid=(r"PANIC",), **uefi,
                  expect=expect + (rf"hostile: {len(EXPECTED)} attacks, the kernel survived them all; "
                                   r"frames leaked: 0$",))
    assert sum(line.startswith("attack ") for line in result.lines) == len(EXPECTED)
    if cpu == "max":
        assert "attack store_gdt_address: #GP general protection" in result.output
