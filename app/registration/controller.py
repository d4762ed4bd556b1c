"""The Registration panel's behaviour: the series, the point pair, the worker, the result,
Accept into the case (an undoable edit of the annotation document), the fused display and
the nudges.

The registration maps the study's MR (LPS mm) onto the planning CT (LPS mm); once accepted it
is the case's ``planning_ct`` (path, series, ``registration.matrix_mm``), saved with the case,
autosaved and restored on open, and the Plan panel plans on the CT (docs/registration.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QComboBox, QFileDialog, QFrame, QScrollArea

from app.registration.fusion import (
    FusedImageOverlay,
    FusionMode,
    display_grey,
    mapped_marks,
    moved_onto_ct,
)
from app.registration.panel import FLICKER_INTERVAL_MS, RegistrationPanel
from app.registration.point_tool import Image, PointPairTool
from app.registration.region import registration_region
from app.registration.worker import RegistrationWorker
from app.series_choice import is_post_contrast
from app.viewer.colours import qcolor
from app.viewer.overlays import LabelOverlay, OverlayItem
from app.window_docks import add_dock
from imaging.discovery import SeriesInfo
from imaging.errors import SpineplanError
from imaging.frame_mapping import FrameMapping, FrameRegistration
from imaging.registration import PointPair, RegistrationResult, RegistrationSettings
from imaging.volume import Volume
from planning.case.planning_ct import PlanningCtReference, rigid_matrix
from planning.display import palette

if TYPE_CHECKING:
    from app.annotation.document import AnnotationDocument
    from app.host_window import HostWindow


#: the point pair's marks: white, which no other mark on the views uses and reads on the
#: black around the image as on soft tissue
POINT_COLOR = qcolor(palette.WHITE)

ACCEPTED_TEXT = "Accepted: the case plans on this CT (Edit > Undo takes it back)"
REGISTERED_TEXT = "Registered: check the fused views, then Accept"
#: the status line once the point pair moved after Register: the Result figures and the
#: warnings (a point "20 mm from its CT point") still describe the run's points
POINTS_CHANGED_TEXT = "The points changed since this result: Register again to use them"


def _fmt(point: np.ndarray | None) -> str:
    return "-" if point is None else "(" + ", ".join(f"{v:.1f}" for v in point) + ") mm"


def nudge_matrix(axis: int, step: float, centre_mm: np.ndarray) -> np.ndarray:
    """A 4x4 nudge in CT mm: axis 0-2 translate ``step`` mm along x/y/z; 3-5 rotate ``step``
    degrees about x/y/z through ``centre_mm`` (the lesion on the CT)."""
    nudge = np.eye(4)
    if axis < 3:
        nudge[axis, 3] = step
        return nudge
    angle = np.radians(step)
    c, s = np.cos(angle), np.sin(angle)
    i, j = [(1, 2), (0, 2), (0, 1)][axis - 3]
    nudge[i, i], nudge[i, j], nudge[j, i], nudge[j, j] = c, -s, s, c
    shift_to, shift_back = np.eye(4), np.eye(4)
    shift_to[:3, 3], shift_back[:3, 3] = -np.asarray(centre_mm), np.asarray(centre_mm)
    return shift_back @ nudge @ shift_to


class RegistrationController(QObject):
    """Builds the Registration dock in ``window`` and edits ``document``'s planning CT.

    Attributes
    ----------
    settings : the engine's `RegistrationSettings` (None: its defaults; tests pass coarse ones).
    result : the last registration found (None before one).
    pending : the registration found and not yet accepted (the result's matrix, then nudged),
        MR LPS mm -> CT LPS mm; None when there is none (the case's own is shown).
    """

    #: a run ended: "succeeded", "failed" or "cancelled"
    finished = Signal(str)

    def __init__(self, window: HostWindow, document: AnnotationDocument) -> None:
        super().__init__(window)
        self.window, self.document = window, document
        self.panel = RegistrationPanel(window)
        # scrolled, as the other panels of the right-hand column: squeezed into the dock, the
        # point-pair help and the Result text were cut mid-line at 1600x1000
        scroll = QScrollArea(window)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.panel)
        self.dock = add_dock(
            window,
            "Registration",
            "RegistrationDock",
            scroll,
            Qt.DockWidgetArea.RightDockWidgetArea,
        )
        self.dock.hide()
        self.settings: RegistrationSettings | None = None
        self.worker: RegistrationWorker | None = None
        self.result: RegistrationResult | None = None
        self.pending: np.ndarray | None = None
        # what Accept stored (the case's reference) and the registration it took from review:
        # Undo of the Accept puts that registration back under review
        self._accepted: tuple[PlanningCtReference, np.ndarray] | None = None
        self.mr_point: np.ndarray | None = None
        self.ct_point: np.ndarray | None = None
        # the point pair (MR, CT) the last run registered with: its result describes these
        self._points_of_run: tuple[np.ndarray | None, np.ndarray | None] = (None, None)
        self._markers: list[OverlayItem] = []
        self._fused: list[OverlayItem] = []
        # flicker: the fused image flips between MR and CT at each tick while the mode is on
        self.flicker_timer = QTimer(self)
        self.flicker_timer.setInterval(FLICKER_INTERVAL_MS)
        self.flicker_timer.timeout.connect(self._flick)
        self._mode_before_flicker = FusionMode.BLEND
        # the point pair's earlier values, (MR, CT), for Undo point
        self._point_history: list[tuple[np.ndarray | None, np.ndarray | None]] = []
        self.point_tool = PointPairTool(self)
        self._build_actions()
        self._connect()

    # -- wiring ---------------------------------------------------------------------------
    def _build_actions(self) -> None:
        window = self.window
        action = window.add_action("registration", "&Registration…", self.show_panel)
        window.tools_menu.addSeparator()
        window.tools_menu.addAction(action)
        open_ct = window.add_action("open_planning_ct", "Open &planning CT…", self.choose_ct)
        file_menu = next(m.menu() for m in window.menuBar().actions() if m.text() == "&File")
        anchor = next(x for x in file_menu.actions() if x.objectName() == "export_view")
        file_menu.insertAction(anchor, open_ct)
        file_menu.insertSeparator(anchor)
        self.point_tool_action = window.add_action(
            "registration_points",
            "Pick registration &points",
            self._on_point_tool,
            checkable=True,
        )
        window.tools_menu.addAction(self.point_tool_action)
        self.panel.pick_points_button.setDefaultAction(self.point_tool_action)
        flicker = window.add_action("registration_flicker", "Flicker MR/CT", self.toggle_flicker)
        window.tools_menu.addAction(flicker)

    def _connect(self) -> None:
        panel = self.panel
        panel.register_button.clicked.connect(self.register)
        panel.cancel_button.clicked.connect(self.cancel)
        panel.accept_button.clicked.connect(self.accept)
        panel.open_ct_button.clicked.connect(self.choose_ct)
        panel.set_mr_point_button.clicked.connect(self.set_mr_point)
        panel.set_ct_point_button.clicked.connect(self.set_ct_point)
        panel.clear_points_button.clicked.connect(self.clear_points)
        panel.undo_point_button.clicked.connect(self.undo_point)
        panel.confirm_check.toggled.connect(lambda _on: self._update_accept())
        panel.blend_slider.valueChanged.connect(lambda _v: self._restyle_fused())
        panel.swipe_slider.valueChanged.connect(lambda _v: self._restyle_fused())
        panel.mode_group.buttonToggled.connect(self._on_mode_button)
        panel.nudge_requested.connect(self.nudge)
        for combo in (panel.mr_combo, panel.ct_combo):
            combo.activated.connect(lambda _i, c=combo: c.setProperty("user_chose", True))
        panel.mr_combo.currentIndexChanged.connect(lambda _i: self._forget_result())
        panel.ct_combo.currentIndexChanged.connect(lambda _i: self._forget_result())
        self.window.load_finished.connect(lambda _text: self.refresh_series())
        self.window.case_opened.connect(lambda _case: self.refresh_series())
        self.document.changed.connect(lambda _text: self._show_region_and_case())
        self.document.planning_ct_changed.connect(lambda _ref: self._follow_case())
        self.document.reset_done.connect(self._on_new_case)
        # the fused display is part of the panel: shown while the dock is open
        self.dock.visibilityChanged.connect(lambda _shown: self.refresh_series())

    def _on_new_case(self) -> None:
        """Another case or study: a running registration and the points belong to the old."""
        if self.worker is not None:
            self.worker.cancel()
            self.worker.succeeded.disconnect(self._on_result)
        self.mr_point = self.ct_point = None
        self._point_history.clear()
        self.panel.undo_point_button.setEnabled(False)
        # the old result first: its points are not the new case's "changed points"
        self._forget_result()
        self._points_of_run = (None, None)
        self.panel.progress_bar.setValue(0)
        self.panel.status_label.setText("")
        self._show_points()

    def show_panel(self) -> None:
        """Tools > Registration: bring the dock forward with the series suggested."""
        self.refresh_series()
        self.dock.show()
        self.dock.raise_()
        self.panel.setFocus()

    # -- series ---------------------------------------------------------------------------
    def _loaded(self, modality_ct: bool) -> list[SeriesInfo]:
        window = self.window
        return [
            info
            for key, info in window.infos.items()
            if key in window.volumes and (info.modality == "CT") == modality_ct
        ]

    def refresh_series(self) -> None:
        """List the loaded MR and CT series; suggest the post-contrast MR the case is marked
        on and the CT (the case's planning CT when it has one)."""
        reference = self.document.reference
        mrs, cts = self._loaded(False), self._loaded(True)
        volumes = self.window.volumes

        def rank(info: SeriesInfo) -> tuple[bool, bool]:  # False sorts first
            on_grid = reference is not None and volumes[info.key].same_grid(reference)
            return (not on_grid, not is_post_contrast(info))

        suggested_mr = min(mrs, key=rank) if mrs else None
        case = self.document.case
        wanted_ct = case.planning_ct.series_instance_uid if case and case.planning_ct else ""
        suggested_ct = next(
            (i for i in cts if i.series_instance_uid == wanted_ct), cts[0] if cts else None
        )
        self._fill(self.panel.mr_combo, mrs, suggested_mr)
        self._fill(self.panel.ct_combo, cts, suggested_ct)
        self._show_region_and_case()
        self._update_buttons()
        self._show_fused()
        self._show_no_result()

    @staticmethod
    def _fill(combo: QComboBox, infos: list[SeriesInfo], suggested: SeriesInfo | None) -> None:
        """List ``infos``; keep the user's own choice, else select the suggestion."""
        current = combo.currentData() if combo.property("user_chose") else None
        combo.blockSignals(True)
        combo.clear()
        for info in infos:
            number = "" if info.series_number is None else f"#{info.series_number} "
            combo.addItem(f"{number}{info.description or info.modality}", info.key)
            combo.setItemData(combo.count() - 1, info.label, Qt.ItemDataRole.ToolTipRole)
        keys = [info.key for info in infos]
        if current in keys:
            combo.setCurrentIndex(keys.index(current))
        elif suggested is not None:
            combo.setCurrentIndex(keys.index(suggested.key))
        combo.blockSignals(False)

    def _series(self, combo: QComboBox) -> tuple[SeriesInfo, Volume] | None:
        key = combo.currentData()
        if key is None or key not in self.window.volumes:
            return None
        return self.window.infos[key], self.window.volumes[key]

    def choose_ct(self) -> None:
        """File > Open planning CT…: add the CT series of another study's folder, starting in
        the MR study's folder (the CT is usually beside it), and show the panel with it."""
        case = self.document.case
        study = case.study_path() if case is not None else None
        start = str(study) if study is not None and study.is_dir() else ""
        folder = QFileDialog.getExistingDirectory(self.window, "Open planning CT folder", start)
        if folder and self.add_ct_folder(folder) is not None:
            # the CT is added to the Series list and the panel only: without this the menu
            # command seems to do nothing
            self.show_panel()
            label = self.panel.ct_combo.currentText()
            self.window.statusBar().showMessage(f"Planning CT added: {label}", 8000)

    def add_ct_folder(self, folder: str | Path) -> str | None:
        """Load the CT series under ``folder`` beside the open study; its key, or None (the
        reason in the Messages panel)."""
        from imaging import discover, load_series

        if self.document.case is None:
            self.window.add_message("error", "Open the MR study before adding a planning CT")
            return None
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            cts = [s for s in discover(Path(folder)).series if s.modality == "CT" and not s.error]
            if not cts:
                self.window.add_message("error", f"{folder}: no CT series that forms a volume")
                return None
            info = max(cts, key=lambda s: s.number_of_images)
            volume = load_series(info)
        except SpineplanError as error:
            self.window.add_message("error", f"Planning CT {folder}: {error}")
            return None
        finally:
            QApplication.restoreOverrideCursor()
        window = self.window
        window.infos[info.key] = info
        window.volumes[info.key] = volume
        window.browser.set_series(list(window.infos.values()))
        for key, loaded in window.volumes.items():
            window.browser.set_loaded(key, loaded)
        self.refresh_series()
        self.panel.ct_combo.setCurrentIndex(self.panel.ct_combo.findData(info.key))
        window.add_message("info", f"Planning CT added: {info.label} from {folder}")
        return info.key

    # -- point pair ---------------------------------------------------------------------
    def _on_point_tool(self, on: bool) -> None:
        """The point tool's action toggled (it shares the annotation tools' exclusive group:
        another tool unchecks it)."""
        viewer = self.window.viewer
        if on:
            viewer.set_tool(self.point_tool)
            self.show_panel()
            self.window.statusBar().showMessage(f"Tool: {self.point_tool.name}", 5000)
        elif viewer.tool is self.point_tool:
            viewer.set_tool(None)

    def image_of(self, volume: Volume | None) -> Image | None:
        """ "mr" or "ct" when ``volume`` is the chosen MR or CT series, else None."""
        for which, combo in (("mr", self.panel.mr_combo), ("ct", self.panel.ct_combo)):
            chosen = self._series(combo)
            if volume is not None and chosen is not None and chosen[1] is volume:
                return which  # type: ignore[return-value]
        return None

    def point(self, which: Image) -> np.ndarray | None:
        return self.mr_point if which == "mr" else self.ct_point

    def place_point(self, which: Image, point_mm: np.ndarray, before: np.ndarray | None) -> None:
        """The point tool placed or moved a point: one step of Undo point."""
        mr, ct = self.mr_point, self.ct_point
        self._remember(before if which == "mr" else mr, before if which == "ct" else ct)
        self._set(which, point_mm)

    def preview_point(self, which: Image, point_mm: np.ndarray) -> None:
        if which == "mr":
            self.mr_point = np.asarray(point_mm, float).copy()
        else:
            self.ct_point = np.asarray(point_mm, float).copy()
        self._show_points()

    def report(self, text: str) -> None:
        self.panel.status_label.setText(text)

    def _remember(self, mr: np.ndarray | None, ct: np.ndarray | None) -> None:
        self._point_history.append((mr, ct))
        self.panel.undo_point_button.setEnabled(True)

    def _set(self, which: Image, point_mm: np.ndarray | None) -> None:
        value = None if point_mm is None else np.asarray(point_mm, float).copy()
        if which == "mr":
            self.mr_point = value
        else:
            self.ct_point = value
        self._show_points()

    def undo_point(self) -> None:
        """Take back the last change of the point pair (a click, a drag, Set, Clear)."""
        if not self._point_history:
            return
        self.mr_point, self.ct_point = self._point_history.pop()
        self.panel.undo_point_button.setEnabled(bool(self._point_history))
        self._show_points()

    def set_mr_point(self) -> None:
        self._set_point("mr")

    def set_ct_point(self) -> None:
        self._set_point("ct")

    def _set_point(self, which: Image) -> None:
        """The crosshair (where the user last clicked) as the MR or the CT point."""
        viewer = self.window.viewer
        shown = viewer.active_panel.volume
        # the crosshair in the active view's own frame (LPS mm of the series clicked)
        point = viewer.point_for(shown) if shown is not None else viewer.point_mm.copy()
        combo = self.panel.mr_combo if which == "mr" else self.panel.ct_combo
        chosen = self._series(combo)
        if (
            chosen is not None
            and shown is not None
            and shown.frame_of_reference_uid != chosen[1].frame_of_reference_uid
        ):
            image = "MR" if which == "mr" else "CT"
            self.panel.status_label.setText(
                f"Click the vertebral body on the {image} view first: the active view "
                "shows another series"
            )
            return
        self._remember(self.mr_point, self.ct_point)
        self._set(which, point)

    def set_point_pair(self, mr_point_mm: Sequence[float], ct_point_mm: Sequence[float]) -> None:
        """Set both points (MR LPS mm, CT LPS mm) at once (scripts, tests)."""
        self._remember(self.mr_point, self.ct_point)
        self.mr_point = np.asarray(mr_point_mm, float)
        self.ct_point = np.asarray(ct_point_mm, float)
        self._show_points()

    def clear_points(self) -> None:
        if self.mr_point is not None or self.ct_point is not None:
            self._remember(self.mr_point, self.ct_point)
        self.mr_point = self.ct_point = None
        self._show_points()

    def point_pairs(self) -> list[PointPair]:
        if self.mr_point is None or self.ct_point is None:
            return []
        mr = tuple(float(v) for v in self.mr_point)
        ct = tuple(float(v) for v in self.ct_point)
        return [PointPair(mr, ct)]  # type: ignore[arg-type]

    def _show_points(self) -> None:
        overlays = self.window.viewer.overlays
        for item in self._markers:
            overlays.remove(item)
        self._markers = []
        for point, combo, text in (
            (self.mr_point, self.panel.mr_combo, "MR point"),
            (self.ct_point, self.panel.ct_combo, "CT point"),
        ):
            chosen = self._series(combo)
            if point is None or chosen is None:
                continue
            marker = LabelOverlay(
                name=text,
                point_mm=tuple(float(v) for v in point),
                text=text,
                color=POINT_COLOR,
                frame_of_reference_uid=chosen[1].frame_of_reference_uid,
                max_distance_mm=5.0,
                z=9.0,
            )
            overlays.add(marker)
            self._markers.append(marker)
        if self.mr_point is None and self.ct_point is None:
            text = "No point pair: the level is searched automatically."
        else:
            text = f"MR {_fmt(self.mr_point)}  ->  CT {_fmt(self.ct_point)}"
            if self.mr_point is None or self.ct_point is None:
                text += " (set both points to use the pair)"
        self.panel.points_label.setText(text)
        self._say_whether_points_changed()
        self._update_accept()

    def points_changed_since_result(self) -> bool:
        """The point pair differs from the one the shown result was registered with (its
        figures and warnings then describe the earlier points)."""
        if self.result is None:
            return False
        return any(
            (now is None) != (then is None)
            or (now is not None and then is not None and not np.allclose(now, then, atol=1e-6))
            for now, then in zip((self.mr_point, self.ct_point), self._points_of_run, strict=True)
        )

    def _say_whether_points_changed(self) -> None:
        status = self.panel.status_label
        if self.points_changed_since_result():
            status.setText(POINTS_CHANGED_TEXT)
        elif status.text() == POINTS_CHANGED_TEXT:  # Undo point brought the run's pair back
            status.setText(REGISTERED_TEXT)

    # -- running --------------------------------------------------------------------------
    def register(self) -> None:
        """Register the chosen MR onto the chosen CT off the GUI thread."""
        if self.worker is not None:
            return
        mr, ct = self._series(self.panel.mr_combo), self._series(self.panel.ct_combo)
        if mr is None or ct is None:
            missing = "an MR" if mr is None else "a CT (File > Open planning CT…)"
            self.panel.status_label.setText(f"Choose {missing} first")
            return
        region, _text = registration_region(self.document.current)
        self._forget_result()
        self._points_of_run = (self.mr_point, self.ct_point)
        self.worker = RegistrationWorker(
            mr[1],
            ct[1],
            region=region,
            point_pairs=self.point_pairs(),
            settings=self.settings,
            parent=self,
        )
        self.worker.progressed.connect(self._on_progress)
        self.worker.succeeded.connect(self._on_result)
        self.worker.failed.connect(self._on_failed)
        self.worker.cancelled.connect(self._on_cancelled)
        self.worker.finished.connect(self._on_thread_done)
        self.panel.progress_bar.setValue(0)
        self.panel.status_label.setText("Registering…")
        self.worker.start()
        self._update_buttons()

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.panel.status_label.setText("Cancelling…")

    @property
    def busy(self) -> bool:
        return self.worker is not None

    def _on_progress(self, done: int, total: int) -> None:
        self.panel.progress_bar.setValue(int(100 * done / total) if total else 0)

    def _on_result(self, result: RegistrationResult) -> None:
        self.result, self._accepted = result, None
        self.pending = np.asarray(result.matrix_moving_to_fixed, float)
        self.panel.progress_bar.setValue(100)
        self.panel.status_label.setText(REGISTERED_TEXT)
        self.panel.quality_label.setText(result.quality_text + self._level_check_text(result))
        self._show_warning()
        self._show_fused()
        self._go_to_lesion_on_ct()
        self.finished.emit("succeeded")

    @staticmethod
    def _level_check_text(result: RegistrationResult) -> str:
        """What the automatic search says about the vertebral level when no other level kept
        an alignment of its own (the quality figures then name no runner-up)."""
        if result.initialisation != "automatic" or result.alternatives:
            return ""
        return (
            ". The automatic search, started from each neighbouring vertebral level, ended at "
            "this alignment every time: no other level competes. Check the level on the fused "
            "views (each "
            "MR level name on its CT vertebra) before Accept, or register with a point pair."
        )

    def _go_to_lesion_on_ct(self) -> None:
        """The CT in the main panel at the lesion mapped through the new registration: where
        the alignment is judged first."""
        ct, centre = self._series(self.panel.ct_combo), self._lesion_centre_mr()
        if ct is None or self.pending is None:
            return
        if self.window.shown_keys[0] != ct[0].key:
            self.window.show_series(ct[0].key)
        if centre is not None:
            self.window.viewer.set_point(
                (self.pending @ np.append(centre, 1.0))[:3], ct[1].frame_of_reference_uid
            )

    def _on_failed(self, message: str) -> None:
        self.panel.status_label.setText(f"Registration failed: {message}")
        self.window.add_message("error", f"Registration failed: {message}")
        self.finished.emit("failed")

    def _on_cancelled(self) -> None:
        self.panel.progress_bar.setValue(0)
        self.panel.status_label.setText("Registration cancelled: the case is unchanged")
        self.finished.emit("cancelled")

    def _on_thread_done(self) -> None:
        if self.worker is not None:
            self.worker.deleteLater()
        self.worker = None
        self._update_buttons()

    def shutdown(self) -> None:
        """Stop a running registration (the window closes)."""
        if self.worker is not None:
            self.worker.cancel()
            self.worker.wait(10_000)

    # -- result ---------------------------------------------------------------------------
    def _show_warning(self) -> None:
        result, panel = self.result, self.panel
        ambiguous = result is not None and result.ambiguous
        lines = [
            warning
            for warning in (result.warnings if result is not None else ())
            # the engine's own ambiguity sentence is replaced by the panel's, which says what to do
            if not (ambiguous and warning.startswith("ambiguous"))
        ]
        if ambiguous:
            assert result is not None
            pitch = result.estimated_pitch_mm or 25.0
            alternatives = ", ".join(
                f"{a.offset_mm:+.0f} mm (about {a.offset_mm / pitch:+.0f} level"
                f"{'s' if abs(round(a.offset_mm / pitch)) != 1 else ''})"
                for a in result.alternatives[:4]
            )
            lines.insert(
                0,
                "AMBIGUOUS: other vertebral levels score almost as well (cranio-caudal offsets "
                f"{alternatives}). Give a point pair -- the same vertebral body clicked on the "
                "MR and the CT (Set MR point, Set CT point) -- and register again, or confirm "
                "the level on the fused views.",
            )
        panel.warning_label.setText("\n".join(lines))
        panel.warning_label.setVisible(bool(lines))
        panel.confirm_check.setChecked(False)
        panel.confirm_check.setVisible(ambiguous)
        self._update_accept()

    def accept_blocked_reason(self) -> str:
        """Why Accept is disabled ("" when it is enabled)."""
        if self.worker is not None:
            return "registering"
        if self.pending is None or self.result is None:
            return "not registered yet" if self.pending is None else "accepted"
        if self.document.case is None:
            return "no case is open"
        # only a pair the result was registered WITH settles an ambiguous level
        pair_of_run = all(p is not None for p in self._points_of_run)
        settled = pair_of_run and not self.points_changed_since_result()
        if self.result.ambiguous and not (settled or self.panel.confirm_check.isChecked()):
            if pair_of_run or self.point_pairs():
                return "ambiguous: register again with the new point pair or confirm the level"
            return "ambiguous: register with a point pair or confirm the level"
        return ""

    def _update_accept(self) -> None:
        reason = self.accept_blocked_reason()
        self.panel.accept_button.setEnabled(not reason)
        if reason:
            tip = reason.capitalize()
        elif self.points_changed_since_result():
            tip = (
                "Store this registration in the case (planning_ct): it was computed with the "
                "earlier points, not the ones shown now"
            )
        else:
            tip = "Store the registration in the case (planning_ct)"
        self.panel.accept_button.setToolTip(tip)

    def _update_buttons(self) -> None:
        running = self.worker is not None
        self.panel.register_button.setEnabled(not running)
        self.panel.cancel_button.setEnabled(running)
        self._update_accept()

    def _forget_result(self) -> None:
        self.result = self.pending = self._accepted = None
        self._show_no_result()
        self.panel.warning_label.hide()
        self.panel.confirm_check.hide()
        self._show_fused()
        self._update_accept()

    def _show_no_result(self) -> None:
        """The Result line with no registration of this session: the case's own when it is
        the one fused on the CT views (a reopened case), else "Not registered yet."."""
        if self.result is not None:
            return
        if self.pending is None and self.shown_matrix() is not None:
            text = (
                "The case's accepted registration is fused on the CT views (double-click the "
                "CT in the Series list): check it there; the arrow keys nudge it (Edit > Undo "
                "takes a nudge back), Register computes it again."
            )
        else:
            text = "Not registered yet."
        self.panel.quality_label.setText(text)

    def accept(self) -> None:
        """Store the registration in the case as ``planning_ct`` (one undoable edit)."""
        if self.accept_blocked_reason() or self.pending is None:
            return
        ct = self._series(self.panel.ct_combo)
        if ct is None:
            return
        info = ct[0]
        mr, case = self._series(self.panel.mr_combo), self.document.case
        study_frame = case.study.frame_of_reference_uid if case is not None else ""
        if mr is not None and study_frame and mr[1].frame_of_reference_uid != study_frame:
            self.panel.status_label.setText(
                f"Cannot accept: the MR '{mr[0].description}' is not in the case's frame of "
                f"reference ({study_frame}); register the series the case is marked on"
            )
            return
        try:
            matrix = rigid_matrix(self.pending)
        except SpineplanError as error:
            self.panel.status_label.setText(f"Cannot accept: {error}")
            return
        rows = tuple(tuple(round(float(v), 6) for v in row) for row in matrix)
        rows = (*rows[:3], (0.0, 0.0, 0.0, 1.0))
        reference = PlanningCtReference(
            path=str(info.files[0].parent.resolve()),
            series_instance_uid=info.series_instance_uid,
            matrix_mm=rows,
        )
        self._accepted = (reference, self.pending)
        self.pending = None  # the case's registration now; nudges are edits of the case
        self.document.set_planning_ct(reference, "Accept registration onto the planning CT")
        self._update_accept()
        self.panel.status_label.setText(ACCEPTED_TEXT)

    def _show_region_and_case(self) -> None:
        _region, text = registration_region(self.document.current)
        self.panel.region_label.setText(text)
        case = self.document.case
        if case is None or case.planning_ct is None:
            self.panel.case_label.setText("The case has no planning CT: it plans on the MR.")
        else:
            kind = "a matrix" if case.planning_ct.matrix_mm is not None else "a REG file"
            self.panel.case_label.setText(
                f"The case plans on the CT in {Path(case.planning_ct.path).name} ({kind})."
            )

    # -- fused display --------------------------------------------------------------------
    def _clear_fused(self) -> None:
        self.flicker_timer.stop()
        overlays = self.window.viewer.overlays
        for item in self._fused:
            overlays.remove(item)
        self._fused = []

    def shown_matrix(self) -> np.ndarray | None:
        """The registration on the fused display: the pending one, else the case's (when the
        chosen CT is the case's planning CT)."""
        if self.pending is not None:
            return self.pending
        case, ct = self.document.case, self._series(self.panel.ct_combo)
        if case is None or case.planning_ct is None or case.planning_ct.matrix is None:
            return None
        if ct is None or ct[0].series_instance_uid != case.planning_ct.series_instance_uid:
            return None
        return case.planning_ct.matrix

    def _link_frames(self) -> None:
        """The viewer's crosshair through `shown_matrix` (the pending registration, else the
        case's): a click on the CT puts the MR views on the same anatomy, and back. With none,
        the MR and CT frames are unrelated and the viewer leaves the other's views alone."""
        mr, ct = self._series(self.panel.mr_combo), self._series(self.panel.ct_combo)
        matrix = self.shown_matrix()
        registrations: tuple[FrameRegistration, ...] = ()
        if matrix is not None and mr is not None and ct is not None:
            source, target = mr[1].frame_of_reference_uid, ct[1].frame_of_reference_uid
            if source and target and source != target:  # one frame is linked as it is
                registrations = (FrameRegistration(source, target, matrix),)
        self.window.viewer.set_frame_mapping(FrameMapping(registrations))

    def _show_fused(self) -> None:
        """The MR over the CT views and its levels/lesion mapped, at `shown_matrix`; the
        crosshair linked through it."""
        self._link_frames()
        self._clear_fused()
        mr, ct = self._series(self.panel.mr_combo), self._series(self.panel.ct_combo)
        matrix = self.shown_matrix()
        # while the dock is open (even behind another tab): the user judges on the views
        is_open = self.dock.toggleViewAction().isChecked()
        if matrix is None or mr is None or ct is None or not is_open:
            return
        ct_uid = ct[1].frame_of_reference_uid
        grey = display_grey(mr[1])
        fused = FusedImageOverlay(
            name="MR fused on the CT",
            image=moved_onto_ct(grey, matrix),
            frame_of_reference_uid=ct_uid,
            z=-1.0,
        )
        items: list[OverlayItem] = [fused]
        state = self.document.current
        centre = self._lesion_centre_mr()
        if centre is not None:
            items += mapped_marks(state, matrix, ct[1], centre)
        for item in items:
            self.window.viewer.overlays.add(item)
        self._fused = items
        self._restyle_fused()

    def _lesion_centre_mr(self) -> np.ndarray | None:
        mask = self.document.current.lesion_mask
        if mask is not None and mask.array.any():
            ijk = np.argwhere(np.asarray(mask.array) != 0)[:, ::-1].astype(float)
            return mask.index_to_patient(ijk).mean(axis=0)
        return self.mr_point

    def _follow_case(self) -> None:
        """The case's registration changed (Accept, a nudge, Undo): redraw unless a pending
        registration is shown. Undo of this session's Accept puts the registration it stored
        back under review (the Result box describes it again, Accept stores it again); Redo
        makes it the case's again."""
        case = self.document.case
        if self._accepted is not None:
            reference, matrix = self._accepted
            stored = case.planning_ct if case is not None else None
            if stored is None and self.pending is None:
                self.pending = matrix
                self.panel.status_label.setText(
                    "Accept undone: the registration is back under review (Accept stores it again)"
                )
                self._show_fused()
                self._update_accept()
                return
            if stored == reference and self.pending is not None:
                self.pending = None
                self.panel.status_label.setText(ACCEPTED_TEXT)
                self._update_accept()
        if self.pending is None:
            self._show_fused()
            self._show_no_result()

    def fused_image(self) -> FusedImageOverlay | None:
        """The MR fused on the CT views, when it is shown."""
        return next((i for i in self._fused if isinstance(i, FusedImageOverlay)), None)

    def _restyle_fused(self) -> None:
        item = self.fused_image()
        if item is None:
            return
        panel = self.panel
        item.blend = panel.blend_slider.value() / 100.0
        item.swipe_fraction = panel.swipe_slider.value() / 100.0
        if item.mode is not panel.mode:
            item.mode = panel.mode
            item.flicker_mr = True  # flicker starts on the MR
        if item.mode is FusionMode.FLICKER:
            if not self.flicker_timer.isActive():
                self.flicker_timer.start()
        else:
            self.flicker_timer.stop()
        self.window.viewer.overlays.changed_item(item)

    def _on_mode_button(self, _button: object, checked: bool) -> None:
        if not checked:
            return  # the other half of a switch: the checked button restyles
        if self.panel.mode is not FusionMode.FLICKER:
            self._mode_before_flicker = self.panel.mode
        self._restyle_fused()

    def _flick(self) -> None:
        """One flicker tick: the other image."""
        item = self.fused_image()
        if item is None or item.mode is not FusionMode.FLICKER:
            self.flicker_timer.stop()
            return
        item.flicker_mr = not item.flicker_mr
        self.window.viewer.overlays.changed_item(item)

    def toggle_flicker(self) -> None:
        """Ctrl+Alt+F: start flickering MR/CT, or stop and go back to the mode before."""
        if self.panel.mode is FusionMode.FLICKER:
            self.panel.set_mode(self._mode_before_flicker)
        else:
            self.panel.set_mode(FusionMode.FLICKER)
        if self.fused_image() is None:
            self.panel.status_label.setText("Register first: flicker shows its result")

    # -- nudging --------------------------------------------------------------------------
    def _nudged_in_all(self, centre_mr: np.ndarray | None) -> str:
        """The pending registration against the one Register computed, in words: how far the
        lesion's centre (else the MR origin) moved on the CT, mm, and the rotation, degrees."""
        if self.result is None or self.pending is None:
            return ""
        computed = np.asarray(self.result.matrix_moving_to_fixed, float)
        point = np.append(np.zeros(3) if centre_mr is None else centre_mr, 1.0)
        shift = (self.pending @ point - computed @ point)[:3]
        turn = self.pending[:3, :3] @ computed[:3, :3].T
        degrees = float(np.degrees(np.arccos(np.clip((np.trace(turn) - 1.0) / 2.0, -1, 1))))
        if np.all(np.abs(shift) < 0.05) and degrees < 0.05:
            return "back at the computed registration"
        moved = ", ".join(f"{axis} {value:+.1f}" for axis, value in zip("xyz", shift, strict=True))
        return (
            f"in all since Register: {moved} mm at the lesion, rotated {degrees:.1f}°; "
            "the opposite key takes a nudge back"
        )

    def nudge(self, axis: int, step: float) -> None:
        """Move the registration by a key press (1 mm, or 0.5 degree about the lesion): the
        pending one before Accept, else the case's, as an undoable edit (Edit > Undo)."""
        matrix = self.shown_matrix()
        if matrix is None:
            self.panel.status_label.setText("Register first: the nudges move its result")
            return
        centre = self._lesion_centre_mr()
        centre_ct = np.zeros(3) if centre is None else (matrix @ np.append(centre, 1.0))[:3]
        nudged = nudge_matrix(axis, step, centre_ct) @ matrix
        what = (
            f"{step:+g} mm along {'xyz'[axis]}"
            if axis < 3
            else f"{step:+g}° about {'xyz'[axis - 3]}"
        )
        if self.pending is not None:
            self.pending = nudged
            # before Accept there is no Edit > Undo: say how far the nudges have gone in all,
            # so that the opposite keys can take them back to the computed result
            self.panel.status_label.setText(
                f"Nudged {what}; {self._nudged_in_all(centre)}. Accept stores it."
            )
            self._show_fused()
            return
        case = self.document.case
        assert case is not None and case.planning_ct is not None
        rows = tuple(tuple(round(float(v), 6) for v in row) for row in nudged[:3])
        self.document.set_planning_ct(
            replace(case.planning_ct, matrix_mm=(*rows, (0.0, 0.0, 0.0, 1.0))),
            f"Nudge registration {what}",
        )
        self.panel.status_label.setText(f"Nudged {what} (Edit > Undo takes it back)")
