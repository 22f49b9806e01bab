"""One-off costs of the monitoring's first minute, paid at start in a worker thread: loading
the CA bundle and httpx's first client (~80 + ~60 ms), and the first event-to-play parse
(strptime's regex compilation, pydantic's validators: ~60 ms), as measured when they were
found. Paid later, they would land on the loop with the first song of the day."""

from __future__ import annotations

from datetime import UTC

from radiowatch.audd import MatchEvent, parse_callback
from radiowatch.monitoring.longpoll_connections import LongpollConnections
from radiowatch.monitoring.plays_from_results import play_from_match
from radiowatch.monitoring.stations_source import MonitoredStation


def prepared_connections(user_agent: str | None) -> LongpollConnections:
    """The long polls' connections with their first client built; the parse path warmed."""
    _warm_up_parsing()
    return LongpollConnections(
        headers={"User-Agent": user_agent} if user_agent else None, prewarm=True
    )


def _warm_up_parsing() -> None:
    """Run the event-to-play path once."""
    event = parse_callback(
        {
            "status": "success",
            "result": {
                "radio_id": 0,
                "timestamp": "2000-01-01 00:00:00",
                "results": [{"artist": "warm-up", "title": "warm-up", "score": 100}],
            },
        }
    )
    assert isinstance(event, MatchEvent)
    station = MonitoredStation(radio_id=0, name="warm-up", source="warm-up")
    play_from_match(event, station=station, backend="", timestamp_tz=UTC)
