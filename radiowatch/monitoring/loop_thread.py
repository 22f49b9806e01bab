"""An asyncio event loop of its own on a worker thread. No Qt.

The app's own loop (qasync) runs on the GUI thread, so any Python work done there holds up
the window: with 100 stations answering at once, reading the replies and committing the plays
stalled it for over 100 ms (bench/monitoring/RESULTS.md). Work that needs no widget runs on
a `LoopThread` instead, and the GUI side only ever *awaits* it:

    worker = LoopThread("radiowatch-monitoring")
    worker.start()
    result = await worker.run(some_coroutine())   # from the GUI loop: never blocks it
    worker.call_soon(callback, arg)                # fire and forget, thread-safe
    await worker.aclose(timeout=2)                 # stop the loop, join the thread

Rules for what runs on it: objects created there (SQLite connections, httpx clients) are
used and closed there only; anything handed back must be a plain value, never a live object
of either side. `at_exit` callbacks run on the worker thread once its loop has stopped, the
place to close a connection that belongs to the thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)

# Threads that did not end in time are kept referenced here for the rest of the process: if
# the GUI side dropped them, their last references (and whatever they hold) would be released
# on the worker thread whenever it finally ends. Only a stuck shutdown ever puts one here.
_ABANDONED: list[object] = []


class LoopThread:
    """One daemon thread running one asyncio loop until `stop()`/`aclose()`."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._at_exit: list[Callable[[], object]] = []
        self._started = False

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def start(self) -> None:
        if not self._started:
            self._started = True
            self._thread.start()

    def at_exit(self, callback: Callable[[], object]) -> None:
        """Run `callback()` on the worker thread after its loop has stopped (last added, first
        run). Errors are logged; the others still run."""
        self._at_exit.append(callback)

    # -- handing work over ---------------------------------------------------------------------

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule `coro` on the worker loop from any thread; returns a concurrent future."""
        if not self.running:
            coro.close()
            raise RuntimeError(f"the {self.name} thread is not running")
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run `coro` on the worker loop and await its result on the calling loop.

        The caller's loop is only woken when the result is ready (`asyncio.wrap_future`), so
        awaiting this from the GUI loop never blocks the GUI thread. Cancelling the awaiting
        task cancels the coroutine on the worker too.
        """
        return await asyncio.wrap_future(self.submit(coro))

    def call_soon(self, callback: Callable[..., object], *args: object) -> None:
        """Run `callback(*args)` on the worker loop soon; a no-op once the thread has ended."""
        if self.running and not self._loop.is_closed():
            # RuntimeError: closed between the check and the call; nothing left to do.
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(callback, *args)

    # -- ending --------------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask the loop to stop; tasks still pending are cancelled and awaited on the thread,
        then the `at_exit` callbacks run and the thread ends. Returns at once."""
        self.call_soon(self._loop.stop)

    async def join(self, timeout: float) -> bool:
        """Wait (without blocking the calling loop) until the thread has ended; False if it
        is still running after `timeout` seconds (it is then kept referenced for good)."""
        deadline = time.monotonic() + timeout
        while self._thread.is_alive() and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        return self._ended_or_parked()

    def join_blocking(self, timeout: float) -> bool:
        """`join` for callers without a running loop (a script, a test's teardown)."""
        if self._started:
            self._thread.join(timeout)
        return self._ended_or_parked()

    async def aclose(self, timeout: float = 2.0) -> bool:
        self.stop()
        return await self.join(timeout)

    def _ended_or_parked(self) -> bool:
        if self._thread.is_alive():
            log.warning(
                "the %s thread did not end in time; leaving it to the process exit", self.name
            )
            _ABANDONED.append(self)
            return False
        return True

    # -- the thread ----------------------------------------------------------------------------

    def _run(self) -> None:
        loop = self._loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            try:
                _cancel_remaining(loop)
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            except Exception:
                log.exception("the %s loop did not wind down cleanly", self.name)
            finally:
                asyncio.set_event_loop(None)
                loop.close()
                for callback in reversed(self._at_exit):
                    try:
                        callback()
                    except Exception:
                        log.exception("a %s exit step failed; the others still ran", self.name)
                self._at_exit.clear()


def _cancel_remaining(loop: asyncio.AbstractEventLoop) -> None:
    tasks = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
