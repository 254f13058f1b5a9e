"""Where the repository is, and its build directory (pytest.ini's frame_build)."""
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
