"""The main window's display controls for the active series: window presets, invert, reset,
zoom, and the toolbar and status bar widgets that mirror them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from app.viewer.window_presets import PRESETS, default_preset

if TYPE_CHECKING:
    from app.main_window import MainWindow


def set_inverted(window: MainWindow, inverted: bool) -> None:
    """Invert (or not) the grey levels of the active series."""
    panel = window.viewer.active_panel
    if panel.display_window.invert != inverted:
        panel.set_inverted(inverted)


def reset_display(window: MainWindow) -> None:
    """Fit the active series' views and restore its default window (not inverted)."""
    panel = window.viewer.active_panel
    if panel.volume is None:
        return
    panel.set_inverted(False)
    panel.apply_preset(default_preset(panel.volume))
    for view in panel.views:
        view.reset_view()


def zoom_active(window: MainWindow, factor: float) -> None:
    """Zoom the active view by ``factor`` (no effect when no view is active)."""
    view = window.viewer.active_view
    if view is not None:
        view.zoom_by(factor)


def sync_display_controls(window: MainWindow) -> None:
    """The Invert action and the preset chooser show the active series' display."""
    panel = window.viewer.active_panel
    invert = window.actions_by_id["invert"]
    invert.blockSignals(True)
    invert.setChecked(panel.display_window.invert)
    invert.blockSignals(False)
    window.preset_combo.setCurrentText(panel.preset if panel.preset in PRESETS else "Manual")


def show_point(window: MainWindow, point: np.ndarray) -> None:
    """The crosshair position, LPS in mm, in the status bar."""
    window.point_label.setText(f"Crosshair LPS ({point[0]:.1f}, {point[1]:.1f}, {point[2]:.1f}) mm")
