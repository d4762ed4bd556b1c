"""The Annotation dock (right dock area): one tab each for the Levels, Lesion and Edema panels,
each scrolled so that no panel forces the window wider than the screen. The recovery offer
sits above the Levels panel.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QMainWindow,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.annotation.edema_panel import EdemaPanel
from app.annotation.lesion_panel import LesionPanel
from app.annotation.levels_panel import LevelsPanel
from app.annotation.recovery_offer import RecoveryBar

#: The tabs of the dock, in order (`AnnotationController.show_panel` takes these names).
PANEL_NAMES = ("Levels", "Lesion", "Edema")
#: Initial width of the dock, px.
DOCK_WIDTH_PX = 300


@dataclass(frozen=True)
class AnnotationDock:
    """The Annotation dock and what it holds."""

    levels_panel: LevelsPanel
    lesion_panel: LesionPanel
    edema_panel: EdemaPanel
    recovery_bar: RecoveryBar
    tabs: QTabWidget
    dock: QDockWidget

    def show_panel(self, name: str) -> None:
        """Bring the "Levels", "Lesion" or "Edema" tab to the front, and the Annotation dock
        in front of the Plan (and Practice) tabs it shares its column with."""
        self.dock.show()
        self.dock.raise_()
        self.tabs.setCurrentIndex(PANEL_NAMES.index(name))


def build_dock(w: QMainWindow) -> AnnotationDock:
    """Create the panels, the recovery bar, the tabs and the dock, in ``w``'s right dock
    area."""
    levels_panel = LevelsPanel(w)
    lesion_panel = LesionPanel(w)
    edema_panel = EdemaPanel(w)
    recovery_bar = RecoveryBar(w)
    levels_box = QWidget(w)
    box = QVBoxLayout(levels_box)
    box.setContentsMargins(0, 0, 0, 0)
    box.addWidget(recovery_bar)
    box.addWidget(levels_panel, 1)
    # one dock, one tab per panel: each panel gets the full height, and the tools bring
    # theirs to the front
    tabs = QTabWidget(w)
    tabs.setObjectName("AnnotationTabs")
    tabs.setDocumentMode(True)
    for widget, title in zip((levels_box, lesion_panel, edema_panel), PANEL_NAMES, strict=True):
        # scrolled, so that the panels never force the window wider than the screen
        scroll = QScrollArea(tabs)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(widget)
        tabs.addTab(scroll, title)
    dock = QDockWidget("Annotation", w)
    dock.setObjectName("AnnotationDock")
    dock.setWidget(tabs)
    w.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    w.resizeDocks([dock], [DOCK_WIDTH_PX], Qt.Orientation.Horizontal)
    return AnnotationDock(levels_panel, lesion_panel, edema_panel, recovery_bar, tabs, dock)
