"""Starting coroutines from Qt slots on the running qasync loop, without losing them.

asyncio keeps only weak references to tasks, so a task started from a slot and not stored can
be garbage-collected mid-flight. `spawn` keeps it until it finishes and logs a failure instead
of letting it vanish.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)
_running: set[asyncio.Task[Any]] = set()


def spawn(coro: Coroutine[Any, Any, Any], name: str | None = None) -> asyncio.Task[Any]:
    loop = asyncio.get_event_loop()
    task = loop.create_task(coro, name=name)
    _running.add(task)
    task.add_done_callback(_finished)
    return task


def _finished(task: asyncio.Task[Any]) -> None:
    _running.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error("background task %s failed", task.get_name(), exc_info=task.exception())
