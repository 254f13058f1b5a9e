"""userspace runs hello.S in user mode through both boot paths and stays within 100 lines."""
import os

EXPECT = (r"^Hello, world$", r"^user program exited with status 0$")


def test_userspace_direct(boot):
    boot(expect=EXPECT, forbid=(r"PANIC", r"user program: "))


def test_userspace_through_grub(boot, kernel):
    boot(iso=kernel.iso, expect=EXPECT, forbid=(r"PANIC", r"user program: "), timeout=60)


def test_userspace_is_a_100_line_kernel():
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "main.c")) as f:
        assert len(f.read().splitlines()) <= 100
