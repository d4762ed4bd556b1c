"""The Annotation dock (right dock area): one tab each for the Levels, Lesion and Edema panels,
each scrolled so that no panel forces the window wider than the screen. The recovery offer
sits above the Levels panel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QFrame, QScrollArea, QTabWidget, QVBoxLayout, QWidget

from app.annotation.edema_panel import EdemaPanel
from app.annotation.lesion_panel import LesionPanel
from app.annotation.levels_panel import LevelsPanel
from app.annotation.recovery_offer import RecoveryBar

if TYPE_CHECKING:
    from app.annotation.controller import AnnotationController

#: The tabs of the dock, in order (`AnnotationController.show_panel` takes these names).
PANEL_NAMES = ("Levels", "Lesion", "Edema")
#: Initial width of the dock, px.
DOCK_WIDTH_PX = 300


def build_dock(controller: AnnotationController) -> None:
    """Create the panels, the recovery bar, the tabs and the dock, and set them as the
    controller's ``levels_panel``, ``lesion_panel``, ``edema_panel``, ``recovery_bar`` (with
    ``recovery_label``, ``restore_button``, ``discard_button``), ``tabs``, ``dock`` and
    ``levels_dock``."""
    w = controller.window
    controller.levels_panel = LevelsPanel(w)
    controller.lesion_panel = LesionPanel(w)
    controller.edema_panel = EdemaPanel(w)
    controller.recovery_bar = RecoveryBar(w)
    controller.recovery_label = controller.recovery_bar.label
    controller.restore_button = controller.recovery_bar.restore_button
    controller.discard_button = controller.recovery_bar.discard_button
    levels_box = QWidget(w)
    box = QVBoxLayout(levels_box)
    box.setContentsMargins(0, 0, 0, 0)
    box.addWidget(controller.recovery_bar)
    box.addWidget(controller.levels_panel, 1)
    # one dock, one tab per panel: each panel gets the full height, and the tools bring
    # theirs to the front
    tabs = QTabWidget(w)
    tabs.setObjectName("AnnotationTabs")
    tabs.setDocumentMode(True)
    for widget, title in zip(
        (levels_box, controller.lesion_panel, controller.edema_panel), PANEL_NAMES, strict=True
    ):
        # scrolled, so that the panels never force the window wider than the screen
        scroll = QScrollArea(tabs)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(widget)
        tabs.addTab(scroll, title)
    controller.tabs = tabs
    dock = QDockWidget("Annotation", w)
    dock.setObjectName("AnnotationDock")
    dock.setWidget(tabs)
    w.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    controller.dock = dock
    #: other panels place themselves beside the annotation (the plan panel does)
    controller.levels_dock = dock
    w.resizeDocks([dock], [DOCK_WIDTH_PX], Qt.Orientation.Horizontal)
