"""What the annotation draws on the views: level names and endplates, lesion mask, edema lines,
and the other named structures (the cord...), each a mask in its own colour.

`AnnotationLayers` owns one group of overlay items for one annotation (the user's, or the
bundled reference shown for comparison) and rebuilds them from a snapshot. Level names are
drawn beside the body on sagittal and coronal views, and on axial views whose slice falls
inside the body; endplates are short lines across the body on sagittal views (coronal views are too
narrow for them to read). Measured body widths are rulers across the body ("42 mm") on axial
views whose slice falls inside that body, and on coronal views zoomed in enough to read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen

from app.viewer.colours import halo, qcolor
from app.viewer.overlays import (
    HeightLineOverlay,
    MaskOverlay,
    OverlayItem,
    OverlayModel,
    ViewContext,
)
from imaging.volume import Volume
from planning.anatomy.levels import VertebralLevel, display_name, sort_by_z
from planning.anatomy.structures import is_cord, structure_colour
from planning.case import Case
from planning.case.model import WidthRuler
from planning.display import palette
from planning.display.palette import Role

#: Half length of an endplate line across the body, mm.
ENDPLATE_HALF_LENGTH_MM = 14.0

LEVEL_COLOR = qcolor(palette.LEVELS)
LESION_COLOR = qcolor(palette.LESION)
EDEMA_COLOR = qcolor(palette.EDEMA)
REFERENCE_COLOR = qcolor(palette.REFERENCE_LEVELS)
SELECTED_LEVEL_COLOR = qcolor(palette.LEVEL_SELECTED)

#: The roles of the user's annotation: levels, lesion, edema limits.
USER_ROLES: tuple[Role, Role, Role] = (palette.LEVELS, palette.LESION, palette.EDEMA)
#: The roles of a reference annotation (the sample's answer, the practice reference).
REFERENCE_ROLES: tuple[Role, Role, Role] = (
    palette.REFERENCE_LEVELS,
    palette.REFERENCE_LESION,
    palette.REFERENCE_EDEMA,
)


def grid_frame(reference: Volume | None) -> str:
    """The frame of reference the annotation's layers are drawn in ("" without a grid)."""
    return reference.frame_of_reference_uid if reference is not None else ""


def grid_centre_xy(reference: Volume | None) -> tuple[float, float]:
    """Patient x, y (mm) of the middle of the grid: where a level is drawn when no body centre
    was clicked for it."""
    if reference is None:
        return (0.0, 0.0)
    low, high = reference.bounds_mm()
    centre = (np.asarray(low) + np.asarray(high)) / 2
    return float(centre[0]), float(centre[1])


def body_centres(levels: tuple[VertebralLevel, ...], fallback_xy: tuple[float, float]) -> dict:
    """Each level's body centre in LPS mm: where it was clicked, else interpolated in z between
    clicked bodies, else ``fallback_xy`` at mid-body."""
    ordered = sort_by_z(levels)
    known = [(lv.middle_z_mm, lv.center_mm) for lv in ordered if lv.center_mm is not None]
    centres = {}
    for level in ordered:
        if level.center_mm is not None:
            centres[level.name] = (level.center_mm[0], level.center_mm[1], level.middle_z_mm)
            continue
        if known:
            zs = np.array([z for z, _ in known][::-1])
            xy = np.array([c[:2] for _, c in known][::-1])
            x = float(np.interp(level.middle_z_mm, zs, xy[:, 0]))
            y = float(np.interp(level.middle_z_mm, zs, xy[:, 1]))
        else:
            x, y = fallback_xy
        centres[level.name] = (x, y, level.middle_z_mm)
    return centres


