"""make new and tools/frame-new: a kernel of your own from a template, made with the SDK tarball alone, that
builds, passes its own test, and stops at kernel_main under its VS Code debug configuration's GDB; and the SDK
carries the frame's sources, so GDB shows them from the unpacked tarball."""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest
from frame_build import BUILD, ROOT

TEMPLATES = ("hello", "userspace", "timer")


def clean_env(**extra):
    """The environment a user's shell has: none of the variables the top-level make test sets."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FRAME_", "GDB")) and k != "PYTHONPATH"}
    return dict(env, **extra)


def run(cmd, cwd, timeout=300, env=None):
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                          env=env or clean_env())


@pytest.fixture(scope="module")
def tmp():
    parent = tempfile.mkdtemp(prefix="frame-new-")
    yield parent
    shutil.rmtree(parent, ignore_errors=True)


@pytest.fixture(scope="module")
def sdk(tmp):
    """The SDK as `make dist` packs it, copied out of the repository and unpacked: <tmp>/sdk."""
    r = run(["make", "--no-print-directory", "dist"], cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    shutil.copy(os.path.join(ROOT, "dist", "frame-sdk.tar.gz"), tmp)
    r = run(["tar", "-xzf", "frame-sdk.tar.gz"], cwd=tmp)
    assert r.returncode == 0, r.stderr
    return os.path.join(tmp, "sdk")


def frame_new(sdk, *args):
    return run([os.path.join(sdk, "tools", "frame-new"), *args], cwd=os.path.dirname(sdk))


@pytest.fixture(scope="module", params=TEMPLATES)
def kernel(request, sdk, tmp):
    """A kernel named k_TEMPLATE made by the unpacked SDK's frame-new, and built there with plain `make`."""
    kdir = os.path.join(tmp, f"k_{request.param}")
    r = frame_new(sdk, "--template", request.param, kdir)
    assert r.returncode == 0, r.stdout + r.stderr
    r = run(["make", "--no-print-directory"], cwd=kdir)
    assert r.returncode == 0, r.stdout + r.stderr
    return kdir


def test_a_new_kernel_builds_against_the_unpacked_sdk(kernel, sdk):
    name = os.path.basename(kernel)
    files = set(os.listdir(kernel))
    assert {"Makefile", "main.c", f"test_{name}.py", "README.md", ".gitignore", ".vscode", "build"} <= files, files
    assert ("hello.S" in files) == name.endswith("userspace"), files  # the user program
    with open(os.path.join(kernel, "Makefile")) as f:
        assert f"SDK ?= {sdk}\n" in f.read()
    with open(os.path.join(kernel, ".gitignore")) as f:
        assert f.read().split() == ["build/"]
    with open(os.path.join(kernel, "README.md")) as f:
        readme = f.read()
    for command in ("make", "make run", "make test", "make debug"):
        assert f"| `{command}` |" in readme, command
    assert os.path.exists(os.path.join(kernel, "build", f"{name}.elf"))
    with open(os.path.join(kernel, "build", "compile_commands.json")) as f:  # the first build wrote it
        commands = json.load(f)
    assert [c["file"] for c in commands] == [os.path.join(kernel, "main.c")], commands
    assert f"-I{sdk}/include" in commands[0]["arguments"], commands[0]


def test_a_new_kernel_passes_its_own_test(kernel):
    r = run(["make", "--no-print-directory", "test"], cwd=kernel)
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"^1 passed", r.stdout, re.M), r.stdout


