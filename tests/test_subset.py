"""The safe subset: each forbidden construct is rejected at build time with a readable error."""
import os
import shutil
import subprocess

import pytest
from frame_build import BUILD, ROOT

SDK = os.path.join(BUILD, "sdk")
GOOD = """#include <frame/frame.h>

void kernel_main(void)
{
%s
	console_printf("ok\\n");
}
"""
CASES = {
    "clean": ("", "", None),
    "inline_asm": ("", '\t__asm__ volatile("hlt");', 'attempt to use poisoned "__asm__"'),
    "asm_keyword": ("", '\tasm("cli");', 'attempt to use poisoned "asm"'),
    "int_to_pointer": ("", "\tvolatile char *vga = (volatile char *)0xb8000UL;\n\t*vga = 'A';",
                       "integer-to-pointer casts are outside the safe subset"),
    "uintptr_round_trip": ("", "\tunsigned long a = 4096;\n\tint *p = (int *)a;\n\t(void)p;",
                           "main.c:6: error: integer-to-pointer cast"),
    "libc_header": ("#include <stdio.h>\n", "", "stdio.h: No such file or directory"),
    "private_header": (f'#include "{ROOT}/sdk/frame/arch/x86_64/x86.h"\n', "",
                       "neither a public frame header"),
    "warning_is_error": ("", "\tint unused;", "unused variable"),
    "format_mismatch": ("", '\tconsole_printf("%s\\n", 42);', "expects argument of type"),
    "cast_in_a_macro": ("#define VGA ((volatile char *)0xb8000)\n", "\t*VGA = 'A';", "integer-to-pointer cast"),
    "cast_in_own_header": ('#include "dev.h"\n', "\t*vga() = 'A';", "dev.h:2: error: integer-to-pointer cast"),
    "null_arithmetic": ("", "\tchar *p = (char *)0 + 0xb8000;\n\t*p = 'A';", "arithmetic on a null pointer"),
    "frame_internal": ("#include <stdint.h>\nextern uint64_t boot_pml4[512];\n", "\tboot_pml4[511] = 0;",
                       "undefined reference to `boot_pml4'"),
    "frame_internal_function": ("void *linear_map_ensure(unsigned long phys, unsigned long len);\n",
                                "\t*(char *)linear_map_ensure(0xb8000, 1) = 'A';",
                                "links only to the public frame API"),
    "null_is_fine": ("", "\tint *p = (int *)0;\n\t(void)p;", None),
    # No floating point: the kernel runs without FPU state. GCC takes a double constant (on the
    # stack, with -mgeneral-regs-only) and a double that is never computed with.
    "float_printf": ("", '\tconsole_printf("%f\\n", 1.0);', "main.c:5: error: floating point (double)"),
    "double_variable": ("", "\tdouble d = 2;\n\t(void)d;", "the kernel runs without FPU state"),
    "float_in_own_header": ('#include "geom.h"\n', "\tstruct point p = {0};\n\t(void)p;",
                            "./geom.h:1: error: floating point (float)", {"geom.h": "struct point { float x, y; };\n"}),
    "float_constant": ("#define HALF 0.5\n", "\tint x = (int)(HALF * 4);\n\t(void)x;",
                       "error: floating point (double)"),
    # An assembly file is a user program: one without _start is kernel code, which is C.
    "assembly_kernel_code": ("void helper(void);\n", "\thelper();",
                             "helper.S has no _start: an assembly file in a kernel directory is a user program",
                             {"helper.S": ".globl helper\nhelper:\n\tret\n"}),
    "user_program": ("", "", None, {"loop.S": ".globl _start\n_start:\n\tjmp _start\n"}),
}


def build(name, prefix, body, files=None):
    kdir = os.path.join(BUILD, "test-subset", name)
    shutil.rmtree(kdir, ignore_errors=True)
    os.makedirs(kdir)
    with open(os.path.join(kdir, "main.c"), "w") as f:
        f.write(prefix + GOOD % body)
    with open(os.path.join(kdir, "dev.h"), "w") as f:
        f.write("static inline volatile char *vga(void)\n{ return (volatile char *)0xb8000UL; }\n")
    for path, text in (files or {}).items():
        with open(os.path.join(kdir, path), "w") as f:
            f.write(text)
    with open(os.path.join(kdir, "Makefile"), "w") as f:
        f.write(f"SDK = {SDK}\ninclude $(SDK)/mk/kernel.mk\n")
    return subprocess.run(["make", "--no-print-directory", "-C", kdir, "build/%s.elf" % name],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name", CASES)
def test_safe_subset(name):
    prefix, body, error, *files = CASES[name]
    r = build(name, prefix, body, *files)
    out = r.stdout + r.stderr
    if error is None:
        assert r.returncode == 0, out
    else:
        assert r.returncode != 0, f"{name} was accepted:\n{out}"
        assert error in out, out


def test_a_missing_sdk_is_explained():
    r = subprocess.run(["make", "-C", os.path.join(ROOT, "examples", "hello"), "SDK=/nonexistent/sdk"],
                       capture_output=True, text=True)
    assert r.returncode != 0
    assert "Frame SDK not found at '/nonexistent/sdk'" in r.stderr and "make sdk" in r.stderr
