"""The address sanitizer: a client's access outside what it owns is reported at the access, with its
kind, the address, the size, read or write, and the client's source line (tests/kernels/kasan)."""
import pathlib

import pytest

pytestmark = pytest.mark.kernel("kernels/kasan")
ADDR = r"0x[0-9a-f]{16}"


def source_line(function):
    """The line of main.c that holds the comment-free statement the case is about."""
    return {
        "global_overrun": "global_array[ten] = 1;",
        "stack_overrun": "local[sixteen] = 1;",
        "forged_linear_write": "pun.p[0] = 'X';",
        "frame_memory_write": "cmdline[0] = 'X';",
        "frame_object_write": "inside[0] = 1;",
        "constant_write": "s[0] = 'X';",
        "null_read": 'console_printf("%d\\n", *p);',
        "frame_read_overrun": "frame_read(f, 0, small, PAGE_SIZE);",
        "memcpy_overrun": "memcpy(dst, src, sixteen * 4);",
        "heap_overflow": "p[24] = 1;",
        "heap_read_after_free": 'console_printf("%d\\n", stale[8]);',
        "heap_write_after_free": "stale[0] = 1;",
        "scope_escape": "escaped[1] = 'x';",
        "out_param_frame": "if (frame_alloc(f, 0) != ERR_OK)",
        "strncmp_frame": 'console_printf("%d\\n", strncmp(task, "x", 1));',
        "printf_frame": 'console_printf("%s\\n", (const char *)hide(task_current()));',
        "user_address_read": 'console_printf("%d\\n", pun.p[0]);',
    }[function]


@pytest.fixture
def caught(boot):
    """caught(how, function, message): the case must panic with message at main.c:<its line>."""
    lines = (pathlib.Path(__file__).parent / "kernels" / "kasan" / "main.c").read_text().splitlines()

    def run(how, function, message):
        line = next(i + 1 for i, text in enumerate(lines) if text.strip().startswith(source_line(function)))
        result = boot(cmdline=how, exit_status=35, forbid=(r"was not caught",),
                      expect=(rf"PANIC: address sanitizer: {message} \(in {function}\+0x[0-9a-f]+\)$",
                              rf"^  at main\.c:{line} in {function}\+0x[0-9a-f]+$"))
        return result
    return run


@pytest.mark.parametrize("how, function, message", [
    ("global-overrun", "global_overrun",
     rf"global out of bounds: write of 1 byte at {ADDR}, 0 bytes past the end of the 10-byte global 'global_array'"),
    ("stack-overrun", "stack_overrun", rf"stack out of bounds: write of 1 byte at {ADDR}"),
    ("forged-linear-write", "forged_linear_write",
     r"wild access to physical memory through the linear map \(a pointer made from a number\?\): "
     r"write of 1 byte at 0xffff8000000b8000"),
    ("frame-memory-write", "frame_memory_write", rf"write to read-only memory: write of 1 byte at {ADDR}"),
    ("constant-write", "constant_write", rf"write to read-only memory: write of 1 byte at {ADDR}"),
    ("null-read", "null_read", r"NULL pointer dereference: read of 4 bytes at 0x0000000000000000"),
    ("frame-read-overrun", "frame_read_overrun",
     rf"stack out of bounds: write of 4096 bytes at {ADDR} \(its byte 16 is bad\)"),
    ("scope-escape", "scope_escape", rf"use of a local variable after its scope ended: write of 1 byte at {ADDR}"),
    ("user-address-read", "user_address_read",
     r"wild access to a user address \(copy user memory with vm_copy_from_user\(\)\): read of 1 byte at "
     r"0x0000000000400000"),
    ("out-param-frame", "out_param_frame", rf"write to read-only memory: write of 8 bytes at {ADDR}"),
    ("strncmp-frame", "strncmp_frame", rf"wild access to the frame's own memory: read of 1 byte at {ADDR}"),
    ("printf-frame", "printf_frame", rf"wild access to the frame's own memory: read of 1 byte at {ADDR}"),
    ("frame-object-write", "frame_object_write",
     rf"wild access to the frame's own memory: write of 1 byte at {ADDR}, 0 bytes into the 256-byte block at {ADDR}"),
])
def test_a_bad_access_is_reported_at_the_access(caught, how, function, message):
    caught(how, function, message)


def test_what_the_client_owns_is_not_reported(boot):
    boot(cmdline="ok", expect=(r"^ok: 1 2 3$",))


@pytest.mark.parametrize("how, function, message, freed", [
    ("heap-overflow", "heap_overflow",
     rf"heap out of bounds: write of 1 byte at {ADDR}, 0 bytes past the end of the 24-byte block at {ADDR}", False),
    ("memcpy-overrun", "memcpy_overrun",
     rf"heap out of bounds: write of 64 bytes at {ADDR} \(its byte 32 is bad\), 0 bytes past the end of the "
     rf"32-byte block at {ADDR}", False),
    ("heap-write-after-free", "heap_write_after_free",
     rf"heap use after free: write of 1 byte at {ADDR}, 0 bytes into the 40-byte freed block at {ADDR}", True),
    ("heap-read-after-free", "heap_read_after_free",
     r"heap use after free \(the block's page was given back\): read of 1 byte at "
     rf"{ADDR}, 8 bytes into the 40-byte freed block at {ADDR}", True),
])
def test_a_heap_mistake_says_where_the_block_was_allocated_and_freed(caught, how, function, message, freed):
    result = caught(how, function, message)
    lines = result.lines
    at = lines.index("  the block was allocated at:")
    assert lines[at + 1].startswith("    #0 alloc_or_panic+0x") and " at main.c:" in lines[at + 1]
    assert lines[at + 2].startswith(f"    #1 {function}+0x")
    assert ("  and freed at:" in lines) == freed
    if freed:
        assert lines[lines.index("  and freed at:") + 1].startswith(f"    #0 {function}+0x")


def test_a_double_free_is_still_the_heaps_to_catch(boot):
    boot(cmdline="double-free", exit_status=35, forbid=(r"was not caught",),
         expect=(rf"PANIC: heap_free: double free of the 24-byte block at {ADDR} \(called from double_free\+0x[0-9a-f]+ at main\.c:\d+\)$",))


@pytest.mark.parametrize("how, message", [
    ("timer-link", rf"the list of pending timers was overwritten: {ADDR} is not a pending timer"),
    ("wait-queue-head", rf"the wait queue at {ADDR} was overwritten: {ADDR} is not the entry of a task waiting on it"),
])
def test_an_overwritten_link_in_a_clients_struct_is_not_followed(boot, how, message):
    """The frame's lists keep links in the client's structs; a link turned into another address
    stops the kernel before the frame writes through it."""
    boot(cmdline=how, exit_status=35, forbid=(r"was not caught",), expect=(rf"PANIC: {message} \(a write into",))
