"""The dependency step of make run: a missing tool, no root and no sudo gives the one command to run."""
import os
import subprocess

import pytest
from frame_build import BUILD, ROOT


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop to an unprivileged user")
def test_missing_package_without_root_prints_the_install_command():
    bindir = os.path.join(BUILD, "test-deps", "bin")
    os.makedirs(bindir, exist_ok=True)
    for name in os.listdir("/usr/bin"):  # every tool but QEMU, and no sudo
        link = os.path.join(bindir, name)
        if name not in ("qemu-system-x86_64", "sudo") and not os.path.lexists(link):
            os.symlink(os.path.join("/usr/bin", name), link)
    os.chmod(os.path.join(BUILD, "test-deps"), 0o755)
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        os.path.join(ROOT, "sdk", "tools", "install-deps")],
                       env={"PATH": bindir, "HOME": "/nonexistent"}, capture_output=True, text=True, timeout=60)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "error: the Frame SDK needs these packages: qemu-system-x86" in r.stderr
    assert "install them with: sudo apt-get install -y qemu-system-x86" in r.stderr


def test_nothing_missing_is_silent():
    r = subprocess.run([os.path.join(ROOT, "sdk", "tools", "install-deps")], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0 and r.stdout == "" and r.stderr == "", r.stdout + r.stderr
