"""The prebuilt SDK as a user meets it: a kernel outside the repo, the README's commands, the tarball."""
import os
import shutil
import subprocess
import tempfile

import pytest
from frame_build import BUILD, ROOT

SDK = os.path.join(BUILD, "sdk")


def make(*args, cwd=ROOT, timeout=300, env=None):
    return subprocess.run(["make", "--no-print-directory", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, env=env)


@pytest.fixture
def outside():
    """A copy of examples/hello in a temporary directory outside the repository, removed afterwards."""
    parent = tempfile.mkdtemp(prefix="frame-kernel-")
    kdir = os.path.join(parent, "mykernel")
    shutil.copytree(os.path.join(ROOT, "examples", "hello"), kdir, ignore=shutil.ignore_patterns("build", "__pycache__"))
    yield kdir
    shutil.rmtree(parent)


def clean_env():
    """The environment a user's shell has: none of the variables the top-level make test sets."""
    return {k: v for k, v in os.environ.items() if not k.startswith("FRAME_") and k != "PYTHONPATH"}


def test_a_kernel_outside_the_repo_runs(outside):
    r = make(f"SDK={SDK}", "run", cwd=outside, env=clean_env())
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Hello from the frame!" in r.stdout and "bootloader: GRUB" in r.stdout
    assert os.path.exists(os.path.join(outside, "build", "mykernel.elf"))


def test_a_kernel_outside_the_repo_tests_itself(outside):
    r = make(f"SDK={SDK}", "test", cwd=outside, env=clean_env())
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2 passed" in r.stdout


def test_make_run_at_the_top_boots_hello():
    r = make("run")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Hello from the frame!" in r.stdout and "usable memory:" in r.stdout


def test_make_help_lists_every_target():
    out = make("help").stdout
    for target in ("run", "test", "debug", "docs", "bench", "sdk", "dist", "clean"):
        assert f"make {target}" in out


def test_a_make_with_nothing_changed_builds_nothing():
    """make test has just run make all: another make (the SDK, every kernel, compile_commands.json)
    compiles, links and writes nothing, and says nothing."""
    r = make()
    assert r.returncode == 0, r.stdout + r.stderr
    said = [line for line in (r.stdout + r.stderr).splitlines() if "Nothing to be done" not in line]
    assert not said, r.stdout + r.stderr


def test_hello_stays_small():
    with open(os.path.join(ROOT, "examples", "hello", "main.c")) as f:
        assert len(f.read().splitlines()) <= 30


def test_the_sdk_holds_what_a_kernel_needs():
    for part in ("lib/libframe.a", "lib/kernel.ld", "include/frame/frame.h", "mk/kernel.mk", "mk/flags.mk",
                 "tools/check-subset", "tools/ksyms", "tools/debug", "harness/frameharness/__init__.py"):
        assert os.path.exists(os.path.join(SDK, part)), part


def test_make_dist_packs_the_sdk():
    r = make("dist")
    assert r.returncode == 0, r.stdout + r.stderr
    listing = subprocess.run(["tar", "-tzf", os.path.join(ROOT, "dist", "frame-sdk.tar.gz")], capture_output=True,
                             text=True).stdout.split()
    for part in ("sdk/lib/libframe.a", "sdk/mk/kernel.mk", "sdk/include/frame/frame.h", "sdk/harness/README.md"):
        assert part in listing, part
