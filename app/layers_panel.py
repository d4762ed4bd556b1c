"""The Layers panel: every overlay item of the viewer with a checkbox that shows or hides it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidget, QListWidgetItem

from app.viewer.overlays import OverlayItem, OverlayModel


def connect_layers(layers: QListWidget, overlays: OverlayModel) -> None:
    """Keep ``layers`` listing the items of ``overlays``, and let its checkboxes toggle them."""
    overlays.changed.connect(lambda *_args: refresh_layers(layers, overlays))
    layers.itemChanged.connect(lambda entry: on_layer_toggled(overlays, entry))


def refresh_layers(layers: QListWidget, overlays: OverlayModel) -> None:
    """List the overlay items, each in its colour, checked when visible."""
    layers.blockSignals(True)
    layers.clear()
    for item in overlays.items():
        entry = QListWidgetItem(item.name or item.kind)
        entry.setFlags(entry.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        entry.setCheckState(Qt.CheckState.Checked if item.visible else Qt.CheckState.Unchecked)
        entry.setForeground(item.color)
        entry.setData(Qt.ItemDataRole.UserRole, item)
        layers.addItem(entry)
    layers.blockSignals(False)


def on_layer_toggled(overlays: OverlayModel, entry: QListWidgetItem) -> None:
    item = entry.data(Qt.ItemDataRole.UserRole)
    if isinstance(item, OverlayItem):
        overlays.set_visible(item, entry.checkState() == Qt.CheckState.Checked)
