"""The direct boot (QEMU -kernel, the frame's PVH entry): the command line arrives exactly as given
whatever the kernel file's path, boot modules come in one cpio archive, and what is wrong with a
command line or an archive is reported as what it is."""
import os
import shutil
import subprocess

import frame_build
import pytest
from frame_build import BUILD
from frameharness import qemu

pytestmark = pytest.mark.kernel("kernels/bootinfo")
DONE = r"bootinfo: done"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: Quotes, $, ;, backslashes, '=' and non-ASCII (UTF-8) bytes: what a shell or a loader might eat.
AWKWARD = 'a "b c" \'d\' $HOME; x\\y \\\\ z=1=2 é€ ,comma,,'


def fnv1a(data):
    return f"{frame_build.fnv1a(data):08x}"


def copied_kernel(kernel, directory):
    """The test kernel's ELF copied into ``directory`` (made), under a name with a space too."""
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "the kernel.elf")
    shutil.copyfile(kernel.elf, path)
    return path


def kernel_dirs(tmp_path):
    """A directory with spaces, and one whose path is over 300 bytes."""
    long = os.path.join(tmp_path, *(["d" * 100] * 3))
    assert len(long) > 300
    return {"space": os.path.join(tmp_path, "dir with  spaces"), "long": long}


def cmdline_of(result):
    """The command line the bootinfo kernel printed, and the length (bytes) it counted."""
    length = next(int(l.split(": ")[1]) for l in result.lines if l.startswith("cmdline length: "))
    line = next(l for l in result.lines if l.startswith("cmdline: ["))
    return line[len("cmdline: ["):-1], length


@pytest.mark.parametrize("where", ["space", "long"])
@pytest.mark.parametrize("cmdline", ["plain words", AWKWARD, "x" * 4000], ids=["plain", "awkward", "4000-bytes"])
def test_cmdline_arrives_exactly_whatever_the_kernel_path(boot, kernel, tmp_path, where, cmdline):
    elf = copied_kernel(kernel, kernel_dirs(tmp_path)[where])
    result = boot(elf, cmdline=cmdline, expect=(r"loader: PVH", DONE), forbid=(r"PANIC", r"\[WARN\]"))
    assert cmdline_of(result) == (cmdline, len(cmdline.encode()))


def test_several_modules_through_one_archive(boot, kernel, tmp_path):
    """sdk/tools/modules packs them (as make's MODULES); the harness's modules= the same way."""
    files = {"first.bin": bytes(range(256)) * 40 + b"tail", "b": b"", "third.txt": b"third module\n"}
    src = tmp_path / "modules with space"
    src.mkdir()
    for name, data in files.items():
        (src / f"file {name}").write_bytes(data)
    specs = [f"{src}/file {name}={name}" for name in files]
    archive = tmp_path / "build" / "modules.cpio"
    r = subprocess.run([os.path.join(ROOT, "sdk", "tools", "modules"), "initrd", *specs], capture_output=True,
                       text=True, env={**os.environ, "BUILD": str(tmp_path / "build")})
    assert r.returncode == 0 and r.stdout == f"{archive}\n", r.stdout + r.stderr
    assert archive.read_bytes() == qemu.pack_modules(files.items())  # the tool and the harness agree
    want = [f"module: [{name}] size {len(data)} fnv {fnv1a(data)}" for name, data in files.items()]
    elf = copied_kernel(kernel, kernel_dirs(tmp_path)["space"])
    result = boot(elf, cmdline="m", extra_args=("-initrd", str(archive)), expect=(DONE,),
                  forbid=(r"PANIC", r"\[WARN\]"))
    assert [l for l in result.lines if l.startswith("module: ")] == want
    result = boot(elf, cmdline="m", modules=[(src / f"file {name}", name) for name in files], expect=(DONE,),
                  forbid=(r"PANIC", r"\[WARN\]"))
    assert [l for l in result.lines if l.startswith("module: ")] == want and cmdline_of(result) == ("m", 1)


