"""A scroll area for a panel of wrapped texts that change as the user works.

Qt gives the widget of a resizable scroll area the height its wrapped labels need only when
the area itself is resized; a label given a longer text later is squeezed instead, its last
lines cut off (the Registration panel's Result at 1600x1000). This area re-fits its widget
whenever the layout of the widget, or of a box inside it, is redone.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject
from PySide6.QtWidgets import QFrame, QScrollArea, QWidget


class WrappedTextScrollArea(QScrollArea):
    """A frameless, resizable scroll area around ``widget`` that follows its texts' height."""

    def __init__(self, widget: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._boxes: set[QObject] = set()
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidget(widget)
        # a label's new text re-lays out the box it sits in (a group box), and only a new
        # minimum size would travel further up: watch every widget with a layout
        self._boxes = {widget, *(w for w in widget.findChildren(QWidget) if w.layout())}
        for box in self._boxes:
            box.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched in self._boxes and event.type() == QEvent.Type.LayoutRequest:
            widget = self.widget()
            if watched is not widget and widget.layout() is not None:
                # the widget's layout keeps the heights it computed for the old text
                widget.layout().invalidate()
            # a LayoutRequest of the area itself makes Qt fit the widget to its height for
            # the width shown (QScrollArea.event), scroll bars included
            QCoreApplication.postEvent(self, QEvent(QEvent.Type.LayoutRequest))
        return super().eventFilter(watched, event)
