"""build/compile_commands.json (make all writes it, for clangd) lists every source of the frame, the
examples and the test kernels, with a command under which all of its includes are found."""
import glob
import json
import os
import subprocess

import pytest
from frame_build import BUILD, ROOT


def frame_sources():
    """The Makefile's FRAME_SRCS (C and assembly outside sdk/frame/tests), and the frame's tests."""
    found = glob.glob(os.path.join(ROOT, "sdk/frame/tests/*.c"))
    for directory, subdirs, files in os.walk(os.path.join(ROOT, "sdk/frame")):
        subdirs[:] = [d for d in subdirs if os.path.join(directory, d) != os.path.join(ROOT, "sdk/frame/tests")]
        found += [os.path.join(directory, f) for f in files if f.endswith((".c", ".S"))]
    return found


def kernel_sources():
    """Every kernel's C files (kernel.mk's SRCS)."""
    return glob.glob(os.path.join(ROOT, "examples/*/*.c")) + glob.glob(os.path.join(ROOT, "tests/kernels/*/*.c"))


@pytest.fixture(scope="module")
def entries():
    path = os.path.join(BUILD, "compile_commands.json")
    if not os.path.exists(path):
        pytest.fail(f"{path} does not exist: run make all", pytrace=False)
    with open(path) as f:
        return {entry["file"]: entry for entry in json.load(f)}


def test_it_lists_every_frame_source(entries):
    missing = set(frame_sources()) - set(entries)
    assert not missing, sorted(missing)


def test_it_lists_every_kernel_source_and_nothing_else(entries):
    assert sorted(entries) == sorted(frame_sources() + kernel_sources())


def test_every_include_is_found(entries):
    for entry in entries.values():
        command = [arg for arg in entry["arguments"] if arg not in ("-MMD", "-MP")]
        r = subprocess.run(command + ["-E", "-o", os.devnull], cwd=entry["directory"], capture_output=True,
                           text=True)
        assert r.returncode == 0, f"{entry['file']}:\n{r.stderr}"
