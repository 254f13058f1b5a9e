"""Where the repository is, and its build directory (pytest.ini's frame_build)."""
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")


def fnv1a(data: bytes) -> int:
    """FNV-1a (32 bits) of data, as the test kernels hash boot modules and frames."""
    h = 2166136261
    for b in data:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h
