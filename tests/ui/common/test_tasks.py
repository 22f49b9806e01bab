"""The one way the UI starts coroutines (radiowatch/ui/common/tasks.py), on a plain asyncio loop:
the helpers need a running loop, not Qt."""

from __future__ import annotations

import asyncio
import gc
import inspect
import logging

from radiowatch.ui.common.tasks import TaskSet, TaskSlot, running, spawn


def test_a_spawned_task_survives_garbage_collection_and_runs_to_the_end():
    finished = []

    async def main():
        release = asyncio.Event()

        async def job():
            await release.wait()
            finished.append(True)

        spawn(job(), "keep-me")  # no reference kept by the caller
        await asyncio.sleep(0)
        gc.collect()
        release.set()
        while not finished and running():
            await asyncio.sleep(0)

    asyncio.run(main())
    assert finished == [True]


def test_a_failure_is_logged_and_handed_to_on_error(caplog):
    seen: list[BaseException] = []

    async def boom():
        raise ValueError("no such song")

    async def main():
        task = spawn(boom(), "boom", on_error=seen.append)
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.sleep(0)  # done callbacks run on the next loop pass

    with caplog.at_level(logging.ERROR, logger="radiowatch.ui.common.tasks"):
        asyncio.run(main())
    assert [str(e) for e in seen] == ["no such song"]
    assert "background task boom failed" in caplog.text


def test_a_slot_cancels_the_running_job_and_starts_the_next_after_it_has_ended():
    events: list[str] = []

    async def old():
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            for _ in range(3):  # slow clean-up: the new job must not start meanwhile
                await asyncio.sleep(0)
            events.append("old cleaned up")
            raise

    async def new():
        events.append("new started")
        return "done"

    async def main():
        slot = TaskSlot("analysis")
        first = slot.start(old())
        await asyncio.sleep(0)
        second = slot.start(new())
        assert slot.running() and slot.task is second
        assert await second == "done"
        assert first.cancelled() and not slot.running()

    asyncio.run(main())
    assert events == ["old cleaned up", "new started"]


def test_a_job_cancelled_before_it_began_is_closed_without_running():
    ran = []

    async def blocker():
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            await asyncio.sleep(0.05)
            raise

    async def never():
        ran.append(True)

    async def main():
        slot = TaskSlot("fetch")
        slot.start(blocker())
        await asyncio.sleep(0)
        coro = never()
        slot.start(coro)
        await asyncio.sleep(0)
        await slot.cancel_and_wait()
        assert inspect.getcoroutinestate(coro) == inspect.CORO_CLOSED

    asyncio.run(main())
    assert ran == []


def test_a_task_set_cancels_and_awaits_everything_it_started():
    seen: list[BaseException] = []
    stopped = []

    async def long_download(name):
        try:
            await asyncio.sleep(60)
        finally:
            stopped.append(name)

    async def quiet_failure():
        raise OSError("disk full")

    async def main():
        work = TaskSet("udio", on_error=seen.append)
        work.spawn(long_download("a"), "download")
        work.spawn(long_download("b"), "download")
        failed = work.spawn(quiet_failure(), "download", report=False)
        await asyncio.gather(failed, return_exceptions=True)
        await asyncio.sleep(0)
        assert len(work.running()) == 2
        await work.cancel_and_wait()
        assert work.running() == []

    asyncio.run(main())
    assert sorted(stopped) == ["a", "b"]
    assert seen == []  # report=False: the awaiting caller shows the failure


def test_a_job_cancelled_before_the_loop_ran_it_is_closed_too():
    async def never():
        raise AssertionError("must not run")

    async def main():
        slot = TaskSlot("preview")
        coro = never()
        task = slot.start(coro)
        slot.cancel()  # before the task's first step
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.sleep(0)
        assert task.cancelled()
        assert inspect.getcoroutinestate(coro) == inspect.CORO_CLOSED

    asyncio.run(main())
