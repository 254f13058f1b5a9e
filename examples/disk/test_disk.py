"""disk drives a virtio disk through the SDK's virtio-blk driver: it prints the capacity and the
text in sector 0, writes a line to sector 1 and reads it back, and flushes. Booted directly and
through GRUB, on -M pc and -M q35; afterwards, in the image file on the host, sector 1 holds the
line and nothing else changed. Without a disk it says what to do; it stays within 100 lines."""
import pathlib

import pytest
from frameharness.qemu import OVMF_INSTALL, ovmf_files

TEXT = b"A line of text in sector 0, from the test.\n"
LINE = b"Written by the frame's disk example.\n"
SIZE = 256 * 1024


def make_image(path):
    """Sector 0: the text; the rest a pattern (each byte its offset's low byte), so a stray write shows."""
    data = bytearray(i & 0xff for i in range(SIZE))
    data[:512] = TEXT.ljust(512, b"\0")
    path.write_bytes(bytes(data))
    return bytes(data)


@pytest.mark.parametrize("machine", ["pc", "q35"])
@pytest.mark.parametrize("path", ["direct", "grub", "uefi"])
def test_reads_writes_and_flushes_the_disk(boot, kernel, tmp_path, machine, path):
    """Directly, and through the ISO under the BIOS and under UEFI (OVMF)."""
    if path == "uefi" and ovmf_files() is None:
        pytest.skip(f"OVMF is not installed: {OVMF_INSTALL}")
    image = tmp_path / "disk.img"
    before = make_image(image)
    boot(iso=None if path == "direct" else kernel.iso, firmware="uefi" if path == "uefi" else "bios",
         machine=machine, timeout=90 if path == "uefi" else 60, forbid=(r"PANIC", r"\[WARN\]"),
         extra_args=("-device", "virtio-blk-pci,drive=d0,disable-legacy=on",
                     "-drive", f"if=none,id=d0,file={image},format=raw"),
         expect=(rf"^virtio disk 00:0[0-9a-f]\.0: {SIZE // 512} sectors of 512 bytes \({SIZE // 1024} KiB\)$",
                 r"^sector 0: A line of text in sector 0, from the test\.$",
                 r"^sector 1: Written by the frame's disk example\.$", r"^flushed; powering off$"))
    after = image.read_bytes()
    assert after[512:1024] == LINE.ljust(512, b"\0")
    assert after[:512] == before[:512] and after[1024:] == before[1024:]


def test_without_a_disk_it_says_what_to_do(boot):
    result = boot(exit_status=35, expect=(
        r"^PANIC: no virtio disk: run QEMU with -device virtio-blk-pci \(make run EXAMPLE=disk\)$",))
    assert result.panic.location.function == "kernel_main"


def test_stays_within_100_lines():
    assert len((pathlib.Path(__file__).parent / "main.c").read_text().splitlines()) <= 100
