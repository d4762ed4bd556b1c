"""The dark reading-room theme: Fusion style, a dark palette and a few widget rules."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

BACKGROUND = "#1b1f24"
PANEL = "#22272e"
BASE = "#14171b"
TEXT = "#d7dde3"
DIM = "#8b949e"
ACCENT = "#3d8bfd"

STYLESHEET = f"""
QMainWindow::separator {{ background: {BACKGROUND}; width: 4px; height: 4px; }}
QDockWidget {{ color: {TEXT}; }}
QDockWidget::title {{ background: {PANEL}; padding: 4px 6px; }}
QToolBar {{ background: {PANEL}; border: none; spacing: 2px; padding: 2px; }}
QToolButton {{ padding: 3px; border-radius: 3px; }}
QToolButton:checked {{ background: #2f4a6d; }}
QToolButton:hover {{ background: #2d333b; }}
QDockWidget QToolButton {{ border: 1px solid #3a414a; background: #2a3038; padding: 4px 8px; }}
QDockWidget QToolButton:checked {{ background: #2f4a6d; border-color: {ACCENT}; }}
QDockWidget QToolButton:hover {{ background: #333b45; }}
QStatusBar {{ background: {PANEL}; color: {TEXT}; }}
QStatusBar QLabel {{ color: {TEXT}; }}
QLabel#PanelHeader {{ color: {TEXT}; background: {PANEL}; padding: 3px 4px; }}
QLabel#ViewerMessage {{ color: {TEXT}; background: #0d1014; font-size: 13pt; padding: 24px; }}
QListWidget {{ background: {BASE}; border: none; }}
QListWidget::item {{ padding: 3px; }}
QListWidget::item:selected {{ background: #2f4a6d; color: white; }}
QSplitter::handle {{ background: {BACKGROUND}; }}
QProgressBar {{ border: 1px solid #3a414a; border-radius: 3px; text-align: center;
               background: {BASE}; color: {TEXT}; max-height: 16px; }}
QProgressBar::chunk {{ background: {ACCENT}; }}
QTableWidget {{ background: {BASE}; gridline-color: #30363d; }}
QHeaderView::section {{ background: {PANEL}; color: {TEXT}; padding: 4px; border: none; }}
QMenu::separator {{ height: 1px; background: #3a414a; margin: 4px 8px; }}
"""


def apply_dark_theme(app: QApplication) -> None:
    """Switch ``app`` to the dark Fusion theme."""
    app.setStyle("Fusion")
    palette = QPalette()
    colors = {
        QPalette.ColorRole.Window: BACKGROUND,
        QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: BASE,
        QPalette.ColorRole.AlternateBase: PANEL,
        QPalette.ColorRole.ToolTipBase: PANEL,
        QPalette.ColorRole.ToolTipText: TEXT,
        QPalette.ColorRole.Text: TEXT,
        QPalette.ColorRole.Button: PANEL,
        QPalette.ColorRole.ButtonText: TEXT,
        QPalette.ColorRole.BrightText: "#ff6b6b",
        QPalette.ColorRole.Link: ACCENT,
        QPalette.ColorRole.Highlight: "#2f4a6d",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.PlaceholderText: DIM,
    }
    for role, color in colors.items():
        palette.setColor(role, QColor(color))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#5c6670"))
    app.setPalette(palette)
    app.setStyleSheet(STYLESHEET)
