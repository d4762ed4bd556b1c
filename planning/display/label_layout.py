"""Where to write a label beside a horizontal line so that nothing crosses it (no Qt).

A view (or a report image) writes names beside the lines it draws: an edema limit, a field
border, a reference border. A label must not overlap another label, nor be crossed by any other
line drawn on the view (a beam edge, an isodose line, another border). `place_beside_line`
places one label greedily: in the band just above its line, else just below, else one or two
label heights further out, it finds the free stretches of the band (what other labels and the
segments of other lines leave) and puts the longest form of the label that fits into the
stretch on the preferred side.

Coordinates are screen pixels, y down; a box is (left, top, width, height).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle in screen pixels (y down)."""

    left: float
    top: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + self.height

    def intersects(self, other: Box) -> bool:
        """Whether the two boxes share interior (touching edges do not count)."""
        return (
            self.left < other.right
            and other.left < self.right
            and self.top < other.bottom
            and other.top < self.bottom
        )


@dataclass(frozen=True)
class Placement:
    """Where a label goes: its box, and which of the given forms fits (-1: none fits whole,
    the box is the widest free stretch, to elide the last form into)."""

    box: Box
    form: int


def segment_spans_in_band(segments: np.ndarray, top: float, bottom: float) -> np.ndarray:
    """The x extent ``(m, 2)`` of each segment's part between heights ``top`` and ``bottom``.

    ``segments`` is ``(n, 4)``: x0, y0, x1, y1. Segments that do not enter the band are left out.
    """
    s = np.asarray(segments, dtype=float).reshape(-1, 4)
    if len(s) == 0:
        return np.zeros((0, 2))
    x0, y0, x1, y1 = s.T
    low, high = np.minimum(y0, y1), np.maximum(y0, y1)
    enters = (high >= top) & (low <= bottom)
    x0, y0, x1, y1 = x0[enters], y0[enters], x1[enters], y1[enters]
    dy = y1 - y0
    flat = np.abs(dy) < 1e-9
    safe = np.where(flat, 1.0, dy)
    # the segment's parameter where it meets the band's edges, clipped to the segment
    t_top = np.clip((top - y0) / safe, 0.0, 1.0)
    t_bottom = np.clip((bottom - y0) / safe, 0.0, 1.0)
    xa = np.where(flat, x0, x0 + t_top * (x1 - x0))
    xb = np.where(flat, x1, x0 + t_bottom * (x1 - x0))
    return np.column_stack([np.minimum(xa, xb), np.maximum(xa, xb)])


def free_stretches(
    left: float, right: float, blocked: Sequence[tuple[float, float]], pad: float
) -> list[tuple[float, float]]:
    """The parts of ``left..right`` at least ``pad`` away from every blocked interval."""
    free: list[tuple[float, float]] = []
    start = left
    for low, high in sorted(blocked):
        if low - pad > start:
            free.append((start, low - pad))
        start = max(start, high + pad)
    if right > start:
        free.append((start, right))
    return free


def place_beside_line(
    widths: Sequence[float],
    height: float,
    line_y: float,
    region: Box,
    occupied: Sequence[Box],
    segments: np.ndarray,
    prefer: Literal["left", "right"] = "left",
    gap: float = 3.0,
    sides: Sequence[Literal["above", "below"]] = ("above", "below"),
    pad: float = 4.0,
    rows: int = 3,
) -> Placement | None:
    """Place a label of one of ``widths`` (its forms, longest first) beside the line at
    ``line_y``, inside ``region``, clear of ``occupied`` boxes and of ``segments``.

    Parameters
    ----------
    widths : the widths of the label's forms, px, longest (preferred) first.
    height : the label's height, px.
    line_y : the height of the line it names, px.
    region : where labels may go (the visible view).
    occupied : boxes of labels and text already placed.
    segments : ``(n, 4)`` x0, y0, x1, y1 of every other line drawn, px.
    prefer : the side of the view the label goes to when several stretches hold it.
    gap : space between the label and its line, px.
    sides : the bands tried, in order: just above the line, just below it.
    rows : how many label heights away from the line a label may stand when the bands next to
        it are taken (lines a few pixels apart leave no room between them).

    Returns
    -------
    Placement or None
        None when no band has a free stretch at all (the label is left out).
    """
    widest: tuple[float, Box] | None = None
    bands = [(row, side) for row in range(rows) for side in sides]
    for row, side in bands:
        top = line_y - gap - (row + 1) * height if side == "above" else line_y + gap + row * height
        # a line near the top or bottom of the view keeps its label inside it
        top = min(max(top, region.top), region.bottom - height)
        band = Box(region.left, top, region.width, height)
        blocked = [(b.left, b.right) for b in occupied if b.intersects(band)]
        blocked += [tuple(span) for span in segment_spans_in_band(segments, band.top, band.bottom)]
        free = free_stretches(region.left + pad, region.right - pad, blocked, pad)
        if prefer == "right":
            free.reverse()
        for form, width in enumerate(widths):
            for index, (low, high) in enumerate(free):
                if high - low >= width:
                    # on its own side at the edge; pushed across, to the far edge there
                    at_left = (prefer == "left") == (index == 0)
                    x = low if at_left else high - width
                    return Placement(Box(x, top, width, height), form)
        for low, high in free:
            if widest is None or high - low > widest[0]:
                widest = (high - low, Box(low, top, high - low, height))
    if widest is None:
        return None
    return Placement(widest[1], -1)


def box_crosses_segments(box: Box, segments: np.ndarray) -> bool:
    """Whether any segment passes through the box's interior."""
    spans = segment_spans_in_band(segments, box.top + 1e-6, box.bottom - 1e-6)
    return bool(np.any((spans[:, 1] > box.left) & (spans[:, 0] < box.right)))
