"""The app's monitoring (MonitoringThread, as app.py runs it) alone in a process of its own, so a
test can SIGKILL it: a crash with no clean close, which an in-process test cannot fake.

    python -m tests.support.monitoring_process BASE_URL DB_PATH RADIO_ID HEARTBEAT_S

The AudD token comes from RADIOWATCH_TEST_AUDD_TOKEN (never argv, as the app does with its
secrets). Prints "running" once monitoring has started, then runs until killed.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from radiowatch.monitoring.client_recipe import ClientRecipe
from radiowatch.monitoring.monitoring_thread import MonitoringThread
from radiowatch.monitoring.stations_source import MonitoredStation

TOKEN_ENV = "RADIOWATCH_TEST_AUDD_TOKEN"


async def main(base_url: str, db_path: Path, radio_id: int, heartbeat_s: float) -> None:
    recipe = ClientRecipe(
        base_url=base_url,
        enterprise_url=base_url + "/enterprise",
        api_token=os.environ[TOKEN_ENV],
        backoff_factor=0.02,
    )
    station = MonitoredStation(
        radio_id=radio_id, name=f"Radio {radio_id}", source=f"https://streams.example/{radio_id}"
    )
    monitoring = MonitoringThread(
        database=db_path,
        state_key="audd",
        client=recipe,
        stations=[station],
        deliver=lambda _item: None,
        longpoll_timeout=2,
        retry_first_delay=0.05,
        coverage_heartbeat=heartbeat_s,
    )
    await monitoring.start()
    print("running", flush=True)
    await asyncio.Event().wait()  # until killed


if __name__ == "__main__":
    url, db, rid, beat = sys.argv[1:5]
    asyncio.run(main(url, Path(db), int(rid), float(beat)))
