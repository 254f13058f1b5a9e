"""The host tools of make trace and make coverage take the kernel's records as hostile input: a
record that lies about its length is refused in words, a trace from before the clock was calibrated
still draws, and a coverage record cannot name a file outside the output directory."""
import struct
from pathlib import Path

import pytest
from frameharness import coverage, trace


def test_a_trace_record_with_more_names_than_bytes_is_refused():
    payload = trace.HEADER.pack(trace.VERSION, trace.EVENT.size, 8192, 10**6, 2_600_000_000, 0)
    with pytest.raises(trace.TraceError, match="do not fit"):
        trace.parse(payload)


def test_a_trace_from_before_the_clock_was_calibrated_still_draws():
    events = [trace.EVENT.pack(1000 * i, 0, 0, 0, 0) for i in range(3)]
    payload = trace.HEADER.pack(trace.VERSION, trace.EVENT.size, 8192, 0, 0, 3) + b"".join(events)
    tl = trace.timeline(trace.parse(payload))  # tsc_hz 0: no division by zero
    assert tl.tsc_hz == 0


def test_a_coverage_record_cannot_write_outside_the_output(tmp_path):
    sdk = tmp_path / "sdk"
    (sdk / "coverage").mkdir(parents=True)
    (sdk / "coverage" / "prefix").write_text("/built/frame\n")
    out = tmp_path / "out"
    (out / "frame").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "x.gcno").write_bytes(b"")
    refused = coverage.place({"/built/frame/../../outside/x.gcda": b"data", "/elsewhere/y.gcda": b"data"}, sdk, out)
    assert len(refused) == 2 and all("outside" in r for r in refused), refused
    assert not (tmp_path / "outside" / "x.gcda").exists()
