"""The frame's channel to the host (core/hostlink.c, frameharness.hostlink): with QEMU's
isa-debugcon given, a kernel that powers off sends its records and an END record; without it, the
frame sends nothing (it finds no device at port 0xe9)."""
import os
import struct

import pytest
from frameharness import hostlink

pytestmark = pytest.mark.kernel("../examples/hello")


def test_a_kernel_given_the_device_ends_its_records_at_power_off(boot, tmp_path):
    path = tmp_path / "hostlink.bin"
    boot(extra_args=hostlink.qemu_args(path), cmdline="trace=off", exit_status=33)
    assert hostlink.read_records(path) == []  # hello, tracing off, records nothing: the END record alone
    assert path.read_bytes() == hostlink.MAGIC + struct.pack("<II", hostlink.END, 0)


def test_the_reader_refuses_a_run_cut_short(tmp_path):
    path = tmp_path / "cut.bin"
    path.write_bytes(hostlink.MAGIC + struct.pack("<II", hostlink.TRACE, 8) + b"1234")
    with pytest.raises(hostlink.HostlinkError, match="cut short"):
        hostlink.read_records(path)
    path.write_bytes(hostlink.MAGIC + struct.pack("<II", hostlink.TRACE, 0))
    with pytest.raises(hostlink.HostlinkError, match="no END record"):
        hostlink.read_records(path)
