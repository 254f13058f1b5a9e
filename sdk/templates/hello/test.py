"""@NAME@ boots, greets, shows the boot information and powers off with success.

`make test` runs this file with pytest and the SDK's plugin (frameharness): `boot` starts QEMU on
build/@NAME@.elf, waits for each `expect` pattern in order, fails on a `forbid` pattern, and checks
that QEMU exits with status 33 (success). `boot(iso=kernel.iso, ...)` boots through GRUB instead.
"""


def test_boots_and_greets(boot):
    boot(expect=(r"Hello from the frame!", r"bootloader: \S", r"usable memory: [1-9]\d* KiB"),
         forbid=(r"PANIC", r"\[WARN\]"))
