"""The frame's records for the host (sdk/frame/core/hostlink.h): what a kernel sends through QEMU's
isa-debugcon at power-off when the host gives it the device, apart from the serial console.

Each record is the magic ``FRHL``, a kind (u32), a length (u32) and that many bytes, little-endian;
a complete run ends with an END record.  ``qemu_args(path)`` gives QEMU's arguments for the device
writing to ``path``; ``read_records(path)`` parses what it wrote.
"""
from __future__ import annotations

import os
import struct

from .paths import StrPath

TRACE = 1
COVERAGE = 2
END = 0xFFFF
MAGIC = b"FRHL"


class HostlinkError(Exception):
    """The records are cut short or malformed."""


def qemu_args(path: StrPath) -> list[str]:
    """QEMU's arguments for an isa-debugcon at port 0xe9 that writes to ``path`` (a comma in the
    path written twice, as QEMU's option syntax wants)."""
    p = os.fspath(path).replace(",", ",,")
    return ["-chardev", f"file,id=hostlink,path={p}", "-device", "isa-debugcon,iobase=0xe9,chardev=hostlink"]


def read_records(path: StrPath) -> list[tuple[int, bytes]]:
    """[(kind, payload)] in the order sent; raises HostlinkError if the file does not end with a
    whole END record (the kernel did not reach power-off, or the file was cut)."""
    with open(path, "rb") as f:
        data = f.read()
    records, pos = [], 0
    while pos < len(data):
        if data[pos:pos + 4] != MAGIC or pos + 12 > len(data):
            raise HostlinkError(f"{os.fspath(path)}: no record at byte {pos} (found {data[pos:pos + 4]!r})")
        kind, length = struct.unpack_from("<II", data, pos + 4)
        if pos + 12 + length > len(data):
            raise HostlinkError(f"{os.fspath(path)}: record of kind {kind} at byte {pos} is cut short")
        records.append((kind, data[pos + 12:pos + 12 + length]))
        pos += 12 + length
    if not records or records[-1][0] != END:
        raise HostlinkError(f"{os.fspath(path)}: no END record: the kernel did not reach power-off")
    return records[:-1]
