"""The virtio-blk driver (sdk/drivers/virtio_blk.c on the virtio PCI transport, virtio.c): a 64 MiB
image with a known pattern is read whole and checked; the first and the last sector are written
and read back, a write one past the end and one across it and a read past it are refused with
ERR_INVAL; after power-off the image on the host holds exactly those two writes. On -M pc and q35,
by MSI-X, by INTx (no local APIC), through an IOMMU (VIRTIO_F_ACCESS_PLATFORM) and as a
transitional device. On a throttled
(slow) disk 32 requests are in flight at once and all complete with the right data; a device
error (QEMU's blkdebug) is ERR_IO; nonsense in the used ring (the kernel playing a hostile
device) is checked, reported and never used as an index; a read-only disk refuses writes with
ERR_DENIED; a buffer too small panics naming the function, the rule and the caller; without the
device the kernel says so."""
import json
import re
import struct

import pytest

pytestmark = pytest.mark.kernel("kernels/virtio-blk")

SECTORS = 64 * 1024 * 1024 // 512
TAILS = [bytes((s + i) & 0xff for i in range(8, 512)) for s in range(256)]


def pattern(sector):
    """What the image holds at sector: its number (8 bytes, little-endian), then (s + i) & 0xff."""
    return struct.pack("<Q", sector) + TAILS[sector & 0xff]


def make_image(path):
    path.write_bytes(b"".join(pattern(s) for s in range(SECTORS)))
    return path


def disk_args(image, drive_options="", device_options=""):
    return ("-device", f"virtio-blk-pci,drive=d0,disable-legacy=on{device_options}",
            "-drive", f"if=none,id=d0,file={image},format=raw{drive_options}")


def line(text):
    return rf"^virtio-blk: {re.escape(text)}$"


def written(text):
    return text.encode().ljust(512, b"\0")


@pytest.mark.parametrize("machine, extra, device_options", [
    ("pc", (), ""),
    ("q35", (), ""),
    ("q35", ("-cpu", "qemu64,-apic"), ""),  # no local APIC: INTx, claimed by the ISR status
    ("q35", ("-device", "intel-iommu"), ",iommu_platform=on"),  # its DMA translated by VT-d
    ("pc", (), ",disable-legacy=off"),  # transitional (1af4:1001), driven by its modern interface
], ids=["pc", "q35", "q35-intx", "q35-iommu", "pc-transitional"])
def test_the_image_is_read_whole_and_only_the_writes_land(boot, tmp_path, machine, extra, device_options):
    image = make_image(tmp_path / "disk.img")
    boot(machine=machine, extra_args=(*extra, *disk_args(image, device_options=device_options)), forbid=(r"PANIC", r"\[WARN\]"), timeout=60,
         expect=(line(f"{SECTORS} sectors"), line(f"read {SECTORS} sectors, 0 differ from the pattern"),
                 line("sector 0: first sector, written by the frame"),
                 line(f"sector {SECTORS - 1}: last sector, written by the frame"),
                 line("write past the end: ERR_INVAL (invalid argument)"),
                 line("write across the end: ERR_INVAL (invalid argument)"),
                 line("read past the end: ERR_INVAL (invalid argument)"), line("flushed")))
    data = image.read_bytes()
    assert len(data) == SECTORS * 512
    assert data[:512] == written("first sector, written by the frame")
    assert data[-512:] == written("last sector, written by the frame")
    differ = [s for s in range(1, SECTORS - 1) if data[s * 512:(s + 1) * 512] != pattern(s)]
    assert differ == [], f"sectors changed that were never written: {differ[:10]}"


def test_32_requests_in_flight_complete(boot, tmp_path):
    image = make_image(tmp_path / "disk.img")
    # Throttled to 10 requests a second, the device holds each (100 ms) long enough for all 32 to
    # be in it, even when the 32 tasks are slow to start (a loaded machine, the sanitizers on).
    boot(cmdline="parallel", extra_args=disk_args(image, ",throttling.iops-total=10"),
         forbid=(r"PANIC", r"\[WARN\]"),
         expect=(line("32 parallel reads, 0 sectors differ, at most 32 in flight"),))
    assert image.read_bytes() == b"".join(pattern(s) for s in range(SECTORS))


