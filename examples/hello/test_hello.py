"""hello boots by both paths, prints the boot info, and powers off with success."""

GREETING = (r"Hello from the frame!", r"bootloader: \S", r"usable memory: [1-9]\d* KiB", r"\[0x0+, 0x[0-9a-f]+\) usable")


def test_hello_direct(boot):
    boot(expect=GREETING, forbid=(r"PANIC", r"\[WARN\]"))


def test_hello_through_grub(boot, kernel):
    result = boot(iso=kernel.iso, expect=GREETING, forbid=(r"PANIC", r"\[WARN\]"), timeout=60)
    assert any(line.startswith("bootloader: GRUB") for line in result.lines)
