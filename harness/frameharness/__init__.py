"""Frame SDK test harness: boot kernels in QEMU from pytest and judge their output.

In a test, use the pytest plugin's fixtures (frameharness.plugin): ``boot``,
``kernel``, ``ktap_results`` and ``ktest_name``.  The functions behind them::

    boot(kernel, ...)          -> BootResult   (raises BootFailure unless check=False)
    ktest_names(elf)           -> [test name, ...] from the ELF's __ktest_<name> symbols
    run_ktests(elf, **kw)      -> KtestSession: .check(name), .result(name), .check_complete()
    symbolize(elf, addrs)      -> ["function file:line" or "?", ...]
    find_kernel(directory)     -> Kernel(elf, iso) built from a kernel directory
    make_iso(elf, iso, cmdline, modules) -> a GRUB ISO with that command line and boot modules

Modules: plugin (the pytest plugin), qemu (command lines, QEMU's debug log),
runner (boot), ktap (KTAP parsing), panic (panic reports, addr2line), failure
(BootFailure, FailureKind, messages), paths (where a kernel is built), monitor
(QEMU's monitor socket, for sendkey and screendump).
"""

from .failure import BootFailure, FailureKind
from .ktap import KtapResult, KtapRun, KtestSession, ktest_names, run_ktests
from .panic import PanicReport, symbolize
from .paths import Kernel, find_kernel
from .runner import BootResult, boot, make_iso

__all__ = [
    "boot", "BootFailure", "BootResult", "FailureKind", "ktest_names", "run_ktests", "symbolize",
    "find_kernel", "Kernel", "make_iso", "KtapResult", "KtapRun", "KtestSession", "PanicReport",
]
