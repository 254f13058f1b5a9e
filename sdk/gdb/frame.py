# GDB that knows the frame: commands for a Frame SDK kernel stopped in GDB (make debug loads this
# file; "source <sdk>/gdb/frame.py" loads it by hand). They read the kernel's own structs through
# its debug information and never call into the kernel, so they work at any stop.
#
#   frame tasks            every task: name, state, what it waits on, its stack and how much is used
#   frame bt TASK          the backtrace of a task that is not running, from its saved switch frame
#   frame vm [SPACE]       a user address space's mappings (default: the active one)
#   frame pte ADDR         the page-table walk for one address, level by level
#   frame frames           page frames: free and used counts by kind
#   frame irqs / timers / locks
#
# They are subcommands of GDB's own "frame" command, which keeps working as before ("frame",
# "frame 1", "frame function NAME"): GDB lets a script add subcommands to a built-in prefix.
# Besides: "bt" continues through trap entries (an unwinder for trap_common), a backtrace stops
# at a trap from user mode with "user mode at rip=...", struct frame and struct segment values
# print as frame number, generation and state, and "frame stop-at-panic" (make debug sets it)
# stops GDB after a panic's report is printed, before the machine powers off.
import re
import struct

import gdb
from gdb.FrameDecorator import FrameDecorator
from gdb.unwinder import Unwinder

PAGE = 4096
LINEAR_BASE = 0xFFFF800000000000  # arch/x86_64/layout.h: all physical memory, at its address + this
USER_END = 0x0000800000000000  # the lower half: user addresses
STACK_SLOT = 256 * 1024  # mm/kernel_area.h KERNEL_AREA_STACK_SLOT: a task's stack ends at a slot's top
TIMER_HZ = 1000  # <frame/timer.h>: one jiffy is a millisecond
MAGIC = {"mutex": 0x4D555458, "rwlock": 0x52574C4B, "semaphore": 0x53454D41}  # <frame/sync.h>
PTE_P, PTE_W, PTE_U, PTE_PS, PTE_NX = 1, 2, 4, 0x80, 1 << 63
PTE_ADDR = 0x000FFFFFFFFFF000
TRAP_FRAME = ("r15 r14 r13 r12 r11 r10 r9 r8 rbp rdi rsi rdx rcx rbx rax vector error_code rip cs rflags rsp ss").split()


# --- reading the kernel --------------------------------------------------------------------------

def val(expr):
    return gdb.parse_and_eval(expr)


def static(file, name):
    """A file-scope static of the frame, by its file: 'sched.c'::spawned."""
    return val(f"'{file}'::{name}")


def read(addr, size):
    return bytes(gdb.selected_inferior().read_memory(addr, size))


def u64(addr):
    return struct.unpack("<Q", read(addr, 8))[0]


def phys_table(phys):
    """The 512 entries of the page table at phys, read through the linear map."""
    return struct.unpack("<512Q", read(LINEAR_BASE + phys, PAGE))


def address_of(symbol):
    """A symbol's address (functions without debug information included), or None."""
    try:
        return int(val(f"(unsigned long)&'{symbol}'"))
    except gdb.error:
        return None


def symbol_at(addr):
    """'function+off' for a code address, or hex."""
    out = gdb.execute(f"info symbol {addr:#x}", to_string=True).strip()
    m = re.match(r"(\S+)( \+ (\d+))? in section", out)
    if not m:
        return f"{addr:#x}"
    return m.group(1) + (f"+{m.group(3)}" if m.group(3) else "")


def cstr(v):
    try:
        return v.string() if int(v) else ""
    except gdb.error:
        return "?"


def jiffies():
    return int(static("clock.c", "ticks"))


def current_task():
    return val("cpu_local.current")


# --- tasks ---------------------------------------------------------------------------------------

def all_tasks():
    """main, idle, then every spawned task not joined yet (newest first)."""
    tasks = [static("sched.c", "main_task").address, static("sched.c", "idle_task").address]
    t = static("sched.c", "spawned")
    while int(t) and len(tasks) < 4096:
        tasks.append(t)
        t = t["spawned_next"]
    return tasks


