"""Screenshots of the Resize tab in the main window: empty, and with a generated ABAB song open
and its best edit previewing, at the default window size and at a large one.

    Xvfb :99 & DISPLAY=:99 .venv/bin/python bench/resize/screenshot_resize_tab.py [OUT_DIR]
    (QT_QPA_PLATFORM=offscreen works too, with Qt's offscreen fonts)

Writes resize-empty-1120x700.png, resize-song-1120x700.png and the same at 1600x1000.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

import qasync
from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

SIZES = ((1120, 700), (1600, 1000))


async def shoot(out: Path) -> None:
    from radiowatch.config.paths import profile_dirs
    from radiowatch.config.secrets import MemoryTokenStore
    from radiowatch.config.settings import SettingsStore
    from radiowatch.history.database import open_database
    from radiowatch.stations import StationStore
    from radiowatch.ui.resize.tab import ResizeTab
    from radiowatch.ui.shell.main_window import MainWindow
    from tests.audjust.music import make_song, write_wav

    work = Path(tempfile.mkdtemp(prefix="resize-shot-"))
    os.environ["RADIOWATCH_HOME"] = str(work / "profile")
    dirs = profile_dirs().ensure()
    db = open_database(dirs.database)
    song = write_wav(
        work / "Generated ABAB song (128 BPM).wav", make_song(form="ABABAB").samples, channels=2
    )
    windows = []
    try:
        for state in ("empty", "song"):
            for width, height in SIZES:
                window = MainWindow(
                    dirs=dirs,
                    settings=SettingsStore(dirs.settings_file),
                    stations=StationStore(db),
                    tokens=MemoryTokenStore({}),
                )
                windows.append(window)
                tab = ResizeTab(work / "cache", lambda: None)
                window.set_tab("resize", tab)
                window.show_tab("resize")
                window.resize(width, height)
                window.show()
                try:
                    if state == "song":
                        await tab.open_track(song, preset_seconds=60)
                        await asyncio.sleep(1.5)  # let the preview play so the cursor shows
                    else:
                        await asyncio.sleep(0.5)
                    path = out / f"resize-{state}-{width}x{height}.png"
                    window.grab().save(str(path))
                    print(f"saved {path}")
                finally:
                    tab.shutdown()
                    window.allow_close()
                    window.close()
    finally:
        db.conn.close()


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/team/resize-screens")
    out.mkdir(parents=True, exist_ok=True)
    from radiowatch.ui.common.palette import apply_scheme

    app = QApplication(sys.argv[:1])
    app.setStyle("Fusion")  # as the app does
    apply_scheme(app, os.environ.get("RADIOWATCH_THEME", "light"))
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        runner.run(shoot(out))


if __name__ == "__main__":
    main()
