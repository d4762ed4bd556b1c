"""A whole practice session through the GUI on sample case 3: open it from Tools > Practice,
label levels by clicks, place the lesion with the ellipsoid tool, mark the edema by a drag,
submit, and read the score sheet, the history and the reference drawn on the views."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from app.practice.cases import SAMPLE_ROOT, load_reference_case
from app.practice.comparison import REFERENCE_LESION_COLOR, REFERENCE_PREFIX
from app.practice.dialog import PracticeDialog
from planning.case import load_case
from planning.practice.history import load_history
from tests.app.annotation_helpers import click, drag, go_to, view_of
from tests.app.conftest import open_and_wait

CASE = SAMPLE_ROOT / "case3" / "reference.spineplan.json"
pytestmark = pytest.mark.skipif(not CASE.is_file(), reason="sample case 3 is not generated")


def reference_items(window):
    return [i for i in window.viewer.overlays.items() if i.name.startswith(REFERENCE_PREFIX)]


def violet_pixels(view) -> int:
    """Pixels of ``view`` drawn in the reference lesion's colour (its outline)."""
    image = view.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    width, height, stride = image.width(), image.height(), image.bytesPerLine()
    data = np.frombuffer(image.constBits(), dtype=np.uint8, count=stride * height)
    rgb = data.reshape(height, stride)[:, : width * 3].reshape(height, width, 3).astype(int)
    target = REFERENCE_LESION_COLOR
    close = np.abs(rgb - np.array([target.red(), target.green(), target.blue()])) < 40
    return int(close.all(axis=2).sum())


NAMES = ["T8", "T9", "T10", "T11", "T12", "L1"]


def delineate(qtbot, window, reference, zoom: float) -> None:
    """What a trainee does, with the mouse on the sagittal view: label T8..L1 by clicks at the
    middle of the bodies, drag an ellipsoid from the lesion's centre to its radii, and drag the
    edema from its superior limit to 25 mm (about one level) above its inferior limit."""
    annotation = window.annotation
    lesion = reference.lesion
    centre = np.array(lesion.center_mm)
    go_to(window, centre)
    sagittal = view_of(window)
    sagittal.zoom_by(zoom)  # x2: one screen pixel = 0.6 mm, clicks land within a fraction of a mm
    go_to(window, centre)
    qtbot.wait(20)
    annotation.levels_panel.first_name.setCurrentText(NAMES[0])
    annotation.activate_tool("tool_levels")
    by_name = {lv.name: lv for lv in reference.levels}
    for name in NAMES:
        click(sagittal, (centre[0], centre[1] - 25, by_name[name].middle_z_mm))
    annotation.activate_tool("tool_ellipsoid")
    radii = np.array(lesion.radii_mm)
    drag(sagittal, centre, centre + np.array([0.0, radii[1], radii[2]]))
    annotation.activate_tool("tool_edema")
    edema = reference.edema
    drag(
        sagittal,
        (centre[0], centre[1], edema.superior_z_mm),
        (centre[0], centre[1], edema.inferior_z_mm + 25.0),
    )


def start_from_the_menu(qtbot, window) -> None:
    """Tools > Practice…, choose sample case 3 in the dialog, start."""

    def choose() -> None:
        dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, PracticeDialog))
        labels = [dialog.list.item(r).text() for r in range(dialog.list.count())]
        dialog.list.setCurrentRow(labels.index("Sample case3"))
        dialog.accept()

    QTimer.singleShot(200, choose)
    with qtbot.waitSignal(window.load_finished, timeout=30_000):
        window.actions_by_id["practice"].trigger()


