"""Shared helpers for the repository's boot tests: where the test kernels are built."""
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("FRAME_BUILD", os.path.join(ROOT, "build"))


def kernel(name):
    """The ELF of tests/kernels/<name> or examples/<name>, as built by the top-level Makefile."""
    for kind in ("tests/kernels", "examples"):
        path = os.path.join(BUILD, kind, name, name + ".elf")
        if os.path.exists(path):
            return path
    pytest.fail(f"kernel '{name}' is not built; run 'make all' first")


def iso(name):
    return os.path.splitext(kernel(name))[0] + ".iso"
