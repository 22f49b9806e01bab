"""Stations: stream source forms AudD accepts, validation, playlist resolution. No Qt."""

from radiowatch.stations.errors import StationError
from radiowatch.stations.playlists import ResolvedSource, resolve_source
from radiowatch.stations.sources import SOURCE_HELP, SourceKind, classify_source
from radiowatch.stations.status import STATUS_LABELS, StationStatus
from radiowatch.stations.store import Station, StationStore

__all__ = [
    "SOURCE_HELP",
    "STATUS_LABELS",
    "ResolvedSource",
    "SourceKind",
    "Station",
    "StationError",
    "StationStatus",
    "StationStore",
    "classify_source",
    "resolve_source",
]
