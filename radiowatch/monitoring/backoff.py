"""How long to wait before trying a backend again. No Qt."""

from __future__ import annotations

import random


class Backoff:
    """Exponential backoff with jitter, so 100 streams do not hammer a backend in lockstep."""

    def __init__(self, first: float = 1.0, cap: float = 60.0) -> None:
        self.first, self.cap, self._next = first, cap, first

    def reset(self) -> None:
        self._next = self.first

    def next_delay(self) -> float:
        delay = self._next
        self._next = min(self.cap, self._next * 2)
        return delay * random.uniform(0.8, 1.2)
