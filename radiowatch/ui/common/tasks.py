"""Starting coroutines from Qt slots on the running qasync loop, without losing them.

asyncio keeps only weak references to tasks, so a task started from a slot and not stored can
be garbage-collected mid-flight. `spawn` keeps it until it finishes and logs a failure instead
of letting it vanish (or hands it to `on_error`, for a tab that shows it). `TaskSlot` is "the one
job of this kind": starting a new fetch, analysis or scan cancels the one still running, so a
tab never writes "if task is not None and not task.done()" itself. At shutdown the app cancels
everything still `running()`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)
_running: set[asyncio.Task[Any]] = set()


def spawn(
    coro: Coroutine[Any, Any, Any],
    name: str | None = None,
    *,
    on_error: Callable[[BaseException], object] | None = None,
) -> asyncio.Task[Any]:
    """Run `coro` on the running loop and keep it alive until it ends; a failure is logged
    and, with `on_error`, handed over (on the loop's thread)."""
    loop = asyncio.get_event_loop()
    task = loop.create_task(coro, name=name)
    _running.add(task)
    task.add_done_callback(_finished)
    if on_error is not None:
        task.add_done_callback(lambda t: _report(t, on_error))
    return task


def running() -> list[asyncio.Task[Any]]:
    """Every spawned task that has not ended (the app's shutdown cancels them)."""
    return [task for task in _running if not task.done()]


def _finished(task: asyncio.Task[Any]) -> None:
    _running.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error("background task %s failed", task.get_name(), exc_info=task.exception())


def _report(task: asyncio.Task[Any], on_error: Callable[[BaseException], object]) -> None:
    if not task.cancelled() and (exc := task.exception()) is not None:
        on_error(exc)


class TaskSlot:
    """Holds at most one running task: `start()` cancels the previous one first."""

    def __init__(self, name: str, *, on_error: Callable[[BaseException], object] | None = None):
        self.name = name
        self.on_error = on_error
        self.task: asyncio.Task[Any] | None = None

    def start(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        self.cancel()
        self.task = spawn(coro, self.name, on_error=self.on_error)
        return self.task

    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def cancel(self) -> bool:
        """Cancel the running task, if any; True when there was one."""
        if self.running():
            assert self.task is not None
            self.task.cancel()
            return True
        return False

    async def cancel_and_wait(self) -> None:
        """Cancel the running task and wait until it has really ended (for shutdown)."""
        task = self.task
        if self.cancel() and task is not None:
            await asyncio.gather(task, return_exceptions=True)
