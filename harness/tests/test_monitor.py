"""frameharness.monitor.connect(): waits for QEMU's monitor socket, and gives up at its deadline."""
import socket
import threading
import time

import pytest

from frameharness.monitor import connect


def test_connects_once_the_socket_appears(tmp_path):
    path = tmp_path / "monitor.sock"
    server = socket.socket(socket.AF_UNIX)

    def listen_later():
        time.sleep(0.2)
        server.bind(str(path))
        server.listen(1)

    thread = threading.Thread(target=listen_later)
    thread.start()
    with connect(path, time.monotonic() + 10) as s:
        s.sendall(b"sendkey a\n")
        peer, _ = server.accept()
        assert peer.recv(64) == b"sendkey a\n"
        peer.close()
    thread.join()
    server.close()


def test_gives_up_at_the_deadline(tmp_path):
    with pytest.raises(AssertionError, match="never came up"):
        connect(tmp_path / "none.sock", time.monotonic() + 0.1)
