"""The SDK's GDB extension (sdk/gdb/frame.py), each command in GDB batch mode under make debug against a real
kernel: tests/kernels/gdb-tasks (three blocked tasks, a timer, a user address space, a panic on request) and
tests/kernels/userloop (a trap from user mode). docs/debugging.md's examples are checked against the same runs."""
import os
import re
import subprocess

import pytest

from frame_build import BUILD, ROOT

DOC = os.path.join(ROOT, "docs", "debugging.md")


def debug(kernel, commands, name, cmdline=""):
    script = os.path.join(BUILD, "test-logs", f"gdb-frame-{name}.gdb")
    os.makedirs(os.path.dirname(script), exist_ok=True)
    with open(script, "w") as f:
        f.write("\n".join(commands) + "\n")
    env = dict(os.environ, GDB_BATCH="1", GDB_EXTRA=script)
    r = subprocess.run(["make", "--no-print-directory", "-C", ROOT, "debug", f"EXAMPLE={kernel}",
                        f"CMDLINE={cmdline}"], capture_output=True, text=True, env=env, timeout=180,
                       stdin=subprocess.DEVNULL)
    out = r.stdout + r.stderr
    with open(os.path.join(BUILD, "test-logs", f"gdb-frame-{name}.out"), "w") as f:
        f.write(out)
    assert r.returncode == 0, out
    assert "Python Exception" not in out and "Traceback" not in out, out
    return out


def doc_sessions():
    """docs/debugging.md's examples: each ```gdb block, as (session name, [(command, [output lines])]).
    A block's first line is '# session: NAME'; lines starting '(gdb) ' are commands."""
    with open(DOC) as f:
        text = f.read()
    sessions = {}
    for block in re.findall(r"```gdb\n(.*?)```", text, re.S):
        lines = block.splitlines()
        name = re.match(r"# session: (\S+)", lines[0]).group(1)
        steps = sessions.setdefault(name, [])
        for line in lines[1:]:
            if line.startswith("(gdb) "):
                steps.append((line[6:], []))
            elif steps:
                steps[-1][1].append(line)
    return sessions


SESSIONS = {  # name: (kernel, command line, what runs before the documented commands)
    "tasks": ("gdb-tasks", "", ["break gdb_tasks_ready", "continue"]),
    "panic": ("gdb-tasks", "panic-in-timer", []),
    "user": ("userloop", "", ["break user_trap", "continue"]),
}


@pytest.fixture(scope="module")
def runs():
    """Each session of the docs run once: its output, split by command (echo markers between them)."""
    out = {}
    for name, steps in doc_sessions().items():
        kernel, cmdline, before = SESSIONS[name]
        cmds = list(before)
        for i, (cmd, _) in enumerate(steps):
            cmds += [f"echo @@{i}\\n", cmd]
        cmds.append(f"echo @@{len(steps)}\\n")
        whole = debug(kernel, cmds, name, cmdline)
        parts = re.split(r"^@@\d+\n", whole, flags=re.M)
        out[name] = {"all": whole, **{cmd: parts[i + 1] for i, (cmd, _) in enumerate(steps)}}
    return out


def test_the_docs_have_every_command():
    cmds = " ".join(cmd for steps in doc_sessions().values() for cmd, _ in steps)
    for c in ("frame tasks", "frame bt", "frame vm", "frame pte", "frame frames", "print page", "frame irqs",
              "frame timers", "frame locks", "frame heap", "bt"):
        assert c in cmds, c


def test_tasks_names_states_waits_and_stacks(runs):
    out = runs["tasks"]["frame tasks"]
    assert re.search(r"^\* main +running +0xffffffff8\w+-0xffffffff8\w+ +\d+/32768 *$", out, re.M), out
    assert re.search(r"^  idle +ready ", out, re.M), out
    assert re.search(r"^  sleeper +blocked .*  sleep, 35\d{5} ms from now$", out, re.M), out
    assert re.search(r"^  waiter +blocked .*  wait queue 'never'$", out, re.M), out
    assert re.search(r"^  locker +blocked .* \d+/16384 +mutex 'table' held by 'main'$", out, re.M), out


