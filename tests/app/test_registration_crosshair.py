"""The crosshair through the registration, with real mouse clicks on sample case 4 (a
sagittal MR and a planning CT of another study, another frame of reference), the MR in the
main panel and the CT beside it: a click on the CT puts the MR views on matrix^-1 @ point and a
click on the MR puts the CT views on matrix @ point (within half a voxel), for the registration
under review, after nudges, and for the accepted one; with no registration the other side's
views stay where they were and the user is told. The expected points come from SimpleITK's
own inverse of the transform, not from the viewer's arithmetic."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.app.annotation_helpers import click, go_to, screen_point
from tests.app.test_plan_panel import _case_path
from tests.app.test_registration_panel import (
    _finish,
    _known,
    _open,
    _run,
    _set_body_pair,
    _to_ct,
    write_unregistered_case,
)


@pytest.fixture
def unregistered_case(tmp_path: Path) -> Path:
    return write_unregistered_case(tmp_path)


def _side_by_side(window, controller):
    """The MR in the main panel, the CT beside it (dragged there from the Series list)."""
    panel = controller.panel
    window.show_series(panel.mr_combo.currentData(), 0)
    window.show_series(panel.ct_combo.currentData(), 1)
    mr_panel, ct_panel = window.viewer.panels
    assert mr_panel.volume.metadata.modality == "MR"
    assert ct_panel.volume.metadata.modality == "CT"
    return mr_panel, ct_panel


def _sitk_transform(matrix_mm: np.ndarray) -> sitk.AffineTransform:
    transform = sitk.AffineTransform(3)
    transform.SetMatrix(np.asarray(matrix_mm, float)[:3, :3].ravel().tolist())
    transform.SetTranslation(np.asarray(matrix_mm, float)[:3, 3].tolist())
    return transform


def _ct_to_mr(matrix_mm: np.ndarray, point_ct) -> np.ndarray:
    """The CT point on the MR, by SimpleITK's inverse of the MR -> CT transform."""
    inverse = _sitk_transform(matrix_mm).GetInverse()
    return np.asarray(inverse.TransformPoint([float(v) for v in point_ct]))


def _mr_to_ct(matrix_mm: np.ndarray, point_mr) -> np.ndarray:
    return np.asarray(_sitk_transform(matrix_mm).TransformPoint([float(v) for v in point_mr]))


def _assert_views_through(panel, point_mm) -> None:
    """Each view of ``panel`` shows the slice nearest ``point_mm`` (within half a voxel along
    its normal) with the crosshair on it."""
    for view in panel.views:
        g = view.geometry_
        assert abs(float(g.distance_to_plane_mm(point_mm))) <= g.slice_spacing_mm / 2 + 1e-6, (
            view.plane
        )
    assert np.allclose(panel.viewer.point_for(panel.volume), point_mm, atol=1e-3)


def _slices(panel) -> list[int]:
    return [view.slice_index for view in panel.views]


def _click_on(window, panel, plane: str, point_mm) -> np.ndarray:
    """Left click on ``panel``'s ``plane`` view at ``point_mm`` (on that view's slice); the
    point the click set, in that series' LPS mm."""
    view = panel.view_for(plane)
    click(view, point_mm)
    assert window.viewer.point_frame_uid == panel.volume.frame_of_reference_uid
    clicked = window.viewer.point_mm.copy()
    # the click landed where aimed, to a screen pixel, on the view's slice
    in_plane = np.asarray(point_mm, float) - view.geometry_.normal_direction * float(
        view.geometry_.distance_to_plane_mm(point_mm)
    )
    assert np.linalg.norm(clicked - in_plane) <= 1.5 / view.screen_px_per_mm()
    return clicked


def _readout_over(window, view, point_mm) -> str:
    QTest.mouseMove(view, screen_point(view, point_mm))
    return window.readout_label.text()


