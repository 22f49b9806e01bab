"""One small Qt-free signal, so the core can announce things without depending on Qt.

Every core object that tells others of a change uses it (the station list, the watchlist, the
monitoring service's plays, statuses and alerts). The GUI adapts it: ui/monitor/monitoring_bridge.py
re-emits into Qt signals, which is how events reach the GUI thread safely. A listener that
raises is logged and does not stop the others or the emitter: a broken panel must never stop
plays from being recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, ParamSpec

P = ParamSpec("P")

log = logging.getLogger(__name__)


class Signal(Generic[P]):
    """`Signal[[RecordedPlay]]` passes one value to each listener; `Signal[[]]` none."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._listeners: list[Callable[P, object]] = []

    def connect(self, listener: Callable[P, object]) -> Callable[P, object]:
        if listener not in self._listeners:
            self._listeners.append(listener)
        return listener

    def subscribe(self, listener: Callable[P, object]) -> Callable[[], None]:
        """Connect `listener` and return the function that disconnects it again."""
        self.connect(listener)
        return lambda: self.disconnect(listener)

    def disconnect(self, listener: Callable[P, object]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def emit(self, *args: P.args, **kwargs: P.kwargs) -> None:
        for listener in list(self._listeners):
            try:
                listener(*args, **kwargs)
            except Exception:
                log.exception("a %s listener failed; the others still ran", self.name)

    def __len__(self) -> int:
        return len(self._listeners)
