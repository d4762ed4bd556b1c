"""The point-pair tool of the Registration panel, driven with real mouse clicks on the views of
sample case 4 (a sagittal MR and a planning CT in another frame): Pick points (Ctrl+Alt+K),
a click on the MR view and one on the CT view place the pair where clicked, drawn on each view;
a drag moves a point, a click elsewhere replaces it, Undo point takes each step back; a view of
another series is refused; the tool and the annotation tools exclude each other."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from tests.app.annotation_helpers import click, drag, go_to, view_of
from tests.app.test_registration_panel import (
    _finish,
    _known,
    _open,
    _to_ct,
    write_unregistered_case,
)


@pytest.fixture
def unregistered_case(tmp_path):
    return write_unregistered_case(tmp_path)


CTRL_ALT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier


def _show_and_go(window, key: str, point_mm) -> object:
    """Show series ``key`` in the main panel at ``point_mm``; its sagittal view."""
    window.show_series(key)
    go_to(window, point_mm)
    return view_of(window, "sagittal")


def _pixel_mm(view) -> float:
    """One screen pixel of ``view`` in mm: how exactly a click can place a point."""
    return 1.0 / view.screen_px_per_mm()


def _markers(window) -> dict[str, object]:
    return {
        item.name: item
        for item in window.viewer.overlays.items()
        if item.name in ("MR point", "CT point")
    }


def test_click_the_pair_on_the_views_drag_replace_and_undo(
    qtbot, window, unregistered_case
) -> None:
    data, truth = _known()
    controller = _open(qtbot, window, unregistered_case)
    panel = controller.panel
    mr_key, ct_key = panel.mr_combo.currentData(), panel.ct_combo.currentData()
    lesion = np.asarray(data["lesion"]["center_mm"], float)
    body_mr = lesion + np.array([0.0, -25.0, 0.0])  # the vertebral body in front of the cord
    body_ct = _to_ct(truth, body_mr)
    try:
        window.activateWindow()
        qtbot.keyClick(window, Qt.Key.Key_K, CTRL_ALT)
        action = window.actions_by_id["registration_points"]
        assert action.isChecked() and window.viewer.tool is controller.point_tool
        assert panel.pick_points_button.isChecked()

        mr_view = _show_and_go(window, mr_key, body_mr)
        click(mr_view, body_mr)
        tolerance = 1.5 * _pixel_mm(mr_view)
        assert np.allclose(controller.mr_point, body_mr, atol=tolerance)
        assert controller.ct_point is None
        # the tool took the click: the crosshair stayed where it was
        assert np.allclose(window.viewer.point_mm, body_mr, atol=1e-6)

        ct_view = _show_and_go(window, ct_key, body_ct)
        click(ct_view, body_ct)
        assert np.allclose(controller.ct_point, body_ct, atol=1.5 * _pixel_mm(ct_view))
        assert np.allclose(controller.mr_point, body_mr, atol=tolerance)  # the MR's unchanged
        pairs = controller.point_pairs()
        assert len(pairs) == 1 and np.allclose(pairs[0].fixed_mm, controller.ct_point)
        assert panel.points_label.text().startswith("MR (")
        markers = _markers(window)
        assert set(markers) == {"MR point", "CT point"}
        assert np.allclose(markers["CT point"].point_mm, controller.ct_point)

        # a drag from the CT point moves it by the drag
        placed = controller.ct_point.copy()
        moved_to = placed + np.array([0.0, -6.0, 8.0])  # on the sagittal slice: y and z
        drag(ct_view, placed, moved_to)
        assert np.allclose(controller.ct_point, moved_to, atol=3 * _pixel_mm(ct_view))
        assert np.allclose(_markers(window)["CT point"].point_mm, controller.ct_point)
        # a click away from it replaces it
        elsewhere = body_ct + np.array([0.0, 10.0, -30.0])
        click(ct_view, elsewhere)
        assert np.allclose(controller.ct_point, elsewhere, atol=1.5 * _pixel_mm(ct_view))

        # Undo point: back through the replacement, the drag, the placement
        assert panel.undo_point_button.isEnabled()
        qtbot.mouseClick(panel.undo_point_button, Qt.MouseButton.LeftButton)
        assert np.allclose(controller.ct_point, moved_to, atol=3 * _pixel_mm(ct_view))
        qtbot.mouseClick(panel.undo_point_button, Qt.MouseButton.LeftButton)
        assert np.allclose(controller.ct_point, placed)
        qtbot.mouseClick(panel.undo_point_button, Qt.MouseButton.LeftButton)
        assert controller.ct_point is None and controller.mr_point is not None
        assert set(_markers(window)) == {"MR point"}
        qtbot.mouseClick(panel.undo_point_button, Qt.MouseButton.LeftButton)
        assert controller.mr_point is None and not panel.undo_point_button.isEnabled()
        # the points are the panel's, not the case's: no edit of the case was made
        assert not window.annotation.document.is_modified
    finally:
        _finish(window)


def test_a_view_of_another_series_is_refused_and_tools_exclude_each_other(
    qtbot, window, unregistered_case
) -> None:
    data, _truth = _known()
    controller = _open(qtbot, window, unregistered_case)
    panel = controller.panel
    lesion = np.asarray(data["lesion"]["center_mm"], float)
    try:
        window.actions_by_id["registration_points"].trigger()
        t2 = next(
            key
            for key, info in window.infos.items()
            if key in window.volumes and "T2" in info.description
        )
        view = _show_and_go(window, t2, lesion)
        click(view, lesion)
        assert controller.mr_point is None and controller.ct_point is None
        assert "chosen MR or CT" in panel.status_label.text()

        # an annotation tool takes over, and back
        window.annotation.activate_tool("tool_levels")
        assert not window.actions_by_id["registration_points"].isChecked()
        assert window.viewer.tool is window.annotation.tools["tool_levels"]
        window.actions_by_id["registration_points"].trigger()
        assert not window.actions_by_id["tool_levels"].isChecked()
        assert window.viewer.tool is controller.point_tool
        # unchecking it leaves the views with their default left button
        window.actions_by_id["registration_points"].trigger()
        assert window.viewer.tool is None
    finally:
        _finish(window)


def test_moving_a_point_after_register_says_the_result_is_of_the_earlier_points(
    qtbot, window, unregistered_case, monkeypatch
) -> None:
    """An ambiguous result registered with a point pair (the engine's answer stands in, so the
    test runs in no time): once a point moves, the status line says the result is of the
    earlier points and Accept is no longer settled by a pair it was not registered with;
    Undo point brings the run's pair, and the settled Accept, back."""
    import app.registration.worker as worker_module
    from imaging.registration_model import Alignment, RegistrationResult

    data, truth = _known()
    controller = _open(qtbot, window, unregistered_case)
    panel = controller.panel
    lesion = np.asarray(data["lesion"]["center_mm"], float)
    body_mr = lesion + np.array([0.0, -25.0, 0.0])
    result = RegistrationResult(
        matrix_moving_to_fixed=truth,
        metric=-0.5,
        normalised_mi=0.2,
        metric_gap=0.01,
        ambiguous=True,
        alternatives=(Alignment(truth, -0.49, 25.0),),
        overlap_fraction=1.0,
        initialisation="point pairs",
        moving_frame_of_reference_uid="mr",
        fixed_frame_of_reference_uid="ct",
        warnings=("placed a clicked MR point 20 mm from its CT point",),
    )
    monkeypatch.setattr(worker_module, "register_rigid", lambda *args, **kwargs: result)
    try:
        controller.set_point_pair(body_mr, _to_ct(truth, body_mr))
        with qtbot.waitSignal(controller.finished, timeout=10_000):
            qtbot.mouseClick(panel.register_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not controller.busy, timeout=10_000)
        assert panel.status_label.text().startswith("Registered")
        assert panel.accept_button.isEnabled()  # registered with this very pair

        qtbot.mouseClick(panel.clear_points_button, Qt.MouseButton.LeftButton)
        assert panel.status_label.text() == (
            "The points changed since this result: Register again to use them"
        )
        assert not panel.accept_button.isEnabled()

        controller.set_point_pair(body_mr + np.array([0.0, 0.0, 10.0]), _to_ct(truth, body_mr))
        assert "changed since" in panel.status_label.text()
        assert not panel.accept_button.isEnabled()
        assert "register again with the new point pair" in panel.accept_button.toolTip()
        panel.confirm_check.setChecked(True)  # the user vouches for the level on the views
        assert panel.accept_button.isEnabled()
        assert "earlier points" in panel.accept_button.toolTip()
        panel.confirm_check.setChecked(False)

        for _ in range(2):  # Undo point: the new pair, then Clear
            qtbot.mouseClick(panel.undo_point_button, Qt.MouseButton.LeftButton)
        assert panel.status_label.text().startswith("Registered")
        assert panel.accept_button.isEnabled()
        assert "earlier points" not in panel.accept_button.toolTip()
    finally:
        _finish(window)
