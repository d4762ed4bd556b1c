"""Drawing an image plane on a report page: the image, the contours of the field, the lesion,
the other structures and the isodoses, the orientation letters, the level names and a legend."""

from __future__ import annotations

import numpy as np
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.transforms import blended_transform_factory

from planning.anatomy.structures import structure_colour
from planning.export.report.colours import FIELD_COLOUR, ISODOSE_LEVELS, LESION_COLOUR
from planning.export.report.page import RGB, Document, line_height_mm, rgb, text_width_mm
from planning.export.report.planes import ImagePlane
from planning.plan import PlanResult

#: Contour line width, points.
LINE_WIDTH_PT = 1.0
#: Room left of a plane for the level names, mm.
ROW_MARK_MM = 7.0
_TITLE_MM = 5.0
_LEGEND_PT = 7.0

#: A legend entry: label, colour, dashed.
LegendEntry = tuple[str, RGB, bool]


def legend_entries(result: PlanResult) -> list[LegendEntry]:
    """The colour key of every plane: isodoses, lesion, field edge and the other structures."""
    entries: list[LegendEntry] = [
        (f"{level:g} % isodose", colour, False) for level, colour in ISODOSE_LEVELS
    ]
    entries += [("lesion", LESION_COLOUR, False), ("field edge", FIELD_COLOUR, True)]
    entries += [
        (s.name[:14], structure_colour(s.name, index), False)
        for index, s in enumerate(result.structure_doses)
        if s.mask.array.any()
    ]
    return entries


def _contour(
    axes: Axes, values: np.ndarray, level: float, colour: RGB, dashed: bool = False
) -> None:
    finite = np.nan_to_num(np.asarray(values, dtype=np.float32))
    if finite.size == 0 or not finite.min() < level < finite.max():
        return  # nothing crosses the level on this plane
    axes.contour(
        finite,
        levels=[level],
        colors=[rgb(colour)],
        linewidths=LINE_WIDTH_PT,
        linestyles="dashed" if dashed else "solid",
    )


def _orientation_letters(axes: Axes, plane: ImagePlane) -> None:
    outline = [patheffects.withStroke(linewidth=1.6, foreground="black")]
    for x, y, text, ha, va in (
        (0.015, 0.5, plane.left_label, "left", "center"),
        (0.985, 0.5, plane.right_label, "right", "center"),
        (0.5, 0.985, plane.top_label, "center", "top"),
        (0.5, 0.015, plane.bottom_label, "center", "bottom"),
    ):
        axes.text(
            x,
            y,
            text,
            transform=axes.transAxes,
            ha=ha,
            va=va,
            color="white",
            fontsize=8.0,
            fontweight="bold",
            path_effects=outline,
            parse_math=False,
        )


def _row_marks(axes: Axes, plane: ImagePlane) -> None:
    """Level names left of the image at their rows."""
    beside = blended_transform_factory(axes.transAxes, axes.transData)
    for row, text in plane.row_marks:
        axes.text(
            -0.02,
            row,
            text,
            transform=beside,
            ha="right",
            va="center",
            fontsize=6.5,
            parse_math=False,
            clip_on=False,
        )


def draw_legend(
    document: Document, entries: list[LegendEntry], x_mm: float, y_mm: float, w_mm: float
) -> float:
    """The colour key in rows inside ``w_mm`` from (x_mm, y_mm); returns its height, mm."""
    page = document.page
    pitch = line_height_mm(_LEGEND_PT) + 0.8
    # equal columns, so the keys of two planes side by side line up alike
    column_mm = max(7.5 + text_width_mm(label, _LEGEND_PT) + 3.5 for label, _, _ in entries)
    columns = max(1, int(w_mm // column_mm))
    for index, (label, colour, dashed) in enumerate(entries):
        x = x_mm + (index % columns) * column_mm
        y = y_mm + (index // columns) * pitch
        middle = y + pitch / 2.0 - 0.4
        page.axes.plot(
            [x, x + 6.0],
            [middle, middle],
            color=rgb(colour),
            linewidth=1.6,
            linestyle=(0, (2.0, 1.2)) if dashed else "solid",
            solid_capstyle="butt",
        )
        page.put(x + 7.5, y, label, _LEGEND_PT)
    return pitch * ((len(entries) - 1) // columns + 1)


def draw_plane(
    document: Document,
    plane: ImagePlane,
    entries: list[LegendEntry],
    x_mm: float,
    y_mm: float,
    w_mm: float,
    h_mm: float,
) -> float:
    """Draw a plane in the box at (x_mm, y_mm): title, image (at most ``h_mm`` high), legend.

    Returns the height used, mm.
    """
    page = document.page
    page.put(x_mm, y_mm, plane.title, 8.5, bold=True)
    image_x, image_w = x_mm, w_mm
    if plane.row_marks:  # room for the level names left of the image
        image_x, image_w = x_mm + ROW_MARK_MM, w_mm - ROW_MARK_MM
    rows, columns = plane.background.shape
    scale_mm = min(image_w / columns, h_mm / rows)
    draw_w, draw_h = columns * scale_mm, rows * scale_mm
    left = image_x + (image_w - draw_w) / 2.0
    top = y_mm + _TITLE_MM
    axes = page.add_axes_mm(left, top, draw_w, draw_h)
    axes.imshow(
        plane.background,
        cmap="gray",
        vmin=0,
        vmax=255,
        interpolation="bilinear",
        aspect="auto",
    )
    axes.set_xlim(-0.5, columns - 0.5)
    axes.set_ylim(rows - 0.5, -0.5)
    axes.set_xticks([])
    axes.set_yticks([])
    for spine in axes.spines.values():
        spine.set_linewidth(0.5)
    _contour(axes, plane.field, 0.5, FIELD_COLOUR, dashed=True)
    _contour(axes, plane.lesion, 0.5, LESION_COLOUR)
    for fraction, colour in plane.structures:
        _contour(axes, fraction, 0.5, colour)
    for level, colour in ISODOSE_LEVELS:
        _contour(axes, plane.dose_percent, level, colour)
    _orientation_letters(axes, plane)
    _row_marks(axes, plane)
    legend_h = draw_legend(document, entries, left, top + draw_h + 1.5, max(draw_w, 60.0))
    return _TITLE_MM + draw_h + 1.5 + legend_h
