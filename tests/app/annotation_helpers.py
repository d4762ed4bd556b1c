"""Mouse gestures on the real views at positions computed from patient mm."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

LEFT = Qt.MouseButton.LeftButton
NO_MODIFIER = Qt.KeyboardModifier.NoModifier


def view_of(window, plane: str = "sagittal", panel: int = 0):
    return window.viewer.panels[panel].view_for(plane)


def screen_point(view, xyz_mm) -> QPoint:
    """Where the patient point lies on ``view`` (it must be on the view's slice or near it)."""
    # Pending layout changes (docks appearing, plans arriving) resize the views: let them
    # happen before turning millimetres into pixels.
    QApplication.processEvents()
    return view.patient_to_screen(np.asarray(xyz_mm, dtype=float)).toPoint()


def go_to(window, xyz_mm) -> None:
    """Move the linked point so every view shows the slices through ``xyz_mm``."""
    window.viewer.set_point(np.asarray(xyz_mm, dtype=float))


def click(view, xyz_mm) -> None:
    QTest.mouseClick(view, LEFT, NO_MODIFIER, screen_point(view, xyz_mm))


def drag(view, start_mm, end_mm, steps: int = 6) -> None:
    """Press at ``start_mm``, move in ``steps`` to ``end_mm`` with the button held, release."""
    start, end = np.asarray(start_mm, float), np.asarray(end_mm, float)
    QTest.mousePress(view, LEFT, NO_MODIFIER, screen_point(view, start))
    for t in np.linspace(0, 1, steps + 1)[1:]:
        QTest.mouseMove(view, screen_point(view, start + t * (end - start)))
    QTest.mouseRelease(view, LEFT, NO_MODIFIER, screen_point(view, end))