def test_a_click_on_the_ct_moves_the_mr_views_through_the_registration_under_review(
    qtbot, window, unregistered_case
) -> None:
    data, truth = _known()
    controller = _open(qtbot, window, unregistered_case)
    panel = controller.panel
    try:
        _set_body_pair(qtbot, window, panel, data, truth)
        assert _run(qtbot, controller) == "succeeded"
        proposed = controller.pending.copy()
        mr_panel, ct_panel = _side_by_side(window, controller)
        lesion_mr = np.asarray(data["lesion"]["center_mm"], float)
        lesion_ct = _to_ct(truth, lesion_mr)

        # a click on the CT: the MR views go to the same anatomy
        window.viewer.set_point(lesion_ct, ct_panel.volume.frame_of_reference_uid)
        target_ct = lesion_ct + np.array([0.0, -20.0, 12.0])  # on the CT's sagittal slice
        clicked_ct = _click_on(window, ct_panel, "sagittal", target_ct)
        expected_mr = _ct_to_mr(proposed, clicked_ct)
        _assert_views_through(mr_panel, expected_mr)
        _assert_views_through(ct_panel, clicked_ct)
        # the readouts say which frame their numbers are in
        assert window.point_label.text().startswith("Crosshair CT LPS (")
        tooltip = window.point_label.toolTip()
        assert "MR LPS (" in tooltip and "through the registration" in tooltip
        assert "CT LPS (" in _readout_over(window, ct_panel.view_for("sagittal"), clicked_ct)
        assert "MR LPS (" in _readout_over(window, mr_panel.view_for("sagittal"), expected_mr)
        assert "linked to the CT by the registration" in mr_panel.header.toolTip()

        # the other way round: a click on the MR, the CT views follow
        target_mr = expected_mr + np.array([0.0, 15.0, -25.0])  # on the MR's sagittal slice
        clicked_mr = _click_on(window, mr_panel, "sagittal", target_mr)
        _assert_views_through(ct_panel, _mr_to_ct(proposed, clicked_mr))
        assert window.point_label.text().startswith("Crosshair MR LPS (")

        # nudges: the mapping follows the registration under review
        panel.setFocus()
        for _ in range(3):
            qtbot.keyClick(panel, Qt.Key.Key_Right)  # +1 mm along x each
        qtbot.keyClick(panel, Qt.Key.Key_Up, Qt.KeyboardModifier.ShiftModifier)  # 0.5° about z
        nudged = controller.pending
        assert not np.allclose(nudged, proposed)
        _assert_views_through(ct_panel, _mr_to_ct(nudged, clicked_mr))
        clicked_ct = _click_on(window, ct_panel, "sagittal", _mr_to_ct(nudged, clicked_mr))
        _assert_views_through(mr_panel, _ct_to_mr(nudged, clicked_ct))
    finally:
        _finish(window)


def test_the_accepted_registration_links_the_views_and_its_nudges_move_the_link(
    qtbot, window
) -> None:
    """Sample case 4 as bundled holds an accepted registration: it links the views, and a
    nudge of it (an edit of the case) and its Edit > Undo move the link."""
    data, _truth = _known()
    controller = _open(qtbot, window, _case_path(4))
    try:
        mr_panel, ct_panel = _side_by_side(window, controller)
        accepted = window.annotation.document.case.planning_ct.matrix
        lesion_mr = np.asarray(data["lesion"]["center_mm"], float)
        go_to(window, lesion_mr)  # the main panel's frame: the MR
        _assert_views_through(ct_panel, _mr_to_ct(accepted, lesion_mr))

        target_ct = _mr_to_ct(accepted, lesion_mr) + np.array([0.0, 10.0, -30.0])
        clicked_ct = _click_on(window, ct_panel, "sagittal", target_ct)
        _assert_views_through(mr_panel, _ct_to_mr(accepted, clicked_ct))

        # a nudge of the accepted registration (Edit > Undo takes it back): the MR follows
        document = window.annotation.document
        controller.panel.setFocus()
        with qtbot.waitSignal(document.planning_ct_changed):
            qtbot.keyClick(controller.panel, Qt.Key.Key_PageDown)  # +1 mm along y
        moved = document.case.planning_ct.matrix
        assert np.allclose(moved[:3, 3] - accepted[:3, 3], [0.0, 1.0, 0.0], atol=1e-5)
        _assert_views_through(mr_panel, _ct_to_mr(moved, clicked_ct))
        window.actions_by_id["undo"].trigger()
        _assert_views_through(mr_panel, _ct_to_mr(accepted, clicked_ct))
    finally:
        _finish(window)