@dataclass(eq=False)
class LevelNamesOverlay(OverlayItem):
    """The level names, each beside its body (``points_mm``, LPS mm), in one layer.

    On sagittal and coronal views every body gets its dot and, where it fits, its name
    (zoomed out, the cervical bodies are closer than a line of text: a name that would overlap
    another is left out); on axial views only the body the slice passes through (within
    ``half_heights_mm``).
    """

    points_mm: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    texts: list[str] = field(default_factory=list)
    colors: list[QColor] = field(default_factory=list)
    half_heights_mm: np.ndarray = field(default_factory=lambda: np.zeros(0))
    font_point_size: float = 10.0
    #: the side a name goes to first on coronal and axial views: "left" (the user's), "right"
    #: (a reference's, so that its names sit beside the user's rather than above or below them)
    side: str = "left"

    kind: ClassVar[str] = "level names"

    def reserve(self, painter: QPainter, context: ViewContext) -> None:
        """Place the names before anything else is written.

        Each name goes beside its body: left (in front of the spine on sagittal views), or on
        other views right when the left is taken (by the name above, another annotation's
        names...); inside the view, never over another name, the corner text or the
        orientation letters. A name with no free place is left out (its dot stays).
        """
        placements: list[tuple[int, QPointF]] = []
        context.labels[id(self)] = placements
        if len(self.points_mm) == 0:
            return
        screen = context.to_screen(self.points_mm)
        painter.setFont(self._font(painter))
        metrics = QFontMetricsF(painter.font())
        visible = context.visible_rect()
        line = metrics.height()
        shown = self._shown(context)
        sagittal = context.geometry.plane == "sagittal"
        for n in np.argsort(screen[:, 1]):
            x, y = (float(v) for v in screen[n])
            if not shown[n] or not visible.contains(QPointF(x, y)):
                continue
            width = metrics.horizontalAdvance(self.texts[n])
            baseline = y + metrics.ascent() / 2 - 1
            # on sagittal views right of the body is the canal and the cord: never over them
            left_of, right_of = x - width - 8, x + 8
            if sagittal:
                sides: tuple[float, ...] = (left_of,)
            elif self.side == "right":
                sides = (right_of, left_of)
            else:
                sides = (left_of, right_of)
            for left in sides:
                # zoomed in, the body may sit near the view's edge: keep the name inside
                left = min(max(left, visible.left() + 2), visible.right() - width - 2)
                # names of neighbouring bodies may touch (as close as 85 % of a line), not overlap
                box = QRectF(left - 1, baseline - metrics.ascent(), width + 2, 0.85 * line)
                if box.left() - 2 < x < box.right() + 2 or not context.is_free(box):
                    continue
                context.occupied.append(box)
                placements.append((int(n), QPointF(left, baseline)))
                break

    def paint(self, painter: QPainter, context: ViewContext) -> None:
        if len(self.points_mm) == 0:
            return
        if id(self) not in context.labels:
            self.reserve(painter, context)
        screen = context.to_screen(self.points_mm)
        painter.setFont(self._font(painter))
        shown = self._shown(context)
        for n in np.flatnonzero(shown):
            color = self.colors[n] if n < len(self.colors) else self.color
            painter.setPen(QPen(halo(255), 1.0))
            painter.setBrush(QBrush(color))
            painter.drawEllipse(QPointF(*screen[n]), 2.5, 2.5)
        if np.any(shown):
            context.mark_shown(self.role)
        for n, point in context.labels[id(self)]:
            color = self.colors[n] if n < len(self.colors) else self.color
            _outlined(painter, point, self.texts[n], color)

    def _font(self, painter: QPainter) -> QFont:
        font = QFont(painter.font())
        font.setPointSizeF(self.font_point_size)
        font.setBold(True)
        return font

    def _shown(self, context: ViewContext) -> np.ndarray:
        """Every body on sagittal and coronal views; on axial views the one sliced through."""
        if context.geometry.plane == "axial":
            z = float(context.geometry.center_mm[2])
            return np.abs(self.points_mm[:, 2] - z) <= self.half_heights_mm
        return np.ones(len(self.points_mm), dtype=bool)


@dataclass(eq=False)
class EndplatesOverlay(OverlayItem):
    """Short endplate lines, ``segments_mm`` shaped ``(n, 2, 3)`` in LPS mm, in one layer."""

    segments_mm: np.ndarray = field(default_factory=lambda: np.zeros((0, 2, 3)))
    colors: list[QColor] = field(default_factory=list)
    width_px: float = 2.0

    kind: ClassVar[str] = "endplates"

    def paint(self, painter: QPainter, context: ViewContext) -> None:
        if len(self.segments_mm) == 0:
            return
        screen = context.to_screen(self.segments_mm.reshape(-1, 3)).reshape(-1, 2, 2)
        for n, ((x0, y0), (x1, y1)) in enumerate(screen):
            pen = QPen(self.colors[n] if n < len(self.colors) else self.color, self.width_px)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.drawLine(QLineF(x0, y0, x1, y1))


