"""Screenshot of the Resize tab after analysing a generated ABAB song, previewing the best edit.

QT_QPA_PLATFORM=offscreen .venv/bin/python bench/resize/screenshot_resize_tab.py [out.png]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

import qasync
from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from radiowatch.ui.resize.tab import ResizeTab  # noqa: E402
from tests.audjust.music import make_song, write_wav  # noqa: E402


async def shoot(out: Path) -> None:
    work = Path(tempfile.mkdtemp(prefix="resize-shot-"))
    song = write_wav(
        work / "Generated ABAB song (128 BPM).wav", make_song(form="ABABAB").samples, channels=2
    )
    tab = ResizeTab(work / "cache", lambda: None)
    tab.resize(1200, 760)
    tab.show()
    try:
        await tab.open_track(song, preset_seconds=60)
        await asyncio.sleep(1.5)  # let the preview play so the cursor is visible
        out.parent.mkdir(parents=True, exist_ok=True)
        tab.grab().save(str(out))
        print(f"saved {out}")
    finally:
        tab.shutdown()


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/team/resize_tab.png")
    app = QApplication(sys.argv[:1])
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        runner.run(shoot(out))


if __name__ == "__main__":
    main()
