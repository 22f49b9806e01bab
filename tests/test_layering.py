"""The core runs without a display: importing any core module loads no Qt.

`make check` (lint-imports) checks the same statically, with every row of the "may import"
table in docs/architecture.md; this test checks it at run time, lazy imports included."""

import subprocess
import sys

import pytest

CORE_PACKAGES = [
    "radiowatch.audd",
    "radiowatch.engine",
    "radiowatch.history",
    "radiowatch.monitoring",
    "radiowatch.audjust",
    "radiowatch.udio",
    "radiowatch.config",
    "radiowatch.stations",
    "radiowatch.backend",
    "radiowatch.signals",
    "radiowatch.track_names",
]


@pytest.mark.parametrize("package", CORE_PACKAGES)
def test_core_package_imports_no_qt(package):
    code = (
        "import importlib, pkgutil, sys\n"
        f"pkg = importlib.import_module({package!r})\n"
        "for m in pkgutil.walk_packages(getattr(pkg, '__path__', []), pkg.__name__ + '.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('PySide6', 'qasync', 'shiboken6'))\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