def width_rulers(
    state: Case, centres: dict
) -> list[tuple[VertebralLevel, tuple[tuple[float, ...], tuple[float, ...]], bool]]:
    """Each measured level with the two ends (LPS mm) of the ruler to draw for it, head down.

    The ruler the user drew when the state still has it (it lies in the body and gives the
    stored width); otherwise (a case opened from its file) the width centred on the body's
    centre, a quarter of the body height below its middle (clear of the level name on coronal
    views). The third element says whether the ruler belongs on axial views: not when it is
    centred on a body never clicked (its front-back place would be a guess).
    """
    found = []
    for level in sort_by_z(state.levels):
        width = level.body_width_mm
        if width is None:
            continue
        drawn: WidthRuler | None = next(
            (
                r
                for r in reversed(state.width_rulers)
                if level.contains_z(r.z_mm) and abs(round(r.width_mm, 1) - width) < 0.051
            ),
            None,
        )
        if drawn is not None:
            found.append((level, (drawn.start_mm, drawn.end_mm), True))
            continue
        x, y, z = centres[level.name]
        z -= abs(level.height_mm) / 4
        ends = ((x - width / 2, y, z), (x + width / 2, y, z))
        found.append((level, ends, level.center_mm is not None))
    return found


#: Shortest ruler drawn on a coronal view, screen pixels.
MIN_RULER_PX = 40.0


@dataclass(eq=False)
class WidthRulersOverlay(OverlayItem):
    """Body-width rulers: ``segments_mm`` ``(n, 2, 3)`` in LPS mm, each a line with end ticks
    and its text, drawn on coronal views, and on axial views whose slice lies between
    ``z_ranges_mm[n]`` (low, high)."""

    segments_mm: np.ndarray = field(default_factory=lambda: np.zeros((0, 2, 3)))
    texts: list[str] = field(default_factory=list)
    z_ranges_mm: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    width_px: float = 1.5
    font_point_size: float = 9.0
    planes: frozenset | None = frozenset({"axial", "coronal"})
    #: shortest ruler drawn on coronal views, screen pixels (0: always, as while dragging)
    min_coronal_px: float = MIN_RULER_PX

    kind: ClassVar[str] = "body widths"

    def _shown(self, context: ViewContext) -> np.ndarray:
        if context.geometry.plane != "axial":
            # zoomed out, a coronal view has no room for a ruler between the level names
            ends = context.to_screen(self.segments_mm.reshape(-1, 3)).reshape(-1, 2, 2)
            lengths = np.hypot(*(ends[:, 1] - ends[:, 0]).T)
            return lengths >= self.min_coronal_px
        z = float(context.geometry.center_mm[2])
        low, high = self.z_ranges_mm[:, 0], self.z_ranges_mm[:, 1]
        return (low <= z) & (z <= high)

    def _font(self, painter: QPainter) -> QFont:
        font = QFont(painter.font())
        font.setPointSizeF(self.font_point_size)
        font.setBold(True)
        return font

    def reserve(self, painter: QPainter, context: ViewContext) -> None:
        """Place each ruler's text above its middle (below when taken; left out otherwise)."""
        placements: list[tuple[int, QPointF]] = []
        context.labels[id(self)] = placements
        if len(self.segments_mm) == 0:
            return
        screen = context.to_screen(self.segments_mm.reshape(-1, 3)).reshape(-1, 2, 2)
        painter.setFont(self._font(painter))
        metrics = QFontMetricsF(painter.font())
        for n in np.flatnonzero(self._shown(context)):
            (x0, y0), (x1, y1) = screen[n]
            width = metrics.horizontalAdvance(self.texts[n])
            left = (x0 + x1) / 2 - width / 2
            for baseline in (min(y0, y1) - 7, max(y0, y1) + 7 + metrics.ascent()):
                box = QRectF(left - 1, baseline - metrics.ascent(), width + 2, metrics.height())
                if context.is_free(box):
                    context.occupied.append(box)
                    placements.append((int(n), QPointF(left, baseline)))
                    break

    def paint(self, painter: QPainter, context: ViewContext) -> None:
        if len(self.segments_mm) == 0:
            return
        if id(self) not in context.labels:
            self.reserve(painter, context)
        screen = context.to_screen(self.segments_mm.reshape(-1, 3)).reshape(-1, 2, 2)
        shown = self._shown(context)
        for n in np.flatnonzero(shown):
            (x0, y0), (x1, y1) = screen[n]
            along = np.array([x1 - x0, y1 - y0])
            length = float(np.hypot(*along))
            across = np.array([-along[1], along[0]]) / length * 5 if length > 1e-6 else (0, 5)
            lines = [QLineF(x0, y0, x1, y1)] + [
                QLineF(x - across[0], y - across[1], x + across[0], y + across[1])
                for x, y in ((x0, y0), (x1, y1))
            ]
            # a dark halo under the line, so it reads on bright bone and dark canal alike
            for color, width in (
                (halo(), self.width_px + 2),
                (self.color, self.width_px),
            ):
                pen = QPen(color, width)
                pen.setCosmetic(True)
                painter.setPen(pen)
                painter.drawLines(lines)
        painter.setFont(self._font(painter))
        for n, point in context.labels[id(self)]:
            _outlined(painter, point, self.texts[n], self.color)