def test_a_module_of_4_gib_is_refused_naming_the_limit():
    """cpio's size field has 8 hex digits: a larger file would make a broken archive. Sparse files
    under build/, never written out (list mode for the one just under the limit)."""
    tool, directory = os.path.join(ROOT, "sdk", "tools", "modules"), os.path.join(BUILD, "test-4gib-module")
    os.makedirs(directory, exist_ok=True)
    big, fits = os.path.join(directory, "big"), os.path.join(directory, "fits")
    try:
        for path, size in ((big, 1 << 32), (fits, (1 << 32) - 1)):
            with open(path, "wb") as f:
                f.truncate(size)
        env = {**os.environ, "MODULES_ARCHIVE": os.path.join(directory, "modules.cpio")}
        for mode in ("initrd", "list"):
            r = subprocess.run([tool, mode, big], capture_output=True, text=True, env=env)
            assert r.returncode == 1 and r.stdout == "", r.stdout
            assert "the file is 4294967296 bytes, over the limit of 4294967295 (4 GiB - 1)" in r.stderr, r.stderr
        assert not os.path.exists(env["MODULES_ARCHIVE"])
        r = subprocess.run([tool, "list", fits], capture_output=True, text=True, env=env)
        assert r.returncode == 0 and r.stdout == f"fits {fits}\n", r.stdout + r.stderr
    finally:
        shutil.rmtree(directory)


@pytest.mark.parametrize("damage", ["truncated", "bad-hex", "name-past-end"])
def test_a_broken_archive_is_reported_and_the_kernel_survives(boot, tmp_path, damage):
    good = qemu.pack_modules([("one", b"first module"), ("two", b"x" * 5000)])
    second = good.index(b"070701", 6)  # the second member's header
    data = {"truncated": good[:second + 200],
            "bad-hex": good[:second + 54] + b"zzzzzzzz" + good[second + 62:],
            "name-past-end": good[:second + 94] + b"7FFFFFF0" + good[second + 102:]}[damage]
    path = tmp_path / "broken.cpio"
    path.write_bytes(data)
    result = boot(cmdline="x", extra_args=("-initrd", str(path)), expect=(DONE,), forbid=(r"PANIC",))
    assert any("the initrd's module archive" in l and "is broken at byte" in l for l in result.lines), result.output
    assert [l for l in result.lines if l.startswith("module: ")] == [
        f"module: [one] size 12 fnv {fnv1a(b'first module')}"]


@pytest.mark.parametrize("value", ["bogus", "", "debugX"])
def test_an_unknown_loglevel_warns_naming_the_levels(boot, value):
    result = boot(cmdline=f"a loglevel={value} b", expect=(DONE,), forbid=(r"PANIC",))
    warns = [l for l in result.lines if "loglevel=" in l and "[WARN]" in l]
    assert len(warns) == 1 and f"loglevel={value} is not a level" in warns[0], result.output
    assert "error, warn, info or debug" in warns[0]


@pytest.mark.parametrize("cmdline", ["loglevel=debug", "a\tloglevel=debug\tb"], ids=["alone", "between-tabs"])
def test_a_known_loglevel_does_not_warn(boot, cmdline):
    boot(cmdline=cmdline, expect=(r"\[DEBUG\] frame: booted by PVH", DONE), forbid=(r"\[WARN\]",))


def test_a_9000_byte_cmdline_is_reported_as_too_long(boot):
    """QEMU 7.2's PVH option ROM holds 4096 bytes of command line and overwrites its own start info
    with a longer one: the frame says so, not that something is not NUL-terminated."""
    with pytest.raises(ValueError, match=r"cmdline is 9000 bytes; QEMU's -kernel \(PVH\) boot carries at most 4095"):
        boot(cmdline="y" * 9000)  # the harness refuses it, as make does (tests/test_cmdline_grub.py)
    # By hand, as a user's own QEMU command would:
    result = boot(extra_args=("-append", "y" * 9000), exit_status=35, timeout=20,
                  expect=(r"PANIC: boot: .*command line over its limit of 4095 bytes",))
    assert "NUL-terminated" not in result.output
