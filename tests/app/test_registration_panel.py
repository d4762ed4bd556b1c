"""The Registration panel driving the real window on sample case 4 (a sagittal MR study whose
planning CT lies in another frame of reference, with a known MR -> CT transform): a point
pair and Register give the transform within 2 mm at the lesion, Accept stores it in the case
(undoable, saved, restored on open) and the plan moves onto the CT; Cancel stops the worker
and leaves the case alone; an ambiguous result keeps Accept disabled until a point pair."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from app.help_dialogs import ShortcutsDialog
from app.registration.fusion import FusionMode
from imaging.registration import RegistrationSettings
from tests.app.test_plan_panel import PLAN_TIMEOUT_MS, TEST_GRID_MM, _case_path

REGISTER_TIMEOUT_MS = 120_000


def _known() -> tuple[dict, np.ndarray]:
    """Sample case 4's reference case file and its MR -> CT matrix (from the generator)."""
    data = json.loads(_case_path(4).read_text())
    return data, np.asarray(data["planning_ct"]["registration"]["matrix_mm"], float)


def _rotation_x(degrees: float) -> np.ndarray:
    c, s = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def _to_ct(matrix: np.ndarray, point_mr) -> np.ndarray:
    return (matrix @ np.append(np.asarray(point_mr, float), 1.0))[:3]


def write_unregistered_case(folder: Path) -> Path:
    """A copy of case 4's case file without planning_ct: the CT is just a loaded series."""
    data, _ = _known()
    del data["planning_ct"]
    data["reference"] = False
    data["study"]["path"] = str(_case_path(4).parent)
    path = folder / "case4.spineplan.json"
    path.write_text(json.dumps(data))
    return path


@pytest.fixture
def unregistered_case(tmp_path: Path) -> Path:
    return write_unregistered_case(tmp_path)


def _open(qtbot, window, path: Path):
    window.plan_panel.grid_spacing_mm = TEST_GRID_MM
    with (
        qtbot.waitSignal(window.plan_panel.plan_updated, timeout=PLAN_TIMEOUT_MS),
        qtbot.waitSignal(window.load_finished, timeout=PLAN_TIMEOUT_MS),
    ):
        window.open_path(path)
    qtbot.waitUntil(lambda: not window.plan_panel.runner.busy, timeout=PLAN_TIMEOUT_MS)
    window.actions_by_id["registration"].trigger()
    controller = window.registration
    assert controller.dock.toggleViewAction().isChecked()
    return controller


def _click_point(qtbot, window, key: str, point_mm, button) -> None:
    """Show ``key`` in the main panel, put the crosshair on ``point_mm`` and press ``button``
    (Set MR point / Set CT point), as a user clicking the vertebral body then the button."""
    window.show_series(key)
    window.viewer.set_active_view(window.viewer.panels[0].views[0])
    window.viewer.set_point(np.asarray(point_mm, float))
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _set_body_pair(qtbot, window, panel, data, truth) -> None:
    """Set the exact point pair: the vertebral body in front of the lesion on the MR and its
    true place on the CT."""
    lesion = np.asarray(data["lesion"]["center_mm"], float)
    body_mr = lesion + np.array([0.0, -25.0, 0.0])
    _click_point(qtbot, window, panel.mr_combo.currentData(), body_mr, panel.set_mr_point_button)
    _click_point(
        qtbot,
        window,
        panel.ct_combo.currentData(),
        _to_ct(truth, body_mr),
        panel.set_ct_point_button,
    )


def _run(qtbot, controller) -> str:
    with qtbot.waitSignal(controller.finished, timeout=REGISTER_TIMEOUT_MS) as blocker:
        qtbot.mouseClick(controller.panel.register_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not controller.busy, timeout=10_000)
    return blocker.args[0]


def _texts(widget) -> str:
    """Every text a dialog shows (labels, tables), joined."""
    from PySide6.QtWidgets import QLabel, QTableWidget

    texts = [label.text() for label in widget.findChildren(QLabel)]
    for table in widget.findChildren(QTableWidget):
        texts += [
            table.item(r, c).text()
            for r in range(table.rowCount())
            for c in range(table.columnCount())
            if table.item(r, c) is not None
        ]
    return "\n".join(texts)


def _finish(window) -> None:
    window.registration.shutdown()
    window.annotation.document.undo_stack.setClean()  # no Save/Discard question at teardown


