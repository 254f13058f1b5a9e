"""Building QEMU command lines and reading QEMU's own debug log.

Environment:
    QEMU        the QEMU command (default ``qemu-system-x86_64``); split like a
                shell word list, so ``QEMU="taskset -c 1 qemu-system-x86_64"`` works
    FRAME_ACCEL the accelerator (default ``tcg``)
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
from typing import Iterable, Sequence, Tuple, Union

from . import coverage
from .paths import StrPath

#: A boot module: a path, or ``(path, name)``; the kernel's boot_module_name() is the name
#: (default: the file's base name) on both boot paths.
Module = Union[StrPath, Tuple[StrPath, str]]

#: The module names GRUB's menu carries as they are (sdk/tools/modules).
_MODULE_NAME_RE = re.compile(r"[A-Za-z0-9._+-]{1,64}")

#: QEMU exit status when the kernel wrote 0x10 to isa-debug-exit ((0x10 << 1) | 1).
EXIT_SUCCESS = 33
#: QEMU exit status when the kernel wrote 0x11 to isa-debug-exit ((0x11 << 1) | 1).
EXIT_FAILURE = 35
#: QEMU exit status under -no-reboot when the guest reset (e.g. a triple fault).
EXIT_RESET = 0

#: The QEMU ``-d`` items for a normal run, and for a diagnostic re-run that
#: also records every exception with a register dump (see triple_fault_rip).
DEBUG_ITEMS = "cpu_reset"
DEBUG_ITEMS_WITH_INTERRUPTS = "cpu_reset,int"


#: Where Debian's ``ovmf`` puts OVMF (UEFI for QEMU): the code, and the variable store's template.
OVMF_DIR = "/usr/share/OVMF"
#: The one command that installs what firmware="uefi" needs.
OVMF_INSTALL = "sudo apt-get install -y ovmf grub-efi-amd64-bin"


#: The longest command line QEMU's PVH boot (-kernel -append) carries whole: its option ROM copies
#: at most this many bytes (QEMU 7.2's pc-bios/optionrom/pvh_main.c: a 4096-byte buffer).
DIRECT_CMDLINE_MAX = 4095


def ovmf_files() -> tuple[str, str] | None:
    """``(code, vars)``: OVMF's code and its variable store template (Debian 12 names them
    OVMF_CODE_4M.fd and OVMF_VARS_4M.fd; older ones OVMF_CODE.fd and OVMF_VARS.fd), or None when
    OVMF is not installed.  The Secure Boot builds (``.secboot``, ``.ms``) are never taken."""
    for suffix in ("_4M.fd", ".fd"):
        code, vars_ = (os.path.join(OVMF_DIR, f"OVMF_{kind}{suffix}") for kind in ("CODE", "VARS"))
        if os.path.isfile(code) and os.path.isfile(vars_):
            return code, vars_
    return None


def firmware_args(firmware: str, vars_copy: StrPath) -> list[str]:
    """QEMU's arguments for ``firmware``: none for "bios" (SeaBIOS, QEMU's default); for "uefi"
    OVMF's code read-only and a fresh copy of its variable store at ``vars_copy`` (the template is
    never written; a store from an earlier boot would keep its boot order, which may name a device
    of another machine).  Raises ValueError for another name, RuntimeError when OVMF is missing."""
    if firmware == "bios":
        return []
    if firmware != "uefi":
        raise ValueError(f"firmware {firmware!r}: give 'bios' or 'uefi'")
    files = ovmf_files()
    if files is None:
        raise RuntimeError(f"firmware='uefi' needs OVMF in {OVMF_DIR} (none there); install it: {OVMF_INSTALL}")
    shutil.copyfile(files[1], vars_copy)
    # A comma ends a -drive option's value unless doubled.
    code, store = (os.fspath(path).replace(",", ",,") for path in (files[0], vars_copy))
    return ["-drive", f"if=pflash,format=raw,readonly=on,file={code}", "-drive", f"if=pflash,format=raw,file={store}"]


def firmware_main(argv: Sequence[str]) -> int:
    """For make run: ``FIRMWARE VARS_COPY`` -> prints ``set -- ARGS`` (firmware_args(), quoted
    for the shell) and returns 0, or says what is wrong on stderr and returns 1."""
    try:
        print("set -- " + shlex.join(firmware_args(argv[0], argv[1])))
    except (ValueError, RuntimeError, OSError) as e:
        print(f"error: FIRMWARE={argv[0]}: {e}", file=sys.stderr)
        return 1
    return 0


def qemu_command() -> list[str]:
    """The QEMU executable (plus any leading words) from env ``QEMU``."""
    return shlex.split(os.environ.get("QEMU", "qemu-system-x86_64"))


def check_modules(modules: Iterable[Module]) -> list[tuple[str, str]]:
    """``[(path, name), ...]`` for boot modules given as paths or ``(path, name)``.

    Raises ValueError, as sdk/tools/modules refuses them, for a name GRUB's menu or QEMU's
    -initrd cannot carry (a name is 1 to 64 letters, digits, ``.``, ``_``, ``-``, ``+``, and
    not ``.`` or ``..``), for two modules of one name, and for a missing file.
    """
    out, names = [], set()
    for module in modules:
        path, name = ((module, None) if isinstance(module, (str, os.PathLike)) else module)
        path = os.fspath(path)
        name = os.path.basename(path) if name is None else name
        if not _MODULE_NAME_RE.fullmatch(name) or name in (".", ".."):
            raise ValueError(f"boot module {path!r}: the name {name!r} cannot be carried by GRUB's menu and "
                             f"QEMU's -initrd as it is; a name is 1 to 64 letters, digits, '.', '_', '-', "
                             f"'+' (give one as (path, name))")
        if name in names:
            raise ValueError(f"boot module {path!r}: another module is named {name!r} too")
        if not os.path.isfile(path):
            raise ValueError(f"boot module {path!r}: no such file")
        names.add(name)
        out.append((path, name))
    return out


def _cpio_member(name: str, mode: int, data: bytes) -> bytes:
    """One cpio "newc" member: header, name and data, each padded to 4 bytes."""
    raw = name.encode() + b"\0"
    if len(data) > 0xffffffff:  # a newc size field has 8 hex digits
        raise ValueError(f"boot module {name!r} is {len(data)} bytes, over the limit of 4294967295 (4 GiB - 1)")
    fields = (0, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(raw), 0)
    head = b"070701" + b"".join(b"%08X" % f for f in fields) + raw
    return head + b"\0" * (-len(head) % 4) + data + b"\0" * (-len(data) % 4)


def pack_modules(modules: Iterable[tuple[str, bytes]]) -> bytes:
    """A cpio "newc" archive of ``(name, contents)`` members, in order, as sdk/tools/modules
    packs boot modules for QEMU's ``-initrd``."""
    out = [_cpio_member(name, 0o100644, data) for name, data in modules]
    return b"".join(out) + _cpio_member("TRAILER!!!", 0, b"")


