"""Ctrl+Z / Ctrl+Shift+Z in a box whose every change is already an undoable edit of the case.

Before a shortcut runs, Qt asks the focus widget whether it wants the keys (a ShortcutOverride
event). A spin box says yes to the undo keys, for its own line of text, so while one of the Plan
panel's settings boxes had the focus Edit ▸ Undo never saw them: Ctrl+Z did nothing at all
(each change of such a box is already one step on the case's undo stack, and the box's own
text history is emptied whenever it shows a value). `pass_undo_keys_to_window` makes the boxes
decline the undo keys, so Edit ▸ Undo / Redo run.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QWidget

UNDO_KEYS = (QKeySequence.StandardKey.Undo, QKeySequence.StandardKey.Redo)


class _DeclineUndoKeys(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and any(event.matches(key) for key in UNDO_KEYS)
        ):
            event.ignore()  # not wanted here: the window's shortcut runs
            return True
        return False


def pass_undo_keys_to_window(owner: QObject, widgets: Iterable[QWidget]) -> None:
    """Let Ctrl+Z / Ctrl+Shift+Z typed in any of ``widgets`` reach Edit ▸ Undo / Redo (the
    filter lives as long as ``owner``)."""
    keeper = _DeclineUndoKeys(owner)
    for widget in widgets:
        widget.installEventFilter(keeper)
