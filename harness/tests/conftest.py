"""Fixtures for the harness's own tests (no real QEMU needed)."""

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"


class Data:
    """The recorded logs in tests/data."""

    def path(self, name):
        return DATA / name

    def text(self, name):
        return (DATA / name).read_text()

    def lines(self, name):
        """The lines of a recorded serial log."""
        return self.text(name).splitlines()


@pytest.fixture
def data():
    return Data()


class FakeQemu:
    """Configures tests/data/fake_qemu.py (see its docstring) through env vars."""

    def __init__(self, monkeypatch, tmp_path):
        self.monkeypatch, self.tmp_path = monkeypatch, tmp_path
        self.pidfile = tmp_path / "qemu.pid"
        self.argv_file = tmp_path / "qemu.argv"
        self.log_dir = tmp_path / "logs"
        monkeypatch.setenv("QEMU", shlex.join([sys.executable, str(DATA / "fake_qemu.py")]))
        monkeypatch.setenv("FRAME_TEST_LOGS", str(self.log_dir))
        monkeypatch.setenv("FAKE_PIDFILE", str(self.pidfile))
        monkeypatch.setenv("FAKE_ARGV", str(self.argv_file))
        for var in ("FAKE_SERIAL", "FAKE_EXIT", "FAKE_HANG", "FAKE_STDERR",
                    "FAKE_DEBUG_LOG", "FAKE_INT_LOG"):
            monkeypatch.delenv(var, raising=False)

    def set(self, serial=None, exit=33, hang=None, stderr=None, debug_log=None, int_log=None):
        """Program the next run: serial text (str) or a data file name (Path)."""
        if serial is not None:
            if isinstance(serial, str):
                path = self.tmp_path / "serial.in"
                path.write_bytes(serial.encode())
                serial = path
            self.monkeypatch.setenv("FAKE_SERIAL", str(serial))
        self.monkeypatch.setenv("FAKE_EXIT", str(exit))
        for var, value in (("FAKE_HANG", hang), ("FAKE_STDERR", stderr),
                           ("FAKE_DEBUG_LOG", debug_log), ("FAKE_INT_LOG", int_log)):
            if value is not None:
                self.monkeypatch.setenv(var, str(value))

    @property
    def pid(self):
        return int(self.pidfile.read_text())

    @property
    def running(self):
        """True if the last fake QEMU's process exists and is not a zombie."""
        try:
            with open(f"/proc/{self.pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] != "Z"
        except FileNotFoundError:
            return False

    @property
    def argv(self):
        return self.argv_file.read_text().split("\n")


@pytest.fixture
def fake_qemu(monkeypatch, tmp_path):
    return FakeQemu(monkeypatch, tmp_path)


@pytest.fixture(scope="session")
def sym_elf(tmp_path_factory):
    """tests/data/sym.c linked at a higher-half address with debug info (needs gcc)."""
    gcc = shutil.which("gcc")
    if not gcc or not shutil.which("addr2line") or not shutil.which("nm"):
        pytest.skip("needs gcc, addr2line and nm")
    elf = tmp_path_factory.mktemp("sym") / "sym.elf"
    cmd = [gcc, "-g", "-O0", "-ffreestanding", "-nostdlib", "-static", "-fno-pie", "-no-pie",
           "-mcmodel=kernel", "-Wl,-Ttext=0xffffffff80100000", "-o", str(elf), str(DATA / "sym.c")]
    if subprocess.run(cmd, capture_output=True).returncode != 0:
        pytest.skip("gcc cannot build a static x86-64 test ELF here")
    return elf


@pytest.fixture(scope="session")
def sym_addresses(sym_elf):
    """The address of each symbol in sym_elf (via nm)."""
    out = subprocess.run(["nm", str(sym_elf)], capture_output=True, text=True, check=True).stdout
    return {fields[-1]: int(fields[0], 16) for fields in map(str.split, out.splitlines())
            if len(fields) == 3}