def test_with_no_registration_the_other_side_stays_and_the_user_is_told(
    qtbot, window, unregistered_case
) -> None:
    data, truth = _known()
    controller = _open(qtbot, window, unregistered_case)
    try:
        mr_panel, ct_panel = _side_by_side(window, controller)
        assert controller.shown_matrix() is None
        messages = [window.messages.item(i).text() for i in range(window.messages.count())]
        assert any("the crosshair does not link them" in text for text in messages)
        lesion_mr = np.asarray(data["lesion"]["center_mm"], float)
        go_to(window, lesion_mr)
        mr_slices = _slices(mr_panel)
        assert "⚠ not linked to the CT: not registered" in mr_panel.header.toolTip()
        assert "⚠ not linked to the MR: not registered" in ct_panel.header.toolTip()

        # a click on the CT: the MR views do not move (raw CT millimetres would put them at
        # the MR's edge), and the status bar says why
        ct_point = window.viewer.point_for(ct_panel.volume)
        target_ct = ct_point + np.array([0.0, -10.0, 20.0])
        clicked_ct = _click_on(window, ct_panel, "sagittal", target_ct)
        assert _slices(mr_panel) == mr_slices
        assert np.allclose(window.viewer.point_for(mr_panel.volume), lesion_mr)
        _assert_views_through(ct_panel, clicked_ct)
        status = window.statusBar().currentMessage()
        assert status.startswith("The MR views did not move: the CT and the MR are in different")
        assert "not registered (Tools > Registration)" in status
        assert "another frame of reference, not registered" in window.point_label.toolTip()

        # and back: a click on the MR leaves the CT where it was
        ct_slices = _slices(ct_panel)
        _click_on(window, mr_panel, "sagittal", lesion_mr + np.array([0.0, 8.0, -16.0]))
        assert _slices(ct_panel) == ct_slices
        assert np.allclose(window.viewer.point_for(ct_panel.volume), clicked_ct)
        assert window.statusBar().currentMessage().startswith("The CT views did not move")

        # Register: from then on they are linked
        _set_body_pair(qtbot, window, controller.panel, data, truth)
        assert _run(qtbot, controller) == "succeeded"
        mr_panel, ct_panel = _side_by_side(window, controller)
        clicked_mr = _click_on(window, mr_panel, "sagittal", lesion_mr)
        _assert_views_through(ct_panel, _mr_to_ct(controller.pending, clicked_mr))
        assert "linked to the MR by the registration" in ct_panel.header.toolTip()
        assert "did not move" not in window.statusBar().currentMessage()  # not left over
        # a narrow header drops the note before the series' name
        ct_panel.resize(260, ct_panel.height())
        assert ct_panel.header.text() == "<b>RT PLANNING CT THORAX</b>"
    finally:
        _finish(window)


def test_a_ct_of_the_studys_own_frame_keeps_the_identity_link(qtbot, window) -> None:
    """Two series of one frame (the T1 and the T2 of the MR study) stay linked by position
    whatever registration is known for the CT."""
    controller = _open(qtbot, window, _case_path(4))
    try:
        t2 = next(
            k for k, i in window.infos.items() if k in window.volumes and "T2" in i.description
        )
        window.show_series(controller.panel.mr_combo.currentData(), 0)
        window.show_series(t2, 1)
        t1_panel, t2_panel = window.viewer.panels
        window.statusBar().clearMessage()
        target = window.viewer.point_for(t1_panel.volume) + np.array([0.0, 12.0, -20.0])
        clicked = _click_on(window, t2_panel, "sagittal", target)
        _assert_views_through(t1_panel, clicked)
        assert window.point_label.text().startswith("Crosshair MR LPS (")
        assert "linked to" not in t1_panel.header.toolTip()
        assert "did not move" not in window.statusBar().currentMessage()
    finally:
        _finish(window)
