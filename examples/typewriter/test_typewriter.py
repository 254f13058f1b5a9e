"""typewriter: keys typed through QEMU's monitor (`sendkey`) are echoed on serial exactly, and
drawn on the framebuffer console: a screenshot's glyph cells match the console font as this
test draws it from the same Debian font file. On -M pc and -M q35, on the direct path (the
driver sets the mode of QEMU's standard VGA) and through GRUB (the boot framebuffer); Ctrl-D
ends the kernel. And it stays within 100 lines."""
import gzip
import os
import pathlib
import struct
import threading
import time

import pytest
from frameharness.qemu import OVMF_INSTALL, ovmf_files
from frameharness.monitor import connect

FONT = "/usr/share/consolefonts/Lat15-VGA16.psf.gz"  # the driver's font (sdk/drivers/Makefile)
WIDTH, HEIGHT, CELL_W, CELL_H = 1024, 768, 8, 16
WHITE, BLACK = b"\xff\xff\xff", b"\x00\x00\x00"
KEYS = ["shift-h", "e", "l", "l", "o", "comma", "spc", "shift-w", "o", "r", "l", "d", "shift-1", "ret",
        "f", "r", "a", "m", "e", "x", "backspace", "spc", "shift-9", "8", "x", "1", "6", "shift-0"]
TYPED = "Hello, World!\nframex\b (8x16)"
SCREEN = ["Type; Ctrl-D ends.", "Hello, World!", "frame (8x16)"]  # rows 1-3; row 0 is the clock

CLOCK_BASE = "2026-11-30T12:30:00"  # QEMU's clock starts here (-rtc base=...)
CLOCK_SHOWN = "typewriter  2026-11-30 12:3"  # what the status line shows for the next 10 minutes


def font_glyphs():
    """ASCII's glyphs in the PSF1 font, found through its Unicode table: {character: 16 rows}."""
    data = gzip.open(FONT).read()
    assert data[:2] == b"\x36\x04" and data[3] == CELL_H, "a PSF1 font, 8x16"
    count = 512 if data[2] & 1 else 256
    glyphs, table, pos = {}, data[4 + count * CELL_H:], 0
    for index in range(count):
        while True:
            (u,) = struct.unpack_from("<H", table, pos)
            pos += 2
            if u == 0xffff:
                break
            if u < 128 and chr(u) not in glyphs:
                glyphs[chr(u)] = data[4 + index * CELL_H:4 + (index + 1) * CELL_H]
    return glyphs


def drawn(glyphs, text):
    """The pixels of a screen row of text, as rows of RGB bytes, white on black."""
    text = text.ljust(WIDTH // CELL_W)
    return [b"".join(WHITE if glyphs[c][y] & (0x80 >> x) else BLACK for c in text for x in range(CELL_W))
            for y in range(CELL_H)]


def read_ppm(path):
    """The RGB bytes of QEMU's screendump (binary PPM: a header of four fields, then pixels)."""
    data = open(path, "rb").read()
    magic, width, height, top = data.split(maxsplit=4)[:4]
    assert (magic, int(width), int(height), top) == (b"P6", WIDTH, HEIGHT, b"255")
    return data[-WIDTH * HEIGHT * 3:]


def type_and_look(monitor, serial_log, ppm, errors):
    """Once the kernel is ready type KEYS; once their echo is on serial take a screenshot, then Ctrl-D."""
    try:
        deadline = time.monotonic() + 90
        with connect(monitor, deadline) as s:
            for wait_for, keys in (("typewriter: ready\n", KEYS), (TYPED, ())):
                while not os.path.exists(serial_log) or \
                        wait_for.encode() not in open(serial_log, "rb").read().replace(b"\r\n", b"\n"):
                    assert time.monotonic() < deadline, f"the kernel never printed {wait_for!r}"
                    time.sleep(0.05)
                for key in keys:
                    s.sendall(f"sendkey {key} 10\n".encode())
                    time.sleep(0.05)
            s.sendall(f"screendump {ppm}\n".encode())
            while not os.path.exists(ppm) or os.path.getsize(ppm) < WIDTH * HEIGHT * 3:
                assert time.monotonic() < deadline, "no screenshot"
                time.sleep(0.05)
            time.sleep(0.2)  # the file is complete once QEMU has written it all
            s.sendall(b"sendkey ctrl-d 10\n")
            time.sleep(0.2)  # let the monitor take the command before the socket closes
    except Exception as e:  # reported by the test, not lost in the thread
        errors.append(e)


@pytest.mark.parametrize("path", ["direct", "grub", "uefi"])
@pytest.mark.parametrize("machine", ["pc", "q35"])
def test_typed_keys_reach_serial_and_the_screen(boot, kernel, machine, path):
    if path == "uefi" and ovmf_files() is None:
        pytest.skip(f"OVMF is not installed: {OVMF_INSTALL}")
    logs = os.environ.get("FRAME_TEST_LOGS", os.path.join("build", "test-logs"))
    os.makedirs(logs, exist_ok=True)
    name = f"typewriter-{machine}-{path}"
    monitor, serial_log, ppm = (os.path.join(logs, f"{name}{suffix}") for suffix in ("-monitor.sock", ".serial.log",
                                                                                     ".ppm"))
    for stale in (monitor, serial_log, ppm):
        if os.path.exists(stale):
            os.unlink(stale)
    errors = []
    helper = threading.Thread(target=type_and_look, daemon=True, args=(monitor, serial_log, ppm, errors))
    helper.start()
    result = boot(name=name, machine=machine, timeout=120, iso=None if path == "direct" else kernel.iso,
                  firmware="uefi" if path == "uefi" else "bios",
                  extra_args=("-monitor", f"unix:{monitor},server,nowait", "-rtc", f"base={CLOCK_BASE}"),
                  expect=(r"^typewriter: bye$",), forbid=(r"PANIC", r"\[WARN\]"))
    helper.join(5)
    assert not errors, errors
    kernel_lines = result.lines
    if path == "uefi":  # after OVMF's lines and EFI GRUB's (under the BIOS, GRUB prints nothing on serial)
        kernel_lines = result.lines[result.lines.index("typewriter: ready"):]
    assert kernel_lines == ["typewriter: ready", *TYPED.split("\n"), "typewriter: bye"]
    pixels, glyphs = read_ppm(ppm), font_glyphs()
    for row in range(HEIGHT // CELL_H):
        text = SCREEN[row - 1] if 1 <= row <= len(SCREEN) else ""
        for y, expected in enumerate(drawn(glyphs, text)):
            if row == 0:  # the clock from the RTC: its seconds and last minute digit move on
                expected = drawn(glyphs, CLOCK_SHOWN)[y][:len(CLOCK_SHOWN) * CELL_W * 3]
            at = ((row * CELL_H + y) * WIDTH) * 3
            assert pixels[at:at + len(expected)] == expected, f"row {row} ({text!r}), pixel row {y}"


def test_stays_within_100_lines():
    assert len((pathlib.Path(__file__).parent / "main.c").read_text().splitlines()) <= 100
