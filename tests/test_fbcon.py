"""The framebuffer console (sdk/drivers/fbcon.c, client code in the safe subset) on the direct
path, where it sets the mode of QEMU's standard VGA itself: the status line, more lines than
the screen holds (the console scrolls below the status line), a tab, a backspace, a carriage
return and a line that wraps, checked cell by cell in QEMU's screenshot against the glyphs the
build's converter (sdk/tools/psf-font) takes from the font; misuse panics naming the function,
the rule and its caller. (examples/typewriter checks the glyphs against its own reading of the
font, through GRUB too.)"""
import importlib.machinery
import importlib.util
import os

import pytest
from frame_build import ROOT
from test_framebuffer import boot_with_screenshot, read_ppm

pytestmark = pytest.mark.kernel("kernels/fbcon")
FONT = "/usr/share/consolefonts/Lat15-VGA16.psf.gz"  # sdk/drivers/Makefile's FONT
COLS, ROWS = 128, 48  # 1024x768 in 8x16 cells


def psf_font():
    """sdk/tools/psf-font, the converter the build runs, as a module."""
    loader = importlib.machinery.SourceFileLoader("psf_font", os.path.join(ROOT, "sdk", "tools", "psf-font"))
    spec = importlib.util.spec_from_loader("psf_font", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def expected_rows():
    """The screen's text: the status line, then the last ROWS - 1 lines the kernel wrote."""
    lines = [f"line {i:02}" for i in range(1, 61)] + ["a       b", "abd", "qzz", "x" * COLS, "xx"]
    return ["status: ok"] + lines[-(ROWS - 1):]


def test_status_scrolling_and_control_characters_on_the_screen(boot):
    result, ppm = boot_with_screenshot(boot, "fbcon-draw", b"fbcon: drawn",
                                       expect=(r"^fbcon: then ERR_OK \(success\)$",), forbid=(r"PANIC", r"\[WARN\]"))
    assert "fbcon: a second fbcon_open() returns ERR_BUSY (busy)" in result.lines
    width, height, pixels = read_ppm(ppm)
    assert (width, height) == (COLS * 8, ROWS * 16)
    _, glyphs = psf_font().ascii_glyphs(FONT)
    for row, text in enumerate(expected_rows()):
        for y in range(16):
            expected = b"".join(b"\xff\xff\xff" if glyphs[ord(c)][y] & (0x80 >> x) else b"\0\0\0"
                                for c in text.ljust(COLS) for x in range(8))
            at = (row * 16 + y) * width * 3
            assert pixels[at:at + width * 3] == expected, f"row {row} ({text!r}), pixel row {y}"


@pytest.mark.parametrize("cmdline, function, rule, caller", [
    ("before-open", "fbcon_putc", r"fbcon_open\(\) must succeed before the console is drawn on", "kernel_main"),
    ("null", "fbcon_write", "text must not be NULL", "kernel_main"),
    ("null-status", "fbcon_status", "text must not be NULL", "kernel_main"),
    ("in-interrupt", "fbcon_write", "the console is drawn on by tasks, not in interrupt context", "write_in_timer"),
])
def test_misuse_panics_naming_the_function_rule_and_caller(boot, cmdline, function, rule, caller):
    result = boot(cmdline=cmdline, exit_status=35,
                  expect=(rf"^PANIC: {function}: {rule} \(called from {caller}\+0x[0-9a-f]+ at main\.c:\d+\)$",))
    assert result.panic.location.function == function
