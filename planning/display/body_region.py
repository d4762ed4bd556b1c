"""Where the body is on a view, so that text written on the view (the legend) can keep off it.

The body of one displayed slice is the signal above a threshold, opened once (noise) and with
its holes filled (the canal, bowel gas). A view asks "does this screen box cover the body?"
for many candidate boxes, so the region is each pixel row's span from its first to its last
body pixel (a row-wise hull: a box tucked in a notch of the outline still counts as covering),
kept as a summed-area table: one query is four look-ups.

Coordinates: slice pixels (column x, row y, centres at integers) map to screen pixels by
``screen = pixel * scale + offset`` on each axis (the views zoom and pan, never rotate); boxes
are `Box` in screen pixels, y down.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from planning.display.label_layout import Box

#: How far text keeps from the body's outline, screen px.
BODY_MARGIN_PX = 3.0


def body_mask_of_slice(pixels: np.ndarray, threshold: float) -> np.ndarray:
    """The body in one slice: ``pixels`` (rows, columns) above ``threshold``, opened once,
    holes filled; a boolean array of the same shape."""
    above = np.asarray(pixels) > threshold
    opened = ndimage.binary_opening(above, iterations=1)
    return np.asarray(ndimage.binary_fill_holes(opened), dtype=bool)


def row_hull(mask: np.ndarray) -> np.ndarray:
    """``mask`` (rows, columns) with each row filled from its first to its last True pixel."""
    mask = np.asarray(mask, dtype=bool)
    hull = np.zeros_like(mask)
    rows = np.flatnonzero(mask.any(axis=1))
    if len(rows) == 0:
        return hull
    first = np.argmax(mask[rows], axis=1)
    last = mask.shape[1] - 1 - np.argmax(mask[rows, ::-1], axis=1)
    columns = np.arange(mask.shape[1])
    hull[rows] = (columns[None, :] >= first[:, None]) & (columns[None, :] <= last[:, None])
    return hull


@dataclass(frozen=True)
class ScreenMapping:
    """Slice pixel -> screen px on each axis: ``screen = pixel * scale + offset`` (pixel
    centres at integer coordinates)."""

    scale_x: float
    scale_y: float
    offset_x: float
    offset_y: float


class BodyRegion:
    """The row-wise hull of a slice's body mask, placed on the screen by ``mapping``."""

    def __init__(
        self, mask: np.ndarray, mapping: ScreenMapping, margin_px: float = BODY_MARGIN_PX
    ) -> None:
        self.hull = row_hull(mask)
        self.mapping = mapping
        self.margin_px = margin_px
        padded = np.zeros((self.hull.shape[0] + 1, self.hull.shape[1] + 1), dtype=np.int64)
        padded[1:, 1:] = np.cumsum(np.cumsum(self.hull, axis=0), axis=1)
        self._sums = padded

    def moved(self, mapping: ScreenMapping) -> BodyRegion:
        """The same body placed by ``mapping`` (a zoom or a pan), its hull not recomputed."""
        if mapping == self.mapping:
            return self
        moved = copy.copy(self)
        moved.mapping = mapping
        return moved

    @property
    def empty(self) -> bool:
        return not bool(self._sums[-1, -1])

    def covers(self, box: Box) -> bool:
        """Whether ``box`` (screen px), grown by the margin, overlaps the body's hull."""
        hit = self.covers_many(np.array([box.left]), np.array([box.top]), box.width, box.height)
        return bool(hit[0])

    def covers_many(
        self, lefts: np.ndarray, tops: np.ndarray, width: float, height: float
    ) -> np.ndarray:
        """`covers` for many boxes of one size at once: a boolean array like ``lefts``."""
        mp, m = self.mapping, self.margin_px
        rows, columns = self.hull.shape

        def pixel_range(low, high, scale, offset, size):
            a, b = (low - offset) / scale, (high - offset) / scale
            first = np.maximum(np.floor(np.minimum(a, b) + 0.5).astype(int), 0)
            last = np.minimum(np.ceil(np.maximum(a, b) - 0.5).astype(int), size - 1)
            return first, last

        lefts, tops = np.asarray(lefts, float), np.asarray(tops, float)
        x0, x1 = pixel_range(lefts - m, lefts + width + m, mp.scale_x, mp.offset_x, columns)
        y0, y1 = pixel_range(tops - m, tops + height + m, mp.scale_y, mp.offset_y, rows)
        valid = (x0 <= x1) & (y0 <= y1)
        x0c, x1c = np.clip(x0, 0, columns - 1), np.clip(x1, 0, columns - 1)
        y0c, y1c = np.clip(y0, 0, rows - 1), np.clip(y1, 0, rows - 1)
        s = self._sums
        inside = s[y1c + 1, x1c + 1] - s[y0c, x1c + 1] - s[y1c + 1, x0c] + s[y0c, x0c]
        return valid & (inside > 0)

    def screen_rows(self) -> list[Box]:
        """The hull on the screen: one box per pixel row holding body (for tests and pictures)."""
        mp = self.mapping
        boxes = []
        for y in np.flatnonzero(self.hull.any(axis=1)):
            xs = np.flatnonzero(self.hull[y])
            left = (xs[0] - 0.5) * mp.scale_x + mp.offset_x
            top = (y - 0.5) * mp.scale_y + mp.offset_y
            boxes.append(
                Box(float(left), float(top), float(len(xs) * mp.scale_x), float(mp.scale_y))
            )
        return boxes
