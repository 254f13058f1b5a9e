"""make bench-linux's host side without Linux: the figure parser, the initramfs writer, the boot's clean-up."""

import os
import shlex
import time

import pytest

from frameharness import linux


def read_newc(blob):
    """The records of a cpio "newc" archive: [(name, fields, data)], read by the format's rules."""
    records, at = [], 0
    while True:
        assert blob[at:at + 6] == b"070701", f"no newc magic at {at}"
        fields = [int(blob[at + 6 + 8 * i:at + 14 + 8 * i], 16) for i in range(13)]
        namesize, filesize = fields[11], fields[6]
        name = blob[at + 110:at + 110 + namesize]
        assert name.endswith(b"\0")
        at += 110 + namesize
        assert at % 4 == 0 or blob[at:at + (-at % 4)] == b"\0" * (-at % 4)
        at += -at % 4
        data = blob[at:at + filesize]
        at += filesize
        at += -at % 4
        records.append((name[:-1].decode(), fields, data))
        if name == b"TRAILER!!!\0":
            assert at == len(blob)
            return records


def test_parse_figures_reads_only_figure_lines():
    text = ("linux-init: started\r\n[    1.0] some kernel line\r\n"
            "figure: null_syscall 379.1 ns (1001 runs of 100, min 372.2, max 1958.3) getppid\r\n"
            "figure: boot 12 ns\r\nfigure: broken abc ns\r\n  figure: indented 5 ns\r\nfigure: user_switch 13180 us\r\n")
    assert linux.parse_figures(text) == {"null_syscall": 379.1, "boot": 12.0}


def test_initramfs_is_a_newc_archive_with_init_and_a_console(tmp_path):
    init = b"\x7fELF" + bytes(range(256)) * 3 + b"odd"  # a length that needs padding
    path = tmp_path / "initramfs.cpio"
    linux.write_cpio(str(path), linux.initramfs_entries(init))
    records = read_newc(path.read_bytes())
    by_name = {name: (fields, data) for name, fields, data in records}
    assert [name for name, _, _ in records][-1] == "TRAILER!!!"
    assert set(by_name) == {"dev", "dev/console", "mnt", "proc", "sys", "init", "TRAILER!!!"}
    fields, data = by_name["init"]
    assert data == init and fields[1] == 0o100755 and fields[6] == len(init)
    fields, data = by_name["dev/console"]
    assert fields[1] == 0o020600 and (fields[9], fields[10]) == (5, 1) and data == b""
    assert by_name["mnt"][0][1] == 0o040755
    inodes = [fields[0] for name, fields, _ in records if name != "TRAILER!!!"]
    assert len(set(inodes)) == len(inodes) and 0 not in inodes


def fake_qemu(monkeypatch, script):
    """Make build_command() run ``sh -c script`` in place of QEMU."""
    monkeypatch.setenv("QEMU", f"sh -c {shlex.quote(script)} fake-qemu")


def test_boot_linux_returns_the_time_and_the_serial_output(monkeypatch, tmp_path):
    fake_qemu(monkeypatch, "printf 'linux-init: started\\r\\nfigure: null_syscall 2.5 ns\\r\\n'")
    elapsed, text = linux.boot_linux("vmlinuz", "initramfs.cpio", linux.CMDLINE, str(tmp_path / "boot"))
    assert elapsed > 0 and linux.parse_figures(text) == {"null_syscall": 2.5}


@pytest.mark.parametrize("script", ["exit 1", "printf 'no init here\\n'",
                                    "printf 'linux-init: started\\nKernel panic - not syncing\\n'"])
def test_boot_linux_refuses_a_boot_that_did_not_run_init(monkeypatch, tmp_path, script):
    fake_qemu(monkeypatch, script)
    with pytest.raises(linux.LinuxBenchError, match="did not run /init"):
        linux.boot_linux("vmlinuz", "initramfs.cpio", linux.CMDLINE, str(tmp_path / "boot"))


def test_boot_linux_kills_a_hung_qemu_and_its_children(monkeypatch, tmp_path):
    pids = tmp_path / "pids"
    fake_qemu(monkeypatch, f"trap '' TERM; sleep 60 & echo $$ $! > {shlex.quote(str(pids))}; wait")
    start = time.monotonic()
    with pytest.raises(linux.LinuxBenchError, match="did not power off"):
        linux.boot_linux("vmlinuz", "initramfs.cpio", linux.CMDLINE, str(tmp_path / "boot"), timeout=1)
    assert time.monotonic() - start < 10
    assert (tmp_path / "boot.serial.log").exists()
    for pid in map(int, pids.read_text().split()):
        assert not running(pid), f"process {pid} of the fake QEMU's group is still running"


def running(pid):
    """Whether process ``pid`` exists and is not a zombie (a killed child waits for its new parent to reap it)."""
    for _ in range(50):
        try:
            with open(f"/proc/{pid}/stat") as f:
                state = f.read().rpartition(")")[2].split()[0]
        except FileNotFoundError:
            return False
        if state == "Z":
            return False
        time.sleep(0.02)
    return True


def test_a_failed_download_says_to_run_apt_get_update(monkeypatch, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "apt-get").write_text("#!/bin/sh\necho 'E: Unable to locate package linux-image-amd64' >&2\nexit 100\n")
    (bin_dir / "apt-get").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    with pytest.raises(linux.LinuxBenchError, match=r"(?s)Unable to locate.*run `apt-get update`"):
        linux.fetch_kernel(str(tmp_path))


def test_a_kernel_already_there_is_not_downloaded_again(monkeypatch, tmp_path):
    (tmp_path / "kernel" / "boot").mkdir(parents=True)
    (tmp_path / "kernel" / "boot" / "vmlinuz-6.1.0-1-amd64").write_bytes(b"k")
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))  # no apt-get to call
    assert linux.fetch_kernel(str(tmp_path)) == str(tmp_path / "kernel" / "boot" / "vmlinuz-6.1.0-1-amd64")


def test_format_ns_keeps_three_digits():
    assert [linux.format_ns(v) for v in (365.0, 13000.0, 2770.0, 3.86e9)] == ["365 ns", "13.0 µs", "2.77 µs", "3.86 s"]
