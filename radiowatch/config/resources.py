"""Finding the files in the top-level `resources/` folder (icons, stylesheet, desktop file).

They live beside the package rather than inside it, so the locator looks where each way of
running radiowatch puts them: a checkout or editable install (next to `radiowatch/`), a
PyInstaller bundle (`sys._MEIPASS/resources`), or an installed share folder.
"""

from __future__ import annotations

import sys
from pathlib import Path


def _candidates() -> list[Path]:
    found = []
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        found.append(Path(bundle) / "resources")
    found.append(Path(__file__).resolve().parents[2] / "resources")
    found.append(Path(sys.prefix) / "share" / "radiowatch" / "resources")
    return found


def resources_dir() -> Path | None:
    """The first existing resources folder, or None (the UI then falls back to drawn icons)."""
    for candidate in _candidates():
        if (candidate / "icons").is_dir():
            return candidate
    return None


def resource_path(*parts: str) -> Path | None:
    """A file inside the resources folder, or None when it is not there."""
    base = resources_dir()
    if base is None:
        return None
    path = base.joinpath(*parts)
    return path if path.exists() else None