def test_bt_of_a_sleeping_task_from_its_switch_frame(runs):
    out = runs["tasks"]["frame bt sleeper"]
    assert "task 'sleeper' (blocked), switched out at:" in out, out
    assert re.search(r"^#0 .* in schedule \(\) at .*sched\.c:\d+$", out, re.M), out
    assert re.search(r"^#2 .* in task_sleep \(.*\) at .*task\.c:\d+$", out, re.M), out
    assert re.search(r"^#3 .* in sleeper \(arg=0x0\) at main\.c:\d+$", out, re.M), out
    assert re.search(r"in task_trampoline \(\)", out) and "0x0000000000000000 in" not in out, out
    # the CPU's registers are back: the running task's backtrace is main's again
    assert re.search(r"^#1 .* in kernel_main \(\) at main\.c:\d+", runs["tasks"]["bt 2"], re.M), runs["tasks"]


def test_bt_in_a_timer_callback_reaches_the_interrupted_task(runs):
    out = runs["tasks"]["continue"] + runs["tasks"]["bt"]
    assert re.search(r"^#0 +gdb_tasks_tick \(", out, re.M), out
    assert re.search(r"in trap_common \(interrupt 48\) \(\) at .*trap\.S:\d+$", out, re.M), out
    assert re.search(r"in spin_forever \(\) at main\.c:\d+$", out, re.M), out  # past the trap: the task
    assert re.search(r"in kernel_main \(\) at main\.c:\d+$", out, re.M), out


def test_a_trap_from_user_mode_ends_the_backtrace(runs):
    out = runs["user"]["bt"]
    assert re.search(r"^#0 +user_trap \(", out, re.M), out
    assert re.search(r"^#2 .* in trap_common \(interrupt 48 from user mode at rip=0x40\w+ rsp=0x\w+\) \(\)",
                     out, re.M), out
    assert "#3" not in out, out


def test_vm_lists_the_mappings_and_pte_walks(runs):
    vm, pte = runs["tasks"]["frame vm space"], runs["tasks"]["frame pte 0x400000 space"]
    m = re.search(r"^  0x0000000000400000-0x0000000000401000 r-xu +1 pages  frame (\d+)$", vm, re.M)
    assert m, vm
    assert re.search(rf"^  0x00000000007ff000-0x0000000000800000 rw-u +1 pages  frame {m.group(1)}$", vm, re.M), vm
    assert "2 ranges" in vm, vm
    for level, i in (("PML4", 0), ("PDPT", 0), ("PD  ", 2), ("PT  ", 0)):
        assert re.search(rf"^  {level}\[ +{i}\] = 0x\w+  P", pte, re.M), pte
    assert f"(frame {m.group(1)}, 4 KiB page, r-xu)" in pte, pte


def test_frames_counts_and_handles_print_as_frames(runs):
    out = runs["tasks"]
    m = re.search(r"^(\d+) page frames \(\d+ MiB\): (\d+) free, (\d+) used$", out["frame frames"], re.M)
    assert m and int(m.group(2)) + int(m.group(3)) <= int(m.group(1)), out["frame frames"]
    assert re.search(r"^  segment tail +3$", out["frame frames"], re.M), out["frame frames"]
    assert re.search(r"= \{frame \d+ gen 1: live, 3 refs, 2 mappings\}", out["print page"]), out["print page"]
    assert re.search(r"= \{frame \d+ gen 1: freed \(now gen 2, ", out["print freed_page"]), out["print freed_page"]
    assert re.search(r"= \{segment \d+ gen \d+: live, 1 refs, 0 mappings, 4 pages\}", out["print buffer"]), out


def test_irqs_timers_and_locks(runs):
    out = runs["tasks"]
    assert re.search(r"^ +48 +- enabled +\d+  on_tick$", out["frame irqs"], re.M), out["frame irqs"]
    assert re.search(r"in +\d ms  every 5 ms +gdb_tasks_tick$", out["frame timers"], re.M), out["frame timers"]
    assert re.search(r"in 35\d{5} ms  once +wake_on_timer  \(task 'sleeper'\)$", out["frame timers"], re.M), out
    assert "task 'main' holds 1 mutex, the last taken 'table'" in out["frame locks"], out["frame locks"]
    assert "task 'locker' waits for mutex 'table' held by 'main'" in out["frame locks"], out["frame locks"]


