"""Starting coroutines from Qt slots on the running qasync loop, without losing them.

asyncio keeps only weak references to tasks, so a task started from a slot and not stored can
be garbage-collected mid-flight (docs/qt-and-asyncio.md, rule E). Every coroutine the UI starts
goes through this module, in one of three shapes:

- `spawn`: fire and keep. The task is held until it ends; a failure is logged, or handed to
  `on_error` for a widget that shows it. At shutdown the app cancels everything `running()`.
- `TaskSlot`: "the one job of this kind" (an analysis, a fetch, a save). `start()` cancels the
  job still running and the new one begins only once the old one has really ended, so two never
  write to the same widgets at once, and no tab writes "if task is not None and not
  task.done()" itself.
- `TaskSet`: the independent tasks one widget started (cover loads, downloads), so its close
  can cancel them and wait for them before it closes what they use.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)
_running: set[asyncio.Task[Any]] = set()

ErrorHandler = Callable[[BaseException], object]


def spawn(
    coro: Coroutine[Any, Any, Any],
    name: str | None = None,
    *,
    on_error: ErrorHandler | None = None,
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


def _report(task: asyncio.Task[Any], on_error: ErrorHandler) -> None:
    if not task.cancelled() and (exc := task.exception()) is not None:
        on_error(exc)


async def _after(previous: asyncio.Task[Any] | None, coro: Coroutine[Any, Any, Any]) -> Any:
    """Run `coro` once `previous` has ended (however it ends)."""
    if previous is not None and not previous.done():
        await asyncio.wait([previous])
    return await coro


class TaskSlot:
    """Holds at most one running job: `start()` cancels the previous one, and the new one
    begins after the previous one has ended."""

    def __init__(self, name: str, *, on_error: ErrorHandler | None = None):
        self.name = name
        self.on_error = on_error
        self.task: asyncio.Task[Any] | None = None

    def start(self, coro: Coroutine[Any, Any, Any], name: str | None = None) -> asyncio.Task[Any]:
        """Run `coro` as this slot's job (`name` overrides the slot's for this one run)."""
        previous = self.task
        self.cancel()
        self.task = spawn(_after(previous, coro), name or self.name, on_error=self.on_error)
        # Cancelled before `coro` began: close it, or Python warns it was never awaited.
        self.task.add_done_callback(lambda _task: coro.close())
        return self.task

    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def cancel(self) -> bool:
        """Cancel the running task, if any; True when there was one."""
        if self.task is not None and not self.task.done():
            self.task.cancel()
            return True
        return False

    async def cancel_and_wait(self) -> None:
        """Cancel the running task and wait until it has really ended (for shutdown)."""
        task = self.task
        if self.cancel() and task is not None:
            await asyncio.gather(task, return_exceptions=True)


class TaskSet:
    """The tasks one widget started that must not outlive it."""

    def __init__(self, name: str, *, on_error: ErrorHandler | None = None):
        self.name = name
        self.on_error = on_error
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(
        self, coro: Coroutine[Any, Any, Any], name: str | None = None, *, report: bool = True
    ) -> asyncio.Task[Any]:
        """`spawn` for this widget; `report=False` leaves a failure to whoever awaits the task
        (it is still logged)."""
        task = spawn(
            coro,
            f"{self.name}-{name}" if name else self.name,
            on_error=self.on_error if report else None,
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def running(self) -> list[asyncio.Task[Any]]:
        return [task for task in self._tasks if not task.done()]

    async def cancel_and_wait(self) -> None:
        """Cancel every task still running and wait until all have ended."""
        pending = self.running()
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
