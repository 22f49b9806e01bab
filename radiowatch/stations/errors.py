"""The one error type station input produces: it names the field and says what to do."""

from __future__ import annotations


class StationError(Exception):
    """Invalid or unusable station input. `field` is 'name', 'source' or 'radio_id'."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
