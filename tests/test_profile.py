"""make profile (harness/frameharness/profile.py): the kernel sampled through QEMU's GDB stub.

tests/kernels/profile runs the same loop (burn()) four times as long from burn_a() as from burn_b()
for two seconds, then powers off: the profile finds 80% and 20% of its samples under them, within
TOLERANCE points (what sampling a loaded machine may miss by), and writes a well-formed folded
file and a flame graph that parses as XML. A kernel made by make new has the target too."""
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

import pytest
from frame_build import BUILD, ROOT

TOLERANCE = 15  # percentage points
ELF = os.path.join(BUILD, "tests", "kernels", "profile", "profile.elf")
QEMU = ["qemu-system-x86_64", "-M", "pc", "-accel", "tcg", "-m", "128M", "-nic", "none", "-no-reboot",
        "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-display", "none", "-serial", "stdio"]


def env():
    return dict(os.environ, PYTHONPATH=os.path.join(ROOT, "harness"))


def read_folded(path):
    """{stack: samples}; asserts each line is 'frame;frame;... N', frames non-empty, N > 0."""
    stacks = {}
    with open(path) as f:
        for line in f:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            assert stack and count.isdigit() and int(count) > 0, f"malformed folded line: {line!r}"
            assert all(stack.split(";")), f"an empty frame: {line!r}"
            assert stack not in stacks, f"a stack twice: {line!r}"
            stacks[stack] = int(count)
    assert stacks, "an empty profile"
    return stacks


@pytest.fixture(scope="module")
def profiled():
    """The profile of tests/kernels/profile, in build/profile as make profile EXAMPLE=profile writes it
    (docs/seeing.md points at it)."""
    out = os.path.join(BUILD, "profile")
    for old in ("profile.folded", "profile.svg"):  # a stale file would pass for a new one
        if os.path.exists(os.path.join(out, old)):
            os.unlink(os.path.join(out, old))
    r = subprocess.run([sys.executable, "-m", "frameharness.profile", "--elf", ELF, "--out", out, "--seconds", "15",
                        "--", *QEMU, "-kernel", ELF], capture_output=True, text=True, timeout=60, env=env(),
                       stdin=subprocess.DEVNULL)
    return r, out


def test_the_profile_finds_burn_a_and_burn_b_in_their_shares(profiled):
    r, out = profiled
    assert r.returncode == 0, r.stdout + r.stderr
    assert "profile: burning" in r.stdout  # the kernel's console comes through
    stacks = read_folded(os.path.join(out, "profile.folded"))
    total = sum(stacks.values())
    # The frame-pointer walk: the leaf is burn(), called by each of them, called by kernel_main.
    under = {f: sum(n for s, n in stacks.items() if re.search(rf"(^|;)kernel_main;{f};burn($|;)", s))
             for f in ("burn_a", "burn_b")}
    shares = {f: 100 * n / total for f, n in under.items()}
    assert abs(shares["burn_a"] - 80) <= TOLERANCE and abs(shares["burn_b"] - 20) <= TOLERANCE, (shares, r.stdout)
    assert any(s.startswith("start64;frame_main;") for s in stacks), stacks  # the boot path, from its root


def test_the_terminal_gets_a_top_table_and_the_samplers_cost(profiled):
    r, _ = profiled
    rows = {m[0]: (int(m[1]), int(m[2])) for m in re.findall(r"^(\S+) +(\d+) +[\d.]+% +(\d+) +[\d.]+%$", r.stdout, re.M)}
    assert 3 <= len(rows) <= 20, r.stdout
    assert rows["burn"][0] > rows["burn"][1] / 2, r.stdout  # burn's own samples: most of its total
    # burn_a only calls burn: a sample lands in burn_a itself only on its few own instructions
    assert rows["burn_a"][0] <= rows["burn_a"][1] * 0.05 and rows["burn_a"][1] > rows["burn_b"][1] > 0, r.stdout
    assert re.search(r"^profile: \d+ samples in [\d.]+ s .*the kernel powered off$", r.stdout, re.M), r.stdout
    assert re.search(r"^profile: cost: each sample stopped the CPU for \d+ us \(median", r.stdout, re.M), r.stdout


def test_the_flame_graph_is_self_contained_xml_naming_both_functions(profiled):
    _, out = profiled
    svg = os.path.join(out, "profile.svg")
    root = ET.parse(svg).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == ns + "svg"
    frames = {g.get("data-name"): int(g.get("data-n")) for g in root.iter(ns + "g") if g.get("class") == "f"}
    assert frames["burn_a"] > frames["burn_b"] > 0 and frames["all"] >= frames["burn_a"] + frames["burn_b"], frames
    titles = [t.text for t in root.iter(ns + "title")]
    assert any(re.fullmatch(r"burn_a \(\d+ samples, [\d.]+%\)", t) for t in titles), titles
    script = "".join(s.text for s in root.iter(ns + "script"))
    assert "function zoom(" in script and "mouseover" in script and "reset" in script
    text = open(svg).read()
    assert not re.search(r"(href|src)=", text) and text.count("http") == 1, "fetches something"  # the xmlns only


def test_make_profile_works_for_a_make_new_kernel():
    sdk = os.path.join(BUILD, "sdk")
    with tempfile.TemporaryDirectory(prefix="frame-profile-new-") as tmp:
        kdir = os.path.join(tmp, "mine")
        r = subprocess.run([os.path.join(sdk, "tools", "frame-new"), "--template", "hello", kdir],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("FRAME_", "GDB")) and k != "PYTHONPATH"}
        r = subprocess.run(["make", "--no-print-directory", "profile", "SECONDS=3", "HZ=500"], cwd=kdir, env=clean,
                           capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        assert r.returncode == 0, r.stdout + r.stderr
        stacks = read_folded(os.path.join(kdir, "build", "profile", "mine.folded"))
        assert any("frame_main" in s for s in stacks), stacks
        ET.parse(os.path.join(kdir, "build", "profile", "mine.svg"))
        assert re.search(r"^profile: cost: each sample stopped the CPU", r.stdout, re.M), r.stdout
