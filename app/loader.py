"""Loading a study off the GUI thread, series by series, with progress and cancel.

`StudyLoader.start` runs `imaging.discover` and then `imaging.load_series` for each series in a
worker thread, in `app.series_choice.ordered_for_loading` order, so the series to show first
arrives first. Results come back as queued Qt signals on the GUI thread.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QEventLoop, QObject, QThread, QTimer, Signal, Slot

from app.series_choice import ordered_for_loading
from imaging.errors import LoadCancelled, SpineplanError


class _LoadWorker(QObject):
    discovered = Signal(object)  # imaging.discovery.Discovery
    series_loaded = Signal(str, object)  # key, Volume
    series_failed = Signal(str, str)  # key, message
    progress = Signal(int, int, str)  # done, total, what
    failed = Signal(str)  # the study could not be read at all
    finished = Signal(str)  # "done" | "cancelled" | "failed"

    def __init__(self, sources: Sequence[Path], cancel_event: threading.Event) -> None:
        super().__init__()
        self._sources = list(sources)
        self._cancel = cancel_event

    def _check(self) -> None:
        if self._cancel.is_set():
            raise LoadCancelled("loading was cancelled")

    @Slot()
    def run(self) -> None:
        try:
            from imaging.discovery import discover
            from imaging.loading import load_series

            def discovery_progress(done: int, total: int) -> None:
                self._check()  # discovery has no cancel hook: stop it from its callback
                self.progress.emit(done, total, "Reading DICOM headers")

            found = discover(self._sources, progress=discovery_progress)
            self._check()
            self.discovered.emit(found)
            series = ordered_for_loading(found.series)
            for number, info in enumerate(series, start=1):
                self._check()
                if info.error:
                    self.series_failed.emit(info.key, info.error)
                    continue
                name = info.description or info.key
                text = f"Loading {name} ({number}/{len(series)})"

                def load_progress(done: int, total: int, text: str = text) -> None:
                    self.progress.emit(done, total, text)

                try:
                    volume = load_series(
                        info, progress=load_progress, should_cancel=self._cancel.is_set
                    )
                except LoadCancelled:
                    raise
                except SpineplanError as error:
                    self.series_failed.emit(info.key, str(error))
                    continue
                self.series_loaded.emit(info.key, volume)
        except LoadCancelled:
            self.finished.emit("cancelled")
            return
        except SpineplanError as error:
            self.failed.emit(str(error))
            self.finished.emit("failed")
            return
        except Exception as error:  # a bug must not leave the GUI waiting forever
            self.failed.emit(f"internal error while loading: {type(error).__name__}: {error}")
            self.finished.emit("failed")
            return
        self.finished.emit("done")


class StudyLoader(QObject):
    """Loads one study at a time in a worker thread (see the module docstring)."""

    discovered = Signal(object)
    series_loaded = Signal(str, object)
    series_failed = Signal(str, str)
    progress = Signal(int, int, str)
    failed = Signal(str)
    finished = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: _LoadWorker | None = None
        self._cancel = threading.Event()
        self.last_outcome = ""

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self, sources: Sequence[Path]) -> None:
        """Start loading ``sources`` (cancels and waits for a load still running)."""
        self.cancel()
        self.wait(10_000)
        self._cancel = threading.Event()
        thread = QThread()
        worker = _LoadWorker(sources, self._cancel)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.discovered.connect(self.discovered)
        worker.series_loaded.connect(self.series_loaded)
        worker.series_failed.connect(self.series_failed)
        worker.progress.connect(self.progress)
        worker.failed.connect(self.failed)
        worker.finished.connect(self._on_finished)
        self._thread, self._worker = thread, worker
        self.last_outcome = ""
        thread.start()

    def cancel(self) -> None:
        """Ask the running load to stop at the next image (no effect when idle)."""
        self._cancel.set()

    def _on_finished(self, outcome: str) -> None:
        thread, self._thread, self._worker = self._thread, None, None
        if thread is not None:
            thread.quit()
            thread.wait()
        self.last_outcome = outcome
        self.finished.emit(outcome)

    def wait(self, timeout_ms: int = 120_000) -> bool:
        """Process events until the running load finishes; False on timeout."""
        if self._thread is None:
            return True
        loop = QEventLoop()
        self.finished.connect(loop.quit)
        timer = QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(loop.quit)
        timer.start(timeout_ms)
        if self._thread is not None:
            loop.exec()
        self.finished.disconnect(loop.quit)
        return self._thread is None