def test_its_vscode_debug_configuration_stops_at_kernel_main(kernel):
    """launch.json's GDB part in batch mode: its preLaunchTask (from tasks.json) as VS Code runs it, until the
    line the task's problem matcher waits for; then GDB with the configuration's setup commands and its
    launchCompleteCommand. The task ends by itself once the kernel has powered off."""
    def vscode(text):
        return text.replace("${workspaceFolder}", kernel)

    with open(os.path.join(kernel, ".vscode", "launch.json")) as f:
        config, = json.load(f)["configurations"]
    with open(os.path.join(kernel, ".vscode", "tasks.json")) as f:
        task, = (t for t in json.load(f)["tasks"] if t["label"] == config["preLaunchTask"])
    assert config["type"] == "cppdbg" and config["request"] == "launch" and task["isBackground"]
    assert vscode(config["program"]) == os.path.join(kernel, "build", os.path.basename(kernel) + ".elf")
    ready = re.compile(task["problemMatcher"]["background"]["endsPattern"])
    proc = subprocess.Popen(["/bin/sh", "-c", vscode(task["command"])], cwd=kernel, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL, env=clean_env(),
                            start_new_session=True)
    try:
        output = []
        for line in proc.stdout:
            output.append(line)
            if ready.search(line):
                break
        assert any(ready.search(line) for line in output), "".join(output)
        commands = [vscode(c["text"]) for c in config["customLaunchSetupCommands"]]
        commands.append({"exec-continue": "continue"}[config["launchCompleteCommand"]])
        gdb = run([config["miDebuggerPath"], *config["miDebuggerArgs"].split(), "-batch",
                   *(a for c in commands + ["bt 1"] for a in ("-ex", c))], cwd=vscode(config["cwd"]), timeout=120)
        out = gdb.stdout + gdb.stderr
        assert re.search(r"^Breakpoint 1, kernel_main \(\) at main\.c:\d+$", out, re.M), out
        assert re.search(r"^#0 +kernel_main \(\) at main\.c:\d+$", out, re.M), out
        proc.wait(timeout=120)  # GDB detached, the kernel powered off: QEMU and the task are gone
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait()


