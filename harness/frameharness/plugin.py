"""The pytest plugin: fixtures that boot the kernel a test file is about.

Load it with ``-p frameharness.plugin`` (the SDK's ``make test`` does), or
with ``pytest_plugins = ["frameharness.plugin"]`` in a top-level conftest.py.

A test's kernel is the one built from the test file's directory, or from the
directory that the closest ``@pytest.mark.kernel(directory, **boot_args)``
names (relative to the test file); the mark's ``boot_args`` are defaults for
the ``boot`` and ``ktap_results`` fixtures.  Where it was built: FRAME_KERNEL
and FRAME_ISO (set by kernel.mk's ``make test``) for the test file's own
kernel; else under the ini option ``frame_build`` (the Frame repository's
build directory); else in ``<directory>/build``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

import pytest

from . import coverage, runner
from .ktap import KtestSession, ktest_names, run_ktests
from .paths import Kernel, StrPath, find_kernel, kernel_from_env


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the ``frame_build`` ini option."""
    parser.addini("frame_build", "the Frame repository's build directory (relative to the ini "
                                 "file): tests boot the kernels the repository's make built there")


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``kernel`` mark."""
    config.addinivalue_line(
        "markers", "kernel(directory, **boot_args): the test boots the kernel built from "
                   "directory (relative to the test file), with these default boot() arguments")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test that takes ``ktest_name`` runs once per in-kernel test of its kernel."""
    if "ktest_name" in metafunc.fixturenames:
        kernel, _ = _kernel_of(metafunc.definition, metafunc.config)
        metafunc.parametrize("ktest_name", ktest_names(kernel.elf))


def _kernel_of(item: pytest.Item, config: pytest.Config) -> tuple[Kernel, dict[str, Any]]:
    """The test's kernel, and the default boot() arguments of its ``kernel`` mark."""
    mark = item.get_closest_marker("kernel")
    here = item.path.parent
    setting = str(config.getini("frame_build"))
    base = config.inipath.parent if config.inipath else config.rootpath
    build = base / setting if setting else None
    if mark is not None and mark.args:
        kernel = find_kernel(here / mark.args[0], build)
    else:
        kernel = kernel_from_env() or find_kernel(here, build)
    # Under make coverage, its instrumented twin (frameharness.coverage).
    return coverage.instrumented(kernel, build), dict(mark.kwargs) if mark is not None else {}


def log_name_for(kernel: StrPath, nodeid: str) -> str:
    """Log file names for a test's boot: ``<kernel>.<test module>.<test name>``."""
    path, _, rest = nodeid.partition("::")
    return f"{Path(kernel).stem}.{Path(path).stem}.{rest.replace('::', '.')}"


@pytest.fixture
def kernel(request: pytest.FixtureRequest) -> Kernel:
    """The test's kernel: ``Kernel(elf, iso)``.  Fails the test if the ELF is not built."""
    found, _ = _kernel_of(request.node, request.config)
    if not os.path.exists(found.elf):
        pytest.fail(f"kernel {found.elf} is not built: build it first (make)", pytrace=False)
    return found


@pytest.fixture
def boot(request: pytest.FixtureRequest) -> Callable[..., runner.BootResult]:
    """``boot(kernel=None, **kwargs)``: frameharness.boot() with the test's defaults.

    The kernel defaults to the test's kernel, the arguments to its ``kernel``
    mark's, and the log files are named after the test.
    """
    _, defaults = _kernel_of(request.node, request.config)

    def boot_for_test(kernel: StrPath | None = None, **kwargs: Any) -> runner.BootResult:
        if kernel is None:
            kernel = request.getfixturevalue("kernel").elf
        kwargs = {"name": log_name_for(kernel, request.node.nodeid), **defaults, **kwargs}
        return runner.boot(kernel, **kwargs)

    return boot_for_test


@pytest.fixture(scope="session")
def _ktest_sessions() -> dict[tuple[str, str], KtestSession]:
    """The in-kernel test runs of this pytest process, by kernel and boot() arguments."""
    return {}


@pytest.fixture
def ktap_results(request: pytest.FixtureRequest, kernel: Kernel,
                 _ktest_sessions: dict[tuple[str, str], KtestSession]) -> KtestSession:
    """The KtestSession of the test's kernel, booted once per pytest process.

    Booted once per distinct ``kernel`` mark arguments; without them it waits
    for QEMU to exit and does not check the exit status.  The logs are
    ``<kernel>.ktap`` (plus the pytest-xdist worker: each worker boots once).
    """
    _, kwargs = _kernel_of(request.node, request.config)
    # boot()'s arguments are plain values (strings, numbers, lists, patterns): repr() tells them apart.
    key = (kernel.elf, repr(sorted(kwargs.items())))
    if key not in _ktest_sessions:
        name = Path(kernel.elf).stem + ".ktap" + _worker_suffix(request)
        _ktest_sessions[key] = run_ktests(kernel.elf, **{"name": name, **kwargs})
    return _ktest_sessions[key]


def _worker_suffix(request: pytest.FixtureRequest) -> str:
    """``.gw0`` and so on in a pytest-xdist worker; ``""`` otherwise."""
    if not request.config.pluginmanager.hasplugin("xdist"):
        return ""
    worker = str(request.getfixturevalue("worker_id"))
    return "" if worker == "master" else "." + worker
