"""Helpers shared by tests in several folders (tests/ is on sys.path through conftest.py)."""

import os
from pathlib import Path


def read_only_folder(tmp_path):
    """A folder this process cannot create files in, or None (root ignores chmod)."""
    if os.geteuid() != 0:
        folder = tmp_path / "ro"
        folder.mkdir()
        folder.chmod(0o555)
        return folder
    probe = Path("/sys")
    if probe.is_dir():
        try:
            fd = os.open(probe / "schedopt-probe", os.O_CREAT | os.O_WRONLY)
        except OSError:
            return probe
        os.close(fd)
        os.unlink(probe / "schedopt-probe")
    return None
