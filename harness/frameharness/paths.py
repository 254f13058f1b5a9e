"""Where a test finds the kernel it boots, in the Frame repository and out of it."""

from __future__ import annotations

import os
from typing import NamedTuple, Optional, Union

#: A file path as the harness accepts one.
StrPath = Union[str, "os.PathLike[str]"]


class Kernel(NamedTuple):
    """A built kernel: its ELF and its GRUB ISO."""
    elf: str
    iso: str


def find_kernel(directory: StrPath, build: Optional[StrPath] = None) -> Kernel:
    """The kernel built from the sources in ``directory`` (named after it, as kernel.mk does).

    With ``build`` (the Frame repository's build/), it is where the repository's make builds it:
    ``<repo>/examples/hello`` → ``<build>/examples/hello/hello.elf``.  Otherwise it is
    ``<directory>/build/<name>.elf``, kernel.mk's default.
    """
    directory = os.path.abspath(directory)
    name = os.path.basename(directory)
    if build is not None:
        build = os.path.abspath(build)
        out = os.path.join(build, os.path.relpath(directory, os.path.dirname(build)))
    else:
        out = os.path.join(directory, "build")
    return Kernel(os.path.join(out, name + ".elf"), os.path.join(out, name + ".iso"))


def kernel_from_env() -> Optional[Kernel]:
    """The kernel that kernel.mk's ``make test`` names in FRAME_KERNEL (and FRAME_ISO), if any."""
    elf = os.environ.get("FRAME_KERNEL")
    if not elf:
        return None
    return Kernel(elf, os.environ.get("FRAME_ISO", os.path.splitext(elf)[0] + ".iso"))
