"""The reference drawn over the trainee's marks after a practice submit, with its legend.

The trainee's own marks keep the annotation colours (levels yellow, lesion red, edema blue,
field borders green from the Plan panel); every reference item is violet, its labels on the
right edge of the view (the trainee's are on the left), so the two never read as one another.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPen

from app.annotation.overlays import EDEMA_COLOR, LESION_COLOR, LEVEL_COLOR, AnnotationLayers
from app.plan_panel.plan_overlays import FIELD_COLOR
from app.viewer.overlays import (
    HeightLineOverlay,
    OverlayItem,
    OverlayModel,
    ViewContext,
    place_label,
)
from planning.case import Case
from planning.field.derivation import Field

#: Prefix of every reference item in the Layers panel.
REFERENCE_PREFIX = "Reference: "
REFERENCE_MARK_COLOR = QColor("#d78cff")
REFERENCE_LESION_COLOR = QColor("#a64dff")
#: How far in front of the trainee's bodies the reference's level names stand, mm.
REFERENCE_SHIFT_MM = 30.0

#: (swatch colour, what it shows, dashed) for the legend: the trainee's marks, then the reference.
LEGEND: tuple[tuple[str, QColor, str, bool], ...] = (
    ("yours", LEVEL_COLOR, "your levels", False),
    ("yours", LESION_COLOR, "your lesion", False),
    ("yours", EDEMA_COLOR, "your edema limits", True),
    ("yours", FIELD_COLOR, "your field borders (Plan panel)", True),
    ("reference", REFERENCE_MARK_COLOR, "reference levels (in front)", False),
    ("reference", REFERENCE_LESION_COLOR, "reference lesion (outline)", False),
    ("reference", REFERENCE_MARK_COLOR, "reference edema limits", True),
    ("reference", REFERENCE_MARK_COLOR, "reference field borders", False),
)


@dataclass(eq=False)
class RightLabelledHeightLine(HeightLineOverlay):
    """A height line labelled at the right edge of the view (the reference's side)."""

    kind: ClassVar[str] = "reference height line"

    def paint(self, painter: QPainter, context: ViewContext) -> None:
        centre = context.geometry.center_mm.copy()
        centre[2] = self.z_mm
        y = float(context.to_screen(centre[None])[0, 1])
        rect = context.image_rect
        pen = QPen(self.color, self.width_px)
        pen.setCosmetic(True)
        if self.dashed:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
        visible = context.visible_rect()
        if not self.label or not visible.top() <= y <= visible.bottom():
            return
        # below the line, at the right of the visible image (zoomed in, the image's right edge
        # may be off screen), clear of the names and labels already written, shortened if needed
        baseline = y + QFontMetricsF(painter.font()).ascent() + 2
        placed = place_label(
            painter, context, [self.label, *self.short_labels], baseline, prefer="right"
        )
        if placed is None:
            return
        point, text = placed
        painter.setPen(QColor(0, 0, 0, 220))
        for dx, dy in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            painter.drawText(point + QPointF(dx, dy), text)
        painter.setPen(self.color)
        painter.drawText(point, text)


class ReferenceComparison:
    """The reference's levels, lesion, edema limits and field borders as overlay items.

    ``show(state, field, frame_uid)`` draws them, ``clear()`` removes them; ``items`` lists them.
    """

    def __init__(self, model: OverlayModel) -> None:
        self.model = model
        self.marks = AnnotationLayers(
            model,
            REFERENCE_PREFIX,
            color_levels=REFERENCE_MARK_COLOR,
            color_lesion=REFERENCE_LESION_COLOR,
            color_edema=REFERENCE_MARK_COLOR,
            z=12.0,
            lesion_opacity=0.15,
        )
        self.line_items: list[OverlayItem] = []

    @property
    def items(self) -> list[OverlayItem]:
        return [*self.marks.items, *self.line_items]

    @property
    def shown(self) -> bool:
        return any(item.visible for item in self.items)

    def show(
        self,
        state: Case,
        field: Field | None,
        frame_of_reference_uid: str = "",
        fallback_xy: tuple[float, float] = (0.0, 0.0),
    ) -> None:
        """Draw the reference (replacing what was drawn before)."""
        self.clear()
        self.marks.visible = True
        # the reference's level names and endplate ticks stand just in front of the bodies
        # (anterior, left on sagittal views), beside the trainee's rather than over them
        x, y = fallback_xy
        self.marks.rebuild(
            replace(state, edema=None), frame_of_reference_uid, (x, y - REFERENCE_SHIFT_MM)
        )
        common: dict[str, Any] = {
            "color": REFERENCE_MARK_COLOR,
            "frame_of_reference_uid": frame_of_reference_uid,
        }
        if state.edema is not None:
            for side, z_mm in (
                ("superior", state.edema.superior_z_mm),
                ("inferior", state.edema.inferior_z_mm),
            ):
                self.line_items.append(
                    RightLabelledHeightLine(
                        name=f"{REFERENCE_PREFIX}edema {side} limit (z {z_mm:.1f} mm)",
                        z_mm=z_mm,
                        label=f"ref. edema {side}",
                        short_labels=(f"ref. edema {side[:3]}.", f"ref. ed. {side[:3]}."),
                        dashed=True,
                        width_px=1.5,
                        z=13.0,
                        **common,
                    )
                )
        if field is not None:
            for side, z_mm in (
                ("superior", field.superior_border_z_mm),
                ("inferior", field.inferior_border_z_mm),
            ):
                level = field.superior_level if side == "superior" else field.inferior_level
                self.line_items.append(
                    RightLabelledHeightLine(
                        name=f"{REFERENCE_PREFIX}field {side} border (z {z_mm:.1f} mm)",
                        z_mm=z_mm,
                        label=f"ref. field {side} border ({level})",
                        short_labels=(
                            f"ref. {side[:3]}. border {level}",
                            f"ref. {side[:3]}. {level}",
                        ),
                        width_px=2.0,
                        z=13.0,
                        **common,
                    )
                )
        self.model.extend(self.line_items)

    def set_visible(self, visible: bool) -> None:
        self.marks.set_visible(visible)
        for item in self.line_items:
            self.model.set_visible(item, visible)

    def clear(self) -> None:
        self.marks.clear()
        for item in self.line_items:
            self.model.remove(item)
        self.line_items = []
