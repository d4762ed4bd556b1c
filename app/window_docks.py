"""The main window's docks: Series, Messages, Layers and Plan, and their default sizes.

The Plan panel sits as a tab beside the annotation panels in one right-hand column: three
columns (annotation, plan, practice) would leave the images a third of the window, one tabbed
column leaves them most of it. The user can still drag the docks apart, and the saved window
state (`app.window_settings`) restores their own arrangement.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QListView, QListWidget, QWidget

from app.plan_panel import PlanPanel
from app.series_browser import SeriesBrowser

if TYPE_CHECKING:
    from app.main_window import MainWindow

#: width of the one right-hand column holding the Annotation, Plan and Practice tabs
RIGHT_DOCK_WIDTH_PX = 380
#: the Series list still shows its thumbnails and wrapped descriptions at this width
SERIES_DOCK_MIN_PX = 200


def build_docks(window: MainWindow) -> None:
    """Make the docks and their widgets, set as ``browser``, ``messages``, ``layers``,
    ``plan_panel`` and ``*_dock`` attributes of the window."""
    window.browser = SeriesBrowser(window)
    # the descriptions wrap to the dock's width, whatever it is: no sideways scrolling
    window.browser.setResizeMode(QListView.ResizeMode.Adjust)
    window.browser.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    window.series_dock = add_dock(
        window, "Series", "SeriesDock", window.browser, Qt.DockWidgetArea.LeftDockWidgetArea
    )
    window.messages = QListWidget(window)
    window.messages.setObjectName("MessagesList")
    window.messages.setWordWrap(True)
    window.messages_dock = add_dock(
        window, "Messages", "MessagesDock", window.messages, Qt.DockWidgetArea.BottomDockWidgetArea
    )
    window.layers = QListWidget(window)
    window.layers.setObjectName("LayersList")
    window.layers_dock = add_dock(
        window, "Layers", "LayersDock", window.layers, Qt.DockWidgetArea.LeftDockWidgetArea
    )
    window.layers_dock.hide()
    window.messages_dock.hide()  # shown when a warning or an error arrives
    window.plan_panel = PlanPanel(window.viewer.overlays, window)
    window.plan_dock = add_dock(
        window, "Plan", "PlanDock", window.plan_panel, Qt.DockWidgetArea.RightDockWidgetArea
    )
    window.series_dock.setMinimumWidth(SERIES_DOCK_MIN_PX)
    window.messages_dock.setMaximumHeight(220)


def add_dock(
    window: MainWindow, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea
) -> QDockWidget:
    """A dock named ``name`` (the key of its saved state) holding ``widget`` in ``area``."""
    dock = QDockWidget(title, window)
    dock.setObjectName(name)
    dock.setWidget(widget)
    window.addDockWidget(area, dock)
    return dock


def place_plan_dock(window: MainWindow) -> None:
    """The Plan panel as a tab beside the annotation panels, in one right-hand column."""
    beside = getattr(window.annotation, "levels_dock", None)
    if isinstance(beside, QDockWidget):
        window.tabifyDockWidget(beside, window.plan_dock)
        beside.raise_()
    window.resizeDocks([window.plan_dock], [RIGHT_DOCK_WIDTH_PX], Qt.Orientation.Horizontal)


def size_docks_to_window(window: MainWindow) -> None:
    """Default dock widths for the window's width: on a small screen the panels narrow
    (down to what their content needs) so that the images keep most of the room."""
    width = window.width()
    series_px = int(min(max(0.14 * width, SERIES_DOCK_MIN_PX), 250))
    right_px = int(min(max(0.24 * width, window.plan_panel.minimumWidth()), RIGHT_DOCK_WIDTH_PX))
    window.resizeDocks([window.series_dock], [series_px], Qt.Orientation.Horizontal)
    window.resizeDocks([window.plan_dock], [right_px], Qt.Orientation.Horizontal)


class FirstPlanRaiser:
    """Brings the Plan tab to the front for the first plan of a newly opened case; later
    replans, made while the user edits, leave the tab they are working in."""

    def __init__(self, window: MainWindow) -> None:
        self._window = window
        self._expecting = False
        window.case_opened.connect(self.expect)
        window.plan_panel.plan_updated.connect(self.on_plan)

    def expect(self, _case: object = None) -> None:
        """A case was opened: its first plan raises the tab."""
        self._expecting = True

    def forget(self) -> None:
        """Another study is opening: no plan is expected until its case file opens."""
        self._expecting = False

    def on_plan(self, _result: object) -> None:
        if self._expecting:
            self._expecting = False
            if self._window.plan_dock.toggleViewAction().isChecked():  # not closed by the user
                self._window.plan_dock.raise_()
