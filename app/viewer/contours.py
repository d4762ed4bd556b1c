"""Iso-lines of a 2D scalar field by vectorised marching squares (numpy only).

Used by the contour overlay (isodoses) on whatever plane a view shows. Returns line segments
in the field's pixel coordinates; no Python loop runs over cells.
"""

from __future__ import annotations

import numpy as np

# Edges of a cell: 0 top (tl-tr), 1 right (tr-br), 2 bottom (bl-br), 3 left (tl-bl).
# Case index = 8*tl + 4*tr + 2*br + 1*bl (corner at or above the level); saddles split one way.
_SEGMENTS: dict[int, tuple[tuple[int, int], ...]] = {
    1: ((3, 2),),
    2: ((2, 1),),
    3: ((3, 1),),
    4: ((0, 1),),
    5: ((3, 0), (2, 1)),
    6: ((0, 2),),
    7: ((3, 0),),
    8: ((3, 0),),
    9: ((0, 2),),
    10: ((0, 1), (3, 2)),
    11: ((0, 1),),
    12: ((3, 1),),
    13: ((2, 1),),
    14: ((3, 2),),
}


def iso_segments(field: np.ndarray, level: float) -> np.ndarray:
    """Line segments where ``field`` crosses ``level``.

    Parameters
    ----------
    field : 2D array ``(rows, columns)``; NaN counts as below the level.
    level : the iso-value, in the field's units.

    Returns
    -------
    numpy.ndarray
        ``(n, 2, 2)``: segment, end point, ``(x = column, y = row)`` in pixel coordinates.
    """
    f = np.nan_to_num(np.asarray(field, dtype=np.float32), nan=-np.inf)
    if f.ndim != 2 or min(f.shape) < 2:
        return np.zeros((0, 2, 2))
    above = f >= level
    tl, tr, br, bl = above[:-1, :-1], above[:-1, 1:], above[1:, 1:], above[1:, :-1]
    case = (tl.astype(np.uint8) << 3) | (tr.astype(np.uint8) << 2) | (br.astype(np.uint8) << 1)
    case |= bl.astype(np.uint8)
    active = (case != 0) & (case != 15)
    if not active.any():
        return np.zeros((0, 2, 2))
    rows, cols = np.nonzero(active)
    cases = case[rows, cols]
    v_tl, v_tr = f[rows, cols], f[rows, cols + 1]
    v_br, v_bl = f[rows + 1, cols + 1], f[rows + 1, cols]

    def fraction(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (level - a) / (b - a)
        return np.clip(np.nan_to_num(t, nan=0.5, posinf=0.5, neginf=0.5), 0.0, 1.0)

    x, y = cols.astype(float), rows.astype(float)
    edges = np.empty((4, len(rows), 2))
    edges[0] = np.stack([x + fraction(v_tl, v_tr), y], -1)
    edges[1] = np.stack([x + 1.0, y + fraction(v_tr, v_br)], -1)
    edges[2] = np.stack([x + fraction(v_bl, v_br), y + 1.0], -1)
    edges[3] = np.stack([x, y + fraction(v_tl, v_bl)], -1)
    segments = []
    for case_value, pairs in _SEGMENTS.items():
        selected = np.nonzero(cases == case_value)[0]
        if selected.size == 0:
            continue
        for start, end in pairs:
            segments.append(np.stack([edges[start, selected], edges[end, selected]], axis=1))
    return np.concatenate(segments, axis=0)
