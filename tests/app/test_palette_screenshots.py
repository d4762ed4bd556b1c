"""The views changed for issue 16 (items 7, 8: one palette, legends, labels clear of lines) at
1600x1000 and 1280x800, as in docs/plan_panel.md and docs/practice.md (written to
docs/screenshots when ``SPINEPLAN_WRITE_SCREENSHOTS`` is set)."""

from __future__ import annotations

import numpy as np
import pytest

from app.viewer.colours import qcolor
from planning.case import load_case
from planning.display import palette
from tests.app.annotation_helpers import go_to, view_of
from tests.app.test_plan_panel import _open_planned
from tests.app.test_practice_session import CASE, delineate, start_from_the_menu
from tests.app.test_truth_screenshots import SIZES, _save


def _pixels_of(widget, role) -> int:
    """Pixels of ``widget`` drawn exactly in the role's colour."""
    image = widget.grab().toImage()
    target = qcolor(role).rgb()
    return sum(
        image.pixel(x, y) == target
        for x in range(0, image.width(), 2)
        for y in range(0, image.height(), 2)
    )


@pytest.mark.parametrize("size", SIZES)
def test_screenshot_of_a_plan_in_the_palette(qtbot, window, tmp_path, size) -> None:
    window.resize(*size)
    panel, result = _open_planned(qtbot, window, 3)
    window.plan_dock.raise_()
    window.series_dock.hide()
    go_to(window, np.array(result.field.isocentre_mm))
    assert panel.wait_until_idle()
    qtbot.wait(300)
    sagittal = view_of(window, "sagittal")
    # the 95 % line and the field borders in the palette's colours on the sagittal view
    assert _pixels_of(sagittal, palette.ISODOSE_95) > 20
    assert _pixels_of(sagittal, palette.FIELD_BORDER) > 20
    path = _save(window, tmp_path, f"palette-plan-{size[0]}x{size[1]}.png")
    assert path.stat().st_size > 10_000


@pytest.mark.parametrize("size", SIZES)
def test_screenshot_of_a_scored_practice_in_the_palette(qtbot, window, tmp_path, size) -> None:
    window.resize(*size)
    start_from_the_menu(qtbot, window)
    delineate(qtbot, window, load_case(CASE), zoom=1.0)
    with qtbot.waitSignal(window.practice.scored, timeout=90_000):
        window.practice.submit()
    window.series_dock.hide()
    qtbot.wait(200)
    centre = np.array(load_case(CASE).lesion.center_mm)
    go_to(window, centre)
    for panel in (0, 1):
        sagittal = view_of(window, "sagittal", panel)
        sagittal.zoom_by(1.8, sagittal.patient_to_screen(centre))
    assert window.plan_panel.wait_until_idle()
    qtbot.wait(300)
    assert _pixels_of(view_of(window, "sagittal"), palette.REFERENCE_BORDER) > 20
    path = _save(window, tmp_path, f"palette-practice-{size[0]}x{size[1]}.png")
    assert path.stat().st_size > 10_000
