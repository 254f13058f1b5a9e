"""hello boots by both paths, prints the boot info, and powers off with success."""
from frameharness import boot, kernel_paths

KERNEL, ISO = kernel_paths(__file__)
GREETING = (r"Hello from the frame!", r"bootloader: \S", r"usable memory: [1-9]\d* KiB", r"\[0x0+, 0x[0-9a-f]+\) usable")


def test_hello_direct():
    boot(KERNEL, expect=GREETING, forbid=(r"PANIC", r"\[WARN\]"))


def test_hello_through_grub():
    result = boot(KERNEL, iso=ISO, expect=GREETING, forbid=(r"PANIC", r"\[WARN\]"), timeout=60)
    assert any(line.startswith("bootloader: GRUB") for line in result.lines)
