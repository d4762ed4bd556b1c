"""Planning off the GUI thread: a debounced runner where the latest request wins.

`PlanRunner.request` records what to plan and (re)starts a short timer, so a burst of edits
(dragging a spin box, painting a lesion) costs one plan. When the timer fires, one
`PlanTask` runs on the runner's own single-thread `QThreadPool`; while it runs, newer requests
wait, and only the newest of them starts after it. Every request gets a generation number: a
result whose generation is not the latest (superseded or cancelled) is dropped, so the panel
never shows a plan for settings the user has already left.

What a task computes is `planning.run.run_plan_or_geometry` (Qt-free, shared with the export): a
machine without a depth-dose table (Co-60 in this release) has no dose, so for it the field and
beam set-up (`planning.dose.plan_geometry.PlanGeometry`) are delivered through ``geometry_ready``
rather than as a failure.

The images of a study are loaded once (`planning.dose.images.load_plan_images`) and kept for later
runs on the same study.
"""

from __future__ import annotations

import tempfile
import threading
import traceback
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

from imaging.errors import SpineplanError
from planning.case import Case
from planning.dose.images import PlanImages
from planning.dose.plan_geometry import PlanGeometry
from planning.plan import PlanResult
from planning.run import PlanJob, run_plan_or_geometry

#: Quiet time after the last edit before a plan starts, ms.
DEBOUNCE_MS = 250


def images_key(case: Case) -> tuple[str, str, str]:
    """What identifies a case's images for the cache: the study folder and frame of reference,
    and the planning CT with its registration."""
    return (str(case.study_path()), case.study.frame_of_reference_uid, repr(case.planning_ct))


class _TaskSignals(QObject):
    finished = Signal(int, object)  # generation, PlanResult or PlanGeometry
    failed = Signal(int, str)  # generation, message


class PlanTask(QRunnable):
    """Runs one `PlanJob` in a pool thread and reports through ``signals``."""

    def __init__(
        self, generation: int, job: PlanJob, images: PlanImages | None, scratch: Path
    ) -> None:
        super().__init__()
        # The runner keeps the task (and its signals) alive until its result is delivered.
        self.setAutoDelete(False)
        self.generation, self.job, self.images, self.scratch = generation, job, images, scratch
        self.signals = _TaskSignals()
        self._stop = threading.Event()

    def stop(self) -> None:
        """Ask the plan to stop before its next beam (its result is not wanted)."""
        self._stop.set()

    def run(self) -> None:
        try:
            result = run_plan_or_geometry(self.job, self.images, self.scratch, self._stop.is_set)
        except SpineplanError as error:  # PlanCancelled too: its generation is already dropped
            self.signals.failed.emit(self.generation, str(error))
        except Exception as error:  # a bug must not kill the worker thread silently
            traceback.print_exc()
            self.signals.failed.emit(
                self.generation, f"internal error while planning: {type(error).__name__}: {error}"
            )
        else:
            self.signals.finished.emit(self.generation, result)


class PlanRunner(QObject):
    """Debounced, latest-wins planning in a background thread (see the module docstring).

    Signals
    -------
    started : a plan began computing.
    result_ready(PlanResult) : the plan for the latest request.
    geometry_ready(PlanGeometry) : the field and beam set-up for the latest request, whose
        machine has no depth-dose table (so no dose).
    failed(str) : the latest request could not be planned (the message says why, in words).
    busy_changed(bool) : work is pending or running / all done.
    """

    started = Signal()
    result_ready = Signal(object)
    geometry_ready = Signal(object)
    failed = Signal(str)
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, debounce_ms: int = DEBOUNCE_MS) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)  # one plan at a time: the machine has other work
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(debounce_ms)
        self.timer.timeout.connect(self._start_pending)
        self.generation = 0
        self._pending: PlanJob | None = None
        self._running: PlanTask | None = None
        self._images: dict[tuple[str, str], PlanImages] = {}
        self._scratch = tempfile.TemporaryDirectory(prefix="spineplan-plan-")
        self.last_job: PlanJob | None = None

    @property
    def scratch_folder(self) -> Path:
        """A private temporary folder (painted masks), deleted by `shutdown`."""
        return Path(self._scratch.name)

    @property
    def busy(self) -> bool:
        return self._pending is not None or self._running is not None

    def request(self, job: PlanJob, *, immediately: bool = False) -> int:
        """Plan ``job`` after the debounce delay (or at once); returns its generation."""
        was_busy = self.busy
        self.generation += 1
        self._pending = job
        if immediately:
            self.timer.stop()
            self._start_pending()
        else:
            self.timer.start()
        if not was_busy:
            self.busy_changed.emit(True)
        return self.generation

    def cancel(self) -> None:
        """Forget pending work; a plan already running stops before its next beam's dose and
        its result is dropped."""
        was_busy = self.busy
        self.generation += 1
        self._pending = None
        self.timer.stop()
        if self._running is not None:
            self._running.stop()
        if was_busy and self._running is None:
            self.busy_changed.emit(False)

    def cached_images(self, case: Case) -> PlanImages | None:
        return self._images.get(images_key(case))

    def forget_images(self) -> None:
        """Drop cached images (another study was opened)."""
        self._images.clear()

    def wait(self, timeout_ms: int = 60_000) -> bool:
        """Block until the running task (if any) ends; True when none is running."""
        return self.pool.waitForDone(timeout_ms)

    def wait_until_idle(self, timeout_ms: int = 120_000) -> bool:
        """Process events until no plan is pending or running; True when idle in time."""
        from PySide6.QtCore import QDeadlineTimer, QEventLoop
        from PySide6.QtWidgets import QApplication

        deadline = QDeadlineTimer(timeout_ms)
        while self.busy and not deadline.hasExpired():
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            self.wait(20)
        QApplication.processEvents()
        return not self.busy

    def shutdown(self) -> None:
        """Cancel, wait for the running task and delete the scratch folder."""
        self.cancel()
        self.pool.waitForDone(60_000)
        self._scratch.cleanup()

    def _start_pending(self) -> None:
        if self._running is not None or self._pending is None:
            return  # started again when the running task ends
        job, self._pending = self._pending, None
        task = PlanTask(
            self.generation, job, self.cached_images(job.case), Path(self._scratch.name)
        )
        task.signals.finished.connect(self._on_finished)
        task.signals.failed.connect(self._on_failed)
        self._running = task
        self.last_job = job
        self.started.emit()
        self.pool.start(task)

    def _task_ended(self) -> None:
        # The result was emitted at the very end of run(): let the thread leave it before the
        # task (owned here, not by the pool) is released.
        self.pool.waitForDone(5000)
        self._running = None
        if self._pending is not None and not self.timer.isActive():
            self._start_pending()
        if not self.busy:
            self.busy_changed.emit(False)

    def _on_finished(self, generation: int, result: PlanResult | PlanGeometry) -> None:
        self._images[images_key(result.case)] = result.images
        if generation == self.generation:
            if isinstance(result, PlanGeometry):
                self.geometry_ready.emit(result)
            else:
                self.result_ready.emit(result)
        self._task_ended()

    def _on_failed(self, generation: int, message: str) -> None:
        if generation == self.generation:
            self.failed.emit(message)
        self._task_ended()
