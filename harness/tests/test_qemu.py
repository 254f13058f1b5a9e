"""QEMU command lines and QEMU's -d cpu_reset / -d int logs (recorded from QEMU 7.2)."""

import os

import pytest

from frameharness import qemu


def test_direct_boot_command(monkeypatch, tmp_path):
    monkeypatch.delenv("QEMU", raising=False)
    monkeypatch.delenv("FRAME_ACCEL", raising=False)
    for path in ("m1.bin", "dir,1/m2.bin"):
        os.makedirs(os.path.dirname(tmp_path / path), exist_ok=True)
        (tmp_path / path).write_bytes(b"x")
    monkeypatch.chdir(tmp_path)
    cmd = qemu.build_command("k.elf", qemu_log="logs/x.qemu.log", cmdline="a=1 b",
                             modules=[("m1.bin", "first"), "dir,1/m2.bin"], extra_args=["-smp", "2"])
    assert cmd == [
        "qemu-system-x86_64", "-M", "pc", "-accel", "tcg", "-m", "128M", "-nic", "none",
        "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot",
        "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
        "-d", "cpu_reset", "-D", "logs/x.qemu.log",
        "-kernel", "k.elf", "-append", "a=1 b", "-initrd", "logs/x.qemu.log.modules.cpio",
        "-smp", "2"]
    # One cpio newc archive (PVH takes one initrd), a member per module, named as the module.
    assert (tmp_path / "logs/x.qemu.log.modules.cpio").read_bytes() == qemu.pack_modules(
        [("first", b"x"), ("m2.bin", b"x")])
    # newc: "070701", then ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor
    # rdevminor namesize check in 8 hex digits; the name with its NUL and the data padded to 4.
    def head(mode, size, namesize):
        return b"070701" + b"".join(b"%08X" % f for f in (0, mode, 0, 0, 1, 0, size, 0, 0, 0, 0, namesize, 0))
    assert qemu.pack_modules([("first", b"x")]) == (
        head(0o100644, 1, 6) + b"first\0" + b"x\0\0\0"  # 110 + 6 bytes: no padding before the data
        + head(0, 0, 11) + b"TRAILER!!!\0" + b"\0" * 3)


def test_minimal_command_omits_append_and_initrd():
    cmd = qemu.build_command("k.elf", qemu_log="q.log")
    assert "-append" not in cmd and "-initrd" not in cmd
    assert cmd[-2:] == ["-kernel", "k.elf"]


def test_iso_boot_and_env_overrides(monkeypatch):
    monkeypatch.setenv("QEMU", "taskset -c 1 /opt/qemu/bin/qemu-system-x86_64")
    monkeypatch.setenv("FRAME_ACCEL", "kvm")
    cmd = qemu.build_command("k.elf", qemu_log="q.log", iso="k.iso", memory="256M", machine="q35")
    assert cmd[:4] == ["taskset", "-c", "1", "/opt/qemu/bin/qemu-system-x86_64"]
    assert cmd[4:10] == ["-M", "q35", "-accel", "kvm", "-m", "256M"]
    assert cmd[-4:] == ["-cdrom", "k.iso", "-boot", "d"]
    assert "-kernel" not in cmd
    with pytest.raises(ValueError):
        qemu.build_command("k.elf", qemu_log="q.log", iso="k.iso", cmdline="x")


def test_triple_fault_with_no_reboot_has_no_registers(data):
    # What QEMU 7.2 really writes: two power-on blocks, then just "Triple fault".
    text = data.text("triple_fault.cpu_reset.log")
    assert [kind for kind, _ in qemu.parse_debug_log(text)] == ["reset", "reset", "triple"]
    assert qemu.saw_triple_fault(text)
    assert qemu.triple_fault_rip(text) is None


def test_triple_fault_rip_from_int_log(data):
    text = data.text("triple_fault.int.log")
    assert qemu.triple_fault_rip(text) == 0x10009f


def test_triple_fault_rip_from_reset_block_after_the_fault(data):
    # Without -no-reboot QEMU resets and dumps the faulting state (then reboots).
    text = data.text("triple_fault.reboot.log")
    assert qemu.triple_fault_rip(text) == 0x10009f


