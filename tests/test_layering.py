"""The core runs without a display: no core package may import Qt (STYLE.md habit 1)."""

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
]


@pytest.mark.parametrize("package", CORE_PACKAGES)
def test_core_package_imports_no_qt(package):
    code = (
        "import importlib, pkgutil, sys\n"
        f"pkg = importlib.import_module({package!r})\n"
        "for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('PySide6', 'qasync', 'shiboken6'))\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
