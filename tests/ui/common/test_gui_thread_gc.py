"""Cyclic garbage is collected by the GUI thread's timer, never by whichever thread allocates."""

import gc
import threading

from PySide6.QtCore import QObject

from radiowatch.ui.common.gui_thread_gc import GuiThreadGarbageCollector


class _Cycle:
    def __init__(self):
        self.me = self


def test_garbage_made_in_a_worker_thread_waits_for_the_gui_thread(qtbot):
    collector = GuiThreadGarbageCollector(interval_ms=10_000)  # driven by hand below
    try:
        assert not gc.isenabled()
        before = gc.get_count()[0]

        def make_garbage():
            for _ in range(5000):
                _Cycle()
            holder = QObject()
            holder.cycle = holder  # a QObject in a cycle: must die on the GUI thread

        worker = threading.Thread(target=make_garbage)
        worker.start()
        worker.join()
        # nothing collected in the worker: the generation-0 count only grew
        assert gc.get_count()[0] > before + 1000
        assert collector.collect_if_due() >= 0
        assert gc.get_count()[0] < 100
    finally:
        collector.stop()
    # the suite itself runs with automatic GC off (tests/conftest.py), so stop() leaves it off
    assert not gc.isenabled()


def test_stop_hands_collection_back_when_it_was_on(qtbot):
    gc.enable()
    try:
        collector = GuiThreadGarbageCollector()
        assert not gc.isenabled()
        collector.stop()
        assert gc.isenabled()
    finally:
        gc.disable()
