"""The CMOS clock driver (sdk/drivers/rtc.c, client code in the safe subset): the date QEMU's
clock was started at comes back, a second later a second later, on -M pc and -M q35; a misuse
panics naming rtc_read and its caller."""
import datetime
import re

import pytest

pytestmark = pytest.mark.kernel("kernels/rtc")
BASE = datetime.datetime(2026, 11, 30, 12, 34, 56)


@pytest.mark.parametrize("machine", ["pc", "q35"])
def test_the_date_qemu_was_given_comes_back(boot, machine):
    result = boot(machine=machine, extra_args=("-rtc", f"base={BASE.isoformat()}"),
                  expect=(r"^rtc: \d{4}-", r"^rtc: \d{4}-"), forbid=(r"PANIC",))
    times = [datetime.datetime.strptime(line[5:], "%Y-%m-%d %H:%M:%S") for line in result.lines
             if line.startswith("rtc: ")]
    assert len(times) == 2
    assert BASE <= times[0] <= BASE + datetime.timedelta(seconds=5), times  # the boot takes a moment
    assert datetime.timedelta(seconds=1) <= times[1] - times[0] <= datetime.timedelta(seconds=3), times


def test_a_null_out_panics_naming_the_function_and_caller(boot):
    result = boot(cmdline="null", exit_status=35,
                  expect=(r"^PANIC: rtc_read: out must not be NULL \(called from case_null\+0x[0-9a-f]+ at main\.c:\d+\)$",))
    assert result.panic.location.function == "rtc_read"
    assert re.search(r"rtc\.c$", result.panic.location.file), result.panic.location
