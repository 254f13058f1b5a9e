"""Frame SDK test harness: boot kernels in QEMU from pytest and judge their output.

Public API::

    boot(kernel, ...)          -> BootResult   (raises BootFailure unless check=False)
    ktest_names(elf)           -> [test name, ...] from the ELF's __ktest_<name> symbols
    ktap_results(elf, **kw)    -> KtestSession: .check(name), .result(name)
    symbolize(elf, addrs)      -> ["function file:line" or "?", ...]
    kernel_paths(__file__)     -> (elf, iso) of the kernel beside a test file

Modules: qemu (command lines, QEMU's debug log), runner (boot), ktap (KTAP
parsing), panic (panic reports, addr2line), failure (BootFailure messages),
paths (where a test finds its kernel).
"""

from .failure import BootFailure
from .ktap import KtapResult, KtapRun, KtestSession, ktap_results, ktest_names
from .panic import PanicReport, symbolize
from .paths import kernel_paths
from .runner import BootResult, boot

__all__ = [
    "boot", "BootFailure", "BootResult", "ktest_names", "ktap_results", "symbolize", "kernel_paths",
    "KtapResult", "KtapRun", "KtestSession", "PanicReport",
]
