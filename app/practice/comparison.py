"""The reference drawn over the trainee's marks after a practice submit, with its legend.

The trainee's own marks keep the annotation colours (`planning.display.palette`: levels
yellow, lesion vermillion, edema sky blue dashed, field borders bluish green dashed); every
reference item is light cyan (its edema limits dotted, its field borders solid), its labels on
the right edge of the view (the trainee's are on the left), so the two never read as one another.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar

from app.annotation.overlays import REFERENCE_ROLES, AnnotationLayers
from app.viewer.colours import qcolor
from app.viewer.overlays import HeightLineOverlay, OverlayItem, OverlayModel
from planning.case.annotation import Annotation
from planning.display import palette
from planning.display.palette import Role
from planning.field.derivation import Field
from planning.field.wording import border_label_forms

#: Prefix of every reference item in the Layers panel.
REFERENCE_PREFIX = "Reference: "
REFERENCE_MARK_COLOR = qcolor(palette.REFERENCE_LEVELS)
REFERENCE_LESION_COLOR = qcolor(palette.REFERENCE_LESION)
#: How far in front of the trainee's bodies the reference's level names stand, mm.
REFERENCE_SHIFT_MM = 30.0

#: (whose, role, what it shows) for the legend: the trainee's marks, then the reference.
LEGEND: tuple[tuple[str, Role, str], ...] = (
    ("yours", palette.LEVELS, "your levels"),
    ("yours", palette.LESION, "your lesion"),
    ("yours", palette.EDEMA, "your edema limits"),
    ("yours", palette.FIELD_BORDER, "your field borders (Plan panel)"),
    ("reference", palette.REFERENCE_LEVELS, "reference levels (in front)"),
    ("reference", palette.REFERENCE_LESION, "reference lesion (outline)"),
    ("reference", palette.REFERENCE_EDEMA, "reference edema limits"),
    ("reference", palette.REFERENCE_BORDER, "reference field borders"),
)


@dataclass(eq=False)
class RightLabelledHeightLine(HeightLineOverlay):
    """A height line labelled at the right edge of the view (the reference's side), below the
    line rather than above it (the trainee's labels are above theirs, on the left)."""

    kind: ClassVar[str] = "reference height line"
    label_side: str = "right"


class ReferenceComparison:
    """The reference's levels, lesion, edema limits and field borders as overlay items.

    ``show(state, field, frame_uid)`` draws them, ``clear()`` removes them; ``items`` lists them.
    """

    def __init__(self, model: OverlayModel) -> None:
        self.model = model
        self.marks = AnnotationLayers(
            model,
            REFERENCE_PREFIX,
            roles=REFERENCE_ROLES,
            names_side="right",
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
        state: Annotation,
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
        common: dict[str, Any] = {"frame_of_reference_uid": frame_of_reference_uid}
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
                        color=qcolor(palette.REFERENCE_EDEMA),
                        role=palette.REFERENCE_EDEMA,
                        **common,
                    )
                )
        if field is not None:
            for side, z_mm in (
                ("superior", field.superior_border_z_mm),
                ("inferior", field.inferior_border_z_mm),
            ):
                level = field.superior_level if side == "superior" else field.inferior_level
                where = (
                    field.superior_border_description
                    if side == "superior"
                    else field.inferior_border_description
                )
                forms = border_label_forms(side, where, level, prefix="ref. ")
                self.line_items.append(
                    RightLabelledHeightLine(
                        name=f"{REFERENCE_PREFIX}field {side} border (z {z_mm:.1f} mm)",
                        z_mm=z_mm,
                        label=forms[0],
                        short_labels=forms[1:],
                        width_px=2.0,
                        z=13.0,
                        color=qcolor(palette.REFERENCE_BORDER),
                        role=palette.REFERENCE_BORDER,
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
