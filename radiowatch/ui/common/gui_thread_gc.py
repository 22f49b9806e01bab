"""Cyclic garbage collection on the GUI thread only.

Python's cyclic collector runs in whichever thread happens to cross an allocation threshold:
an export worker, the chart aggregator, an executor thread reading a file. If the garbage it
finds holds QObjects (a widget kept alive by a lambda cycle, a media player), Qt destroys them
from that thread, which Qt does not allow ("Timers cannot be stopped from another thread") and
which can crash the process a moment later. So automatic collection is switched off and a
timer on the GUI thread runs the same generational collection the interpreter would have run.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

CHECK_INTERVAL_MS = 500


class GuiThreadGarbageCollector(QObject):
    """Owns automatic GC while alive; `stop()` hands it back to the interpreter."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = CHECK_INTERVAL_MS) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect_if_due)
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer.start()

    def collect_if_due(self) -> int:
        """Collect the oldest generation whose count passed its threshold; returns it (-1: none)."""
        counts = gc.get_count()
        generation = -1
        for gen in (2, 1, 0):
            if counts[gen] > self._thresholds[gen]:
                generation = gen
                break
        if generation >= 0:
            gc.collect(generation)
        return generation

    def stop(self) -> None:
        self._timer.stop()
        if self._was_enabled:
            gc.enable()