def test_a_whole_practice_session_on_sample_case_3(qtbot, window, tmp_path):
    practice = window.practice
    reference = load_case(CASE)
    start_from_the_menu(qtbot, window)
    qtbot.wait(50)
    annotation = window.annotation
    document = annotation.document

    # practice mode: empty annotation, reference hidden, the bar names the case
    assert practice.active and practice.case.label == "Sample case3"
    assert practice.bar.isVisible()
    assert "Sample case3" in practice.bar_label.text()
    assert "reference is hidden" in practice.bar_label.text()
    assert practice.submit_button.isEnabled()
    assert document.case.is_empty()
    assert not annotation.reference_layers.items
    assert not annotation.reference_action.isEnabled()
    assert reference_items(window) == []

    delineate(qtbot, window, reference, zoom=2.0)
    lesion, edema = reference.lesion, reference.edema
    centre = np.array(lesion.center_mm)
    assert [lv.name for lv in document.case.levels] == NAMES
    placed = document.case.lesion
    assert placed is not None and placed.center_mm == pytest.approx(lesion.center_mm, abs=1.0)
    marked = document.case.edema
    assert marked is not None
    expected_inferior_mm = marked.inferior_z_mm - edema.inferior_z_mm
    assert expected_inferior_mm == pytest.approx(25.0, abs=1.0)

    axial = view_of(window, "axial")
    go_to(window, centre)
    qtbot.wait(50)
    assert violet_pixels(axial) == 0  # before Submit: no reference anywhere

    with qtbot.waitSignal(practice.scored, timeout=90_000) as blocker:
        qtbot.mouseClick(practice.submit_button, Qt.MouseButton.LeftButton)
    outcome = blocker.args[0]
    sheet = outcome.sheet

    # the score sheet: verdict, numbers with units, feedback in words
    assert sheet.verdict == "pass"  # only the (non-critical) edema limit is off
    view = practice.sheet_view
    assert practice.dock.isVisible() and practice.tabs.currentIndex() == 0
    assert view.verdict.text().startswith("PASS: ")
    assert f"{sheet.score_percent:.0f} % of the checks passed" in view.verdict.text()
    rows = {part: (numbers, mark) for part, numbers, mark in view.row_texts()}
    assert rows["Lesion level"] == ("T10-T11 (reference T10-T11): exact match", "✔")
    numbers, mark = rows["Edema inferior limit"]
    assert mark == "✘"
    shown_mm = float(re.match(r"([+-]\d+\.\d) mm", numbers).group(1))
    assert shown_mm == pytest.approx(expected_inferior_mm, abs=0.06)
    assert rows["Edema superior limit"][1] == "✔"
    assert rows["Field superior border"][1] == "✔" and rows["Field inferior border"][1] == "✔"
    assert rows["Arrangement"][1] == "✔"
    assert re.fullmatch(r"Dice 0\.\d\d, HD95 \d+\.\d mm", rows["Lesion contour"][0])
    assert rows["Your field on the reference lesion"] == ("V95 100.0 %", "✔")
    feedback = view.feedback.text()
    assert "edema inferior limit 25 mm" in feedback and "too high" in feedback
    assert "T12" in feedback
    assert "scored <b>PASS</b>" in practice.bar_label.text()
    assert not practice.submit_button.isEnabled()

    # the attempt is kept as a case file and recorded in the history
    assert practice.attempt_path is not None and practice.attempt_path.is_file()
    saved = load_case(practice.attempt_path)
    assert [lv.name for lv in saved.levels] == NAMES
    attempts = load_history().attempts
    assert len(attempts) == 1 and attempts[0].case_label == "Sample case3"
    assert attempts[0].verdict == "pass"
    assert practice.history_panel.case_rows()[0][:3] == ["Sample case3", "1", "1"]
    assert len(practice.history_panel.plot.points()) == 1

    # the reference is drawn over the trainee's marks, in its own colours, on every view
    items = reference_items(window)
    kinds = {item.kind for item in items}
    assert {"mask", "level names", "endplates", "reference height line"} <= kinds
    assert all(item.visible for item in items)
    lesion_item = next(item for item in items if item.kind == "mask")
    assert lesion_item.color == REFERENCE_LESION_COLOR != annotation.layers.lesion_item.color
    assert lesion_item.planes is None  # sagittal, axial and coronal alike
    lines = [item.name for item in items if item.kind == "reference height line"]
    assert any("edema inferior" in n for n in lines) and any("field superior" in n for n in lines)
    qtbot.wait(50)
    assert violet_pixels(axial) > 0
    assert len(view.legend.entries()) >= 8

    # the trainee can hide and show the reference from the sheet
    view.show_reference.setChecked(False)
    assert not any(item.visible for item in reference_items(window))
    view.show_reference.setChecked(True)
    assert all(item.visible for item in reference_items(window))

    # End leaves practice mode
    qtbot.mouseClick(practice.end_button, Qt.MouseButton.LeftButton)
    assert not practice.active and not practice.bar.isVisible()
    assert practice.comparison.items == []
    # back in normal mode the sample's bundled reference layer (green) may show again
    assert annotation.reference_allowed and annotation.reference_action.isEnabled()
    assert annotation.reference_layers.items


