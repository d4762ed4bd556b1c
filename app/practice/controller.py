"""Practice mode in the main window.

`PracticeController(window)` adds:

* **Tools ▸ Practice…**: choose a reference case (`PracticeDialog`); its study opens with an
  empty annotation and the reference hidden (``annotation.set_reference_allowed(False)``), and
  the practice bar (top of the window) names the case and offers **Submit** and **End**;
* **Submit**: the trainee's case (the annotation document with the Plan panel's settings) is
  saved to the data folder, scored against the reference in a background thread (it plans the
  trainee's field), recorded in the history, shown in the **Practice** panel's score sheet, and
  the reference is drawn over the trainee's marks on every view (`ReferenceComparison`);
* **End** leaves practice mode (the study stays open, the bundled reference may show again);
* **View ▸ Practice** (the score sheet and the History tab), **File ▸ Export case for
  teaching…** (`TeachingExporter`).
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QLabel,
    QProgressDialog,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTabWidget,
    QToolBar,
    QWidget,
)

from app.annotation.autosave import RecoveryStore
from app.annotation.document import case_stem, write_mask
from app.practice.cases import PracticeCase, load_reference_case
from app.practice.comparison import ReferenceComparison
from app.practice.dialog import PracticeDialog
from app.practice.history_panel import HistoryPanel
from app.practice.score_sheet import ScoreSheetView
from app.practice.teaching_action import TeachingExporter
from app.practice.worker import ScoringJob, ScoringOutcome, ScoringThread
from imaging.errors import SpineplanError
from planning.anatomy.lesion import MaskLesion
from planning.case import Case, load_case, save_case
from planning.errors import PlanningError
from planning.practice.history import (
    attempt_from_sheet,
    case_identity,
    record_attempt,
    user_data_dir,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from app.annotation.controller import AnnotationController
    from app.host_window import HostWindow
    from planning.case.settings import PlanSettings

#: Attempts are kept as case files under this folder of the user data folder.
ATTEMPTS_FOLDER = Path("practice") / "attempts"
#: Practice edits are autosaved here (not with the normal recovery files).
PRACTICE_RECOVERY_FOLDER = Path("practice") / "recovery"

#: Width the Practice panel gets when it comes to the front, px.
SHEET_WIDTH_PX = 400

BAR_STYLE = (
    "QToolBar#PracticeBar { background: #5a3d00; border: 0; padding: 2px; }"
    "QToolBar#PracticeBar QLabel { color: #ffe7a8; padding: 0 8px; }"
)


class PracticeController(QObject):
    """See the module docstring.

    Signals
    -------
    started(PracticeCase) : a practice session began (its study is loading).
    scored(ScoringOutcome) : an attempt was scored and recorded.
    failed(str) : an attempt could not be scored.
    ended() : practice mode was left.
    """

    started = Signal(object)
    scored = Signal(object)
    failed = Signal(str)
    ended = Signal()

    def __init__(
        self,
        window: HostWindow,
        annotation: AnnotationController,
        plan_settings: Callable[[], PlanSettings] | None = None,
    ) -> None:
        super().__init__(window)
        self.window = window
        #: the annotation the trainee makes (its document is what is scored)
        self.annotation = annotation
        #: the Plan panel's settings, which a submitted attempt is planned with
        self.plan_settings = plan_settings
        self.case: PracticeCase | None = None
        self.active = False
        self.submitted = False
        self.outcome: ScoringOutcome | None = None
        self.attempt_path: Path | None = None
        #: the scoring the trainee waits for (None when none, or once its result is in)
        self.scoring_thread: ScoringThread | None = None
        self._running: set[ScoringThread] = set()
        self.progress: QProgressDialog | None = None
        self._generation = 0
        self._study: Path | None = None
        self._normal_store: RecoveryStore | None = None
        self.comparison = ReferenceComparison(window.viewer.overlays)
        self.teaching = TeachingExporter(window, annotation.document)
        self._build_bar()
        self._build_dock()
        self._build_actions()
        window.load_finished.connect(self._on_load_finished)
        window.case_opened.connect(self._on_case_opened)
        window.installEventFilter(self)

    # -- construction ---------------------------------------------------------------------
    def _build_bar(self) -> None:
        bar = QToolBar("Practice", self.window)
        bar.setObjectName("PracticeBar")
        bar.setMovable(False)
        bar.setStyleSheet(BAR_STYLE)
        self.bar_label = QLabel(bar)
        self.bar_label.setObjectName("PracticeBanner")
        bar.addWidget(self.bar_label)
        spacer = QWidget(bar)
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        self.submit_button = QPushButton("Submit", bar)
        self.submit_button.setObjectName("PracticeSubmit")
        self.submit_button.clicked.connect(self.submit)
        self.again_button = QPushButton("Try again", bar)
        self.again_button.setObjectName("PracticeAgain")
        self.again_button.clicked.connect(self.try_again)
        self.end_button = QPushButton("End practice", bar)
        self.end_button.setObjectName("PracticeEnd")
        self.end_button.clicked.connect(self.end)
        for button in (self.submit_button, self.again_button, self.end_button):
            bar.addWidget(button)
        self.window.addToolBarBreak(Qt.ToolBarArea.TopToolBarArea)
        self.window.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        bar.hide()
        self.bar = bar

    def _build_dock(self) -> None:
        self.sheet_view = ScoreSheetView(self.window)
        self.sheet_view.reference_toggled.connect(self.comparison.set_visible)
        self.history_panel = HistoryPanel(self.window)
        self.tabs = QTabWidget(self.window)
        self.tabs.setObjectName("PracticeTabs")
        self.tabs.setDocumentMode(True)
        for widget, title in ((self.sheet_view, "Score sheet"), (self.history_panel, "History")):
            scroll = QScrollArea(self.tabs)
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            # the texts wrap to the panel's width instead of scrolling sideways
            scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            scroll.setWidget(widget)
            self.tabs.addTab(scroll, title)
        dock = QDockWidget("Practice", self.window)
        dock.setObjectName("PracticeDock")
        dock.setWidget(self.tabs)
        self.window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        beside = self.annotation.dock
        self.window.tabifyDockWidget(beside, dock)
        beside.raise_()
        dock.hide()
        self.dock = dock

    def _action(self, action_id: str, text: str, slot) -> QAction:
        return self.window.add_action(action_id, text, slot)

    def _build_actions(self) -> None:
        a = self._action
        practice = a("practice", "&Practice…", self.choose_case)
        self.submit_action = a("practice_submit", "&Submit practice attempt", self.submit)
        self.end_action = a("practice_end", "&End practice", self.end)
        history = a("practice_history", "Practice &history", self.show_history)
        teaching = a("export_teaching", "Export case for &teaching…", self.teaching.choose_export)
        self.submit_action.setEnabled(False)
        self.end_action.setEnabled(False)
        tools = self.window.tools_menu
        tools.addSeparator()
        tools.addActions([practice, self.submit_action, self.end_action, history])
        bar = self.window.menuBar()
        file_menu = next(m.menu() for m in bar.actions() if m.text() == "&File")
        anchor = next(x for x in file_menu.actions() if x.objectName() == "export_view")
        file_menu.insertAction(anchor, teaching)
        file_menu.insertSeparator(anchor)
        view_menu = next(m.menu() for m in bar.actions() if m.text() == "&View")
        view_menu.addAction(self.dock.toggleViewAction())

    # -- session --------------------------------------------------------------------------
    def choose_case(self) -> None:
        """Tools ▸ Practice…: the dialog, then `start`."""
        dialog = PracticeDialog(self.window)
        if dialog.exec() == PracticeDialog.DialogCode.Accepted and dialog.chosen is not None:
            self.start(dialog.chosen)

    def start(self, case: PracticeCase | str | Path) -> None:
        """Practise on ``case`` (a `PracticeCase` or a reference case file): its study opens
        with an empty annotation and the reference hidden.

        Raises
        ------
        CaseFileError
            A case file that is not a usable reference case.
        """
        if not isinstance(case, PracticeCase):
            case = load_reference_case(case)
        if not self.window.maybe_save("starting practice"):
            return
        self._forget_scoring()
        self.comparison.clear()
        self.case, self.active, self.submitted, self.outcome = case, True, False, None
        self.attempt_path = None
        self._study = case.case.study_path().resolve()
        annotation = self.annotation
        annotation.set_reference_allowed(False)
        if self._normal_store is None:
            # practice edits are autosaved apart: a crash mid-practice can be restored in
            # practice, and the practice never shows up as "unsaved annotation" of the study
            self._normal_store = annotation.store
            annotation.store = RecoveryStore(user_data_dir() / PRACTICE_RECOVERY_FOLDER)
        self.sheet_view.clear(
            f"Practising on {case.label}: the score sheet appears here after Submit."
        )
        self._sync_bar()
        self.bar.show()
        self.window.open_path(self._study)
        self.started.emit(case)

    def try_again(self) -> None:
        """Start the same case again with an empty annotation."""
        if self.case is not None:
            self._discard_recovery()
            # the attempt was submitted (and recorded): starting afresh loses nothing
            self.annotation.document.undo_stack.setClean()
            self.start(self.case)

    def end(self) -> None:
        """Leave practice mode: the reference overlay goes, the study stays open."""
        if not self.active:
            return
        self._forget_scoring()
        self.active = False
        self.comparison.clear()
        self.bar.hide()
        self._discard_recovery()
        annotation = self.annotation
        if self._normal_store is not None:
            annotation.store, self._normal_store = self._normal_store, None
        if annotation.document.is_modified:
            # the marks stay on screen as unsaved work of the study: autosaved there at once,
            # so they are offered back after a crash or a restart like any other edit
            annotation.recovery.write()
        annotation.set_reference_allowed(True)
        self._sync_bar()
        self.window.statusBar().showMessage("Practice ended", 5000)
        self.ended.emit()

    def _on_case_opened(self, _case: Case) -> None:
        if self.active:
            # a case file brings its own annotation (maybe the reference itself): not practice
            self.window.add_message("info", "Practice ended: a case file was opened")
            self.end()

    def _on_load_finished(self, outcome: str) -> None:
        if not self.active:
            return
        opened = [p.resolve() for p in self.window.study_path]
        if opened != [self._study]:
            # the trainee opened something else: that is not this practice case any more
            self.end()
            return
        document = self.annotation.document
        assert self.case is not None
        expected = self.case.case.study.frame_of_reference_uid
        actual = document.case.study.frame_of_reference_uid if document.case else ""
        if outcome == "failed" or document.case is None:
            self.window.add_message(
                "error", f"Practice: the study of {self.case.label} did not open"
            )
        elif expected and actual and expected != actual:
            self.window.add_message(
                "error",
                f"Practice: {self.case.path}: study.frame_of_reference_uid {expected} does not "
                f"match the images ({actual}); the attempt cannot be scored",
            )
        self._sync_bar()

    def _discard_recovery(self) -> None:
        """Forget the autosaved practice annotation (the attempt is submitted or abandoned)."""
        annotation = self.annotation
        if self._normal_store is not None and self._study is not None:
            annotation.store.discard(self._study)

    def _sync_bar(self) -> None:
        scoring = self.scoring_thread is not None
        can_submit = self.active and not self.submitted and not scoring
        self.submit_button.setEnabled(can_submit)
        self.submit_action.setEnabled(can_submit)
        self.end_action.setEnabled(self.active)
        self.again_button.setVisible(self.submitted)
        if not self.active or self.case is None:
            self.bar_label.setText("")
            return
        label = f"<b>Practice: {self.case.label}</b> — "
        if scoring:
            text = "scoring your attempt…"
        elif self.submitted and self.outcome is not None:
            sheet = self.outcome.sheet
            text = (
                f"scored <b>{sheet.verdict.upper()}</b> ({sheet.score_percent:.0f} % of the "
                "checks). The reference is drawn in light cyan over your marks (see the legend in "
                "the Practice panel)."
            )
        else:
            text = (
                "the reference is hidden. Label the levels, mark the lesion and the edema, "
                "check the field in the Plan panel, then Submit."
            )
        self.bar_label.setText(label + text)

    # -- submit ---------------------------------------------------------------------------
    def attempt_case(self) -> Case:
        """The trainee's case as it is now, written to the data folder and read back.

        The Plan panel's settings (energy, margin, arrangement...) are the case's plan; a
        painted lesion is saved beside the case file.

        Raises
        ------
        SpineplanError
            No study is open, or the attempt cannot be written.
        """
        document = self.annotation.document
        if document.case is None or self.case is None:
            raise SpineplanError("the practice study is not open yet")
        folder = user_data_dir() / ATTEMPTS_FOLDER
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        stem = f"{case_stem(self.case.path)}-{self.case.path.parent.name}-{stamp}"
        path = folder / f"{stem}.spineplan.json"
        folder.mkdir(parents=True, exist_ok=True)
        mask_name = None
        state = document.state
        if state.lesion_mask is not None and state.lesion_spec is None:
            mask_name = f"{stem}.lesion.nrrd"
            write_mask(state.lesion_mask, folder / mask_name)
        case = document.to_case(mask_name)
        if self.plan_settings is not None:
            # an invalid combination is shown by the panel; the case's own settings then stand
            with contextlib.suppress(PlanningError):
                case = replace(case, plan=self.plan_settings())
        lesion = case.lesion
        if isinstance(lesion, MaskLesion) and lesion.origin == "file":
            lesion = MaskLesion(str(document.case.resolve(lesion.path).resolve()), "file")
        study = replace(case.study, path=str(document.case.study_path().resolve()))
        saved = save_case(
            replace(case, study=study, lesion=lesion, reference=False, description=""), path
        )
        return load_case(saved.source_path or path)

    def submit(self) -> bool:
        """Score the attempt in the background; False (reason in Messages) if it cannot start."""
        if (
            not self.active
            or self.submitted
            or self.scoring_thread is not None
            or self.case is None
        ):
            return False
        try:
            attempt = self.attempt_case()
        except (SpineplanError, OSError) as error:
            self._report(f"Practice: your attempt cannot be submitted: {error}")
            return False
        self.attempt_path = attempt.source_path
        self.annotation.deactivate_tool()
        job = ScoringJob(self.case.case, attempt, self.annotation.document.reference)
        self._generation += 1
        generation = self._generation
        thread = ScoringThread(job, generation, self)
        # bound slots of this (GUI-thread) object: the results arrive queued on the GUI thread
        thread.scored.connect(self._on_scored)
        thread.failed.connect(self._on_failed)
        thread.finished.connect(self._on_thread_finished)
        self.scoring_thread = thread
        self._running.add(thread)
        self.progress = QProgressDialog(
            "Scoring your attempt: comparing your marks with the reference and planning your "
            "field to find its V95 on the reference lesion…",
            "Cancel",
            0,
            0,
            self.window,
        )
        self.progress.setObjectName("PracticeScoringProgress")
        self.progress.setWindowTitle("Practice")
        self.progress.setWindowModality(Qt.WindowModality.WindowModal)
        self.progress.setMinimumDuration(300)
        self.progress.canceled.connect(self.cancel_scoring)
        self._sync_bar()
        thread.start()
        return True

    def cancel_scoring(self) -> None:
        """Drop the running scoring (its result is ignored; nothing is recorded)."""
        if self.scoring_thread is None:
            return
        self._generation += 1
        self.scoring_thread = None
        self._close_progress()
        self.window.statusBar().showMessage("Scoring cancelled: nothing was recorded", 5000)
        self._sync_bar()

    def _forget_scoring(self) -> None:
        self._generation += 1
        self.scoring_thread = None
        self._close_progress()

    def _close_progress(self) -> None:
        if self.progress is not None:
            self.progress.canceled.disconnect(self.cancel_scoring)
            self.progress.reset()
            self.progress.deleteLater()
            self.progress = None

    def _on_thread_finished(self) -> None:
        thread = self.sender()
        if self.scoring_thread is thread:
            self.scoring_thread = None
        if isinstance(thread, ScoringThread):
            self._running.discard(thread)
            thread.deleteLater()
        self._sync_bar()

    def _on_failed(self, generation: int, message: str) -> None:
        if generation != self._generation:
            return
        self.scoring_thread = None
        self._close_progress()
        self._report(f"Practice: your attempt could not be scored: {message}")
        self.failed.emit(message)

    def _on_scored(self, generation: int, outcome: ScoringOutcome) -> None:
        if generation != self._generation or self.case is None:
            return
        self.scoring_thread = None
        self._close_progress()
        self.submitted, self.outcome = True, outcome
        case_id, label = case_identity(self.case.case)
        try:
            record_attempt(attempt_from_sheet(outcome.sheet, case_id, self.case.label or label))
        except PlanningError as error:
            self._report(f"Practice: the attempt was scored but not recorded: {error}")
        self._discard_recovery()
        self.sheet_view.set_sheet(outcome.sheet, self.case.label)
        self.sheet_view.show_reference.setChecked(True)
        self.history_panel.refresh()
        self.show_sheet()
        document = self.annotation.document
        frame = document.reference.frame_of_reference_uid if document.reference else ""
        self.comparison.show(
            outcome.reference_state, outcome.reference_field, frame, self._fallback_xy()
        )
        self.window.add_message(
            "info",
            f"Practice on {self.case.label}: {outcome.sheet.verdict.upper()} "
            f"({outcome.sheet.score_percent:.0f} % of the checks); attempt saved as "
            f"{self.attempt_path}",
        )
        self._sync_bar()
        self.scored.emit(outcome)

    def _fallback_xy(self) -> tuple[float, float]:
        """Where the reference's level names go when its levels carry no body centre: beside
        the trainee's clicked bodies, else the middle of the images."""
        state = self.annotation.document.state
        centres = [lv.center_mm for lv in state.levels if lv.center_mm is not None]
        if centres:
            xy = np.mean(np.asarray(centres, dtype=float)[:, :2], axis=0)
            return float(xy[0]), float(xy[1])
        reference = self.annotation.document.reference
        if reference is None:
            return (0.0, 0.0)
        low, high = reference.bounds_mm()
        centre = (np.asarray(low) + np.asarray(high)) / 2
        return float(centre[0]), float(centre[1])

    # -- panels ---------------------------------------------------------------------------
    def show_sheet(self) -> None:
        """The Score sheet tab, in front, wide enough to read."""
        self._show_dock()
        self.tabs.setCurrentIndex(0)

    def _show_dock(self) -> None:
        self.dock.show()
        self.dock.raise_()
        if self.dock.width() < SHEET_WIDTH_PX:
            self.window.resizeDocks([self.dock], [SHEET_WIDTH_PX], Qt.Orientation.Horizontal)

    def show_history(self) -> None:
        """Tools ▸ Practice history: the History tab, re-read."""
        self.history_panel.refresh()
        self._show_dock()
        self.tabs.setCurrentIndex(1)

    def _report(self, message: str) -> None:
        self.window.add_message("error", message)
        self.window.statusBar().showMessage(message, 10_000)

    # -- lifetime -------------------------------------------------------------------------
    def wait_until_idle(self, timeout_ms: int = 120_000) -> bool:
        """Block until no scoring or export thread runs (tests, closing)."""
        for thread in (*self._running, self.teaching.export_thread):
            if thread is not None and not thread.wait(timeout_ms):
                return False
        return True

    def shutdown(self) -> None:
        self._forget_scoring()
        self.teaching.shutdown()
        for thread in list(self._running):
            thread.wait(60_000)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Close:
            self.shutdown()
        return False
