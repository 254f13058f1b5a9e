"""Where a kernel's test file finds the kernel it tests, in the Frame repository and out of it."""
import os


def kernel_paths(test_file, name=None):
    """Return (elf, iso) for the kernel whose directory holds test_file.

    - `make test` in a kernel directory (the SDK's kernel.mk) sets FRAME_KERNEL and FRAME_ISO.
    - `make test` at the top of the Frame repository sets FRAME_BUILD (the repo's build/), where
      the kernel in <repo>/examples/hello is built to build/examples/hello/hello.elf.
    - Otherwise: <kernel dir>/build/<name>.elf, the kernel.mk default.
    `name` defaults to the kernel directory's name (kernel.mk's default KERNEL).
    """
    kdir = os.path.dirname(os.path.abspath(test_file))
    name = name or os.path.basename(kdir)
    if os.environ.get("FRAME_KERNEL"):
        elf = os.environ["FRAME_KERNEL"]
        return elf, os.environ.get("FRAME_ISO", os.path.splitext(elf)[0] + ".iso")
    build = os.environ.get("FRAME_BUILD")
    if build:
        rel = os.path.relpath(kdir, os.path.dirname(os.path.abspath(build)))
        out = os.path.join(build, rel)
    else:
        out = os.path.join(kdir, "build")
    return os.path.join(out, name + ".elf"), os.path.join(out, name + ".iso")
