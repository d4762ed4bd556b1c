"""The main window's docks: Series, Messages, Layers and Plan, and their default sizes.

The Plan panel sits as a tab beside the annotation panels in one right-hand column: three
columns (annotation, plan, practice) would leave the images a third of the window, one tabbed
column leaves them most of it. The user can still drag the docks apart, and the saved window
state (`app.window_settings`) restores their own arrangement.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, SignalInstance
from PySide6.QtWidgets import QDockWidget, QListView, QListWidget, QMainWindow, QWidget

from app.plan_panel import PlanPanel
from app.series_browser import SeriesBrowser
from app.viewer.overlays import OverlayModel

#: width of the one right-hand column holding the Annotation, Plan and Practice tabs
RIGHT_DOCK_WIDTH_PX = 380
#: the Series list still shows its thumbnails and wrapped descriptions at this width
SERIES_DOCK_MIN_PX = 200


@dataclass(frozen=True)
class WindowDocks:
    """The main window's docks and the widgets they hold."""

    browser: SeriesBrowser
    messages: QListWidget
    layers: QListWidget
    plan_panel: PlanPanel
    series_dock: QDockWidget
    messages_dock: QDockWidget
    layers_dock: QDockWidget
    plan_dock: QDockWidget


def build_docks(window: QMainWindow, overlays: OverlayModel) -> WindowDocks:
    """Make the docks of ``window`` and their widgets (the Plan panel draws on ``overlays``)."""
    browser = SeriesBrowser(window)
    # the descriptions wrap to the dock's width, whatever it is: no sideways scrolling
    browser.setResizeMode(QListView.ResizeMode.Adjust)
    browser.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    series_dock = add_dock(
        window, "Series", "SeriesDock", browser, Qt.DockWidgetArea.LeftDockWidgetArea
    )
    messages = QListWidget(window)
    messages.setObjectName("MessagesList")
    messages.setWordWrap(True)
    messages_dock = add_dock(
        window, "Messages", "MessagesDock", messages, Qt.DockWidgetArea.BottomDockWidgetArea
    )
    layers = QListWidget(window)
    layers.setObjectName("LayersList")
    layers_dock = add_dock(
        window, "Layers", "LayersDock", layers, Qt.DockWidgetArea.LeftDockWidgetArea
    )
    layers_dock.hide()
    messages_dock.hide()  # opened from the status bar's count of warnings and errors
    plan_panel = PlanPanel(overlays, window)
    plan_dock = add_dock(
        window, "Plan", "PlanDock", plan_panel, Qt.DockWidgetArea.RightDockWidgetArea
    )
    series_dock.setMinimumWidth(SERIES_DOCK_MIN_PX)
    messages_dock.setMaximumHeight(220)
    return WindowDocks(
        browser, messages, layers, plan_panel, series_dock, messages_dock, layers_dock, plan_dock
    )


def add_dock(
    window: QMainWindow, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea
) -> QDockWidget:
    """A dock named ``name`` (the key of its saved state) holding ``widget`` in ``area``."""
    dock = QDockWidget(title, window)
    dock.setObjectName(name)
    dock.setWidget(widget)
    window.addDockWidget(area, dock)
    return dock


def place_plan_dock(window: QMainWindow, plan_dock: QDockWidget, beside: QDockWidget) -> None:
    """The Plan panel as a tab beside the annotation panels (``beside``), in one right-hand
    column."""
    window.tabifyDockWidget(beside, plan_dock)
    beside.raise_()
    window.resizeDocks([plan_dock], [RIGHT_DOCK_WIDTH_PX], Qt.Orientation.Horizontal)


def size_docks_to_window(window: QMainWindow, docks: WindowDocks) -> None:
    """Default dock widths for the window's width: on a small screen the panels narrow
    (down to what their content needs) so that the images keep most of the room."""
    width = window.width()
    series_px = int(min(max(0.14 * width, SERIES_DOCK_MIN_PX), 250))
    right_px = int(min(max(0.24 * width, docks.plan_panel.minimumWidth()), RIGHT_DOCK_WIDTH_PX))
    window.resizeDocks([docks.series_dock], [series_px], Qt.Orientation.Horizontal)
    window.resizeDocks([docks.plan_dock], [right_px], Qt.Orientation.Horizontal)


class FirstPlanRaiser:
    """Brings the Plan tab to the front for the first plan of a newly opened case; later
    replans, made while the user edits, leave the tab they are working in."""

    def __init__(
        self, plan_dock: QDockWidget, case_opened: SignalInstance, plan_updated: SignalInstance
    ) -> None:
        self._plan_dock = plan_dock
        self._expecting = False
        case_opened.connect(self.expect)
        plan_updated.connect(self.on_plan)

    def expect(self, _case: object = None) -> None:
        """A case was opened: its first plan raises the tab."""
        self._expecting = True

    def forget(self) -> None:
        """Another study is opening: no plan is expected until its case file opens."""
        self._expecting = False

    def on_plan(self, _result: object) -> None:
        if self._expecting:
            self._expecting = False
            if self._plan_dock.toggleViewAction().isChecked():  # not closed by the user
                self._plan_dock.raise_()
