"""The views changed for issue 16 (items 4, 5, 9) at 1600x1000 and 1280x800, as in
docs/plan_panel.md and docs/annotation.md (written to docs/screenshots when
``SPINEPLAN_WRITE_SCREENSHOTS`` is set)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.app.annotation_helpers import go_to
from tests.app.test_plan_panel import _edit_and_wait, _open_planned

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SIZES = [(1600, 1000), (1280, 800)]


def _save(window, tmp_path: Path, name: str) -> Path:
    return save_picture(window.grab(), tmp_path, name)


def grab_with(window, *widgets, centred: bool = False):
    """The window with ``widgets`` (dialogs, menus: each its own top-level window) painted over
    it, as on the screen: at their place on the screen, or centred over the window."""
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QPainter

    shot = window.grab()
    painter = QPainter(shot)
    try:
        for widget in widgets:
            picture = widget.grab()
            if centred:
                corner = QPoint(
                    (shot.width() - picture.width()) // 2, (shot.height() - picture.height()) // 2
                )
            else:
                corner = widget.mapToGlobal(QPoint(0, 0)) - window.mapToGlobal(QPoint(0, 0))
            painter.drawPixmap(corner, picture)
    finally:
        painter.end()
    return shot


def save_picture(picture, tmp_path: Path, name: str) -> Path:
    """Save ``picture`` (a QPixmap) as ``tmp_path / name``; also into docs/screenshots when
    ``SPINEPLAN_WRITE_SCREENSHOTS`` is set."""
    path = tmp_path / name
    assert picture.save(str(path))
    if os.environ.get("SPINEPLAN_WRITE_SCREENSHOTS"):
        shutil.copyfile(path, SCREENSHOTS / name)
    return path


@pytest.mark.parametrize("size", SIZES)
def test_screenshot_of_a_tight_margin(qtbot, window, tmp_path, size) -> None:
    window.resize(*size)
    panel, _ = _open_planned(qtbot, window, 3)
    tight = _edit_and_wait(qtbot, panel, lambda: panel.margin_spin.setValue(-38.0))
    window.plan_dock.raise_()
    window.series_dock.hide()
    go_to(window, np.array(tight.field.isocentre_mm))
    assert panel.wait_until_idle()
    qtbot.wait(300)
    assert panel.number("Field levels").startswith("T10-T11 (")
    path = _save(window, tmp_path, f"plan-tight-margin-{size[0]}x{size[1]}.png")
    assert path.stat().st_size > 10_000


@pytest.mark.parametrize("size", SIZES)
def test_screenshot_of_a_thoracolumbar_count(qtbot, window, tmp_path, size) -> None:
    window.resize(*size)
    _open_planned(qtbot, window, 3)
    annotation = window.annotation
    annotation.show_panel("Levels")
    for level, kind in (("T12", "lowest_rib"), ("L1", "first_lumbar"), ("L1", "conus_tip")):
        annotation.select_level(level)
        annotation.levels_panel.anchor_requested.emit(kind, level)
    annotation.select_level("T12")
    annotation.levels_dock.raise_()
    annotation.show_panel("Levels")
    window.series_dock.hide()
    assert window.plan_panel.wait_until_idle()
    qtbot.wait(300)
    assert "Confidence in the count: probable" in annotation.levels_panel.sentence.text()
    path = _save(window, tmp_path, f"counting-thoracolumbar-{size[0]}x{size[1]}.png")
    assert path.stat().st_size > 10_000
