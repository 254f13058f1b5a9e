"""The harness passes mypy --strict: every public function has type hints, and they hold."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

import frameharness


def test_the_harness_passes_mypy_strict(tmp_path):
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (sudo apt-get install mypy; make deps installs it)")
    package = Path(frameharness.__file__).parent
    r = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "mypy-cache"),
                        str(package)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