def _outlined(painter: QPainter, point: QPointF, text: str, color: QColor) -> None:
    """Text with a dark halo so it reads on any grey level."""
    painter.setPen(halo())
    for dx, dy in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        painter.drawText(point + QPointF(dx, dy), text)
    painter.setPen(color)
    painter.drawText(point, text)


class AnnotationLayers:
    """The overlay items of one annotation in an `OverlayModel` (see the module docstring).

    Parameters
    ----------
    model : the viewer's overlay model.
    prefix : prepended to the item names in the Layers panel ("" or "Reference: ").
    roles : the palette roles of the levels, the lesion and the edema limits (their colours,
        line styles and legend words).
    names_side : where level names go first on coronal and axial views ("left", or "right"
        for a reference drawn beside the user's names).
    z : drawing order base.
    """

    def __init__(
        self,
        model: OverlayModel,
        prefix: str = "",
        *,
        roles: tuple[Role, Role, Role] = USER_ROLES,
        names_side: str = "left",
        z: float = 10.0,
        lesion_opacity: float = 0.35,
    ) -> None:
        self.model = model
        self.prefix = prefix
        self.roles = roles
        self.names_side = names_side
        self.colors = tuple(qcolor(role) for role in roles)
        self.z = z
        self.lesion_opacity = lesion_opacity
        self.visible = True
        self.items: list[OverlayItem] = []
        self.lesion_item: MaskOverlay | None = None
        #: the structures' mask items by name (lower case)
        self.structure_items: dict[str, MaskOverlay] = {}

    def clear(self) -> None:
        for item in self.items:
            self.model.remove(item)
        self.items = []
        self.lesion_item = None
        self.structure_items = {}

    def set_visible(self, visible: bool) -> None:
        """Show or hide every item of this group (practice mode hides the reference)."""
        self.visible = visible
        for item in self.items:
            item.visible = visible
            self.model.changed_item(item)

    def rebuild(
        self,
        state: Case,
        frame_of_reference_uid: str = "",
        fallback_xy: tuple[float, float] = (0.0, 0.0),
        selected: str | None = None,
        lesion_mask: Volume | None = None,
        structure_masks: dict[str, Volume] | None = None,
    ) -> None:
        """Replace the items by those of ``state`` (one model notification per item group).

        ``lesion_mask`` and ``structure_masks`` (by name) show masks being painted instead of
        the state's own; a name not yet in the state is shown as a new structure.
        """
        level_color, lesion_color, edema_color = self.colors
        level_role, lesion_role, edema_role = self.roles
        items: list[OverlayItem] = []
        common = {"frame_of_reference_uid": frame_of_reference_uid, "visible": self.visible}
        centres = body_centres(state.levels, fallback_xy)
        if state.levels:
            ordered = sort_by_z(state.levels)
            names = [display_name(lv.name, state.thoracic_prefix) for lv in ordered]
            points = np.array([centres[lv.name] for lv in ordered], dtype=float)
            colors = [
                QColor(SELECTED_LEVEL_COLOR) if lv.name == selected else level_color
                for lv in ordered
            ]
            items.append(
                LevelNamesOverlay(
                    name=f"{self.prefix}Level names",
                    color=level_color,
                    role=level_role,
                    z=self.z + 2,
                    points_mm=points,
                    texts=names,
                    colors=colors,
                    half_heights_mm=np.array([max(lv.height_mm / 2, 0.5) for lv in ordered]),
                    side=self.names_side,
                    **common,
                )
            )
            half = ENDPLATE_HALF_LENGTH_MM
            segments = []
            for level, (x, y, _) in zip(ordered, points, strict=True):
                for endplate_z in (level.superior_z_mm, level.inferior_z_mm):
                    segments.append([[x, y - half, endplate_z], [x, y + half, endplate_z]])
            items.append(
                EndplatesOverlay(
                    name=f"{self.prefix}Endplates",
                    color=level_color,
                    z=self.z + 1,
                    segments_mm=np.array(segments, dtype=float),
                    colors=[c for c in colors for _ in (0, 1)],
                    planes=frozenset({"sagittal"}),
                    **common,
                )
            )
        rulers = width_rulers(state, centres)
        if rulers:
            items.append(
                WidthRulersOverlay(
                    name=f"{self.prefix}Body widths",
                    color=level_color,
                    # above the level names: they claim their place first (see `reserve`)
                    z=self.z + 3,
                    segments_mm=np.array([ends for _, ends, _ in rulers], dtype=float),
                    texts=[f"{level.body_width_mm:.1f} mm" for level, _, _ in rulers],
                    # a ruler kept off axial views gets an empty range
                    z_ranges_mm=np.array(
                        [
                            sorted((lv.inferior_z_mm, lv.superior_z_mm)) if axial else (1.0, 0.0)
                            for lv, _, axial in rulers
                        ]
                    ),
                    **common,
                )
            )
        mask = lesion_mask if lesion_mask is not None else state.lesion_mask
        lesion_item = None
        if mask is not None:
            lesion_item = MaskOverlay(
                name=f"{self.prefix}Lesion",
                mask=mask,
                color=lesion_color,
                role=lesion_role,
                opacity=self.lesion_opacity,
                z=self.z,
                **common,
            )
            items.append(lesion_item)
        structure_items: dict[str, MaskOverlay] = {}
        overrides = {k.lower(): v for k, v in (structure_masks or {}).items()}
        shown = [(s.name, s.mask) for s in state.structures]
        known = {name.lower() for name, _ in shown}
        shown += [
            (name, m) for name, m in (structure_masks or {}).items() if name.lower() not in known
        ]
        for index, (name, structure_mask) in enumerate(shown):
            structure_mask = overrides.get(name.lower(), structure_mask)
            item = MaskOverlay(
                name=f"{self.prefix}{name}",
                mask=structure_mask,
                color=qcolor(structure_colour(name, index)),
                role=palette.structure_role(name, index, is_cord(name)),
                opacity=self.lesion_opacity,
                z=self.z - 0.5,  # under the lesion, which usually lies inside the cord
                **common,
            )
            structure_items[name.lower()] = item
            items.append(item)
        if state.edema is not None:
            words_prefix = "ref. " if self.prefix else ""
            for label, z in (
                ("edema superior", state.edema.superior_z_mm),
                ("edema inferior", state.edema.inferior_z_mm),
            ):
                items.append(
                    HeightLineOverlay(
                        name=f"{self.prefix}{label.capitalize()} limit",
                        z_mm=z,
                        # worded as the practice reference's: "ref. edema superior"; narrow
                        # views: "ref. edema sup." / "edema sup.", then "ed. sup."
                        label=f"{words_prefix}{label}",
                        short_labels=(
                            f"{words_prefix}{label[:9]}.",
                            f"{words_prefix}ed. {label[6:9]}.",
                        ),
                        color=edema_color,
                        role=edema_role,
                        dashed=True,
                        width_px=1.5,
                        z=self.z + 1,
                        **common,
                    )
                )
        # one notification for the whole replacement: removing item by item would repaint
        # every view once per item
        self.model.blockSignals(True)
        for item in self.items:
            self.model.remove(item)
        self.model.blockSignals(False)
        self.items = items
        self.lesion_item = lesion_item
        self.structure_items = structure_items
        self.model.extend(items)

    def update_structure(self, name: str, mask: Volume) -> bool:
        """Show a structure's new mask in place (live strokes); False when it has no item yet."""
        item = self.structure_items.get(name.lower())
        if item is None:
            return False
        item.mask = mask
        self.model.changed_item(item)
        return True

    def update_lesion(self, mask: Volume) -> None:
        """Show a new mask in place (live brush strokes) without rebuilding the other items."""
        if self.lesion_item is not None:
            self.lesion_item.mask = mask
            self.model.changed_item(self.lesion_item)