def test_a_case_file_that_is_not_a_reference_cannot_be_practised(qtbot, tmp_path):
    attempt = tmp_path / "mine.spineplan.json"
    text = CASE.read_text().replace('"reference": true', '"reference": false')
    attempt.write_text(text.replace('"path": "."', f'"path": "{CASE.parent}"'))
    dialog = PracticeDialog(cases=[])
    qtbot.addWidget(dialog)
    assert dialog.list.count() == 0 and "No sample case" in dialog.error.text()
    assert not dialog.add_file(attempt)
    assert '"reference": true' in dialog.error.text() and str(attempt) in dialog.error.text()
    reference = tmp_path / "ref.spineplan.json"
    reference.write_text(CASE.read_text().replace('"path": "."', f'"path": "{CASE.parent}"'))
    assert dialog.add_file(reference)
    assert dialog.list.currentItem().text() == f"{tmp_path.name}/ref.spineplan.json"


def test_the_dialog_lists_the_sample_cases(qtbot):
    dialog = PracticeDialog()
    qtbot.addWidget(dialog)
    labels = [dialog.list.item(r).text() for r in range(dialog.list.count())]
    expected = sorted(f"Sample {p.parent.name}" for p in SAMPLE_ROOT.glob("*/reference.*.json"))
    assert labels == expected and "Sample case3" in labels


def test_opening_another_study_ends_the_practice(qtbot, window, study):
    practice = window.practice
    with qtbot.waitSignal(window.load_finished, timeout=30_000):
        practice.start(load_reference_case(CASE))
    assert practice.active
    with qtbot.waitSignal(practice.ended, timeout=30_000):
        open_and_wait(qtbot, window, study.folder)
    assert not practice.active and window.annotation.reference_allowed


def test_screenshot_of_a_scored_attempt(qtbot, window, tmp_path):
    """The window after Submit, as in docs/practice.md (written there when
    ``SPINEPLAN_WRITE_SCREENSHOTS`` is set)."""
    window.resize(1600, 1000)
    start_from_the_menu(qtbot, window)
    delineate(qtbot, window, load_case(CASE), zoom=1.0)
    with qtbot.waitSignal(window.practice.scored, timeout=90_000):
        window.practice.submit()
    window.series_dock.hide()
    qtbot.wait(200)  # the docks shown and hidden re-lay the views out: zoom on the final size
    centre = np.array(load_case(CASE).lesion.center_mm)
    go_to(window, centre)
    for panel in (0, 1):
        sagittal = view_of(window, "sagittal", panel)
        sagittal.zoom_by(1.8, sagittal.patient_to_screen(centre))
    assert window.plan_panel.wait_until_idle()
    qtbot.wait(300)
    path = tmp_path / "practice.png"
    assert window.grab().save(str(path))
    assert violet_pixels(window) > 100
    if os.environ.get("SPINEPLAN_WRITE_SCREENSHOTS"):
        target = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "practice.png"
        shutil.copyfile(path, target)


def test_opening_a_case_file_ends_the_practice(qtbot, window):
    """Opening the reference case itself would show the answer: practice ends first."""
    practice = window.practice
    with qtbot.waitSignal(window.load_finished, timeout=30_000):
        practice.start(load_reference_case(CASE))
    with qtbot.waitSignal(practice.ended, timeout=30_000):
        open_and_wait(qtbot, window, CASE)
    assert not practice.active
    assert any("Practice ended" in m for m in window.message_texts())
