"""The virtio-net driver (sdk/drivers/virtio_net.c on the virtio PCI transport, virtio.c), with
QEMU's `-netdev socket,udp=...`: QEMU sends every frame of the card as one UDP datagram to a
socket the test holds on 127.0.0.1 and hands every datagram it receives on another port to the
card. Nothing leaves the loopback interface. The kernel's frame reaches the test byte for byte;
the test's frames reach the kernel, a runt is counted, a datagram larger than the receive buffer
is dropped by QEMU (virtio-net without merged buffers does not truncate: the kernel never sees
it); a burst larger than the receive ring, sent while the kernel does not read, fills the
software queue, the rest are dropped and counted, and the ring still takes frames afterwards."""
import re
import socket
import struct
import threading
import time

import pytest
from frame_build import fnv1a

pytestmark = pytest.mark.kernel("kernels/virtio-net")

MAC = "52:54:00:12:34:56"
TYPE = b"\x88\xb5"
BROADCAST = b"\xff" * 6
QUEUE = 32  # VIRTIO_NET_RX_QUEUE




def line(text):
    return rf"^virtio-net: {re.escape(text)}$"


def frame(payload, length=60):
    """A frame from the test to the card's address, type 0x88b5, payload then zeros."""
    mac = bytes.fromhex(MAC.replace(":", ""))
    return (mac + b"\x02\x00\x00\x00\x00\x01" + TYPE + payload).ljust(length, b"\0")


def received(data):
    text = re.match(rb"[ -~]{0,40}", data[14:]).group().decode()
    return line(f"received {len(data)} bytes, type 0x88b5, hash {fnv1a(data):08x}, '{text}'")


class Peer:
    """The host's end: a socket bound where QEMU sends (port_a) and a free port QEMU listens on
    (port_b), both on 127.0.0.1."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(60)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            self.port_b = probe.getsockname()[1]
        self.port_a = self.sock.getsockname()[1]
        self.got = []
        self.error = None

    def args(self, device_options=""):
        return ("-device", f"virtio-net-pci,netdev=n0,disable-legacy=on,mac={MAC}{device_options}",
                "-netdev", f"socket,id=n0,udp=127.0.0.1:{self.port_a},localaddr=127.0.0.1:{self.port_b}")

    def recv(self):
        data, addr = self.sock.recvfrom(65536)
        assert addr == ("127.0.0.1", self.port_b), addr
        self.got.append(data)
        return data

    def send(self, data):
        self.sock.sendto(data, ("127.0.0.1", self.port_b))

    def run(self, fn):
        """Run fn(self) in a thread beside the boot; its failure is raised by join()."""
        def body():
            try:
                fn(self)
            except BaseException as e:  # noqa: BLE001 (handed to the test's thread)
                self.error = e
        self.thread = threading.Thread(target=body, daemon=True)
        self.thread.start()

    def join(self):
        self.thread.join(timeout=10)
        self.sock.close()
        if self.error:
            raise self.error


@pytest.fixture
def peer():
    p = Peer()
    yield p
    p.sock.close()


# A 1520-byte frame fits the driver's 1536-byte buffers (with the 12-byte header) but is longer
# than any frame agreed on: the driver counts it as bad. QEMU drops the 1600-byte one itself.
EXCHANGE = [frame(b"first"), frame(b"longest", 1514), frame(b"header only", 14)[:14], b"\x01" * 10,
            frame(b"slightly long", 1520), frame(b"oversized", 1600), frame(b"end")]


@pytest.mark.parametrize("machine, extra, device_options", [
    ("pc", (), ""),
    ("q35", ("-cpu", "qemu64,-apic"), ""),  # no local APIC: INTx, claimed by the ISR status
    ("q35", ("-device", "intel-iommu"), ",iommu_platform=on"),  # its DMA translated by VT-d
], ids=["pc", "q35-intx", "q35-iommu"])
def test_frames_cross_both_ways(boot, peer, machine, extra, device_options):
    def host(p):
        hello = p.recv()
        assert hello[:6] == BROADCAST and hello[12:14] == TYPE, hello.hex()
        for f in EXCHANGE:
            p.send(f)

    peer.run(host)
    delivered = [f for f in EXCHANGE if 14 <= len(f) <= 1514]
    boot(machine=machine, extra_args=(*extra, *peer.args(device_options)), forbid=(r"PANIC", r"\[WARN\]"),
         timeout=60, expect=(line(f"mac {MAC}"), line("send 13 bytes: ERR_INVAL (invalid argument)"),
        line("send 1515 bytes: ERR_INVAL (invalid argument)"), *[received(f) for f in delivered],
        line(f"sent 1, received {len(delivered)}, dropped 0, runts 1, bad 1")))
    peer.join()
    hello = peer.got[0]
    mac = bytes.fromhex(MAC.replace(":", ""))
    assert hello == (BROADCAST + mac + TYPE + b"hello from the frame").ljust(60, b"\0")
    assert len(peer.got) == 1


def test_a_burst_larger_than_the_ring_is_dropped_and_counted(boot, peer):
    count = 600

    def host(p):
        p.recv()  # "ready": the kernel now sleeps without reading
        for i in range(count):
            p.send(frame(struct.pack("<I", i)))
            if i % 100 == 99:
                time.sleep(0.02)  # QEMU drains its socket: the host's own buffer never overflows
        p.recv()  # "again"
        p.send(frame(b"after the burst"))

    peer.run(host)
    result = boot(cmdline="burst", extra_args=peer.args(), forbid=(r"PANIC", r"\[WARN\]"), timeout=60, expect=(
        line(f"burst: took {QUEUE} frames, {QUEUE} in order"),
        r"^virtio-net: sent 1, received 32, dropped (\d+), runts 0, bad 0$",
        received(frame(b"after the burst"))))
    peer.join()
    assert int(result.matches[1].group(1)) == count - QUEUE  # every frame of the burst is accounted for


def test_a_buffer_too_small_panics_naming_the_function_and_caller(boot, peer):
    result = boot(cmdline="small-buffer", extra_args=peer.args(), exit_status=35, expect=(
        r"^PANIC: virtio_net_receive: a buffer of 1000 bytes is too small for a frame of up to 1514 "
        r"\(called from kernel_main\+0x[0-9a-f]+ at main\.c:\d+\)$",))
    assert result.panic.location.function == "virtio_net_receive"
    assert re.search(r"virtio_net\.c$", result.panic.location.file), result.panic.location


def test_sending_before_open_panics(boot):
    result = boot(cmdline="unopened", exit_status=35, expect=(
        r"^PANIC: virtio_net_send: net and frame must not be NULL \(called from kernel_main\+0x[0-9a-f]+ at main\.c:\d+\)$",))
    assert result.panic.location.function == "virtio_net_send"


def test_without_the_device_it_says_so(boot):
    boot(expect=(line("no device"),), forbid=(r"PANIC",))
