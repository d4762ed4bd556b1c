"""The palette's roles as Qt colours and pen styles (the colours themselves live in
`planning.display.palette`, shared with the report)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from planning.display.palette import HALO, HALO_ALPHA, RGB, Role

_PEN_STYLES = {
    "solid": Qt.PenStyle.SolidLine,
    "area": Qt.PenStyle.SolidLine,
    "text": Qt.PenStyle.SolidLine,
    "dashed": Qt.PenStyle.DashLine,
    "dashdot": Qt.PenStyle.DashDotLine,
    "dotted": Qt.PenStyle.DotLine,
}


def qcolor(role: Role | RGB, alpha: int = 255) -> QColor:
    """A role's (or an RGB triple's) colour as a new QColor."""
    r, g, b = role.rgb if isinstance(role, Role) else role
    return QColor(r, g, b, alpha)


def pen_style(role: Role) -> Qt.PenStyle:
    """The Qt pen style of a role's lines."""
    return _PEN_STYLES[role.style]


def halo(alpha: int = HALO_ALPHA) -> QColor:
    """The dark halo drawn under text and thin lines."""
    return qcolor(HALO, alpha)
