"""Boot paths, machines, memory sizes, command lines and modules: what the boot info API reports."""
import os
import subprocess
import time

import frame_build
import pytest
from frame_build import BUILD

pytestmark = pytest.mark.kernel("kernels/bootinfo")
DONE = r"bootinfo: done"


def fnv1a(data):
    return f"{frame_build.fnv1a(data):08x}"


def regions(result):
    """(base, length, type) of every region line the bootinfo kernel printed."""
    out = []
    for line in result.lines:
        if line.startswith("region: "):
            base, length, kind = line.split(" ", 3)[1:]
            out.append((int(base, 16), int(length, 16), kind))
    return out


@pytest.mark.parametrize("machine", ["pc", "q35"])
def test_direct_boot_on_each_machine(boot, machine):
    result = boot(machine=machine, expect=(r"loader: PVH", DONE), forbid=(r"PANIC", r"\[WARN\]"))
    usable = [r for r in regions(result) if r[2] == "usable"]
    assert usable, "no usable memory reported"
    assert f"usable: {sum(r[1] for r in usable)}" in result.lines


@pytest.mark.parametrize("machine", ["pc", "q35"])
def test_grub_boot_on_each_machine(boot, kernel, machine):
    boot(iso=kernel.iso, machine=machine, forbid=(r"PANIC", r"\[WARN\]"), timeout=60,
         expect=(r"loader: GRUB 2", r"framebuffer: 1024x768 type 1", DONE))  # the mode boot.S asks for


def test_the_longest_direct_command_line_arrives_whole(boot):
    cmdline = " ".join(f"arg{i:04d}=" + "x" * 7 for i in range(256))  # 256 * 16 - 1 bytes
    assert len(cmdline) == 4095  # what QEMU's PVH boot carries (qemu.DIRECT_CMDLINE_MAX)
    result = boot(cmdline=cmdline, expect=(r"cmdline length: 4095", DONE), forbid=(r"PANIC",))
    assert f"cmdline: [{cmdline}]" in result.lines


def test_odd_characters_in_the_command_line(boot):
    cmdline = 'quote="a b" tab=\ttab back\\slash ,comma; $dollar `tick` ünïcødé ~!@#%^&*()[]{}|<>?'
    result = boot(cmdline=cmdline, expect=(DONE,), forbid=(r"PANIC",))
    assert f"cmdline: [{cmdline}]" in result.lines
    assert f"cmdline length: {len(cmdline.encode())}" in result.lines


def test_32_mib_of_memory(boot):
    result = boot(memory="32M", expect=(DONE,), forbid=(r"PANIC",))
    usable = sum(r[1] for r in regions(result) if r[2] == "usable")
    assert 28 << 20 < usable <= 32 << 20


@pytest.mark.parametrize("machine", ["pc", "q35"])
def test_4_gib_of_memory_reaches_above_the_pci_hole(boot, machine):
    result = boot(memory="4G", machine=machine, expect=(DONE,), forbid=(r"PANIC",))
    high = [r for r in regions(result) if r[2] == "usable" and r[0] >= 1 << 32]
    assert high, f"no usable region above 4 GiB in {regions(result)}"
    usable = sum(r[1] for r in regions(result) if r[2] == "usable")
    assert usable > (4 << 30) - (1 << 20) * 2  # all 4 GiB but the legacy holes


def module_files():
    """Two module files: one to be named explicitly, one in a directory with a space and a comma,
    named after its file."""
    data = os.path.join(BUILD, "test-data", "modules 1,2")
    os.makedirs(data, exist_ok=True)
    first, second = os.path.join(data, "module-a.bin"), os.path.join(data, "module-b.txt")
    blob = bytes((i * 7 + 3) & 0xFF for i in range(10000))
    with open(first, "wb") as f:
        f.write(blob)
    with open(second, "wb") as f:
        f.write(b"second module\n")
    return (first, blob), (second, b"second module\n")


@pytest.mark.parametrize("path", ["direct", "grub"])
def test_modules_are_named_sized_and_readable(boot, kernel, path):
    (first, blob), (second, text) = module_files()
    result = boot(modules=[(first, "data.bin"), second], expect=(DONE,), forbid=(r"PANIC", r"\[WARN\]"),
                  **({"iso": kernel.iso, "timeout": 60} if path == "grub" else {}))
    assert ("loader: GRUB" if path == "grub" else "loader: PVH") in result.output
    mods = [l for l in result.lines if l.startswith("module: ")]
    assert mods == [
        f"module: [data.bin] size 10000 fnv {fnv1a(blob)}",
        f"module: [module-b.txt] size 14 fnv {fnv1a(text)}",
    ]


def test_a_bare_initrd_is_one_module_named_initrd(boot):
    """QEMU started by hand: "-initrd path" of a file that is not a module archive (PVH gives no name)."""
    (first, blob), _ = module_files()
    link = os.path.join(BUILD, "test-data", "bare,module.bin")
    if not os.path.exists(link):
        os.symlink(first, link)
    result = boot(extra_args=("-initrd", link), expect=(DONE,), forbid=(r"PANIC",))  # PVH: the name as is
    assert f"module: [initrd] size 10000 fnv {fnv1a(blob)}" in result.lines


def test_make_run_direct_passes_modules_and_refuses_a_bad_name():
    first, blob = os.path.join(BUILD, "test-data", "make-module.bin"), b"from make\n"
    with open(first, "wb") as f:
        f.write(blob)
    make = ["make", "--no-print-directory", "-s", "run-direct", "EXAMPLE=bootinfo"]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    rel = os.path.relpath(first, root)
    r = subprocess.run(make + [f"MODULES={rel}=prog"], cwd=root, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and f"module: [prog] size 10 fnv {fnv1a(blob)}" in r.stdout, r.stdout + r.stderr
    r = subprocess.run(make + [f"MODULES={rel}=prog:1"], cwd=root, capture_output=True, text=True, timeout=300)
    assert r.returncode != 0 and "the name 'prog:1' has a character that GRUB's menu cannot carry" \
        in r.stderr, r.stdout + r.stderr
    assert "Booting" not in r.stdout


@pytest.mark.kernel("../examples/hello")
def test_a_panic_before_the_console_still_exits_with_failure(boot):
    """A CPU without long mode is refused by the 32-bit entry, before any C code runs."""
    result = boot(extra_args=("-cpu", "qemu32"), exit_status=35, timeout=20,
                  expect=(r"PANIC: boot: this CPU has no 64-bit long mode",))
    assert result.duration < 15, "the early panic waited for a timeout instead of exiting"


@pytest.mark.kernel("../examples/hello")
@pytest.mark.parametrize("machine", ["pc", "q35"])
def test_power_off_without_the_exit_device_uses_acpi(kernel, machine):
    """No isa-debug-exit (real hardware, or QEMU started by hand): ACPI S5 ends QEMU, status 0."""
    start = time.monotonic()
    r = subprocess.run(["qemu-system-x86_64", "-M", machine, "-accel", "tcg", "-m", "128M", "-nic", "none",
                        "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot",
                        "-kernel", kernel.elf], capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    assert "Hello from the frame!" in r.stdout
    assert r.returncode == 0 and time.monotonic() - start < 20, (r.returncode, r.stderr)
