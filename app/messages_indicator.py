"""The status bar's count of warnings and errors, which opens the Messages panel.

The Messages panel never opens by itself: a panel appearing mid-task moves the views under the
user's mouse. Warnings and errors are counted on a button at the right of the status bar
(amber for warnings, red once there is an error); clicking it shows the Messages panel. What
the user must act on at once comes as a dialog or in the view itself (a study that cannot be
opened, an export that failed), not only as a message.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDockWidget, QToolButton, QWidget

from imaging.plurals import plural


class MessagesIndicator(QToolButton):
    """ "⚠ 2 warnings" / "✖ 1 error, 2 warnings"; hidden while there are none."""

    def __init__(self, parent: QWidget, dock: QDockWidget) -> None:
        super().__init__(parent)
        self.setObjectName("MessagesIndicator")
        self.setAutoRaise(True)
        self.dock = dock
        self.warnings = self.errors = 0
        self.clicked.connect(self.open_messages)
        self.hide()

    def count(self, level: str) -> None:
        """One more message of ``level``; infos are not counted."""
        if level == "warning":
            self.warnings += 1
        elif level == "error":
            self.errors += 1
        else:
            return
        self._show()

    def uncount(self, level: str) -> None:
        """One message of ``level`` fewer (it was taken out of the Messages panel)."""
        if level == "warning":
            self.warnings = max(0, self.warnings - 1)
        elif level == "error":
            self.errors = max(0, self.errors - 1)
        else:
            return
        if self.warnings or self.errors:
            self._show()
        else:
            self.hide()

    def reset(self) -> None:
        """The Messages panel was emptied (a new study)."""
        self.warnings = self.errors = 0
        self.hide()

    def _show(self) -> None:
        parts = []
        if self.errors:
            parts.append(plural(self.errors, "error"))
        if self.warnings:
            parts.append(plural(self.warnings, "warning"))
        self.setText(("✖ " if self.errors else "⚠ ") + ", ".join(parts))
        self.setToolTip("Show the Messages panel")
        colour = "#ff6b6b" if self.errors else "#f0b040"
        self.setStyleSheet(f"QToolButton {{ color: {colour}; font-weight: bold; }}")
        self.show()

    def open_messages(self) -> None:
        """Show the Messages panel (in front of any panel it is tabbed with)."""
        self.dock.show()
        self.dock.raise_()
