"""Background work of practice mode: scoring an attempt (it plans the trainee's field) and the
teaching export (it rewrites every DICOM file). Both run in a `QThread` so the window stays
responsive; results come back as signals on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal

from imaging.errors import SpineplanError
from imaging.volume import Volume
from planning.anatomy.lesion import EllipsoidLesion
from planning.case import Case
from planning.case.masks import load_masks
from planning.field.derivation import Field, derive_case_field
from planning.practice.scoring import planned_coverage_percent, score_cases
from planning.practice.sheet import ScoreSheet
from planning.practice.teaching import TeachingExport, export_case_for_teaching


@dataclass(frozen=True)
class ScoringJob:
    """What to score.

    Attributes
    ----------
    reference, attempt : the expert's case and the trainee's (same study).
    grid : the post-contrast series shown in the viewer: the lesions are compared on it unless
        both are ellipsoids (then on a fine isotropic grid, as ``spineplan score`` does), and the
        reference's marks are built on it for display.
    with_dose : plan the trainee's field and report the V95 of the reference lesion under it.
    """

    reference: Case
    attempt: Case
    grid: Volume | None
    with_dose: bool = True


@dataclass(frozen=True)
class ScoringOutcome:
    """The score sheet and what is needed to show the reference over the trainee's marks.

    Attributes
    ----------
    sheet : the score sheet.
    reference_with_masks : the reference case with its masks on the job's grid.
    reference_field : the reference's field (borders in LPS mm), or None when it cannot derive.
    """

    sheet: ScoreSheet
    reference_with_masks: Case
    reference_field: Field | None


def run_scoring(job: ScoringJob) -> ScoringOutcome:
    """Score ``job`` (blocking; seconds when the dose is computed).

    Raises
    ------
    SpineplanError
        The reference cannot be scored against, or the attempt is on another study.
    """
    both_ellipsoids = isinstance(job.reference.lesion, EllipsoidLesion) and isinstance(
        job.attempt.lesion, EllipsoidLesion | None
    )
    sheet = score_cases(
        job.reference,
        job.attempt,
        grid=None if both_ellipsoids else job.grid,
        coverage=planned_coverage_percent if job.with_dose else None,
    )
    reference_with_masks = load_masks(job.reference, job.grid)
    ellipsoid = isinstance(job.reference.lesion, EllipsoidLesion)
    mask = None if ellipsoid else reference_with_masks.lesion_mask
    try:
        reference_field: Field | None = derive_case_field(job.reference, mask)
    except SpineplanError:
        reference_field = None
    return ScoringOutcome(sheet, reference_with_masks, reference_field)


def unexpected_error_text(error: BaseException) -> str:
    """What the user reads when a worker meets an error spineplan did not foresee."""
    return (
        f"unexpected error ({type(error).__name__}: {error}); nothing was written. Please "
        "report it with the case that caused it"
    )


class ScoringThread(QThread):
    """Runs :func:`run_scoring` once; emits ``scored(generation, ScoringOutcome)`` or
    ``failed(generation, str)`` (``generation`` tells a superseded run from the current one)."""

    scored = Signal(int, object)
    failed = Signal(int, str)

    def __init__(self, job: ScoringJob, generation: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.job, self.generation = job, generation

    def run(self) -> None:
        try:
            outcome = run_scoring(self.job)
        except (SpineplanError, OSError, ValueError) as error:
            self.failed.emit(self.generation, str(error))
            return
        except Exception as error:  # a bug must end in a message, not a silent dead thread
            self.failed.emit(self.generation, unexpected_error_text(error))
            return
        self.scored.emit(self.generation, outcome)


class ExportCancelled(Exception):
    """Raised from the progress callback to stop a teaching export (nothing is left behind)."""


class TeachingExportThread(QThread):
    """Runs :func:`planning.practice.teaching.export_case_for_teaching` once.

    Signals: ``progress(done, total)`` over the DICOM files, ``exported(TeachingExport)``,
    ``failed(str)``, ``cancelled()``.
    """

    progress = Signal(int, int)
    exported = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(
        self,
        case: Case | Path,
        destination: Path,
        parent: QObject | None = None,
        *,
        cleanup: Callable[[], None] | None = None,
        accept_burned_in: bool = False,
    ) -> None:
        super().__init__(parent)
        self.case, self.destination = case, destination
        self.cleanup = cleanup
        self.accept_burned_in = accept_burned_in
        self._cancel = False

    def cancel(self) -> None:
        """Stop before the next file (the export then leaves no destination behind)."""
        self._cancel = True

    def _on_progress(self, done: int, total: int) -> None:
        if self._cancel:
            raise ExportCancelled
        self.progress.emit(done, total)

    def run(self) -> None:
        try:
            result: TeachingExport = export_case_for_teaching(
                self.case,
                self.destination,
                progress=self._on_progress,
                accept_burned_in=self.accept_burned_in,
            )
        except ExportCancelled:
            self.cancelled.emit()
            return
        except (SpineplanError, OSError, ValueError) as error:
            self.failed.emit(str(error))
            return
        except Exception as error:  # a bug must close the progress dialog with a message
            self.failed.emit(unexpected_error_text(error))
            return
        finally:
            if self.cleanup is not None:
                self.cleanup()
        self.exported.emit(result)
