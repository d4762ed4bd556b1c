"""The Body width tool: a ruler across a vertebral body sets the level's width, which the
field width follows; undo/redo, refusals, the Levels panel, the overlay, the case file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtTest import QTest

from app.annotation.overlays import LEVEL_COLOR
from app.annotation.width_tool import SAGITTAL_REFUSAL
from planning.anatomy.levels import VertebralLevel, find_level
from planning.case import Case, StudyReference, edits, load_case
from planning.case.settings import PlanSettings
from planning.errors import LabelError
from planning.field.derivation import DEFAULT_WIDTH_MM
from tests.app.annotation_helpers import drag, go_to, view_of

SAMPLES = Path(__file__).resolve().parents[2] / "sample_dicom"
CASE2 = SAMPLES / "case2" / "reference.spineplan.json"
PLAN_TIMEOUT_MS = 60_000
#: Inside T9 of sample case 2 (endplates at z -10.7 and -31.6 mm), through its body.
T9_Z_MM, BODY_Y_MM = -21.0, 30.0
#: In the disc space between T9 and T10 (T10's superior endplate is at z -36.9 mm).
DISC_Z_MM = -33.5


# -- the edits -----------------------------------------------------------------------------
def _state() -> Case:
    return Case(
        StudyReference(""),
        levels=(
            VertebralLevel("T8", 14.7, -5.8, (0.0, 30.0, 4.0)),
            VertebralLevel("T9", -10.7, -31.6, (0.0, 30.0, -21.0)),
        ),
    )


def test_measure_sets_the_left_right_width_of_the_level_containing_the_ruler() -> None:
    state, name = edits.measure_body_width(_state(), (-15.0, 30.0, -20.0), (17.04, 36.0, -22.0))
    assert name == "T9"
    t9 = find_level(state.levels, "T9")
    assert t9 is not None and t9.body_width_mm == 32.0  # |dx| to 0.1 mm, not the length
    assert find_level(state.levels, "T8").body_width_mm is None
    (ruler,) = state.width_rulers
    assert ruler.length_mm > ruler.width_mm and ruler.z_mm == -21.0
    # measuring again replaces the value and the ruler
    again, _ = edits.measure_body_width(state, (-14.0, 30.0, -25.0), (14.0, 30.0, -25.0))
    assert find_level(again.levels, "T9").body_width_mm == 28.0
    assert len(again.width_rulers) == 1 and again.width_rulers[0].width_mm == 28.0
    cleared = edits.clear_body_width(again, "T9")
    assert find_level(cleared.levels, "T9").body_width_mm is None and not cleared.width_rulers


def test_measure_refuses_outside_the_bodies_naming_the_nearest_and_short_rulers() -> None:
    with pytest.raises(LabelError, match=r"no labelled vertebral body; the nearest is T9"):
        edits.measure_body_width(_state(), (-15.0, 30.0, -34.0), (15.0, 30.0, -34.0))
    with pytest.raises(LabelError, match="the nearest is D8"):
        state = Case(StudyReference(""), levels=_state().levels, thoracic_prefix="D")
        edits.measure_body_width(state, (-15.0, 30.0, 40.0), (15.0, 30.0, 40.0))
    with pytest.raises(LabelError, match="from its left edge to its right edge"):
        edits.measure_body_width(_state(), (0.0, 20.0, -20.0), (1.0, 40.0, -20.0))
    with pytest.raises(LabelError, match="label the vertebral levels"):
        edits.measure_body_width(Case(StudyReference("")), (0.0, 0.0, 0.0), (20.0, 0.0, 0.0))


# -- in the window -------------------------------------------------------------------------
def _count_colour(image: QImage, color: QColor) -> int:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height, stride = image.width(), image.height(), image.bytesPerLine()
    data = np.frombuffer(image.constBits(), dtype=np.uint8, count=stride * height)
    rgb = data.reshape(height, stride)[:, : width * 3].reshape(height, width, 3).astype(int)
    target = np.array([color.red(), color.green(), color.blue()])
    return int((np.abs(rgb - target).sum(axis=2) <= 6).sum())


def _t9(window) -> VertebralLevel:
    level = find_level(window.annotation.document.case.levels, "T9")
    assert level is not None
    return level


@pytest.fixture
def planned(qtbot, window):
    """Sample case 2 (a T9 lesion, PA field T8-T10) open with its first plan shown."""
    if not CASE2.exists():
        pytest.skip("sample cases not generated")
    panel = window.plan_panel
    panel.grid_spacing_mm = 3.0  # coarser than the GUI's default: quicker
    with (
        qtbot.waitSignal(panel.plan_updated, timeout=PLAN_TIMEOUT_MS),
        qtbot.waitSignal(window.load_finished, timeout=PLAN_TIMEOUT_MS),
    ):
        window.open_path(CASE2)
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=PLAN_TIMEOUT_MS)
    go_to(window, (-2.5, BODY_Y_MM, T9_Z_MM))
    qtbot.wait(20)
    return window


def test_a_ruler_on_the_axial_view_sets_t9_width_and_the_field_width(qtbot, planned, tmp_path):
    window = planned
    annotation, panel = window.annotation, window.plan_panel
    assert panel.field.width_mm == DEFAULT_WIDTH_MM["PA"]
    assert any("no vertebral body width measured" in a for a in panel.field.assumptions)

    # Shift+W chooses the tool; it brings the Levels tab (with its button) to the front
    axial = view_of(window, "axial")
    QTest.keyClick(axial, Qt.Key.Key_W, Qt.KeyboardModifier.ShiftModifier)
    assert window.actions_by_id["tool_body_width"].isChecked()
    assert annotation.tabs.tabText(annotation.tabs.currentIndex()) == "Levels"
    before = _count_colour(axial.grab().toImage(), LEVEL_COLOR)

    with qtbot.waitSignal(panel.field_updated, timeout=5000) as live:
        drag(axial, (-15.0, BODY_Y_MM, T9_Z_MM), (15.0, BODY_Y_MM, T9_Z_MM))
    width = _t9(window).body_width_mm
    assert width == pytest.approx(30.0, abs=1.0)  # a screen pixel is about half a mm
    assert window.actions_by_id["undo"].text() == f"&Undo Measure T9 body width {width:.1f} mm"
    assert window.viewer.tool is annotation.tools["tool_body_width"]

    # the field width follows: widest body in the field + the width margin each side
    margin = PlanSettings().width_margin_mm  # the sample case keeps the default
    field = live.args[0]
    assert field.width_mm == pytest.approx(width + 2 * margin)
    assert any(
        f"the widest vertebral body in the field (T9, {width:.1f} mm)" in a
        for a in field.assumptions
    )
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=PLAN_TIMEOUT_MS)
    qtbot.waitUntil(
        lambda: panel.result is not None and panel.result.field.width_mm == field.width_mm,
        timeout=PLAN_TIMEOUT_MS,
    )
    assert panel.width_spin.value() == pytest.approx(field.width_mm, abs=0.05)
    assert f"(T9, {width:.1f} mm)" in panel.notes_label.text()

    # the Levels panel lists it, and shows the selected body's width
    levels = annotation.levels_panel
    t9_row = next(t for t in levels.level_texts() if t.startswith("T9"))
    assert t9_row.endswith(f"width {width:.1f} mm")
    assert levels.selected_name() == "T9"
    assert f"T9 width: {width:.1f} mm" in levels.width_label.text()

    # the ruler is drawn on the axial view of T9, in the levels' colour, not on the sagittal
    item = next(i for i in window.viewer.overlays.items() if i.name == "Body widths")
    assert item.texts == [f"{width:.1f} mm"]
    assert item.planes == frozenset({"axial", "coronal"})
    qtbot.wait(20)
    assert _count_colour(axial.grab().toImage(), LEVEL_COLOR) > before + 20

    # undo / redo
    with qtbot.waitSignal(panel.field_updated, timeout=5000) as undone:
        window.actions_by_id["undo"].trigger()
    assert _t9(window).body_width_mm is None
    assert undone.args[0].width_mm == DEFAULT_WIDTH_MM["PA"]
    assert not any(i.name == "Body widths" for i in window.viewer.overlays.items())
    window.actions_by_id["redo"].trigger()
    assert _t9(window).body_width_mm == width

    # the width survives a save and a reload of the case file
    saved = annotation.save_as(tmp_path / "measured.spineplan.json")
    assert saved is not None
    assert find_level(load_case(saved).levels, "T9").body_width_mm == width
    with qtbot.waitSignal(window.load_finished, timeout=PLAN_TIMEOUT_MS):
        window.open_path(saved)
    assert _t9(window).body_width_mm == width
    assert not window.annotation.document.case.width_rulers  # drawn centred on the body now
    assert any(i.name == "Body widths" for i in window.viewer.overlays.items())
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=PLAN_TIMEOUT_MS)


def test_sagittal_views_and_rulers_outside_the_bodies_are_refused(qtbot, planned):
    window = planned
    annotation = window.annotation
    annotation.activate_tool("tool_body_width")
    stack = annotation.document.undo_stack
    edits_before = stack.count()
    point = window.viewer.point_mm.copy()

    drag(view_of(window, "sagittal"), (-2.5, 20.0, T9_Z_MM), (-2.5, 40.0, T9_Z_MM))
    assert stack.count() == edits_before
    assert SAGITTAL_REFUSAL in window.message_texts("warning")
    assert _t9(window).body_width_mm is None
    assert np.allclose(window.viewer.point_mm, point)  # nor did the refused drag move it

    go_to(window, (-2.5, BODY_Y_MM, DISC_Z_MM))
    qtbot.wait(20)
    drag(view_of(window, "axial"), (-15.0, BODY_Y_MM, DISC_Z_MM), (15.0, BODY_Y_MM, DISC_Z_MM))
    assert stack.count() == edits_before
    refusal = window.message_texts("warning")[-1]
    assert refusal.startswith("Body width not measured")
    assert "no labelled vertebral body; the nearest is T9" in refusal

    # on the coronal view it is measured; the Levels panel's Clear width undoes the value
    go_to(window, (-2.5, BODY_Y_MM, T9_Z_MM))
    qtbot.wait(20)
    drag(view_of(window, "coronal"), (-14.0, BODY_Y_MM, T9_Z_MM), (14.0, BODY_Y_MM, T9_Z_MM))
    assert _t9(window).body_width_mm == pytest.approx(28.0, abs=1.0)
    levels = annotation.levels_panel
    levels.select("T9")
    assert levels.clear_width.isEnabled()
    levels.clear_width.click()
    assert _t9(window).body_width_mm is None
    assert window.actions_by_id["undo"].text() == "&Undo Clear T9 body width"
    assert not levels.clear_width.isEnabled()
    assert "not measured" in levels.width_label.text()
    qtbot.waitUntil(lambda: not window.plan_panel.runner.busy, timeout=PLAN_TIMEOUT_MS)
