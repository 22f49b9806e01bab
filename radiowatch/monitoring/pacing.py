"""Sharing the event loop politely with the GUI when many streams speak at once.

On the qasync loop every ready callback of a Qt timer pass runs before the window gets to
paint again. When 100 long polls answer together (an app restart catching up, a backend
coming back), recording all 100 plays in that one pass freezes the window for the whole
batch. `Pacer.turn()` lets work run while the current time slice has budget left and defers
the rest to a later pass (a short real timer), so the GUI thread runs its timers and repaints
in between. With one event at a time it returns at once and costs nothing.
"""

from __future__ import annotations

import asyncio
import time


class Pacer:
    def __init__(self, *, budget: float = 0.004, period: float = 0.012) -> None:
        self._budget = budget
        self._period = period
        self._slice_start = float("-inf")

    async def turn(self) -> None:
        while True:
            now = time.perf_counter()
            if now - self._slice_start >= self._period:
                self._slice_start = now
                return
            if now - self._slice_start < self._budget:
                return
            await asyncio.sleep(self._slice_start + self._period - now)
