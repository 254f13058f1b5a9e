"""make debug: GDB stops at kernel_main on its first statement, sees the boot path, and steps C."""
import os
import re
import subprocess

from frame_build import BUILD, ROOT


def debug(example, commands, name):
    script = os.path.join(BUILD, "test-logs", f"gdb-{name}.gdb")
    os.makedirs(os.path.dirname(script), exist_ok=True)
    with open(script, "w") as f:
        f.write("\n".join(commands) + "\n")
    env = dict(os.environ, GDB_BATCH="1", GDB_EXTRA=script)
    return subprocess.run(["make", "--no-print-directory", "-C", ROOT, "debug", f"EXAMPLE={example}"],
                          capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)


def first_statement_line(path, function):
    with open(path) as f:
        lines = f.read().splitlines()
    start = next(i for i, l in enumerate(lines) if re.match(rf"\w.*\b{function}\(", l))
    return next(i + 1 for i in range(start + 2, len(lines)) if lines[i].strip())


def test_breakpoint_on_main_backtrace_and_stepping():
    main_c = os.path.join(ROOT, "examples", "hello", "main.c")
    line = first_statement_line(main_c, "kernel_main")
    r = debug("hello", ["bt", "next", "info line *$pc", "step", "bt 1"], "hello")
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert f"Breakpoint 1, kernel_main () at main.c:{line}" in out, out
    assert re.search(r"#1 .* in frame_main \(.*\) at .*sdk/frame/core/init\.c:\d+", out), out  # the boot path below
    assert re.search(r"#2 .* in start64 \(\) at .*boot\.S:\d+", out), out
    assert f'Line {line + 1} of "main.c"' in out, out  # next went to the next line
    assert re.search(r"#0 +boot_loader_name \(\) at .*bootinfo\.c:\d+", out), out  # step entered the frame
    assert "'g' packet reply is too long" not in out
    assert not os.path.exists(os.path.join(BUILD, "examples", "hello", "gdb.sock")), "socket left behind"


def test_a_test_kernel_can_be_debugged_too():
    r = debug("fault", ["info symbol $pc"], "fault")
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"^kernel_main( \+ \d+)? in section \.text$", r.stdout, re.M), r.stdout