def test_register_with_a_point_pair_accept_save_and_plan_on_the_ct(
    qtbot, window, unregistered_case, tmp_path
) -> None:
    data, truth = _known()
    controller = _open(qtbot, window, unregistered_case)
    panel, document = controller.panel, window.annotation.document
    try:
        assert panel.mr_combo.currentText() == "#5 T1 SE SAG +C"
        assert panel.ct_combo.currentText() == "#2 RT PLANNING CT THORAX"
        assert panel.region_label.text().startswith("Region: T2-T8")
        assert not panel.accept_button.isEnabled()
        assert "plans on the MR" in panel.case_label.text()

        lesion = np.asarray(data["lesion"]["center_mm"], float)
        body_mr = lesion + np.array([0.0, -25.0, 0.0])  # the vertebral body in front of the cord
        clicked_ct = _to_ct(truth, body_mr) + np.array([3.0, -2.0, 4.0])  # clicked 5 mm off
        _click_point(
            qtbot, window, panel.mr_combo.currentData(), body_mr, panel.set_mr_point_button
        )
        _click_point(
            qtbot, window, panel.ct_combo.currentData(), clicked_ct, panel.set_ct_point_button
        )
        assert panel.points_label.text().startswith("MR (")
        markers = [i for i in window.viewer.overlays.items() if i.name in ("MR point", "CT point")]
        assert len(markers) == 2

        progress: list[int] = []
        panel.progress_bar.valueChanged.connect(progress.append)
        assert _run(qtbot, controller) == "succeeded"
        assert progress and max(progress) == 100
        found = controller.result.matrix_moving_to_fixed
        tre_mm = np.linalg.norm(_to_ct(found, lesion) - _to_ct(truth, lesion))
        assert tre_mm <= 2.0
        assert "Mattes mutual information" in panel.quality_label.text()
        assert not controller.result.ambiguous and panel.accept_button.isEnabled()
        # the CT comes to the main panel, at the lesion carried over by the registration
        assert window.shown_keys[0] == panel.ct_combo.currentData()
        assert np.allclose(window.viewer.point_mm, _to_ct(found, lesion), atol=3.0)
        # the fused display: the MR and its levels on the CT's frame
        ct_uid = window.volumes[panel.ct_combo.currentData()].frame_of_reference_uid
        fused = {i.name: i for i in window.viewer.overlays.items()}
        assert fused["MR fused on the CT"].frame_of_reference_uid == ct_uid
        assert fused["MR T5 on the CT"].frame_of_reference_uid == ct_uid

        assert not document.is_modified
        with qtbot.waitSignal(window.plan_panel.plan_updated, timeout=PLAN_TIMEOUT_MS) as plan:
            qtbot.mouseClick(panel.accept_button, Qt.MouseButton.LeftButton)
        assert document.is_modified and window.isWindowModified()
        assert document.undo_stack.undoText() == "Accept registration onto the planning CT"
        result = plan.args[0]
        assert result.images.on_registered_ct
        assert result.images.plan_frame_uid == ct_uid
        assert window.plan_panel.number("Planned on").startswith("planning CT")
        assert "plans on the CT in PLANNING_CT" in panel.case_label.text()

        saved = document.save(tmp_path / "saved.spineplan.json")
        written = json.loads(saved.read_text())["planning_ct"]
        stored = np.asarray(written["registration"]["matrix_mm"], float)
        assert np.allclose(stored, found, atol=1e-5)
        assert (saved.parent / written["path"]).resolve() == (_case_path(4).parent / "PLANNING_CT")
        assert written["series_instance_uid"] == data["planning_ct"]["series_instance_uid"]

        # Edit > Undo takes the registration back: the plan returns to the MR, and the
        # registration is back under review (its figures true again, Accept enabled, fused)
        with qtbot.waitSignal(window.plan_panel.plan_updated, timeout=PLAN_TIMEOUT_MS) as plan:
            window.actions_by_id["undo"].trigger()
        assert document.case.planning_ct is None
        assert not plan.args[0].images.on_registered_ct
        assert panel.status_label.text().startswith("Accept undone")
        assert panel.accept_button.isEnabled()
        assert np.allclose(controller.shown_matrix(), found)
        assert "Mattes mutual information" in panel.quality_label.text()
        assert "MR fused on the CT" in [i.name for i in window.viewer.overlays.items()]
        # Edit > Redo accepts it again
        with qtbot.waitSignal(window.plan_panel.plan_updated, timeout=PLAN_TIMEOUT_MS) as plan:
            window.actions_by_id["redo"].trigger()
        assert plan.args[0].images.on_registered_ct
        assert controller.pending is None and not panel.accept_button.isEnabled()
        assert panel.status_label.text().startswith("Accepted")
        assert np.allclose(document.case.planning_ct.matrix, found, atol=1e-5)
    finally:
        _finish(window)

    # restored on open: the saved case plans on the CT
    controller = _open(qtbot, window, saved)
    try:
        assert "plans on the CT in PLANNING_CT" in controller.panel.case_label.text()
        assert window.annotation.document.case.planning_ct.matrix_mm is not None
        assert window.plan_panel.number("Planned on").startswith("planning CT")
    finally:
        _finish(window)


