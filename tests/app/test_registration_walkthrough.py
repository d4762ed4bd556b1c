"""What a clinician stumbled on registering sample case 4 in a real window under Xvfb
(docs/registration.md): File > Open planning CT… seemed to do nothing, a reopened case's
registration was called "Not registered yet.", nudges before Accept could not be taken back
without knowing how far they had gone, and the MR's level names piled up on the CT's small
sagittal view."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPainter

import app.registration.controller as controller_module
from app.viewer.overlays import LabelOverlay
from tests.app.test_plan_panel import PLAN_TIMEOUT_MS, _case_path
from tests.app.test_registration_panel import (
    _finish,
    _known,
    _open,
    _run,
    _set_body_pair,
    _to_ct,
    write_unregistered_case,
)
from tests.app.test_view_labels import view_context


@pytest.fixture
def unregistered_case(tmp_path: Path) -> Path:
    return write_unregistered_case(tmp_path)


def test_open_planning_ct_starts_in_the_study_folder_and_shows_the_panel(
    qtbot, window, unregistered_case, monkeypatch
) -> None:
    """The menu command opens its folder dialog in the MR study's folder and, once the CT is
    added, brings the Registration panel forward and says so on the status bar."""
    asked: list[str] = []

    def choose(_parent, _caption, start: str = "") -> str:
        asked.append(start)
        return str(_case_path(4).parent / "PLANNING_CT")

    monkeypatch.setattr(controller_module.QFileDialog, "getExistingDirectory", choose)
    with qtbot.waitSignal(window.load_finished, timeout=PLAN_TIMEOUT_MS):
        window.open_path(unregistered_case)
    controller = window.registration
    try:
        assert not controller.dock.toggleViewAction().isChecked()
        window.actions_by_id["open_planning_ct"].trigger()
        assert asked == [str(_case_path(4).parent)]
        assert controller.dock.toggleViewAction().isChecked()
        assert controller.panel.ct_combo.currentText() == "#2 RT PLANNING CT THORAX"
        status = window.statusBar().currentMessage()
        assert status == "Planning CT added: #2 RT PLANNING CT THORAX"
    finally:
        _finish(window)


def test_a_reopened_case_says_its_registration_is_the_one_shown(qtbot, window) -> None:
    """Sample case 4 as bundled holds an accepted registration: the Result line says it is the
    one fused on the CT views, not "Not registered yet."; without a registration it says so."""
    controller = _open(qtbot, window, _case_path(4))
    try:
        text = controller.panel.quality_label.text()
        assert "Not registered yet" not in text
        assert text.startswith("The case's accepted registration is fused on the CT views")
        # Edit > Undo is not involved: choosing no CT shows nothing fused, and says so
        controller.panel.ct_combo.setCurrentIndex(-1)
        assert controller.panel.quality_label.text() == "Not registered yet."
    finally:
        _finish(window)


def test_nudges_before_accept_say_how_far_they_have_gone_in_all(
    qtbot, window, unregistered_case
) -> None:
    """Before Accept there is no Edit > Undo for a nudge: the status line gives the total since
    Register at the lesion, so the opposite keys can bring it back to the computed result."""
    data, truth = _known()
    controller = _open(qtbot, window, unregistered_case)
    panel = controller.panel
    try:
        _set_body_pair(qtbot, window, panel, data, truth)
        assert _run(qtbot, controller) == "succeeded"
        panel.setFocus()
        qtbot.keyClick(panel, Qt.Key.Key_Right)
        qtbot.keyClick(panel, Qt.Key.Key_Right)
        qtbot.keyClick(panel, Qt.Key.Key_Up)
        assert panel.status_label.text() == (
            "Nudged +1 mm along z; in all since Register: x +2.0, y +0.0, z +1.0 mm at the "
            "lesion, rotated 0.0°; the opposite key takes a nudge back. Accept stores it."
        )
        qtbot.keyClick(panel, Qt.Key.Key_Up, Qt.KeyboardModifier.ShiftModifier)
        assert "rotated 0.5°" in panel.status_label.text()
        qtbot.keyClick(panel, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
        qtbot.keyClick(panel, Qt.Key.Key_Down)
        qtbot.keyClick(panel, Qt.Key.Key_Left)
        qtbot.keyClick(panel, Qt.Key.Key_Left)
        assert panel.status_label.text() == (
            "Nudged -1 mm along x; back at the computed registration. Accept stores it."
        )
        assert np.allclose(controller.pending, controller.result.matrix_moving_to_fixed)
    finally:
        _finish(window)


def test_the_mr_level_names_on_a_zoomed_out_ct_view_never_pile_up(qtbot, window) -> None:
    """Sample case 4's CT sagittal view beside its axial one is small: the MR's nine level
    names (8 pt, about a line apart there) are shown where they fit and left out where they
    would overlap a name or the view's text; zoomed in, all nine are shown."""
    controller = _open(qtbot, window, _case_path(4))
    try:
        window.show_series(controller.panel.ct_combo.currentData())
        view = window.viewer.panels[0].view_for("sagittal")
        names = [
            item
            for item in window.viewer.overlays.items()
            if isinstance(item, LabelOverlay) and item.name.endswith(" on the CT")
        ]
        assert [n.text for n in names] == [f"MR T{n}" for n in range(1, 10)]

        def placed() -> tuple[list[str], list]:
            context = view_context(view)  # the corner text and letters reserved
            reserved = len(context.occupied)
            image = QImage(view.width(), view.height(), QImage.Format.Format_RGB32)
            painter = QPainter(image)
            try:
                for name in names:
                    name.reserve(painter, context)
            finally:
                painter.end()
            # a name not claiming its place is drawn whatever it covers
            texts = [n.text for n in names if context.labels.get(id(n), True)]
            return texts, context.occupied[reserved:]

        texts, boxes = placed()
        assert 1 < len(texts) < len(names)
        assert not any(a.intersects(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
        view.zoom_by(4.0)
        texts, boxes = placed()
        assert texts == [n.text for n in names]
        assert not any(a.intersects(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    finally:
        _finish(window)


def test_the_automatic_search_says_when_no_other_level_competes(
    qtbot, window, unregistered_case
) -> None:
    """Sample case 4 without a point pair: every start of the search, the neighbouring levels
    included, ends at one alignment (the right one), so the quality figures name no runner-up;
    the Result box says so and still asks for the level to be checked."""
    data, truth = _known()
    controller = _open(qtbot, window, unregistered_case)
    try:
        assert _run(qtbot, controller) == "succeeded"
        result = controller.result
        assert result.initialisation == "automatic" and not result.alternatives
        lesion = np.asarray(data["lesion"]["center_mm"], float)
        assert (
            np.linalg.norm(_to_ct(result.matrix_moving_to_fixed, lesion) - _to_ct(truth, lesion))
            < 2.0
        )
        text = controller.panel.quality_label.text()
        assert text.startswith(result.quality_text)
        assert "ended at this alignment every time: no other level competes" in text
        assert "Check the level on the fused views" in text and "point pair" in text
        assert controller.panel.accept_button.isEnabled()
    finally:
        _finish(window)


def test_register_and_accept_stay_in_place_when_the_texts_above_them_grow(qtbot) -> None:
    """A clinician missed Register once: the point text above it had grown from one line to
    three between two clicks and moved it. The texts above the buttons keep their room."""
    from app.registration.panel import RegistrationPanel

    panel = RegistrationPanel()
    qtbot.addWidget(panel)
    panel.resize(360, 900)
    panel.show()
    qtbot.waitExposed(panel)

    def places() -> tuple[int, int]:
        panel.layout().activate()
        return (
            panel.register_button.mapTo(panel, panel.register_button.rect().topLeft()).y(),
            panel.accept_button.mapTo(panel, panel.accept_button.rect().topLeft()).y(),
        )

    before = places()
    long_text = "A long line of text that wraps over the narrow dock, " * 3
    for label in (panel.points_label, panel.region_label, panel.status_label):
        label.setText(long_text)
    panel.quality_label.setText(long_text)
    assert places() == before
