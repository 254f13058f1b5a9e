"""The undefined-behaviour sanitizer (docs/safety.md, layer 4): client code is built with
-fsanitize=undefined, and each kind of undefined behaviour panics at once with the kind, the
operands and the client's file:line:column (tests/kernels/ubsan, one case per kind, each on the
line marked "// ub: <case>"). SANITIZE=none builds a kernel without it."""
import os
import re
import subprocess

import pytest
from frame_build import BUILD, ROOT

pytestmark = pytest.mark.kernel("kernels/ubsan")
SOURCE = os.path.join(ROOT, "tests", "kernels", "ubsan", "main.c")
HEX = r"0x[0-9a-f]+"

# (case, what the report says, its column, the function it happened in).
KINDS = [
    ("add-overflow", "signed integer overflow: 2147483647 + 1 cannot be represented in type 'int'", 17,
     "case_add_overflow"),
    ("sub-overflow", "signed integer overflow: -2147483648 - 1 cannot be represented in type 'int'", 17,
     "case_sub_overflow"),
    ("mul-overflow",
     "signed integer overflow: 9223372036854775807 * 2 cannot be represented in type 'long long int'", 19,
     "case_mul_overflow"),
    ("negate-overflow", "negation of -2147483648 cannot be represented in type 'int'", 9, "case_negate_overflow"),
    ("divide-by-zero", "division of 5 by zero", 14, "case_divide_by_zero"),
    ("divide-overflow", "division of -2147483648 by -1 cannot be represented in type 'int'", 17,
     "case_divide_overflow"),
    ("shift-too-far", "shift exponent 40 is too large for 32-bit type 'int'", 13, "case_shift_too_far"),
    ("shift-negative", "shift exponent -1 is negative", 13, "case_shift_negative"),
    ("shift-negative-value", "left shift of negative value -1", 19, "case_shift_negative_value"),
    ("shift-overflow", "left shift of 5 by 30 places cannot be represented in type 'int'", 14, "case_shift_overflow"),
    ("index", "index 4 is out of range for type 'int [4]'", 14, "case_index"),
    ("index-trailing", "index 2 is out of range for type 'int [2]'", 10, "fill"),
    ("null", "load of null pointer of type 'int'", 9, "case_null"),
    ("misaligned",
     "store to misaligned address <addr> for type 'uint32_t', which requires 4-byte alignment", 5, "case_misaligned"),
    ("unreachable", "execution reached __builtin_unreachable()", 3, "case_unreachable"),
    ("bool", "load of value 5, which is not a valid value for type '_Bool'", 12, "case_bool"),
    ("pointer-overflow", "pointer arithmetic on <addr> wrapped around to <addr>", 8, "case_pointer_overflow"),
    ("nonnull-arg", "null pointer passed as argument 2, which is declared never to be null", 15, "case_nonnull_arg"),
    ("nonnull-return", "null pointer returned from a function declared never to return null", 9, "find"),
    ("builtin-ctz", "passing zero to __builtin_ctz(), which is not a valid argument", 9, "case_builtin_ctz"),
    ("vla", "variable length array bound -1 is not positive", 7, "case_vla"),
]


def line_of(case):
    """The line of main.c marked "// ub: <case>"."""
    with open(SOURCE) as f:
        lines = [n for n, text in enumerate(f, 1) if text.rstrip().endswith(f"// ub: {case}")]
    assert len(lines) == 1, f"main.c marks {len(lines)} lines for {case}"
    return lines[0]


@pytest.mark.parametrize("case, what, column, function", KINDS, ids=[k[0] for k in KINDS])
def test_undefined_behaviour_panics_with_kind_operands_and_line(boot, case, what, column, function):
    line = line_of(case)
    message = re.escape(f"undefined behaviour: {what} at main.c:{line}:{column} (in {function})")
    result = boot(cmdline=case, expect=(rf"ubsan: {case}$", r"^PANIC: " + message.replace("<addr>", HEX) + "$"),
                  exit_status=35)
    assert result.panic.location == ("main.c", line, function)
    assert result.panic.complete and len(result.panic.frames) >= 2


def test_every_handler_gcc_can_emit_is_in_libframe():
    """A kernel built with any -fsanitize kind of GCC's undefined-behaviour sanitizer links: every
    __ubsan_handle_* this compiler knows (but C++'s dynamic-type query) is global in libframe.a."""
    cc1 = subprocess.run(["gcc", "-print-prog-name=cc1"], capture_output=True, text=True, check=True).stdout.strip()
    strings = subprocess.run(["strings", cc1], capture_output=True, text=True, check=True).stdout
    emitted = set(re.findall(r"__ubsan_handle_\w+", strings)) - {"__ubsan_handle_dynamic_type_cache_miss",
                                                                 "__ubsan_handle_dynamic_type_cache_miss_abort"}
    assert "__ubsan_handle_add_overflow_abort" in emitted
    nm = subprocess.run(["nm", "--defined-only", os.path.join(BUILD, "sdk", "lib", "libframe.a")],
                        capture_output=True, text=True, check=True).stdout
    exported = set(re.findall(r" T (__ubsan_handle_\w+)$", nm, re.M))
    assert emitted <= exported, sorted(emitted - exported)


@pytest.fixture(scope="module")
def unsanitized():
    """The same kernel built with SANITIZE=none (in build/tests/kernels/ubsan-none)."""
    build = os.path.join(BUILD, "tests", "kernels", "ubsan-none")
    subprocess.run(["make", "-s", "-C", os.path.join(ROOT, "tests", "kernels", "ubsan"), f"SDK={BUILD}/sdk",
                    f"BUILD={build}", "SANITIZE=none", "all"], check=True, capture_output=True,
                   stdin=subprocess.DEVNULL)
    return build


def test_sanitize_none_builds_without_it(boot, unsanitized):
    undefined = subprocess.run(["nm", "-u", os.path.join(unsanitized, "obj", "main.c.o")], capture_output=True,
                               text=True, check=True).stdout
    assert "__ubsan" not in undefined
    boot(os.path.join(unsanitized, "ubsan.elf"), cmdline="add-overflow",
         expect=r"ubsan: case 'add-overflow' did not panic", exit_status=35)
