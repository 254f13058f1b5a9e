"""QEMU's monitor on a Unix socket, for a test's helper thread that types keys (``sendkey``) or
takes screenshots (``screendump``) while ``boot()`` watches the serial console.

Boot with ``extra_args=("-monitor", f"unix:{path},server,nowait")`` and, in the helper thread,
``with connect(path, deadline) as s: s.sendall(b"sendkey a\\n")``.
"""
import os
import socket
import time

from .paths import StrPath


def connect(path: StrPath, deadline: float) -> socket.socket:
    """A socket connected to QEMU's monitor at ``path``, once QEMU has made it.

    Retries every 50 ms while the socket is missing or refuses; raises AssertionError once
    ``time.monotonic()`` passes ``deadline``.
    """
    s = socket.socket(socket.AF_UNIX)
    while True:
        try:
            s.connect(os.fspath(path))
            return s
        except (FileNotFoundError, ConnectionRefusedError):
            if time.monotonic() >= deadline:
                s.close()
                raise AssertionError(f"QEMU's monitor never came up at {os.fspath(path)}") from None
            time.sleep(0.05)
