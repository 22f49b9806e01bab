"""A tiny Qt-free signal, so the core can announce things without depending on Qt.

The GUI adapts it (radiowatch/ui/monitoring_bridge.py re-emits into Qt signals, which is how
the events reach the GUI thread safely). A listener that raises is logged and does not stop
the others or the emitter: a broken panel must never stop plays from being recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)


class Signal(Generic[T]):
    def __init__(self, name: str) -> None:
        self.name = name
        self._listeners: list[Callable[[T], object]] = []

    def connect(self, listener: Callable[[T], object]) -> Callable[[T], object]:
        if listener not in self._listeners:
            self._listeners.append(listener)
        return listener

    def disconnect(self, listener: Callable[[T], object]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def emit(self, value: T) -> None:
        for listener in list(self._listeners):
            try:
                listener(value)
            except Exception:
                log.exception("a %s listener failed; the others still ran", self.name)

    def __len__(self) -> int:
        return len(self._listeners)
