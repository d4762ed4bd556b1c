"""The dark reading-room theme: Fusion style, a dark palette and a few widget rules (the
colours are the palette's `THEME_*`, `planning.display.palette`)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from planning.display import palette as colours
from planning.display.palette import hex_of

BACKGROUND = hex_of(colours.THEME_BACKGROUND)
PANEL = hex_of(colours.THEME_PANEL)
BASE = hex_of(colours.THEME_BASE)
TEXT = hex_of(colours.THEME_TEXT)
DIM = hex_of(colours.THEME_DIM)
ACCENT = hex_of(colours.THEME_ACCENT)
SELECTED = hex_of(colours.THEME_SELECTED)
HOVER = hex_of(colours.THEME_HOVER)
BUTTON = hex_of(colours.THEME_BUTTON)
BUTTON_HOVER = hex_of(colours.THEME_BUTTON_HOVER)
BORDER = hex_of(colours.THEME_BORDER)
GRIDLINE = hex_of(colours.THEME_GRIDLINE)
MESSAGE = hex_of(colours.THEME_MESSAGE)
WHITE = hex_of(colours.WHITE)

STYLESHEET = f"""
QMainWindow::separator {{ background: {BACKGROUND}; width: 4px; height: 4px; }}
QDockWidget {{ color: {TEXT}; }}
QDockWidget::title {{ background: {PANEL}; padding: 4px 6px; }}
QToolBar {{ background: {PANEL}; border: none; spacing: 2px; padding: 2px; }}
QToolButton {{ padding: 3px; border-radius: 3px; }}
QToolButton:checked {{ background: {SELECTED}; }}
QToolButton:hover {{ background: {HOVER}; }}
QDockWidget QToolButton {{ border: 1px solid {BORDER}; background: {BUTTON}; padding: 4px 8px; }}
QDockWidget QToolButton:checked {{ background: {SELECTED}; border-color: {ACCENT}; }}
QDockWidget QToolButton:hover {{ background: {BUTTON_HOVER}; }}
QStatusBar {{ background: {PANEL}; color: {TEXT}; }}
QStatusBar QLabel {{ color: {TEXT}; }}
QLabel#PanelHeader {{ color: {TEXT}; background: {PANEL}; padding: 3px 4px; }}
QLabel#ViewerMessage {{ color: {TEXT}; background: {MESSAGE}; font-size: 13pt; padding: 24px; }}
QListWidget {{ background: {BASE}; border: none; }}
QListWidget::item {{ padding: 3px; }}
QListWidget::item:selected {{ background: {SELECTED}; color: {WHITE}; }}
QSplitter::handle {{ background: {BACKGROUND}; }}
QProgressBar {{ border: 1px solid {BORDER}; border-radius: 3px; text-align: center;
               background: {BASE}; color: {TEXT}; max-height: 16px; }}
QProgressBar::chunk {{ background: {ACCENT}; }}
QTableWidget {{ background: {BASE}; gridline-color: {GRIDLINE}; }}
QHeaderView::section {{ background: {PANEL}; color: {TEXT}; padding: 4px; border: none; }}
QMenu::separator {{ height: 1px; background: {BORDER}; margin: 4px 8px; }}
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
        QPalette.ColorRole.BrightText: hex_of(colours.THEME_BRIGHT_TEXT),
        QPalette.ColorRole.Link: ACCENT,
        QPalette.ColorRole.Highlight: SELECTED,
        QPalette.ColorRole.HighlightedText: WHITE,
        QPalette.ColorRole.PlaceholderText: DIM,
    }
    for role, color in colors.items():
        palette.setColor(role, QColor(color))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(hex_of(colours.THEME_DISABLED)))
    app.setPalette(palette)
    app.setStyleSheet(STYLESHEET)
