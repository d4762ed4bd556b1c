"""Iso-lines of 2D images by marching squares: the one contour extraction of spineplan.

Every contour -- an isodose on a view, a structure's outline on an image plane for an RT
Structure Set -- comes from ``skimage.measure.find_contours`` through this module (no
hand-written marching squares). Coordinates are pixel coordinates: integer values are pixel
centres, ``x`` counts columns and ``y`` rows.
"""

from __future__ import annotations

import numpy as np
from skimage.measure import find_contours

#: What a NaN pixel becomes before tracing: below any level, yet finite, so that a crossing
#: between a pixel at or above the level and a NaN pixel lies on the pixel (a fraction of
#: exactly 0 or 1; an infinite value would make the fraction ``inf / inf``, NaN).
_BELOW_EVERYTHING = np.finfo(np.float64).min


def iso_lines(field: np.ndarray, level: float) -> list[np.ndarray]:
    """Polylines where ``field`` crosses ``level``.

    Parameters
    ----------
    field : numpy.ndarray
        2D array ``(rows, columns)`` in any units; NaN counts as below the level.
    level : float
        The iso-value, in the field's units; pixels equal to it count as inside.

    Returns
    -------
    list of numpy.ndarray
        One ``(n, 2)`` array of ``(x = column, y = row)`` points per line; a closed line ends
        on its first point. Between pixels ``a`` and ``b`` the crossing lies at
        ``(level - a) / (b - a)`` of the way from ``a``; at a saddle the pixels at or above the
        level are joined (skimage's ``fully_connected="high"``).
    """
    values = np.asarray(field, dtype=np.float64)
    if values.ndim != 2 or min(values.shape) < 2:
        return []
    values = np.where(np.isnan(values), _BELOW_EVERYTHING, values)
    # find_contours counts a pixel as inside when strictly above the level; ours when at or
    # above. Only a pixel exactly at the level tells them apart: then trace just below it.
    trace_level = float(level)
    if np.any(values == trace_level):
        trace_level = float(np.nextafter(trace_level, -np.inf))
    lines = find_contours(values, trace_level, fully_connected="high")
    return [line[:, ::-1] for line in lines]


def iso_segments(field: np.ndarray, level: float) -> np.ndarray:
    """The `iso_lines` of ``field`` at ``level`` as separate line segments, in scan order.

    Each segment crosses one cell (the square between four pixel centres). The order and the
    direction are fixed so that a drawing of them is reproducible pixel for pixel: segments
    are grouped by their cell's crossing pattern (`_scan_order`), then by row and column of
    the cell, and each runs from its end on the cell's left, top, bottom or right edge to the
    other end, in that order of preference.

    Returns
    -------
    numpy.ndarray
        ``(n, 2, 2)``: segment, end point, ``(x = column, y = row)`` in pixel coordinates.
    """
    lines = [line for line in iso_lines(field, level) if len(line) >= 2]
    if not lines:
        return np.zeros((0, 2, 2))
    segments = np.concatenate([np.stack([line[:-1], line[1:]], axis=1) for line in lines])
    return _scan_order(segments, np.asarray(field, dtype=np.float64) >= level)


#: Edges of a cell in the order a segment starts from: left, top, bottom, right.
_LEFT, _TOP, _BOTTOM, _RIGHT, _NONE = range(5)


def _scan_order(segments: np.ndarray, above: np.ndarray) -> np.ndarray:
    """``segments`` ordered by (crossing pattern, saddle half, row, column), each directed.

    ``above`` is the field's ``>= level`` image (NaN is False). A cell's crossing pattern is
    8 (top left corner above) + 4 (top right) + 2 (bottom right) + 1 (bottom left). This is
    the order of a cell-by-cell scan that handles one pattern at a time (the viewer drew its
    isodoses so before it used skimage), so the raster of the drawn lines -- where the
    anti-aliased ends of neighbouring segments overlap -- does not depend on how skimage
    chained them into lines.
    """
    middle = segments.mean(axis=1)
    column = np.clip(np.floor(middle[:, 0]).astype(np.intp), 0, above.shape[1] - 2)
    row = np.clip(np.floor(middle[:, 1]).astype(np.intp), 0, above.shape[0] - 2)

    def edge(points: np.ndarray) -> np.ndarray:
        x, y = points[:, 0] - column, points[:, 1] - row
        return np.select([x == 0, y == 0, y == 1, x == 1], [_LEFT, _TOP, _BOTTOM, _RIGHT], _NONE)

    start, end = edge(segments[:, 0]), edge(segments[:, 1])
    backwards = start > end
    segments = segments.copy()
    segments[backwards] = segments[backwards][:, ::-1]
    first_edge = np.minimum(start, end)
    pattern = (
        8 * above[row, column].astype(np.intp)
        + 4 * above[row, column + 1]
        + 2 * above[row + 1, column + 1]
        + above[row + 1, column]
    )
    # the saddles hold two segments: pattern 5 puts its left-top one first, 10 its top-right one
    second = np.where(pattern == 5, first_edge != _LEFT, (pattern == 10) & (first_edge == _LEFT))
    order = np.lexsort((column, row, second, pattern))
    return segments[order]


def mask_outlines(plane: np.ndarray, level: float = 0.5) -> list[np.ndarray]:
    """Closed polygons around the pixels of a mask (or 0..1 fraction) image.

    Parameters
    ----------
    plane : numpy.ndarray
        2D ``(rows, columns)`` array; pixels above ``level`` are inside.
    level : float
        The iso-level traced, 0-1. At 0.5 the outline of a 0/1 mask runs half way between
        inside and outside pixel centres; at ``0.5 + d`` it runs ``0.5 - d`` pixel outside the
        inside pixels' centres.

    Returns
    -------
    list of numpy.ndarray
        One ``(n, 2)`` array of ``(row, column)`` vertices per polygon (not repeating the first
        point), at least 3 vertices each. Pixels on the image border are closed off as if the
        image were padded with 0.
    """
    padded = np.pad(plane, 1)
    polygons = []
    for contour in find_contours(padded, level):
        if len(contour) < 4:
            continue
        polygons.append(contour[:-1] - 1.0)  # drop the repeated closing point, undo the pad
    return polygons