def task_name(t):
    return t["name"].string()


def state_name(t):
    s = str(t["state"]).replace("TASK_", "").lower()
    # The idle task keeps TASK_RUNNING when switched out (the scheduler falls back to it, never
    # enqueues it): not on the CPU, it is ready.
    return "ready" if s == "running" and int(t) != int(current_task()) else s


def container(wq, kind, typename, field):
    """The struct kind (a mutex, ...) whose wait queue wq is, or None."""
    ty = gdb.lookup_type(typename)
    off = next(f.bitpos // 8 for f in ty.fields() if f.name == field)
    obj = gdb.Value(int(wq) - off).cast(ty.pointer())
    try:
        return obj if int(obj["magic_"]) == MAGIC[kind] else None
    except gdb.MemoryError:
        return None


def waits_on(t, tasks):
    """What a blocked task waits for, in words."""
    what = []
    w = t["waiting"]
    if int(w):
        wq = w["wq"]
        m = container(wq, "mutex", "struct mutex", "waiters_")
        if m is not None:
            owner = m["owner_"]
            what.append(f"mutex '{cstr(m['name_'])}'" + (f" held by '{task_name(owner)}'" if int(owner) else ""))
        elif container(wq, "rwlock", "struct rwlock", "waiters_") is not None:
            what.append(f"rwlock '{cstr(wq['name_'])}'")
        elif container(wq, "semaphore", "struct semaphore", "waiters_") is not None:
            what.append(f"semaphore '{cstr(wq['name_'])}'")
        else:
            what.append(f"wait queue '{cstr(wq['name_'])}'")
    for u in tasks:
        if int(u["joiner"]) == int(t) and str(u["state"]) != "TASK_FINISHED":
            what.append(f"join '{task_name(u)}'")
    timer = t["timer"]
    if bool(timer["pending_"]):
        ms = (int(timer["expires_"]) - jiffies()) * 1000 // TIMER_HZ
        what.append(("sleep, " if not what else "until ") + f"{ms} ms from now")
    return ", ".join(what) or "nothing (woken, not run yet)"


def stack_of(t):
    """(low, top) of a task's stack."""
    low = int(t["stack_low"])
    if low:
        return low, (low // STACK_SLOT + 1) * STACK_SLOT
    return address_of("boot_stack"), address_of("boot_stack_top")  # main runs on the boot stack


def saved_rsp(t):
    return int(val("$rsp")) if int(t) == int(current_task()) else int(t["rsp"])


def find_task(arg):
    arg = arg.strip()
    tasks = all_tasks()
    for t in tasks:
        if task_name(t) == arg:
            return t
    try:
        v = val(arg)
        for t in tasks:
            if int(t) == int(v):
                return t
    except gdb.error:
        pass
    raise gdb.GdbError(f"no task '{arg}'; frame tasks lists them")


class Tasks(gdb.Command):
    """Every task: its name, state, what it waits on (wait queue, mutex, sleep deadline, join),
its stack's range and how much of it is used. The running task is marked with *."""

    def __init__(self):
        super().__init__("frame tasks", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        tasks = all_tasks()
        cur = int(current_task())
        print(f"  {'task':<16} {'state':<8} {'stack':<41} {'used':>12}  waits on")
        for t in tasks:
            low, top = stack_of(t)
            used = top - saved_rsp(t)
            state = state_name(t)
            waits = waits_on(t, tasks) if state == "blocked" else ""
            mark = "*" if int(t) == cur else " "
            print(f"{mark} {task_name(t):<16} {state:<8} {low:#018x}-{top:#018x} "
                  f"{used:>5}/{top - low:<6}  {waits}".rstrip())


CALLEE_SAVED = ("r15", "r14", "r13", "r12", "rbx", "rbp")  # arch/x86_64/switch.S pushes, popped in this order


class Bt(gdb.Command):
    """frame bt TASK [BT-ARGS]: the backtrace of a task (by name or struct task pointer) that is not
running, from the frame context_switch() saved on its stack. Its first line is the function that
called context_switch (schedule()); BT-ARGS go to GDB's bt (full, -N...)."""

    def __init__(self):
        super().__init__("frame bt", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        words = gdb.string_to_argv(arg)
        if not words:
            raise gdb.GdbError("usage: frame bt TASK [BT-ARGS]")
        t = find_task(words[0])
        if int(t) == int(current_task()):
            gdb.execute("bt " + " ".join(words[1:]), from_tty)
            return
        if str(t["state"]) == "TASK_FINISHED":
            print(f"task '{task_name(t)}' has finished: no stack to show")
            return
        rsp = int(t["rsp"])
        regs = dict(zip(CALLEE_SAVED, struct.unpack("<6Q", read(rsp, 48))))
        regs["rip"] = u64(rsp + 48)
        regs["rsp"] = rsp + 56
        if regs["rip"] == address_of("task_trampoline"):
            print(f"task '{task_name(t)}' has not run yet: it starts in task_trampoline")
            return
        # Load the saved registers into the CPU for the one backtrace, then put everything back.
        # Frame 0 first: in an outer frame, "set $rip" would write the frame's saved registers on
        # the stack, not the CPU's.
        names = list(regs)
        frame = gdb.selected_frame().level()
        gdb.newest_frame().select()
        old = {r: int(val(f"${r}")) for r in names}
        try:
            for r in names:
                gdb.execute(f"set ${r} = {regs[r]:#x}", to_string=True)
            print(f"task '{task_name(t)}' ({state_name(t)}), switched out at:")
            gdb.execute("bt " + " ".join(words[1:]), from_tty)
        finally:
            gdb.newest_frame().select()
            for r in names:
                gdb.execute(f"set ${r} = {old[r]:#x}", to_string=True)
            gdb.execute(f"frame {frame}", to_string=True)


# --- unwinding through traps ---------------------------------------------------------------------

class FrameId:
    def __init__(self, sp, pc):
        self.sp = sp
        self.pc = pc


def trap_frame_at(sp):
    return dict(zip(TRAP_FRAME, struct.unpack(f"<{len(TRAP_FRAME)}Q", read(sp, 8 * len(TRAP_FRAME)))))


_trap_common = []


def trap_common():
    if not _trap_common:
        _trap_common.append(address_of("trap_common"))
    return _trap_common[0]


def in_trap_common(pc):
    start = trap_common()
    return start is not None and start <= pc < start + 64  # the call to trap_handler is in its first bytes


class TrapUnwinder(Unwinder):
    """trap_common (arch/x86_64/trap.S) has no CFI: its caller is whatever the trap interrupted,
    and every register of it is in the struct trap_frame whose address trap_handler() was given
    (the stack pointer once trap_handler returns)."""

    def __init__(self):
        super().__init__("frame trap_common")

    def __call__(self, pending):
        pc = int(pending.read_register("rip"))
        if not in_trap_common(pc):
            return None
        sp = int(pending.read_register("rsp"))
        tf = trap_frame_at(sp)
        info = pending.create_unwind_info(FrameId(gdb.Value(sp + 8 * len(TRAP_FRAME)), gdb.Value(trap_common())))
        for r in ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13",
                  "r14", "r15", "rip"):
            info.add_saved_register(r, gdb.Value(tf[r]).cast(pending.read_register(r).type))
        return info


class TrapDecorator(FrameDecorator):
    def __init__(self, fobj, text):
        super().__init__(fobj)
        self.text = text

    def function(self):
        return self.text


class TrapFilter:
    """In backtraces: name trap_common's frame for the trap (vector, from kernel or user), end at a
    trap from user mode with "user mode at rip=...", and drop the null frame past a task's first."""

    def __init__(self):
        self.name = "frame traps"
        self.priority = 100
        self.enabled = True
        gdb.frame_filters[self.name] = self

    def filter(self, frames):
        for fd in frames:
            f = fd.inferior_frame()
            if in_trap_common(f.pc()):
                try:
                    tf = trap_frame_at(int(f.read_register("rsp")))
                except gdb.error:
                    yield fd
                    continue
                kind = "interrupt" if tf["vector"] >= 32 else "exception"
                if tf["cs"] & 3:
                    yield TrapDecorator(fd, f"trap_common ({kind} {tf['vector']} from user mode at "
                                            f"rip={tf['rip']:#x} rsp={tf['rsp']:#x})")
                    return
                code = f", error code {tf['error_code']:#x}" if tf["vector"] < 32 else ""
                yield TrapDecorator(fd, f"trap_common ({kind} {tf['vector']}{code})")
                continue
            if f.pc() == 0:
                return  # past the first frame of a task (task_trampoline clears rbp) or of the boot
            yield fd


# --- address spaces ------------------------------------------------------------------------------

def rights(e):
    return ("r" + ("w" if e & PTE_W else "-") + ("-" if e & PTE_NX else "x") + ("u" if e & PTE_U else "k"))


def space_root(arg):
    """The PML4's physical address of SPACE (a struct vm_space * expression), of the active space, or CR3."""
    if arg.strip():
        return int(val(f"((struct vm_space *)({arg}))->root")), arg.strip()
    active = val("vm_active")
    if int(active):
        return int(active["root"]), "vm_active"
    return int(val("$cr3")) & PTE_ADDR, "cr3"


def leaves(root, lo, hi):
    """(va, entry, size) of every present leaf in [lo, hi)."""
    def walk(phys, level, base):
        span = 1 << (12 + 9 * (level - 1))
        for i, e in enumerate(phys_table(phys)):
            va = base + i * span
            if va + span <= lo or va >= hi or not e & PTE_P:
                continue
            if level == 1 or e & PTE_PS:
                yield va, e, span
            else:
                yield from walk(e & PTE_ADDR, level - 1, va)
    return walk(root, 4, 0)


class Vm(gdb.Command):
    """frame vm [SPACE]: the user mappings of an address space (a struct vm_space * expression;
default: the active one, vm_active), as ranges with their rights (r, w, x; u for user) and page frames."""

    def __init__(self):
        super().__init__("frame vm", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        root, what = space_root(arg)
        print(f"address space {what}: page tables at phys {root:#x}")
        runs = []
        for va, e, size in leaves(root, 0, USER_END):
            pfn = (e & PTE_ADDR) >> 12
            r = runs[-1] if runs else None
            if r and r[1] == va and r[2] == rights(e) and r[4] + (r[1] - r[0]) // PAGE == pfn:
                r[1] = va + size
            else:
                runs.append([va, va + size, rights(e), pfn, pfn])
        for lo, hi, rw, first, base in runs:
            n = (hi - lo) // PAGE
            frames = f"frame {first}" if n == 1 else f"frames {first}-{first + n - 1}"
            print(f"  {lo:#018x}-{hi:#018x} {rw} {n:>6} pages  {frames}")
        print(f"  {len(runs)} ranges")


class Pte(gdb.Command):
    """frame pte ADDR [SPACE]: the page-table walk for ADDR, level by level, in SPACE (default: the
active space for a user address, the kernel's tables in CR3 otherwise)."""

    def __init__(self):
        super().__init__("frame pte", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        words = gdb.string_to_argv(arg)
        if not words:
            raise gdb.GdbError("usage: frame pte ADDR [SPACE]")
        addr = int(val(words[0])) & 0xFFFFFFFFFFFFFFFF
        if len(words) > 1 or addr < USER_END:
            root, what = space_root(" ".join(words[1:]))
        else:
            root, what = int(val("$cr3")) & PTE_ADDR, "cr3"
        print(f"{addr:#018x} in {what} (PML4 at phys {root:#x}):")
        phys = root
        for level, name in ((4, "PML4"), (3, "PDPT"), (2, "PD"), (1, "PT")):
            i = addr >> (12 + 9 * (level - 1)) & 511
            e = phys_table(phys)[i]
            flags = " ".join(n for b, n in ((PTE_P, "P"), (PTE_W, "W"), (PTE_U, "U"), (PTE_PS, "PS"), (PTE_NX, "NX"))
                             if e & b)
            print(f"  {name:<4}[{i:3}] = {e:#018x}  {flags}")
            if not e & PTE_P:
                print("  not mapped")
                return
            if level == 1 or e & PTE_PS:
                size = 1 << (12 + 9 * (level - 1))
                page = (e & PTE_ADDR) & ~(size - 1)
                print(f"  -> phys {page + addr % size:#x} (frame {page >> 12}, {size // 1024} KiB page, {rights(e)})")
                return
            phys = e & PTE_ADDR


# --- page frames ---------------------------------------------------------------------------------

PAGE_STATES = ("absent", "free", "frame", "segment", "segment tail", "the frame's own", "private")


def page_meta(pfn):
    meta = static("frame_alloc.c", "meta")
    if pfn >= int(static("frame_alloc.c", "max_pfn")):
        return None
    return meta[pfn]


def describe_handle(handle, kind):
    pfn, gen = handle & 0xFFFFFFFF, handle >> 32
    if handle == 0:
        return f"{kind} (none)"
    m = page_meta(pfn)
    if m is None:
        return f"{kind} {pfn} gen {gen}: no such frame"
    state = int(m["state"])
    live = int(m["gen"]) == gen and state in ((2,) if kind == "frame" else (3,))
    if not live:
        return f"{kind} {pfn} gen {gen}: freed (now gen {int(m['gen'])}, {PAGE_STATES[state]})"
    extra = f", {int(m['used']['pages'])} pages" if kind == "segment" else ""
    return f"{kind} {pfn} gen {gen}: live, {int(m['refs'])} refs, {int(m['used']['maps'])} mappings{extra}"


class HandlePrinter:
    def __init__(self, v, kind):
        self.v, self.kind = v, kind

    def to_string(self):
        try:
            return "{" + describe_handle(int(self.v["handle_"]), self.kind) + "}"
        except gdb.error as e:
            return f"{{{self.kind} handle {int(self.v['handle_']):#x}: {e}}}"


def lookup_printer(v):
    t = v.type.strip_typedefs()
    if t.code == gdb.TYPE_CODE_STRUCT and t.tag in ("frame", "segment"):
        return HandlePrinter(v, t.tag)
    return None


class Frames(gdb.Command):
    """frame frames [HANDLE]: page frames by kind (free, clients' frames and segments, the frame's
own, private metadata and page tables); with a struct frame or struct segment value, that handle."""

    def __init__(self):
        super().__init__("frame frames", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        if arg.strip():
            v = val(arg)
            print(describe_handle(int(v["handle_"]), v.type.strip_typedefs().tag))
            return
        n = int(static("frame_alloc.c", "max_pfn"))
        raw = read(int(static("frame_alloc.c", "meta")), 16 * n)
        counts = [0] * len(PAGE_STATES)
        for i in range(n):
            s = raw[16 * i + 6]
            counts[s if s < len(PAGE_STATES) else 0] += 1
        free = int(static("frame_alloc.c", "free_count"))
        print(f"{n} page frames ({n * PAGE // (1 << 20)} MiB): {free} free, {n - free - counts[0]} used")
        for s, c in enumerate(counts):
            print(f"  {PAGE_STATES[s]:<16} {c:>8}")


# --- interrupts, timers, locks -------------------------------------------------------------------

class Irqs(gdb.Command):
    """frame irqs: the interrupt lines: vector, ISA line, enabled, handler and interrupt count."""

    def __init__(self):
        super().__init__("frame irqs", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        lines = static("irq.c", "lines")
        print(f"  {'vector':>6} {'isa':>4} {'state':<9} {'count':>10}  handler")
        for v in range(256):
            line = lines[v]
            while int(line):
                fn = line["handler"] if int(line["handler"]) else line["shared_handler"]
                isa = int(line["isa"])
                print(f"  {v:>6} {isa if isa >= 0 else '-':>4} {'enabled' if line['enabled'] else 'disabled':<9} "
                      f"{int(line['count']):>10}  {symbol_at(int(fn)) if int(fn) else '-'}")
                line = line["next"]


class Timers(gdb.Command):
    """frame timers: the pending timers, earliest first: expiry in ms from now, period, callback."""

    def __init__(self):
        super().__init__("frame timers", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        now = jiffies()
        t = static("timer.c", "pending")
        owners = {int(task["timer"].address): task_name(task) for task in all_tasks()}
        print(f"jiffies {now}; pending timers:")
        n = 0
        while int(t) and n < 100000:
            ms = (int(t["expires_"]) - now) * 1000 // TIMER_HZ
            period = int(t["period_"]) * 1000 // TIMER_HZ
            who = f"  (task '{owners[int(t)]}')" if int(t) in owners else ""
            print(f"  {int(t):#018x} in {ms:>6} ms  {'every ' + str(period) + ' ms' if period else 'once':<14}"
                  f"{symbol_at(int(t['fn_']))}{who}")
            t, n = t["next_"], n + 1
        print(f"  {n} pending")


class Locks(gdb.Command):
    """frame locks: the spinlocks this CPU holds, and for each task the mutexes it holds and the
lock it waits for."""

    def __init__(self):
        super().__init__("frame locks", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        cl = val("cpu_local")
        n = int(cl["spin_count"])
        print(f"spinlocks held on this CPU: {n}" + (f" (the last taken: '{cstr(cl['last_spin'])}')" if n else ""))
        tasks = all_tasks()
        for t in tasks:
            held = int(t["mutexes"])
            if held:
                print(f"task '{task_name(t)}' holds {held} mutex{'es' if held > 1 else ''}, the last taken "
                      f"'{cstr(t['last_mutex']['name_'])}'")
            if str(t["state"]) == "TASK_BLOCKED" and int(t["waiting"]):
                w = waits_on(t, tasks).split(",")[0]
                if not w.startswith("wait queue"):
                    print(f"task '{task_name(t)}' waits for {w}")


HEAP_AREA_BASE = 0xFFFFFFC000000000  # mm/heap.h
HEAP_RED = 0xBB  # mm/heap.c RED: the red-zone pattern


class Heap(gdb.Command):
    """frame heap: the heap's blocks by size class (slabs, live, quarantined and free slots, red zones
intact or not), its big blocks, and the totals heap_stats() gives."""

    def __init__(self):
        super().__init__("frame heap", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        ring = static("heap.c", "ring")
        pages = int(ring["pages"])
        if not pages:
            print("the heap is not set up yet (heap_init() has not run)")
            return
        sizes = [int(static("heap.c", "class_size")[i]) for i in range(int(val("sizeof('heap.c'::class_size)")) // 2)]
        words = (pages + 63) // 64
        mapped = struct.unpack(f"<{words}Q", read(int(ring["mapped"]), words * 8))
        slab = struct.unpack(f"<{words}Q", read(int(ring["slab"]), words * 8))
        slab_t = gdb.lookup_type("struct slab")
        rows = {}  # (class, own) -> [slabs, slots, live, held, free, red zones broken]
        for w in range(words):
            bits = mapped[w] & slab[w]
            while bits:
                b = (bits & -bits).bit_length() - 1
                bits &= bits - 1
                va = HEAP_AREA_BASE + (w * 64 + b) * PAGE
                s = gdb.Value(va).cast(slab_t.pointer()).dereference()
                cls, own = int(s["cls"]), int(s["own"])
                row = rows.setdefault((cls, own), [0, 0, 0, 0, 0, 0])
                row[0] += 1
                for i, field in ((1, "slots"), (2, "live"), (3, "held"), (4, "free")):
                    row[i] += int(s[field])
                row[5] += self.broken_red_zones(s, va, sizes[cls] if cls < len(sizes) else 0)
        print(f"  {'class':>6} {'kind':<7} {'slabs':>5} {'slots':>6} {'live':>6} {'held':>5} {'free':>6}  red zones")
        for (cls, own), (slabs, slots, live, held, free, broken) in sorted(rows.items()):
            size = sizes[cls] if cls < len(sizes) else 0
            state = f"{broken} broken" if broken else "intact"
            print(f"  {size:>6} {'heap' if own else 'blocks':<7} {slabs:>5} {slots:>6} {live:>6} {held:>5} {free:>6}  "
                  f"{state}")
        big, n, total = static("heap.c", "bigs"), 0, 0
        while int(big) and n < 100000:
            n, total = n + 1, total + int(big["pages"])
            big = big["next"]
        stats = static("heap.c", "stats")
        print(f"  big blocks: {n} ({total} pages)")
        print(f"  live: {int(stats['blocks'])} blocks, {int(stats['bytes'])} bytes, {int(stats['pages'])} pages")

    @staticmethod
    def broken_red_zones(s, va, size):
        """How many live slots of the slab at va have a red zone that is not all RED any more."""
        if not size:
            return 0
        first, broken = int(s["first"]), 0
        for i in range(min(int(s["slots"]), 128)):
            info = s["slot"][i]
            used, offset = int(info["size"]), int(info["offset"])
            free = (int(s["free_map"][i // 64]) >> (i % 64)) & 1
            if free or int(info["held"]) or used == 0xFFFF or offset + used > size:
                continue
            start = va + first + i * size
            zone = read(start + offset + used, size - offset - used)
            broken += any(byte != HEAP_RED for byte in zone)
        return broken


# --- stop at the panic ---------------------------------------------------------------------------

class PanicBreakpoint(gdb.Breakpoint):
    def __init__(self, log):
        super().__init__("frame_panic_stop", type=gdb.BP_HARDWARE_BREAKPOINT, internal=True)
        self.log = log

    def stop(self):
        return True


_panic = []


def on_stop(event):
    if not isinstance(event, gdb.BreakpointEvent) or not any(b in _panic for b in event.breakpoints):
        return
    print("\nThe kernel panicked; its report:")
    try:
        with open(_panic[0].log, errors="replace") as f:
            text = f.read()
        start = text.rfind("\nPANIC")
        print(text[start + 1 if start >= 0 else 0:].rstrip())
    except OSError as e:
        print(f"(cannot read {_panic[0].log}: {e})")
    print("Backtrace of the panic (frame_panic_stop is called once the report is printed):")
    gdb.execute("bt")


class StopAtPanic(gdb.Command):
    """frame stop-at-panic LOG: stop at every panic once its report is printed (to LOG, the serial
port's file), print the report and the backtrace. make debug does this for you."""

    def __init__(self):
        super().__init__("frame stop-at-panic", gdb.COMMAND_BREAKPOINTS)

    def invoke(self, arg, from_tty):
        if not arg.strip():
            raise gdb.GdbError("usage: frame stop-at-panic SERIAL-LOG")
        if _panic:
            _panic[0].log = arg.strip()
            return
        _panic.append(PanicBreakpoint(arg.strip()))
        gdb.events.stop.connect(on_stop)


def readable_errors(invoke):
    """A command's invoke() whose GDB errors (memory it cannot read, an expression of the wrong type)
    come out as one line naming the command, not a Python traceback."""
    def wrapped(self, arg, from_tty):
        try:
            return invoke(self, arg, from_tty)
        except gdb.GdbError:
            raise
        except (gdb.MemoryError, gdb.error) as e:
            name = type(self).__name__.lower()
            raise gdb.GdbError(f"frame {name}: {e} (is the argument right, and the kernel past its start?)")
    return wrapped


def register():
    for cmd in (Tasks, Bt, Vm, Pte, Frames, Irqs, Timers, Locks, Heap, StopAtPanic):
        if not getattr(cmd.invoke, "_readable", False):
            cmd.invoke = readable_errors(cmd.invoke)
            cmd.invoke._readable = True
        cmd()
    gdb.unwinder.register_unwinder(None, TrapUnwinder(), replace=True)
    TrapFilter()
    gdb.pretty_printers[:] = [p for p in gdb.pretty_printers if getattr(p, "__name__", "") != "lookup_printer"]
    gdb.pretty_printers.append(lookup_printer)


register()
