"""Command lines exactly as given: through GRUB's menu (sdk/tools/mkiso quotes them for GRUB's
script syntax, the frame undoes GRUB's own escaping), through make's variables (CMDLINE reaches
QEMU as one word), and the limits said at build time: GRUB's and the frame's command line, the
frame's 8 MiB kernel image."""
import os
import shutil
import subprocess

import pytest
from frame_build import BUILD, ROOT

pytestmark = pytest.mark.kernel("kernels/bootinfo")
SDK = os.path.join(BUILD, "sdk")
MKISO = os.path.join(SDK, "tools", "mkiso")
OUT = os.path.join(BUILD, "tests", "cmdline-grub")
DONE = r"bootinfo: done"
# Every case of GRUB's script syntax, balanced and not, each between spaces and runs of them.
TRICKY = ("'single' \"double\" it's x='y a=\"b c  two  spaces ; a;b $x ${y} `id` #c \\ e\\\\f \\' \\\" "
          "é ü ∑ tab\there ${ end'")


def cmdline_of(result):
    """The command line the bootinfo kernel printed (between "cmdline: [" and the line's last "]")."""
    for line in result.output.splitlines():
        if line.startswith("cmdline: [") and line.endswith("]"):
            return line[len("cmdline: ["):-1]
    raise AssertionError(f"no cmdline line in:\n{result.output[-2000:]}")


def grub_boot(boot, kernel, cmdline):
    result = boot(iso=kernel.iso, cmdline=cmdline, expect=(r"loader: GRUB", DONE), forbid=(r"PANIC", r"\[WARN\]"),
                  timeout=90)
    return cmdline_of(result)


def test_grub_carries_quotes_semicolons_dollars_backticks_hashes_backslashes_non_ascii(boot, kernel):
    assert grub_boot(boot, kernel, TRICKY) == TRICKY


def test_grub_carries_a_4k_line_of_them_and_one_at_the_limit(boot, kernel):
    line = (TRICKY * 100)[:4096]
    assert grub_boot(boot, kernel, line) == line
    # 8189 bytes, 8191 in single quotes: the longest GRUB's lexer takes; GRUB's escaping makes it
    # 13647 bytes, which the frame must read whole, with no warning of a cut
    at_limit = "k=" + ('x\\"' * 3000)[:8187]
    assert grub_boot(boot, kernel, at_limit) == at_limit


@pytest.mark.parametrize("cmdline", ["k=" + "x" * 8188, "'" * 2048, "x" * 16384],
                         ids=["one-over-grub", "quotes-over-grub", "16k"])
def test_mkiso_refuses_a_command_line_over_the_limit(kernel, cmdline):
    os.makedirs(OUT, exist_ok=True)
    iso = os.path.join(OUT, f"refused-{len(cmdline)}-{cmdline[0] == chr(39)}.iso")
    if os.path.exists(iso):
        os.remove(iso)  # an earlier build's
    r = subprocess.run([MKISO, kernel.elf, iso, cmdline], capture_output=True, text=True, timeout=120)
    assert r.returncode != 0, r.stdout + r.stderr
    assert f"the kernel command line is {len(cmdline)} bytes" in r.stderr, r.stderr
    assert "at most 8191 bytes quoted" in r.stderr and "boot module" in r.stderr, r.stderr
    assert not os.path.exists(iso)


@pytest.mark.parametrize("cmdline", ["a\nb", "a\rb"], ids=["newline", "carriage-return"])
def test_mkiso_refuses_a_line_break(kernel, cmdline):
    """GRUB's menu cannot carry them (it drops every carriage return it reads)."""
    os.makedirs(OUT, exist_ok=True)
    r = subprocess.run([MKISO, kernel.elf, os.path.join(OUT, "refused-break.iso"), cmdline], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode != 0 and "holds a line break" in r.stderr, r.stdout + r.stderr


def run_direct(build, *args):
    return subprocess.run(["make", "-s", "-C", os.path.join(ROOT, "tests", "kernels", "bootinfo"), f"SDK={SDK}",
                           f"BUILD={build}", "run-direct", *args], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=180)


def test_make_run_direct_keeps_blanks_and_refuses_what_pvh_would_cut():
    build = os.path.join(OUT, "run-direct-blank")
    r = run_direct(build, "CMDLINE=x\t ")  # (make drops blanks at the start of a value, never at its end)
    assert "cmdline: [x\t ]" in r.stdout, r.stdout + r.stderr
    r = run_direct(build, "CMDLINE=" + "y" * 4096)
    assert r.returncode != 0
    assert "CMDLINE is 4096 bytes; QEMU's -kernel (PVH) boot carries at most 4095" in r.stderr, r.stderr
    assert "cmdline:" not in r.stdout  # refused before QEMU


def test_make_run_direct_passes_cmdline_as_one_word_unexpanded():
    build = os.path.join(OUT, "run-direct")
    given = "a=\"b c x=$$HOME it's `id` ;#"
    r = subprocess.run(["make", "-s", "-C", os.path.join(ROOT, "tests", "kernels", "bootinfo"), f"SDK={SDK}",
                        f"BUILD={build}", "run-direct", f"CMDLINE={given}"], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=180)
    assert "Syntax error" not in r.stderr, r.stderr
    assert "cmdline: [a=\"b c x=$HOME it's `id` ;#]" in r.stdout, r.stdout + r.stderr


def test_an_image_over_8_mib_is_refused_with_its_size_and_what_to_do():
    kdir = os.path.join(OUT, "big")
    shutil.rmtree(kdir, ignore_errors=True)
    os.makedirs(kdir)
    with open(os.path.join(kdir, "main.c"), "w") as f:
        f.write("#include <frame/frame.h>\n\nstatic unsigned char big[9 * 1024 * 1024] = {1};\n\n"
                "void kernel_main(void)\n{\n\tconsole_printf(\"%d\\n\", big[4096]);\n}\n")
    with open(os.path.join(kdir, "Makefile"), "w") as f:
        f.write("include $(SDK)/mk/kernel.mk\n")
    r = subprocess.run(["make", "-s", "-C", kdir, f"SDK={SDK}", "SANITIZE=none", "build/big.elf"],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
    assert r.returncode != 0, r.stdout + r.stderr
    assert "error: the kernel image is " in r.stderr, r.stderr
    size = int(r.stderr.split("error: the kernel image is ")[1].split()[0])
    assert 9 * 1024 * 1024 < size < 12 * 1024 * 1024, r.stderr
    assert "the frame maps at most 8 MiB" in r.stderr and "boot modules" in r.stderr, r.stderr
    assert "layout.h" not in r.stderr and "public frame API" not in r.stderr, r.stderr
    assert not os.path.exists(os.path.join(kdir, "build", "big.elf"))