def test_clean_run_has_no_triple_fault(data):
    text = data.text("clean_exit.cpu_reset.log")
    assert not qemu.saw_triple_fault(text)
    assert qemu.triple_fault_rip(text) is None


def test_reset_without_triple_fault_line_uses_last_non_power_on_block():
    block = "CPU Reset (CPU 0)\nRAX=0000000000000000\nRIP={} RFL=00000002\n"
    text = (block.format("0000000000000000") + block.format("000000000000fff0")
            + block.format("ffffffff80201234"))
    assert qemu.triple_fault_rip(text) == 0xffffffff80201234


def test_describe_exit_status():
    assert "success" in qemu.describe_exit_status(33)
    assert "failure" in qemu.describe_exit_status(35)
    assert "triple fault" in qemu.describe_exit_status(0)
    assert "killed" in qemu.describe_exit_status(None)
    assert "0x2" in qemu.describe_exit_status(5)


@pytest.mark.parametrize("name", ["a b", "x:y", "..", "ü", "", "n" * 65, "a,b"])
def test_a_module_name_neither_path_carries_is_refused(tmp_path, name):
    (tmp_path / "m.bin").write_bytes(b"x")
    with pytest.raises(ValueError, match="cannot be carried"):
        qemu.check_modules([(tmp_path / "m.bin", name)])


def test_two_modules_of_one_name_and_a_missing_file_are_refused(tmp_path):
    (tmp_path / "m.bin").write_bytes(b"x")
    with pytest.raises(ValueError, match="another module is named 'm.bin'"):
        qemu.check_modules([tmp_path / "m.bin", (tmp_path / "m.bin", "m.bin")])
    with pytest.raises(ValueError, match="no such file"):
        qemu.check_modules([tmp_path / "nothing.bin"])


def test_uefi_needs_an_iso_and_a_known_firmware(tmp_path):
    with pytest.raises(ValueError, match="boots only an ISO"):
        qemu.build_command("k.elf", qemu_log=tmp_path / "q.log", firmware="uefi")
    with pytest.raises(ValueError, match="give 'bios' or 'uefi'"):
        qemu.build_command("k.elf", qemu_log=tmp_path / "q.log", iso="k.iso", firmware="efi")
    assert not any("pflash" in a for a in qemu.build_command("k.elf", qemu_log=tmp_path / "q.log", iso="k.iso"))


@pytest.mark.skipif(qemu.ovmf_files() is None, reason=f"OVMF is not installed: {qemu.OVMF_INSTALL}")
def test_uefi_boots_ovmf_with_a_copy_of_its_variable_store(tmp_path):
    code, template = qemu.ovmf_files()
    cmd = qemu.build_command("k.elf", qemu_log=tmp_path / "q.log", iso="k.iso", firmware="uefi")
    copy = tmp_path / "q.log.ovmf-vars.fd"
    assert f"if=pflash,format=raw,readonly=on,file={code}" in cmd
    assert f"if=pflash,format=raw,file={copy}" in cmd  # the copy, writable; never the template
    assert not any(template in a for a in cmd)
    assert copy.read_bytes() == open(template, "rb").read()


def test_disk_boots_the_image_as_the_first_hard_disk_and_nothing_else(tmp_path):
    cmd = qemu.build_command("k.elf", qemu_log=tmp_path / "q.log", disk="/a,b/copy.iso")
    assert cmd[cmd.index("-drive") + 1] == "file=/a,,b/copy.iso,format=raw,if=ide,index=0"
    assert cmd[cmd.index("-boot") + 1] == "c"
    assert "-kernel" not in cmd and "-cdrom" not in cmd
    with pytest.raises(ValueError, match="not both"):
        qemu.build_command("k.elf", qemu_log=tmp_path / "q.log", iso="k.iso", disk="d.img")
    with pytest.raises(ValueError, match="only to a direct -kernel boot"):
        qemu.build_command("k.elf", qemu_log=tmp_path / "q.log", disk="d.img", cmdline="x")