def test_gdbs_own_frame_command_still_works(runs):
    out = runs["tasks"]["frame 1"]
    assert re.search(r"^#1 .* in kernel_main \(\) at main\.c:\d+$", out, re.M), out


def test_stop_at_the_panic_with_report_and_backtrace(runs):
    out = runs["panic"]["all"]
    assert re.search(r"^Breakpoint -1, frame_panic_stop \(\)", out, re.M), out
    report = out.index("The kernel panicked; its report:")
    assert out.index("PANIC: gdb-tasks: a panic in a timer callback, as asked", report) < out.index(
        "end of panic report", report), out
    bt = out[out.index("Backtrace of the panic"):]
    assert re.search(r"in gdb_tasks_tick \(.*\) at main\.c:\d+$", bt, re.M), bt
    assert re.search(r"in spin_forever \(\) at main\.c:\d+$", bt, re.M), bt  # the trap unwound


def normalize(text):
    """What one run has and another need not: hex to 0x_, decimal numbers to N, the frame's line numbers
    (sdk/...:N, which change with the frame) and the interrupted line of spin_forever's loop; the kernel's own
    file:line stays."""
    text = re.sub(r"0x[0-9a-f]+", "0x_", text)
    text = re.sub(r"(sdk/\S+|spin_forever \(\) at main\.c):\d+", r"\1:N", text)
    return re.sub(r"(?<![\w.:])\d+(?!\w)", "N", text)


def test_the_docs_examples_are_real_output(runs):
    for name, steps in doc_sessions().items():
        for cmd, lines in steps:
            got = normalize(runs[name][cmd])
            for line in lines:
                if line.strip() and line.strip() != "...":
                    assert normalize(line) in got, f"docs/debugging.md, {name}, {cmd!r}: {line!r} not in\n{got}"


def test_heap_by_size_class_with_red_zones(runs):
    out = runs["tasks"]["frame heap"]
    rows = re.findall(r"^ +(\d+) blocks +(\d+) +(\d+) +(\d+) +(\d+) +(\d+)  (intact|\d+ broken)$", out, re.M)
    assert rows and all(state == "intact" for *_, state in rows), out
    live = sum(int(r[3]) for r in rows)
    m = re.search(r"^  live: (\d+) blocks, \d+ bytes, \d+ pages$", out, re.M)
    assert m and int(m.group(1)) >= live > 0, out  # heap_stats() counts every live block, big ones too


def test_heap_reports_a_red_zone_written_over():
    """One byte of a live block's red zone overwritten (by GDB, as a stray write would): frame heap
    counts it broken in that block's size class."""
    out = debug("gdb-tasks", ["break gdb_tasks_ready", "continue",
                              "set {unsigned char}((char *)space + sizeof(*space)) = 0", "frame heap"], "heap-broken")
    assert re.search(r"^ +64 blocks +1 +\d+ +\d+ +\d+ +\d+  1 broken$", out, re.M), out


def test_bt_of_another_task_from_an_outer_frame_leaves_the_registers_as_they_were():
    """frame bt from frame 1 (after `up`): the CPU's registers, seen from frame 0, are the same after."""
    out = debug("gdb-tasks", ["break gdb_tasks_ready", "continue", "echo @@a\\n", "p/x $pc", "p/x $sp", "up",
                              "frame bt sleeper", "frame 0", "echo @@b\\n", "p/x $pc", "p/x $sp", "echo @@c\\n"],
                "bt-outer")
    before = re.findall(r"^\$\d+ = (0x\w+)$", out[out.index("@@a"):out.index("@@b")], re.M)
    after = re.findall(r"^\$\d+ = (0x\w+)$", out[out.index("@@b"):out.index("@@c")], re.M)
    assert len(before) == 2 and before == after, out
    assert "task 'sleeper' (blocked), switched out at:" in out, out
