"""Run inside GDB (``gdb -n -batch -x where_gdb.py``) by frameharness.where: where a running
kernel is, read through QEMU's GDB stub, printed as a few lines of text.

GDB has the kernel's ELF loaded; the environment says the rest: FRAME_WHERE_SOCK (the stub's
Unix socket), FRAME_WHERE_SAMPLES (how many times to stop the CPU, 0.1 s apart).  Each sample
connects (QEMU stops the machine), reads the instruction pointer and whether the CPU sits
after a ``hlt`` (halted: waiting for an interrupt), and detaches (the machine runs on).  Most
samples halted means idle: every task waits; otherwise the CPU is spinning.  The last sample
(one not halted, for a spinning CPU) keeps the machine stopped for the backtrace and the tasks.
"""

import os
import time

from typing import Any, Optional

import gdb  # type: ignore  # only inside GDB

SOCK = os.environ["FRAME_WHERE_SOCK"]
SAMPLES = max(1, int(os.environ.get("FRAME_WHERE_SAMPLES", "5")))
MAX_FRAMES = 16


def connect() -> None:
    gdb.execute(f"target remote {SOCK}", to_string=True)


def halted() -> bool:
    """Whether the CPU is halted: the byte before RIP is ``hlt`` (0xf4) and interrupts are on."""
    pc = int(gdb.parse_and_eval("$pc")) & (2**64 - 1)
    try:
        byte = bytes(gdb.selected_inferior().read_memory(pc - 1, 1))
    except gdb.MemoryError:
        return False
    return byte == b"\xf4" and int(gdb.parse_and_eval("$eflags")) & 0x200 != 0


def symbol(pc: int) -> str:
    """``function+0xoff`` from the ELF's symbol table, or ``?``."""
    text = gdb.execute(f"info symbol {pc:#x}", to_string=True).strip()
    if text.startswith("No symbol"):
        return "?"
    name, _, rest = text.partition(" in section ")[0].partition(" + ")
    return f"{name}+{int(rest or 0):#x}"


def source(sal: Any) -> str:
    return f" ({os.path.basename(sal.symtab.filename)}:{sal.line})" if sal.symtab and sal.line else ""


def where(pc: int) -> str:
    """``function+0xoff (file:line)`` for an instruction's address."""
    return symbol(pc) + source(gdb.find_pc_line(pc))


def backtrace() -> list[str]:
    """The running task's frames, innermost first; inlined functions as frames of their own
    (no offset: they have no symbol), a caller's line the line of its call."""
    lines: list[str] = []
    frame, n = gdb.newest_frame(), 0
    while frame is not None and n < MAX_FRAMES:
        pc = frame.pc()
        if pc == 0:  # a new task's first frame: nothing called it
            break
        if frame.type() == gdb.INLINE_FRAME:
            name = frame.name() or "?"
        else:
            name = symbol(pc)
        lines.append(f"    #{n} {pc:#018x} {name}{source(frame.find_sal())}")
        try:
            frame = frame.older()
        except gdb.error:
            break
        n += 1
    return lines


def value(expr: str) -> Optional[Any]:
    try:
        return gdb.parse_and_eval(expr)
    except gdb.error:
        return None


def tasks() -> list[str]:
    """Each task the frame knows of ("main", "idle", the spawned ones): name, state, what it waits on."""
    found: list[Any] = []
    for expr in ("&'sched.c'::main_task", "&'sched.c'::idle_task"):
        t = value(expr)
        if t is not None:
            found.append(t)
    t = value("'sched.c'::spawned")
    while t is not None and int(t) != 0 and len(found) < 64:
        found.append(t)
        t = t["spawned_next"]
    current = value("cpu_local.current")
    out: list[str] = []
    for t in found:
        try:
            name = t["name"].string()
            state = str(t["state"]).replace("TASK_", "").lower()
            if current is not None and int(current) == int(t):
                state = "running"
            out.append(f"    {name}: {state}{waits_on(t)}")
        except gdb.error as e:
            out.append(f"    {int(t):#x}: unreadable ({e})")
    return out


MUTEX_MAGIC = 0x4D555458  # SYNC_MAGIC_MUTEX_ (<frame/sync.h>)


def waits_on(t: Any) -> str:
    """What a blocked task waits for: a mutex (and its holder), a wait queue, or a sleep."""
    if str(t["state"]) != "TASK_BLOCKED":
        return ""
    entry = t["waiting"]
    if int(entry) == 0:
        return ", sleeping"
    wq = entry.dereference()["wq"]
    mutex_type = gdb.lookup_type("struct mutex")
    offset = next(f.bitpos // 8 for f in mutex_type.fields() if f.name == "waiters_")
    mutex = gdb.Value(int(wq) - offset).cast(mutex_type.pointer())
    if int(mutex["magic_"]) == MUTEX_MAGIC:
        owner = mutex["owner_"]
        holder = f" (held by '{owner['name'].string()}')" if int(owner) != 0 else ""
        return f", waiting for mutex '{mutex['name_'].string()}'{holder}"
    name = wq["name_"]
    return f", waiting on wait queue '{name.string() if int(name) else '?'}' at {int(wq):#x}"


def in_interrupt() -> bool:
    """Whether the CPU is handling an interrupt (the tick, say): not where the kernel spins."""
    depth = value("cpu_local.irq_depth")
    return depth is not None and int(depth) > 0


def main() -> None:
    samples: list[bool] = []  # halted or not, per sample
    for i in range(SAMPLES):
        if i:
            gdb.execute("detach", to_string=True)
            time.sleep(0.1)
        connect()
        samples.append(halted())
    nhalted = sum(samples)
    idle = nhalted * 2 > len(samples)
    # spinning, but caught halted or in an interrupt handler (the tick): look again
    for _ in range(5 if not idle and (samples[-1] or in_interrupt()) else 0):
        gdb.execute("detach", to_string=True)
        time.sleep(0.05)
        connect()
        if not halted() and not in_interrupt():
            break
    pc = int(gdb.parse_and_eval("$pc")) & (2**64 - 1)
    if idle:
        print(f"where: idle: every task waits (the CPU was halted in {nhalted} of {len(samples)} samples)")
    else:
        print(f"where: spinning in {where(pc)} (the CPU was running in {len(samples) - nhalted} of "
              f"{len(samples)} samples)")
    print(f"  RIP={pc:#018x} {where(pc)}")
    print("  backtrace:")
    for line in backtrace():
        print(line)
    listed = tasks()
    if listed:
        print("  tasks:")
        for line in listed:
            print(line)


try:
    main()
except Exception as e:  # noqa: BLE001 - any failure is part of the report, never a crash
    import traceback
    print(f"where: cannot read the kernel's state through QEMU's GDB stub: {e}")
    print("  " + traceback.format_exc().replace("\n", "\n  "))
