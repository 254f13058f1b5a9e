"""@NAME@ runs its user program (hello.S) in ring 3: it writes "Hello, world" and exits with 0.

`make test` runs this file with pytest and the SDK's plugin (frameharness): `boot` starts QEMU on
build/@NAME@.elf, waits for each `expect` pattern in order, fails on a `forbid` pattern, and checks
that QEMU exits with status 33 (success).
"""


def test_runs_its_user_program(boot):
    boot(expect=(r"^Hello, world$", r"^user program exited with status 0$"), forbid=(r"PANIC", r"user program: "))
