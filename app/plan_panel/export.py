"""File > Export plan...: the outputs of ``spineplan plan`` written into a chosen folder.

The writing is :func:`planning.export.outputs.write_outputs` (the command line's own: a staging
folder, moved into place only when every file exists), run in a pool thread.
Progress is reported per step; cancelling aborts before the next step and leaves the target
folder untouched. When the plan on screen is out of date (still computing), the export plans
the current settings itself first. A machine without a depth-dose table (Co-60 in this release)
has no dose to export: its field limits and beam set-up are written instead (FIELD_ONLY_FILES),
from the geometry on screen when it is current.
"""

from __future__ import annotations

import threading
import traceback
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from imaging.errors import SpineplanError
from planning.dose.plan_geometry import PlanGeometry
from planning.export.field_limits import FIELD_ONLY_FILES, write_field_limits
from planning.export.outputs import OUTPUT_FILES, write_outputs
from planning.plan import PlanResult
from planning.run import PlanJob, has_dose_data, run_plan_or_geometry

#: Steps reported: planning (when needed) + the four steps of ``write_outputs``.
EXPORT_STEPS = 5


class ExportCancelled(Exception):
    """The user cancelled the export (nothing was written into the target folder)."""


class _ExportSignals(QObject):
    progress = Signal(int, int, str)
    finished = Signal(object)  # list of Path
    failed = Signal(str)
    cancelled = Signal()


class ExportTask(QRunnable):
    """Plan (when neither a result nor a geometry is given) and write the outputs into ``out``.

    A ``geometry`` (a machine without a depth-dose table) writes the field limits only.
    """

    def __init__(
        self,
        out: Path,
        result: PlanResult | None,
        job: PlanJob | None,
        scratch: Path,
        signals: _ExportSignals,
        geometry: PlanGeometry | None = None,
    ) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.out, self.result, self.job, self.scratch = out, result, job, scratch
        self.geometry = geometry
        self.signals = signals
        self.stop = threading.Event()

    def _check(self, done: int, text: str) -> None:
        if self.stop.is_set():
            raise ExportCancelled
        self.signals.progress.emit(done, EXPORT_STEPS, text)

    def run(self) -> None:
        try:
            outcome: PlanResult | PlanGeometry | None = self.geometry or self.result
            if outcome is None:
                assert self.job is not None
                if has_dose_data(self.job):
                    self._check(0, "computing the plan")
                else:
                    self._check(0, "deriving the field (no depth-dose table: no dose)")
                outcome = run_plan_or_geometry(self.job, None, self.scratch)
            if isinstance(outcome, PlanGeometry):
                self._check(3, "field limits")
                written = write_field_limits(outcome, self.out)
            else:
                written = write_outputs(
                    outcome, self.out, lambda done, _total, text: self._check(done + 1, text)
                )
        except ExportCancelled:
            self.signals.cancelled.emit()
        except (SpineplanError, OSError) as error:
            self.signals.failed.emit(str(error))
        except Exception as error:  # a bug must reach the user, not kill the thread silently
            traceback.print_exc()
            self.signals.failed.emit(f"internal error: {type(error).__name__}: {error}")
        else:
            self.signals.progress.emit(EXPORT_STEPS, EXPORT_STEPS, "done")
            self.signals.finished.emit(written)


class PlanExporter(QObject):
    """Runs one export at a time in the background.

    Signals
    -------
    progress(done, total, text), finished(list of Path), failed(str), cancelled()
    """

    progress = Signal(int, int, str)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, scratch: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.scratch = scratch
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._task: ExportTask | None = None
        self._signals = _ExportSignals(self)
        self._signals.progress.connect(self.progress)
        self._signals.finished.connect(self._on_finished)
        self._signals.failed.connect(self._on_failed)
        self._signals.cancelled.connect(self._on_cancelled)

    @property
    def running(self) -> bool:
        return self._task is not None

    def start(
        self,
        out: str | Path,
        result: PlanResult | None = None,
        job: PlanJob | None = None,
        geometry: PlanGeometry | None = None,
    ) -> None:
        """Export ``result`` or the field limits of ``geometry`` (or plan ``job`` first) into
        the folder ``out``."""
        if self._task is not None:
            raise SpineplanError("an export is already running")
        if result is None and job is None and geometry is None:
            raise SpineplanError("nothing to export: open a case with levels and a lesion")
        out = Path(out)
        if out.exists() and not out.is_dir():
            raise SpineplanError(f"{out} exists and is not a folder")
        if not out.parent.is_dir():
            raise SpineplanError(f"the folder {out.parent} does not exist")
        self._task = ExportTask(out, result, job, self.scratch, self._signals, geometry)
        self.pool.start(self._task)

    def cancel(self) -> None:
        """Stop before the next step; nothing is written into the target folder."""
        if self._task is not None:
            self._task.stop.set()

    def wait(self, timeout_ms: int = 60_000) -> bool:
        return self.pool.waitForDone(timeout_ms)

    def _release(self) -> None:
        # The outcome was emitted at the very end of run(): let the thread leave it first.
        self.pool.waitForDone(5000)
        self._task = None

    def _on_finished(self, written: list[Path]) -> None:
        self._release()
        self.finished.emit(written)

    def _on_failed(self, message: str) -> None:
        self._release()
        self.failed.emit(message)

    def _on_cancelled(self) -> None:
        self._release()
        self.cancelled.emit()


__all__ = ["EXPORT_STEPS", "FIELD_ONLY_FILES", "OUTPUT_FILES", "ExportCancelled", "PlanExporter"]