def test_cancel_stops_the_registration_and_leaves_the_case_unchanged(
    qtbot, window, unregistered_case
) -> None:
    controller = _open(qtbot, window, unregistered_case)
    panel, document = controller.panel, window.annotation.document
    try:
        before = document.case
        with qtbot.waitSignal(controller.finished, timeout=REGISTER_TIMEOUT_MS) as blocker:
            qtbot.mouseClick(panel.register_button, Qt.MouseButton.LeftButton)
            assert controller.busy and panel.cancel_button.isEnabled()
            assert not panel.register_button.isEnabled()
            qtbot.waitUntil(lambda: panel.progress_bar.value() > 0, timeout=30_000)
            qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
        assert blocker.args == ["cancelled"]
        qtbot.waitUntil(lambda: not controller.busy, timeout=10_000)
        assert "cancelled" in panel.status_label.text()
        assert controller.result is None and not panel.accept_button.isEnabled()
        assert panel.register_button.isEnabled() and not panel.cancel_button.isEnabled()
        assert document.case is before and document.case.planning_ct is None
        assert not document.is_modified
    finally:
        _finish(window)


def test_an_ambiguous_result_keeps_accept_disabled_until_a_point_pair(
    qtbot, window, unregistered_case
) -> None:
    data, truth = _known()
    controller = _open(qtbot, window, unregistered_case)
    panel = controller.panel
    # every alignment at another level counts as close: the automatic result is ambiguous
    controller.settings = RegistrationSettings(
        level_spacings_mm=(4.0,), sampling_fractions=(0.5,), iterations=(3,), ambiguity_gap=10.0
    )
    try:
        assert _run(qtbot, controller) == "succeeded"
        assert controller.result.ambiguous and controller.result.alternatives
        warning = panel.warning_label.text()
        assert panel.warning_label.isVisibleTo(panel) and warning.startswith("AMBIGUOUS")
        assert " mm (about " in warning and "point pair" in warning
        assert not panel.accept_button.isEnabled()
        assert "ambiguous" in panel.accept_button.toolTip().lower()
        # the user's confirmation enables it, withdrawing it disables it again
        assert panel.confirm_check.isVisibleTo(panel)
        panel.confirm_check.setChecked(True)
        assert panel.accept_button.isEnabled()
        panel.confirm_check.setChecked(False)
        assert not panel.accept_button.isEnabled()

        _set_body_pair(qtbot, window, panel, data, truth)
        assert _run(qtbot, controller) == "succeeded"
        assert not controller.result.ambiguous
        assert panel.accept_button.isEnabled() and not panel.warning_label.isVisibleTo(panel)
    finally:
        _finish(window)