def test_make_new_in_the_repository_names_its_sdk(tmp):
    kdir = os.path.join(tmp, "from_the_repo")
    r = run(["make", "--no-print-directory", "new", f"DIR={kdir}", "TEMPLATE=timer"], cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    with open(os.path.join(kdir, "Makefile")) as f:
        assert f"SDK ?= {os.path.join(BUILD, 'sdk')}\n" in f.read()
    with open(os.path.join(kdir, "main.c")) as f, open(os.path.join(ROOT, "examples", "timer", "main.c")) as g:
        assert f.read() == g.read()
    assert os.path.exists(os.path.join(kdir, "test_from_the_repo.py"))
    r = run(["make", "--no-print-directory", "new"], cwd=ROOT)
    assert r.returncode != 0 and "usage: make new DIR=" in r.stderr, r.stderr


def test_frame_new_refuses_what_it_cannot_make(sdk, tmp):
    full = os.path.join(tmp, "full")
    os.makedirs(full)
    with open(os.path.join(full, "notes.txt"), "w") as f:
        f.write("mine\n")
    r = frame_new(sdk, full)
    assert r.returncode != 0 and f"error: {full} exists and is not an empty directory" in r.stderr, r.stderr
    assert os.listdir(full) == ["notes.txt"]
    r = frame_new(sdk, "--template", "nosuch", os.path.join(tmp, "k_nosuch"))
    assert r.returncode != 0, r.stderr
    assert "error: no template named 'nosuch'; the templates are: hello timer userspace" in r.stderr, r.stderr
    r = frame_new(sdk, os.path.join(tmp, "my-kernel"))
    assert r.returncode != 0 and "must be a C identifier" in r.stderr and f"try {tmp}/my_kernel" in r.stderr, r.stderr
    r = frame_new(sdk, os.path.join(tmp, "2nd"))
    assert r.returncode != 0 and f"try {tmp}/k2nd" in r.stderr, r.stderr
    assert not any(os.path.exists(os.path.join(tmp, d)) for d in ("k_nosuch", "my-kernel", "2nd"))


def test_gdb_shows_the_frames_source_from_the_unpacked_sdk(sdk, tmp):
    """The userspace template calls frame_alloc(): break there under make debug, in a kernel built against
    the unpacked SDK, and GDB shows frame_alloc.c from the SDK's src/, which the tarball carries."""
    with open(os.path.join(sdk, "lib", "libframe.a"), "rb") as f:
        assert ROOT.encode() not in f.read(), "the frame's debug information names the repository"
    kdir = os.path.join(tmp, "k_sources")
    assert frame_new(sdk, "--template", "userspace", kdir).returncode == 0
    script = os.path.join(tmp, "sources.gdb")
    with open(script, "w") as f:
        f.write("break frame_alloc\ncontinue\ninfo source\nframe\nframe function frame_main\ninfo source\n")
    r = run(["make", "--no-print-directory", "debug"], cwd=kdir, timeout=180,
            env=clean_env(GDB_BATCH="1", GDB_EXTRA=script))
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    stop = re.search(r"^Breakpoint 2, frame_alloc \(.*\) at sdk/frame/mm/frame_alloc\.c:(\d+)$", out, re.M)
    assert stop, out
    located = [os.path.realpath(p) for p in re.findall(r"^Located in (\S+)$", out, re.M)]
    assert located == [os.path.join(sdk, "src", "frame", "mm", "frame_alloc.c"),
                       os.path.join(sdk, "src", "frame", "core", "init.c")], out  # a file, and an outer frame's
    with open(os.path.join(sdk, "src", "frame", "mm", "frame_alloc.c")) as f:
        line = f.read().splitlines()[int(stop.group(1)) - 1]
    assert f"\n{stop.group(1)}\t{line}\n" in out, out  # the source line itself, read from the SDK's copy
    assert "No such file" not in out, out


def test_getting_started_quotes_what_frame_new_prints(sdk, tmp):
    """docs/getting-started.md quotes frame-new's message: it is the message, for a kernel named mykernel."""
    kdir = os.path.join(tmp, "mykernel")
    r = frame_new(sdk, kdir)
    assert r.returncode == 0, r.stdout + r.stderr
    with open(os.path.join(ROOT, "docs", "getting-started.md")) as f:
        doc = f.read()
    start = doc.index("    A new kernel, mykernel (hello), in /home/you/mykernel. There:\n")
    quoted = []
    for line in doc[start:].splitlines():
        if not line.startswith("    "):
            break
        quoted.append(line[4:])
    assert r.stdout.replace(kdir, "/home/you/mykernel").splitlines() == quoted


def test_profile_trace_and_coverage_work_for_a_kernel_from_the_tarball(sdk, tmp):
    """make profile, make trace and make coverage in a kernel made by the unpacked SDK's frame-new."""
    kdir = os.path.join(tmp, "k_seeing")
    assert frame_new(sdk, "--template", "timer", kdir).returncode == 0
    r = run(["make", "--no-print-directory", "profile", "SECONDS=2", "HZ=200"], cwd=kdir)
    assert r.returncode == 0 and os.path.getsize(os.path.join(kdir, "build", "profile", "k_seeing.svg")) > 0, \
        r.stdout + r.stderr
    r = run(["make", "--no-print-directory", "trace"], cwd=kdir)
    assert r.returncode == 0, r.stdout + r.stderr
    with open(os.path.join(kdir, "build", "trace", "k_seeing.json")) as f:
        assert any(e.get("name") == "on_timer" for e in json.load(f)["traceEvents"]), "no timer callback traced"
    if shutil.which("genhtml"):
        r = run(["make", "--no-print-directory", "coverage"], cwd=kdir, timeout=300)
        assert r.returncode == 0 and os.path.isfile(os.path.join(kdir, "build", "coverage", "index.html")), \
            r.stdout + r.stderr
        assert re.search(r"main\.c|^ *\S+: +\d+% of \d+ lines", r.stdout, re.M), r.stdout
