"""Stations: stream source forms AudD accepts, validation, playlist resolution. No Qt."""