def format_modules(modules: Iterable[Module], archive: StrPath) -> str:
    """The value of QEMU's ``-initrd`` for these modules: the path of one archive, written to
    ``archive`` (under build/), that holds them all.

    QEMU's -kernel boots the frame by its PVH entry, which takes a single initrd; so the modules
    go in one cpio "newc" archive (pack_modules(), as sdk/tools/modules), each member named as
    the module, and the frame makes each member a boot module (boot_module_name()).
    """
    members = []
    for path, name in check_modules(modules):
        with open(path, "rb") as f:
            members.append((name, f.read()))
    os.makedirs(os.path.dirname(os.fspath(archive)) or ".", exist_ok=True)
    with open(archive, "wb") as f:
        f.write(pack_modules(members))
    return os.fspath(archive)


def build_command(kernel: StrPath, *, qemu_log: StrPath, iso: StrPath | None = None,
                  cmdline: str = "", modules: Iterable[Module] = (), memory: str = "128M",
                  machine: str = "pc", extra_args: Sequence[StrPath] = (),
                  debug_items: str = DEBUG_ITEMS, gdb: Sequence[str] = (),
                  firmware: str = "bios", disk: StrPath | None = None) -> list[str]:
    """Return the QEMU argument list for one boot.

    ``kernel`` is booted directly (``-kernel``) unless ``iso`` is given, in
    which case the ISO is booted from the CD drive and ``cmdline``/``modules``
    must be empty (GRUB's configuration inside the ISO decides those).  ``gdb``: QEMU's
    arguments for a GDB stub (where.gdb_socket_arg()), before the kernel's.  ``firmware``:
    "bios" (default) or "uefi" (OVMF, firmware_args(); its variable store copied beside
    ``qemu_log``, which is under build/); UEFI boots only the ISO (QEMU's -kernel loads a
    multiboot kernel only under the BIOS), so firmware="uefi" needs ``iso`` or ``disk``.
    ``disk``: an image (an ISO copy, say) booted as the first IDE hard disk instead, the CD
    drive empty, as a USB stick boots on a real PC; QEMU writes to it, so give a copy.
    """
    if iso is not None and disk is not None:
        raise ValueError("give iso= (the CD drive) or disk= (the first hard disk), not both")
    if (iso is not None or disk is not None) and (cmdline or modules):
        raise ValueError("cmdline and modules apply only to a direct -kernel boot, not to iso= or disk=")
    if firmware == "uefi" and iso is None and disk is None:
        raise ValueError("firmware='uefi' boots only an ISO (give iso= or disk=): QEMU's -kernel boots the "
                         "frame only under the BIOS")
    fw = firmware_args(firmware, os.fspath(qemu_log) + ".ovmf-vars.fd")
    cmd = qemu_command() + [
        "-M", machine,
        "-accel", os.environ.get("FRAME_ACCEL", "tcg"),
        "-m", str(memory),
        "-nic", "none",
        "-display", "none",
        "-serial", "stdio",
        "-monitor", "none",
        "-no-reboot",
        "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
        "-d", debug_items,
        "-D", os.fspath(qemu_log),
        *gdb,
        *fw,
    ]
    if iso is not None:
        cmd += ["-cdrom", os.fspath(iso), "-boot", "d"]
    elif disk is not None:
        image = os.fspath(disk).replace(",", ",,")  # a comma ends a -drive option's value unless doubled
        cmd += ["-drive", f"file={image},format=raw,if=ide,index=0", "-boot", "c"]
    else:
        cmd += ["-kernel", os.fspath(kernel)]
        if len(cmdline.encode()) > DIRECT_CMDLINE_MAX:
            raise ValueError(f"cmdline is {len(cmdline.encode())} bytes; QEMU's -kernel (PVH) boot carries at most "
                             f"{DIRECT_CMDLINE_MAX} (its option ROM cuts the rest, without a word when there are "
                             "modules): shorten it, or boot an ISO (iso=)")
        if cmdline:
            cmd += ["-append", cmdline]
        if modules:
            cmd += ["-initrd", format_modules(modules, os.fspath(qemu_log) + ".modules.cpio")]
    cmd += [os.fspath(a) for a in extra_args]
    cmd += coverage.boot_args(cmd)  # under make coverage: the boot's counters to a file
    return cmd