HOSTILE = """\
virtio: honest
virtio: chain 1, 16 bytes: ERR_OK (success)
virtio: chain 0, 3 bytes: ERR_OK (success)
virtio: not broken, a new chain: ERR_OK (success)
virtio: a length past the chain
[WARN] virtio: queue 0: the device wrote 17 bytes into a chain of 16 writable bytes
virtio: chain 0, 17 bytes: ERR_IO (device error)
virtio: chain 1, 16 bytes: ERR_OK (success)
virtio: not broken, a new chain: ERR_OK (success)
virtio: an id past the queue
[WARN] virtio: queue 0 of the device is broken: used entry names no chain in flight: id 8
virtio: broken, a new chain: ERR_IO (device error)
virtio: an id not in flight
[WARN] virtio: queue 0 of the device is broken: used entry names no chain in flight: id 5
virtio: broken, a new chain: ERR_IO (device error)
virtio: a chain taken back twice
virtio: chain 0, 16 bytes: ERR_OK (success)
[WARN] virtio: queue 0 of the device is broken: used entry names no chain in flight: id 0
virtio: broken, a new chain: ERR_IO (device error)
virtio: an index past the chains in flight
[WARN] virtio: queue 0 of the device is broken: used index ran ahead of the chains in flight by 3
virtio: broken, a new chain: ERR_IO (device error)
virtio: an index run a queue ahead
[WARN] virtio: queue 0 of the device is broken: used index ran ahead of the chains in flight by 32768
virtio: broken, a new chain: ERR_IO (device error)
""".splitlines()


def test_nonsense_in_the_used_ring_is_checked_reported_and_never_trusted(boot, tmp_path):
    """The kernel plays a hostile device: it offers two chains (heads 0 and 1, 16 writable bytes
    each) and writes the used ring itself. A length past the chain fails that chain with ERR_IO;
    an id past the queue, an id not in flight, a chain taken back twice, or a used index ahead of
    what is in flight breaks the queue, which then refuses new chains; each is logged."""
    result = boot(cmdline="hostile", extra_args=disk_args(make_image(tmp_path / "disk.img")), forbid=(r"PANIC",),
                  expect=(r"^virtio: broken, a new chain: ERR_IO \(device error\)$",) * 5)
    assert [line for line in result.lines if re.match(r"(\[WARN\] )?virtio: ", line)] == HOSTILE


def test_a_buffer_too_small_panics_naming_the_function_and_caller(boot, tmp_path):
    image = make_image(tmp_path / "disk.img")
    result = boot(cmdline="small-buffer", extra_args=disk_args(image), exit_status=35, expect=(
        r"^PANIC: virtio_blk_read: a buffer of 511 bytes is too small for 1 sectors "
        r"\(called from case_small_buffer\+0x[0-9a-f]+ at main\.c:\d+\)$",))
    assert result.panic.location.function == "virtio_blk_read"
    assert re.search(r"virtio_blk\.c$", result.panic.location.file), result.panic.location


def test_a_read_before_init_panics_naming_the_function_and_caller(boot, tmp_path):
    result = boot(cmdline="before-init", extra_args=disk_args(make_image(tmp_path / "disk.img")), exit_status=35,
                  expect=(r"^PANIC: virtio_blk_read: disk and buf must not be NULL "
                          r"\(called from case_before_init\+0x[0-9a-f]+ at main\.c:\d+\)$",))
    assert result.panic.location.function == "virtio_blk_read"


def test_without_the_device_it_says_so(boot):
    boot(expect=(line("no device"),), forbid=(r"PANIC",))


def test_a_device_error_is_reported_with_err_io(boot, tmp_path):
    """QEMU's blkdebug fails every read and write that touches sector 1000: the device answers
    with an error status, the call returns ERR_IO, and the neighbours still work."""
    image = make_image(tmp_path / "disk.img")
    rules = [{"event": event, "errno": 5, "sector": 1000} for event in ("read_aio", "write_aio")]
    blockdev = {"driver": "raw", "node-name": "d0", "file": {
        "driver": "blkdebug", "inject-error": rules, "image": {"driver": "file", "filename": str(image)}}}
    boot(cmdline="io-error", forbid=(r"PANIC",), extra_args=(
        "-device", "virtio-blk-pci,drive=d0,disable-legacy=on", "-blockdev", json.dumps(blockdev)),
         expect=(line("read sector 999: ERR_OK (success)"), line("read sectors 990-1009: ERR_IO (device error)"),
                 line("write sector 1000: ERR_IO (device error)"), line("read sector 1001: ERR_OK (success)")))
    assert image.read_bytes()[1000 * 512:1001 * 512] == pattern(1000)


def test_a_read_only_disk_refuses_writes(boot, tmp_path):
    image = make_image(tmp_path / "disk.img")
    boot(cmdline="read-only", forbid=(r"PANIC",), extra_args=disk_args(image, ",read-only=on"),
         expect=(line(f"{SECTORS} sectors, read-only"), line("write sector 1: ERR_DENIED (kept by the frame)"),
                 line("read sector 1: ERR_OK (success)")))
    assert image.read_bytes()[512:1024] == pattern(1)