def test_nudges_move_the_accepted_registration_as_undoable_edits(qtbot, window) -> None:
    """Sample case 4 as bundled (its registration in the case): the panel shows it fused on
    the CT; arrow keys with the panel focused move it 1 mm, Shift rotates 0.5 degree, each an
    edit Edit > Undo takes back."""
    _data, truth = _known()
    controller = _open(qtbot, window, _case_path(4))
    panel, document = controller.panel, window.annotation.document
    try:
        names = [i.name for i in window.viewer.overlays.items()]
        assert "MR fused on the CT" in names  # the case's registration, fused
        assert not panel.accept_button.isEnabled()  # nothing pending to accept
        panel.setFocus()
        with qtbot.waitSignal(document.planning_ct_changed):
            qtbot.keyClick(panel, Qt.Key.Key_Up)
        moved = document.case.planning_ct.matrix
        assert np.allclose(moved[:3, 3] - truth[:3, 3], [0.0, 0.0, 1.0], atol=1e-5)
        assert document.undo_stack.undoText() == "Nudge registration +1 mm along z"
        qtbot.keyClick(panel, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
        rotated = document.case.planning_ct.matrix[:3, :3] @ moved[:3, :3].T
        # Shift+Left: -0.5 degree about x (the axis Left moves along)
        angle = np.degrees(np.arctan2(rotated[2, 1], rotated[1, 1]))
        assert angle == pytest.approx(-0.5, abs=1e-3)
        assert np.allclose(rotated, _rotation_x(-0.5), atol=1e-5)
        assert document.is_modified
        window.actions_by_id["undo"].trigger()
        window.actions_by_id["undo"].trigger()
        assert np.allclose(document.case.planning_ct.matrix, truth, atol=1e-6)
        # the blend slider and the checkerboard restyle the fused image
        fused = next(i for i in window.viewer.overlays.items() if i.name == "MR fused on the CT")
        panel.blend_slider.setValue(80)
        assert fused.blend == pytest.approx(0.8)
        qtbot.mouseClick(panel.mode_buttons[FusionMode.CHECKERBOARD], Qt.MouseButton.LeftButton)
        fused = next(i for i in window.viewer.overlays.items() if i.name == "MR fused on the CT")
        assert fused.mode is FusionMode.CHECKERBOARD and not panel.blend_slider.isEnabled()
        # closing the panel takes the fused display away
        controller.dock.close()
        assert "MR fused on the CT" not in [i.name for i in window.viewer.overlays.items()]
    finally:
        _finish(window)


def test_an_accepted_registration_is_autosaved_and_recovered(
    qtbot, window, tmp_path, monkeypatch
) -> None:
    """A nudge of the case's registration is in the recovery file (the CT's path absolute, as
    the recovery lives elsewhere); reopening offers it back and Restore puts it in the case."""
    monkeypatch.setenv("SPINEPLAN_DATA_DIR", str(tmp_path / "userdata"))
    _data, truth = _known()
    controller = _open(qtbot, window, _case_path(4))
    document = window.annotation.document
    try:
        controller.nudge(2, 1.0)  # +1 mm along z
        nudged = document.case.planning_ct.matrix
        found = window.annotation.store.find(_case_path(4))
        assert found is not None and found.last_edit == "Nudge registration +1 mm along z"
        assert np.allclose(found.case.planning_ct.matrix, nudged, atol=1e-6)
        assert Path(found.case.planning_ct.path) == _case_path(4).parent / "PLANNING_CT"
    finally:
        _finish(window)
    _open(qtbot, window, _case_path(4))
    try:
        assert np.allclose(document.case.planning_ct.matrix, truth, atol=1e-6)
        assert window.annotation.recovery_bar.isVisible()
        with qtbot.waitSignal(document.planning_ct_changed):
            window.annotation.restore_button.click()
        assert np.allclose(document.case.planning_ct.matrix, nudged, atol=1e-6)
    finally:
        _finish(window)


def test_open_planning_ct_adds_the_ct_of_another_folder(qtbot, window) -> None:
    """File > Open planning CT… on a folder of another study: its CT joins the series and is
    chosen as the fixed image; a folder without a CT says so."""
    samples = _case_path(4).parent
    with qtbot.waitSignal(window.load_finished, timeout=PLAN_TIMEOUT_MS):
        window.open_path(samples / "T1C_SAG")
    window.actions_by_id["registration"].trigger()
    controller, panel = window.registration, window.registration.panel
    try:
        assert panel.ct_combo.count() == 0
        assert panel.mr_combo.currentText() == "#5 T1 SE SAG +C"
        assert controller.add_ct_folder(samples / "T2_SAG") is None
        assert any("no CT series" in text for text in window.message_texts("error"))
        key = controller.add_ct_folder(samples / "PLANNING_CT")
        assert key is not None and key in window.volumes
        assert panel.ct_combo.currentData() == key
        assert panel.ct_combo.currentText() == "#2 RT PLANNING CT THORAX"
        assert window.browser.item_for(key) is not None
        assert window.actions_by_id["open_planning_ct"].text() == "Open &planning CT…"
        # Tools > Registration has its shortcut, listed in Help > Keyboard shortcuts
        registration = window.actions_by_id["registration"]
        assert registration.shortcut().toString() == "Ctrl+Alt+R"
        assert registration in window.tools_menu.actions()
        dialog = ShortcutsDialog(window)
        assert "Registration: the diagnostic MR onto a planning CT" in _texts(dialog)
    finally:
        _finish(window)