def describe_exit_status(status: int | None) -> str:
    """A short human explanation of a QEMU exit status."""
    if status is None:
        return "QEMU was still running and was killed by the harness"
    if status == EXIT_SUCCESS:
        return "33 = success: the kernel wrote 0x10 to isa-debug-exit"
    if status == EXIT_FAILURE:
        return "35 = failure: the kernel wrote 0x11 to isa-debug-exit"
    if status == EXIT_RESET:
        return "0 = the machine reset (triple fault or reset request) under -no-reboot"
    if status < 0:
        return f"QEMU was killed by signal {-status}"
    if status == 1:
        return "1 = QEMU itself failed (see its stderr), or the kernel wrote 0 to isa-debug-exit"
    if status % 2 == 1:
        return (f"{status} = the kernel wrote {status >> 1:#x} to isa-debug-exit "
                f"(33 = success, 35 = failure); or QEMU itself failed (see its stderr)")
    return f"{status} = QEMU itself failed (see its stderr)"


# --- the -d cpu_reset / -d int log -----------------------------------------

_RESET_RE = re.compile(r"^CPU Reset \(CPU \d+\)")
_INTERRUPT_RE = re.compile(r"^\s*\d+: v=[0-9a-f]+ ")
_IP_RE = re.compile(r"^(?:RIP=([0-9a-f]{16})|EIP=([0-9a-f]{8}))\b")
_TRIPLE_RE = re.compile(r"^Triple fault")
# The power-on reset blocks show the state before reset (IP 0) and the reset
# vector (IP 0xfff0); they say nothing about the kernel.
_POWER_ON_IPS = (0x0, 0xFFF0)


def parse_debug_log(text: str) -> list[tuple[str, int | None]]:
    """Split a QEMU ``-d cpu_reset[,int]`` log into events.

    Returns a list of ``(kind, ip)`` with kind ``"reset"`` (a "CPU Reset"
    register dump), ``"interrupt"`` (an exception/interrupt dump from
    ``-d int``) or ``"triple"`` (QEMU's "Triple fault" line, ip None).
    """
    events: list[tuple[str, int | None]] = []
    pending = None  # kind of the block whose RIP/EIP line we are waiting for
    for line in text.splitlines():
        if _RESET_RE.match(line):
            pending = "reset"
        elif _INTERRUPT_RE.match(line):
            pending = "interrupt"
        elif _TRIPLE_RE.match(line):
            events.append(("triple", None))
            pending = None
        elif pending:
            m = _IP_RE.match(line)
            if m:
                events.append((pending, int(m.group(1) or m.group(2), 16)))
                pending = None
    return events


def triple_fault_rip(text: str) -> int | None:
    """The instruction pointer at a triple fault, from a QEMU debug log, or None.

    QEMU 7.2 under ``-no-reboot`` logs "Triple fault" but no register dump for
    it with ``-d cpu_reset``; the registers are found:
      * in a "CPU Reset" block right after the "Triple fault" line (when QEMU
        really resets the machine, i.e. without -no-reboot), or
      * in the last exception dump before it (with ``-d int``), or
      * without a "Triple fault" line, in the last "CPU Reset" block that is not
        one of the power-on ones.
    """
    events = parse_debug_log(text)
    kinds = [kind for kind, _ in events]
    if "triple" in kinds:
        at = kinds.index("triple")
        for kind, ip in events[at + 1:]:
            if kind == "reset" and ip not in _POWER_ON_IPS:
                return ip
            if kind == "triple":
                break
        before = [ip for kind, ip in events[:at] if kind == "interrupt"]
        return before[-1] if before else None
    resets = [ip for kind, ip in events if kind == "reset" and ip not in _POWER_ON_IPS]
    return resets[-1] if resets else None


def saw_triple_fault(text: str) -> bool:
    """True if QEMU's debug log records a triple fault."""
    return any(kind == "triple" for kind, _ in parse_debug_log(text))
