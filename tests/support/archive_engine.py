"""A real engine process archiving one loopback station, for the GUI's archive features.

The station plays generated songs as MP3; after `seconds` the engine has kept that much of its
audio and peaks, so a play in the last few seconds has a clip, and one from before has none.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from radiowatch.audd.codes import PLACEHOLDER_CALLBACK_URL
from radiowatch.engine.demo.station import Segment
from tests.support.engine_process import EngineProcess, running_engine
from tests.support.stations import BackgroundLoop, song_programme, songs

ARCHIVE_SETTINGS = {"archive_segment_s": 3, "archive_peak_block_s": 3, "reconnect_initial_s": 0.3}


@contextmanager
def archiving_engine(
    data_dir: Path,
    *,
    radio_id: int = 3,
    seconds: float = 14.0,
    settings: dict | None = None,
    programme: Callable[[], Iterator[Segment]] | None = None,
) -> Iterator[EngineProcess]:
    with (
        BackgroundLoop() as bg,
        running_engine(data_dir, settings={**ARCHIVE_SETTINGS, **(settings or {})}) as engine,
    ):
        engine.api("setCallbackUrl", url=PLACEHOLDER_CALLBACK_URL)
        if programme is None:
            station = bg.start_station(song_programme(songs(1), 30.0, 2.0))
        else:
            station = bg.start_station(programme, loop_programme=False)
        engine.api("addStream", url=station.url, radio_id=radio_id)
        time.sleep(seconds)
        yield engine
