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
                            "geom.h:1: error: floating point (float)", {"geom.h": "struct point { float x, y; };\n"}),
    "float_constant": ("#define HALF 0.5\n", "\tint x = (int)(HALF * 4);\n\t(void)x;",
                       "error: floating point (double)"),
    # An assembly file is a user program: one without _start is kernel code, which is C.
    "assembly_kernel_code": ("void helper(void);\n", "\thelper();",
                             "helper.S has no _start: an assembly file in a kernel directory is a user program",
                             {"helper.S": ".globl helper\nhelper:\n\tret\n"}),
    "user_program": ("", "", None, {"loop.S": ".globl _start\n_start:\n\tjmp _start\n"}),
    # Nothing turns the sanitizers off, or moves code or data to where kernel.ld puts the frame's.
    "no_sanitize_address": ("__attribute__((no_sanitize_address)) static void poke(char *p) { p[0] = 1; }\n",
                            "\tchar c;\n\tpoke(&c);", "main.c:1: error: __attribute__((no_sanitize_address)) "
                            "turns the address sanitizer off: not in the safe subset (docs/safety.md, layer 3)"),
    "no_sanitize_spelled_otherwise": ('__attribute__((__no_sanitize__("address"))) static void poke(char *p) '
                                      "{ p[0] = 1; }\n", "\tchar c;\n\tpoke(&c);",
                                      "error: __attribute__((no_sanitize)) turns the sanitizers off"),
    "no_address_safety_analysis": ("__attribute__((no_address_safety_analysis)) static void poke(char *p) "
                                   "{ p[0] = 1; }\n", "\tchar c;\n\tpoke(&c);",
                                   "__attribute__((no_address_safety_analysis)) turns the address sanitizer off"),
    "no_sanitize_undefined": ("__attribute__((no_sanitize_undefined)) static int add(int a) { return a + 1; }\n",
                              "\tconsole_printf(\"%d\\n\", add(1));",
                              "__attribute__((no_sanitize_undefined)) turns the undefined-behaviour sanitizer off"),
    "no_sanitize_pasted": ("#define OFF(what) no_sanitize_##what\n__attribute__((OFF(address))) static void "
                           "poke(char *p) { p[0] = 1; }\n", "\tchar c;\n\tpoke(&c);",
                           "main.c:2: error: __attribute__((no_sanitize_address))"),
    "no_stack_protector": ("__attribute__((no_stack_protector)) static char fill(void) { volatile char b[16]; "
                           "b[0] = 1; return b[0]; }\n", "\t(void)fill();",
                           "__attribute__((no_stack_protector)) turns the stack protector off"),
    "section_on_a_function": ('__attribute__((section(".boot.text"))) static void hidden(void) {}\n', "\thidden();",
                              "main.c:1: error: __attribute__((section)) moves code or data"),
    "section_on_a_variable": ('static int fake __attribute__((used, section(".ktests"))) = 1;\n',
                              '\tconsole_printf("%d\\n", fake);', "main.c:1: error: __attribute__((section))"),
    "ktest_section_forged": ("", "\tstruct ktest { long name, fn, file, line; };\n\tstatic const struct ktest "
                             'forged __attribute__((used, section(".ktests"))) = {0, 0x1234, 0, 0};\n\t(void)forged;',
                             "main.c:6: error: __attribute__((section))"),
    "target": ('__attribute__((target("rdrnd"))) static int rnd(unsigned long long *p) '
               "{ return __builtin_ia32_rdrand64_step(p); }\n",
               "\tunsigned long long r;\n\tconsole_printf(\"%d\\n\", rnd(&r));",
               "main.c:1: error: __attribute__((target)) changes the instruction set"),
    "optimize": ('__attribute__((optimize("O0"))) static int one(void) { return 1; }\n',
                 "\tconsole_printf(\"%d\\n\", one());", "__attribute__((optimize)) changes the compiler's options"),
    "naked": ("__attribute__((naked)) static void bare(void) {}\n", "\tbare();",
              "__attribute__((naked)) makes a function with no prologue"),
    "interrupt": ("__attribute__((interrupt)) static void handler(void *frame) { (void)frame; }\n",
                  "\tvoid (*f)(void *) = handler;\n\t(void)f;", "__attribute__((interrupt)) makes a function that "
                  "returns with iretq"),
    "weakref": ("static void unpoison(void *, unsigned long)\n"
                '\t__attribute__((weakref("__asan_unpoison_stack_memory")));\n',
                "\tchar c;\n\tunpoison(&c, 1);", "__attribute__((weakref)) gives a declaration another symbol's name"),
    "pragma_optimize": ('#pragma GCC optimize("O0")\n', "", "main.c:1: error: #pragma GCC optimize changes the "
                        "compiler's options"),
    "pragma_push_options": ("#pragma GCC push_options\n", "",
                            "#pragma GCC push_options changes the compiler's options"),
    "pragma_in_a_macro": ('#define RDRAND _Pragma("GCC target(\\"rdrnd\\")")\nRDRAND\n', "",
                          "#pragma GCC target changes the instruction set"),
    "pragma_renaming": ("#pragma redefine_extname unpoison __asan_unpoison_stack_memory\n", "",
                        "#pragma redefine_extname"),
    # Nor does it name the sanitizers' runtime, which only the code the compiler adds may call.
    "asan_runtime": ("void __asan_unpoison_stack_memory(unsigned long addr, unsigned long size);\n",
                     "\tchar c;\n\t__asan_unpoison_stack_memory((unsigned long)&c, 1);",
                     "main.c:1: error: __asan_unpoison_stack_memory names the sanitizers' runtime"),
    "ubsan_runtime": ("void __ubsan_handle_builtin_unreachable(void *data);\n", "",
                      "__ubsan_handle_builtin_unreachable names the sanitizers' runtime"),
    "stack_protector_canary": ("extern unsigned long __stack_chk_guard;\n",
                               "\tconsole_printf(\"%lx\\n\", __stack_chk_guard);",
                               "main.c:1: error: __stack_chk_guard names the sanitizers' runtime"),
    "runtime_name_pasted": ("#define ASAN(f) __asan_##f\n"
                            "void ASAN(unpoison_stack_memory)(unsigned long, unsigned long);\n",
                            "", "main.c:2: error: __asan_unpoison_stack_memory names"),
    "runtime_builtin": ("", "\t__builtin___asan_handle_no_return();", "__builtin___asan_handle_no_return names"),
    # Nor the built-ins that hand out raw stack addresses or move the stack (writing fp[1]
    # rewrites a return address), or run x86 instructions whose accesses the sanitizer does not see.
    "frame_address": ("", "\tunsigned long *fp = __builtin_frame_address(0);\n\tfp[1] = 0;",
                      "__builtin_frame_address hands out a raw stack or code address"),
    "return_address": ("", "\tvoid *ra = __builtin_return_address(0);\n\t(void)ra;",
                       "__builtin_return_address hands out a raw stack or code address"),
    "alloca": ("", "\tchar *p = __builtin_alloca(1 << 20);\n\tp[0] = 0;", "__builtin_alloca moves the stack pointer"),
    "longjmp": ("", "\tvoid *buf[5] = {0};\n\t__builtin_longjmp(buf, 1);", "__builtin_longjmp moves the stack pointer"),
    "va_list_internals": ("static void f(int n, ...)\n{\n\t__builtin_va_list ap;\n\t__builtin_va_start(ap, n);\n"
                          "\t((void **)ap->overflow_arg_area)[-1] = 0;\n\t__builtin_va_end(ap);\n}\n", "\tf(0);",
                          "overflow_arg_area"),
    "ia32_builtin": ("", "\tchar area[512];\n\t__builtin_ia32_fxsave(area);",
                     "main.c:6: error: __builtin_ia32_fxsave runs an x86 instruction directly"),
    "thread_local": ("static _Thread_local int counter;\n", "\tcounter = 1;",
                     "main.c:1: error: _Thread_local puts data outside the client's sections"),
    # The checker sees what the compiler compiles, not what clang would make of the file.
    "hidden_from_clang": ("#ifdef __clang__\n#define VGA ((volatile char *)0)\n#else\n"
                          "#define VGA ((volatile char *)0xb8000)\n#endif\n", "\t*VGA = 'A';",
                          "main.c:10: error: integer-to-pointer cast"),
    "vla_warning_off": ('#pragma GCC diagnostic ignored "-Wvla"\n',
                        "\tint n = 4;\n\tchar a[n];\n\ta[0] = 0;\n\t(void)a;",
                        "main.c:7: error: variable length array"),
    "vla_in_a_system_header": ('#include "vla.h"\n', "\tfill(4);", "vla.h:2: error: variable length array",
                               {"vla.h": "#pragma GCC system_header\n"
                                         "static void fill(int n) { char a[n]; a[0] = 0; (void)a; }\n"}),
    # What the SDK's own macros expand to, and harmless attributes and pragmas, stay fine.
    "ktest_and_precondition": ("#include <frame/frame.h>\nKTEST(adds) { KTEST_EXPECT(1 + 1 == 2); }\n",
                               '\tprecondition(1 + 1 == 2, "arithmetic");\n\tktest_main();', None),
    "harmless_attributes": ("__attribute__((noinline, used, cold, no_instrument_function, aligned(16))) "
                            "static int one(void) { return 1; }\n#pragma GCC diagnostic push\n#pragma pack(1)\n"
                            "struct packed { char c; int i; };\n#pragma GCC diagnostic pop\n",
                            "\tconsole_printf(\"%d %d\\n\", one(), (int)sizeof(struct packed));", None),
    # clang cannot parse GCC's nested functions: what it cannot parse, it cannot check.
    "nested_function": ("", "\tvoid inner(void) { *(volatile char *)0xb8000 = 'A'; }\n\tinner();",
                        "clang cannot parse this file as GCC preprocessed it"),
    # A test kernel's SUBSET_EXCEPTIONS allows the rules it names, and only those.
    "exception_is_only_that": ('__attribute__((no_sanitize_address, section(".boot.text"))) static void poke(char *p) '
                               "{ p[0] = 1; }\n", "\tchar c;\n\tpoke(&c);", "__attribute__((section)) moves",
                               {"Makefile": "SUBSET_EXCEPTIONS := no_sanitize_address\n"}),
}


