"""Drawing an image plane on a report page: the image, the contours of the field, the lesion,
the other structures and the isodoses, the orientation letters, the level names and a legend."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.transforms import blended_transform_factory

from planning.display import palette
from planning.display.palette import Role
from planning.export.report.page import Document, line_height_mm, text_width_mm
from planning.export.report.planes import ImagePlane

#: Contour line width, points.
LINE_WIDTH_PT = 1.0
#: Room left of a plane for the level names, mm.
ROW_MARK_MM = 7.0
_TITLE_MM = 5.0
_LEGEND_PT = 7.0
#: Longest structure name in a plane's legend.
_LEGEND_CHARACTERS = 14

#: matplotlib's dash pattern of each line style (the screen's Qt pen styles, in print).
LINESTYLES: dict[str, str | tuple] = {
    "solid": "solid",
    "area": "solid",
    "text": "solid",
    "dashed": (0, (4.0, 2.0)),
    "dashdot": (0, (4.0, 1.5, 1.0, 1.5)),
    "dotted": (0, (1.0, 1.5)),
}


def _short(role: Role) -> Role:
    """The role with its words cut to fit a legend column (long structure names)."""
    return replace(role, words=role.words[:_LEGEND_CHARACTERS])


def _contour(axes: Axes, values: np.ndarray, level: float, role: Role) -> bool:
    """Draw the ``level`` line of ``values`` in the role's colour and style; whether it was."""
    finite = np.nan_to_num(np.asarray(values, dtype=np.float32))
    if finite.size == 0 or not finite.min() < level < finite.max():
        return False  # nothing crosses the level on this plane
    axes.contour(
        finite,
        levels=[level],
        colors=[role.rgb01],
        linewidths=LINE_WIDTH_PT,
        linestyles=[LINESTYLES[role.style]],
    )
    return True


def _orientation_letters(axes: Axes, plane: ImagePlane) -> None:
    outline = [patheffects.withStroke(linewidth=1.6, foreground=palette.rgb01(palette.HALO))]
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
            color=palette.rgb01(palette.WHITE),
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
    document: Document, entries: list[Role], x_mm: float, y_mm: float, w_mm: float
) -> float:
    """The key of the roles drawn, in rows inside ``w_mm`` from (x_mm, y_mm); returns its
    height, mm."""
    if not entries:
        return 0.0
    page = document.page
    pitch = line_height_mm(_LEGEND_PT) + 0.8
    # equal columns, so the keys of two planes side by side line up alike
    column_mm = max(7.5 + text_width_mm(role.words, _LEGEND_PT) + 3.5 for role in entries)
    columns = max(1, int(w_mm // column_mm))
    for index, role in enumerate(entries):
        x = x_mm + (index % columns) * column_mm
        y = y_mm + (index // columns) * pitch
        middle = y + pitch / 2.0 - 0.4
        page.axes.plot(
            [x, x + 6.0],
            [middle, middle],
            color=role.rgb01,
            linewidth=1.6,
            linestyle=LINESTYLES[role.style],
            solid_capstyle="butt",
        )
        page.put(x + 7.5, y, role.words, _LEGEND_PT)
    return pitch * ((len(entries) - 1) // columns + 1)


def draw_plane(
    document: Document,
    plane: ImagePlane,
    x_mm: float,
    y_mm: float,
    w_mm: float,
    h_mm: float,
) -> float:
    """Draw a plane in the box at (x_mm, y_mm): title, image (at most ``h_mm`` high), and the
    legend of what this plane shows.

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
    drawn = [
        role
        for values, level, role in (
            *((plane.dose_percent, percent, role) for percent, role in reversed(palette.ISODOSES)),
            (plane.lesion, 0.5, palette.LESION),
            *((mask, 0.5, _short(role)) for mask, role in plane.structures),
            (plane.field, 0.5, palette.BEAM_EDGE),
        )
        if _contour(axes, values, level, role)
    ]
    _orientation_letters(axes, plane)
    _row_marks(axes, plane)
    legend_h = draw_legend(document, drawn, left, top + draw_h + 1.5, max(draw_w, 60.0))
    return _TITLE_MM + draw_h + 1.5 + legend_h
