"""The main window's display controls for the active series: window presets, invert, reset,
zoom, and the toolbar and status bar widgets that mirror them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from app.viewer.window_presets import PRESETS, default_preset
from imaging.frame_mapping import FrameRelation

if TYPE_CHECKING:
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QComboBox, QLabel, QStatusBar

    from app.viewer.viewer import Viewer


def set_inverted(viewer: Viewer, inverted: bool) -> None:
    """Invert (or not) the grey levels of the active series."""
    panel = viewer.active_panel
    if panel.display_window.invert != inverted:
        panel.set_inverted(inverted)


def reset_display(viewer: Viewer) -> None:
    """Fit the active series' views and restore its default window (not inverted)."""
    panel = viewer.active_panel
    if panel.volume is None:
        return
    panel.set_inverted(False)
    panel.apply_preset(default_preset(panel.volume))
    for view in panel.views:
        view.reset_view()


def zoom_active(viewer: Viewer, factor: float) -> None:
    """Zoom the active view by ``factor`` (no effect when no view is active)."""
    view = viewer.active_view
    if view is not None:
        view.zoom_by(factor)


def toggle_active_legend(viewer: Viewer) -> str:
    """Open or close the full legend of the active view's legend chip (the keyboard's way to
    what the pointer does by resting on the chip); returns the status bar's line."""
    view = viewer.active_view
    if view is None or view.panel.volume is None:
        view = viewer.active_panel.views[0]
    if view.panel.volume is None:
        return "No series is shown: no legend to open"
    if not viewer.overlays.legend_shown:
        return "The legends are hidden: View > Show the legend (K) shows them"
    plane = view.plane
    if view.legend_held_open:
        view.hold_legend_open(False)
        return f"The legend of the active {plane} view is closed to its chip"
    if view.legend_chip is None:
        return (
            f"The active {plane} view has no legend chip to open: its legend is written in "
            "full, or it shows no marks"
        )
    view.hold_legend_open(True)
    return f"The legend of the active {plane} view is open (Shift+K again closes it)"


def sync_display_controls(viewer: Viewer, invert: QAction, preset_combo: QComboBox) -> None:
    """The Invert action and the preset chooser show the active series' display."""
    panel = viewer.active_panel
    invert.blockSignals(True)
    invert.setChecked(panel.display_window.invert)
    invert.blockSignals(False)
    preset_combo.setCurrentText(panel.preset if panel.preset in PRESETS else "Manual")


def _xyz(point: np.ndarray) -> str:
    return f"({point[0]:.1f}, {point[1]:.1f}, {point[2]:.1f}) mm"


def show_point(label: QLabel, viewer: Viewer) -> None:
    """The crosshair position in the status bar, LPS mm in the frame it was set in ("MR LPS",
    "CT LPS"); the tooltip gives it in each other frame shown, or says that frame's views do
    not follow it (no registration relates the frames)."""
    frame = viewer.point_frame_uid
    label.setText(f"Crosshair {viewer.frame_name(frame)} LPS {_xyz(viewer.point_mm)}")
    lines = []
    for uid in dict.fromkeys(v.frame_of_reference_uid for v in viewer.volumes()):
        if uid == frame:
            continue
        name = viewer.frame_name(uid)
        relation = viewer.linked.relation(uid)
        if relation is FrameRelation.REGISTERED:
            point = viewer.linked.in_frame(uid)
            assert point is not None
            lines.append(f"{name} LPS {_xyz(point)}, through the registration")
        elif relation is FrameRelation.UNRELATED:
            lines.append(
                f"{name}: another frame of reference, not registered: its views do not follow"
            )
    label.setToolTip("\n".join(["The crosshair, LPS in millimetres", *lines]))


#: how long the status bar says that the other frame's views did not move, ms
LINK_MESSAGE_MS = 8000


def show_link_message(status: QStatusBar, text: str) -> None:
    """Say on the status bar that views of another frame did not follow the crosshair; ""
    (every view follows, e.g. a registration was found) takes such a message away."""
    if text:
        status.showMessage(text, LINK_MESSAGE_MS)
    elif status.currentMessage() and status.currentMessage() == status.property("link_message"):
        status.clearMessage()
    status.setProperty("link_message", text)