def build(name, prefix, body, files=None):
    kdir = os.path.join(BUILD, "test-subset", name)
    shutil.rmtree(kdir, ignore_errors=True)
    os.makedirs(kdir)
    with open(os.path.join(kdir, "main.c"), "w") as f:
        f.write(prefix + GOOD % body)
    with open(os.path.join(kdir, "dev.h"), "w") as f:
        f.write("static inline volatile char *vga(void)\n{ return (volatile char *)0xb8000UL; }\n")
    files = dict(files or {})
    makefile = files.pop("Makefile", "") + f"SDK = {SDK}\ninclude $(SDK)/mk/kernel.mk\n"
    for path, text in files.items():
        with open(os.path.join(kdir, path), "w") as f:
            f.write(text)
    with open(os.path.join(kdir, "Makefile"), "w") as f:
        f.write(makefile)
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


def test_a_test_kernels_exceptions_are_shown_where_it_is_checked():
    """The SDK's own test kernels that break a rule on purpose (tests/kernels/stack-smash) name it
    in SUBSET_EXCEPTIONS, and every CHECK line shows it; a rule that does not exist is refused."""
    poke = "__attribute__((no_sanitize_address)) static void poke(char *p) { p[0] = 1; }\n"
    r = build("exception_listed", poke, "\tchar c;\n\tpoke(&c);",
              {"Makefile": "SUBSET_EXCEPTIONS := no_sanitize_address\n"})
    assert r.returncode == 0, r.stdout + r.stderr
    assert "CHECK   main.c (subset exceptions: no_sanitize_address)" in r.stdout
    r = build("exception_unknown", poke, "\tchar c;\n\tpoke(&c);", {"Makefile": "SUBSET_EXCEPTIONS := asm\n"})
    assert r.returncode != 0 and "SUBSET_EXCEPTIONS: no rule named asm" in r.stderr, r.stdout + r.stderr


def test_a_missing_sdk_is_explained():
    r = subprocess.run(["make", "-C", os.path.join(ROOT, "examples", "hello"), "SDK=/nonexistent/sdk"],
                       capture_output=True, text=True)
    assert r.returncode != 0
    assert "Frame SDK not found at '/nonexistent/sdk'" in r.stderr and "make sdk" in r.stderr
