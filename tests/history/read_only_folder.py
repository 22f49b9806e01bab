"""A folder nobody, not even root, can write into: for the "export to a read-only folder" tests.

Permissions do not bind root, so as root the folder is made immutable (chattr +i), which the
kernel enforces for everyone; otherwise it is simply chmod 555.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def read_only_folder(parent: Path) -> Iterator[Path]:
    folder = parent / "read-only"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield folder
        finally:
            folder.chmod(0o755)
        return
    chattr = shutil.which("chattr")
    if (
        chattr is None
        or subprocess.run([chattr, "+i", str(folder)], capture_output=True).returncode
    ):
        pytest.skip("running as root on a file system without chattr +i: no read-only folder")
    try:
        yield folder
    finally:
        subprocess.run([chattr, "-i", str(folder)], check=True)
