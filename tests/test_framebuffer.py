"""The framebuffer (io_mem_map_framebuffer()): through GRUB the frame gets the 1024x768 32-bit
mode it asks for, a kernel draws colour bars through a memory window and reads them back, and
QEMU's own screenshot shows the bars on the screen. The direct path has no framebuffer."""
import os
import socket
import threading
import time

import pytest

pytestmark = pytest.mark.kernel("kernels/framebuffer")

BARS = [(255, 255, 255), (255, 255, 0), (0, 255, 255), (0, 255, 0), (255, 0, 255), (255, 0, 0), (0, 0, 255),
        (0, 0, 0)]


def read_ppm(path):
    """Width, height and the RGB bytes of a binary PPM (P6) file, as QEMU's screendump writes it."""
    data = open(path, "rb").read()
    fields, pos = [], 0
    while len(fields) < 4:  # magic, width, height, maximum value
        while data[pos:pos + 1].isspace():
            pos += 1
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    assert fields[0] == b"P6" and fields[3] == b"255", fields
    return int(fields[1]), int(fields[2]), data[pos + 1:]


def screenshot_then_key(monitor, serial_log, ppm, errors, drawn=b"fb: drawn"):
    """Once the kernel says it drew (drawn), ask QEMU's monitor for a screenshot, then press Enter."""
    try:
        deadline = time.monotonic() + 60
        while not os.path.exists(monitor) or not os.path.exists(serial_log) or \
                drawn not in open(serial_log, "rb").read():
            assert time.monotonic() < deadline, "the kernel never said it drew"
            time.sleep(0.05)
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(monitor)
            s.sendall(f"screendump {ppm}\n".encode())
            while not os.path.exists(ppm) or os.path.getsize(ppm) < 1024 * 768 * 3:
                assert time.monotonic() < deadline, "no screenshot"
                time.sleep(0.05)
            s.sendall(b"sendkey ret\n")
            time.sleep(0.2)  # let the monitor take the command before the socket closes
    except Exception as e:  # reported by the test, not lost in the thread
        errors.append(e)


def boot_with_screenshot(boot, name, drawn, **kwargs):
    """Boot with QEMU's monitor on a socket; once serial shows drawn, take a screenshot, then press
    Enter. The boot's result and the screenshot's path."""
    logs = os.environ.get("FRAME_TEST_LOGS", os.path.join("build", "test-logs"))
    os.makedirs(logs, exist_ok=True)
    monitor, ppm = os.path.join(logs, f"{name}-monitor.sock"), os.path.join(logs, f"{name}-screen.ppm")
    for stale in (monitor, ppm):
        if os.path.exists(stale):
            os.unlink(stale)
    errors = []
    helper = threading.Thread(target=screenshot_then_key, daemon=True,
                              args=(monitor, os.path.join(logs, f"{name}.serial.log"), ppm, errors, drawn))
    helper.start()
    result = boot(name=name, timeout=90, extra_args=("-monitor", f"unix:{monitor},server,nowait"), **kwargs)
    helper.join(5)
    assert not errors, errors
    return result, ppm


def test_colour_bars_through_grub_are_on_the_screen(boot, kernel):
    result, ppm = boot_with_screenshot(
        boot, "fb-bars", b"fb: drawn", iso=kernel.iso,
        expect=(r"^fb: 1024x768, 32 bits per pixel, type 1, pitch 4096$", r"^fb: window of 3145728 bytes$",
                r"^fb: read back ok$", r"^fb: key 0x1c$"), forbid=(r"PANIC",))
    width, height, pixels = read_ppm(ppm)
    assert (width, height) == (1024, 768)
    for bar, colour in enumerate(BARS):
        x, y = (2 * bar + 1) * width // 16, height // 2
        assert tuple(pixels[(y * width + x) * 3:(y * width + x) * 3 + 3]) == colour, (bar, colour)
    assert result.exit_status == 33


def test_direct_boot_has_no_framebuffer(boot):
    boot(expect=(r"^fb: none \(the direct boot path sets up no framebuffer\)$",))
