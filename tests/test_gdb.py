"""make debug: GDB stops at kernel_main on its first statement, sees the boot path, and steps C; it has the
symbols of the kernel's user programs in C too, and stops and steps in them."""
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


def test_break_main_in_a_user_program_in_c_and_next_through_it():
    # tests/kernels/user-c runs user/hello.c (loaded by the ELF loader) with argv {"hello", "frame"}; it embeds
    # user/musl/mhello.c too, linked at the same addresses: "break main" has a location in each program, and
    # "break hello.c:main" names one. "shell cat" shows the serial log at that moment: the program's printf has
    # written only once next has stepped over it.
    with open(os.path.join(ROOT, "tests", "kernels", "user-c", "user", "hello.c")) as f:
        lines = f.read().splitlines()
    brace, snprintf, printf, ret = (next(i + 1 for i, l in enumerate(lines) if l.strip().startswith(w))
                                    for w in ("{", "snprintf(", "printf(", "return "))
    r = debug("user-c", ["break main", "break hello.c:main", "continue", "bt", "next", "next",
                         "echo [log]\\n", "shell cat debug-serial.log", "echo [next]\\n", "next", "info line *$pc",
                         "echo [log]\\n", "shell cat debug-serial.log"], "user-c")
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert re.search(r"add symbol table from file .*/user-c/hello\.elf", out), out
    assert re.search(r"add symbol table from file .*/user-musl/mhello\.elf", out), out
    assert re.search(r"Breakpoint 2 at 0x4[0-9a-f]{5}: main\. \(2 locations\)", out), out  # one per program
    assert re.search(r"Breakpoint 3 at 0x4[0-9a-f]{5}: file user/hello\.c, line \d+\.", out), out
    stop = re.search(r"Breakpoint 2\.1, main \(argc=2, argv=0x7ff[0-9a-f]+\) at user/hello\.c:(\d+)", out)
    assert stop and int(stop.group(1)) in (brace, snprintf), out  # GDB 13 stops on the brace at -O1
    assert re.search(r"^#0 +main \(argc=2, argv=0x7ff[0-9a-f]+\) at user/hello\.c:\d+$", out, re.M), out
    walk, log1, step, log2 = re.split(r"\[log\]|\[next\]", out)
    assert re.search(rf"^{snprintf}\t\s*snprintf\(line,", walk, re.M), out  # next walks the source, line by line
    assert re.search(rf"^{printf}\t\s*printf\(\"hello from C:", walk, re.M), out
    assert "user/hello.c: ELF" in log1 and "hello from C" not in log1, out  # stopped before the printf
    assert re.search(rf"^{ret}\t\s*return ", step, re.M) and f'Line {ret} of "user/hello.c"' in step, out
    assert "hello from C: argc 2, left  |   42|000ff|!|frame, 26 bytes" in log2, out  # the printf ran
    assert "hello exited" not in log2, out  # and the program is still in main
