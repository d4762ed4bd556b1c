"""Cord edema: its superior and inferior limits in words and its length along the cord.

A limit (a patient z, LPS mm) is named by where it falls among the labelled levels:

* inside a labelled body (between its endplates, inclusive): the level, ``"T5"``;
* inside the disc space between two consecutively named labelled bodies: ``"T4-5 disc"``;
* above the highest labelled body when that body is C1 or C2, by at most
  :data:`CERVICOMEDULLARY_REACH_MM`: ``"cervicomedullary junction"``. C1 has no body of its
  own; above C2's superior endplate (the dens) the cord meets the medulla at the foramen
  magnum, 1-3 cm higher. Further up: ``"above the cervicomedullary junction"``;
* otherwise above the highest or below the lowest label: ``"12 mm above C5 (not labelled
  higher)"``, or in an unlabelled gap: ``"between C4 and C6 (C5 not labelled)"``.

The extent reads ``"<superior> to <inferior>"`` (``"cervicomedullary junction to T5"``), or the
one name when both limits fall on the same body or disc. ``levels_words`` gives the levels
whose segments the edema overlaps in short form (``"T4-5"``).

The cord length is the superior-inferior extent (``superior_z_mm - inferior_z_mm``) unless a
cord centreline is given as a polyline, when it is that polyline's length between the two
limits (the cord curves with the lordosis and kyphosis, so the SI extent is the shorter).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from planning.anatomy.levels import (
    ThoracicPrefix,
    VertebralLevel,
    disc_name,
    display_name,
    level_at,
    level_range_short,
    level_range_words,
    levels_between,
    require_consistent,
)
from planning.errors import PlanningError

#: How far above the superior endplate of C2 (or the top of C1) a limit is still called the
#: cervicomedullary junction, mm.
CERVICOMEDULLARY_REACH_MM = 30.0
CERVICOMEDULLARY_JUNCTION = "cervicomedullary junction"


@dataclass(frozen=True)
class EdemaLimits:
    """The edema as marked (the case file's ``"edema"``): two z limits, LPS mm, and optionally
    the cord centreline as a polyline of LPS mm points."""

    superior_z_mm: float
    inferior_z_mm: float
    centreline_mm: tuple[tuple[float, float, float], ...] | None = None

    def describe(
        self, levels: Sequence[VertebralLevel], thoracic_prefix: ThoracicPrefix = "T"
    ) -> EdemaExtent:
        """:func:`describe_edema` of these limits."""
        return describe_edema(
            levels, self.superior_z_mm, self.inferior_z_mm, self.centreline_mm, thoracic_prefix
        )


@dataclass(frozen=True)
class EdemaExtent:
    """The edema in words and millimetres.

    Attributes
    ----------
    superior_z_mm, inferior_z_mm : float
        The limits, LPS mm.
    superior_words, inferior_words : str
        Each limit in words (see the module docstring).
    words : str
        ``"cervicomedullary junction to T5"``.
    levels : tuple of str
        Levels whose segment the edema overlaps, head down.
    levels_words : str
        Those levels in short form, ``"T4-5"``.
    cord_length_mm : float
        Length of cord involved, mm.
    length_method : str
        ``"superior-inferior extent"`` or ``"along the cord centreline"``.
    """

    superior_z_mm: float
    inferior_z_mm: float
    superior_words: str
    inferior_words: str
    words: str
    levels: tuple[str, ...]
    levels_words: str
    cord_length_mm: float
    length_method: str


def position_words(
    levels: Sequence[VertebralLevel], z_mm: float, thoracic_prefix: ThoracicPrefix = "T"
) -> str:
    """Where a patient z falls among the labelled levels, in words (module docstring rules)."""
    ordered = require_consistent(levels, thoracic_prefix)

    def show(name: str) -> str:
        return display_name(name, thoracic_prefix)

    for lv in ordered:
        if lv.contains_z(z_mm):
            return show(lv.name)
    top = ordered[0]
    if z_mm > top.superior_z_mm:
        above = z_mm - top.superior_z_mm
        if top.name in ("C1", "C2"):
            if above <= CERVICOMEDULLARY_REACH_MM:
                return CERVICOMEDULLARY_JUNCTION
            return f"above the {CERVICOMEDULLARY_JUNCTION} ({above:.0f} mm above {show(top.name)})"
        return f"{above:.0f} mm above {show(top.name)} (not labelled higher)"
    bottom = ordered[-1]
    if z_mm < bottom.inferior_z_mm:
        return (
            f"{bottom.inferior_z_mm - z_mm:.0f} mm below {show(bottom.name)} (not labelled lower)"
        )
    for upper, lower in itertools.pairwise(ordered):
        if lower.superior_z_mm < z_mm < upper.inferior_z_mm:
            if lower.index == upper.index + 1:
                return f"{disc_name(upper.name, lower.name, thoracic_prefix)} disc"
            missing = [level_at(i) or "" for i in range(upper.index + 1, lower.index)]
            verb = "is" if len(missing) == 1 else "are"
            return (
                f"between {show(upper.name)} and {show(lower.name)} "
                f"({level_range_words(missing, thoracic_prefix)} {verb} not labelled)"
            )
    raise PlanningError(f"z {z_mm:.1f} mm could not be placed among the labelled levels")


def centreline_length_mm(
    centreline_mm: Sequence[Sequence[float]] | np.ndarray,
    superior_z_mm: float,
    inferior_z_mm: float,
) -> float:
    """Length of a cord centreline polyline between two z limits, mm.

    Parameters
    ----------
    centreline_mm : (N, 3) array-like
        Points along the cord, LPS mm, in order (either direction).
    superior_z_mm, inferior_z_mm : float
        The limits.

    Raises
    ------
    PlanningError
        When the polyline has fewer than two points or does not reach both limits.
    """
    points = np.asarray(centreline_mm, dtype=float)
    if points.ndim != 2 or points.shape[1] != 3 or len(points) < 2:
        raise PlanningError("a cord centreline needs at least two points (x, y, z) in mm")
    high, low = max(superior_z_mm, inferior_z_mm), min(superior_z_mm, inferior_z_mm)
    z = points[:, 2]
    if z.max() < high - 0.5 or z.min() > low + 0.5:
        raise PlanningError(
            f"the cord centreline (z {z.min():.1f} to {z.max():.1f} mm) does not reach both "
            f"edema limits (z {low:.1f} to {high:.1f} mm)"
        )
    total = 0.0
    for p0, p1 in itertools.pairwise(points):
        length = float(np.linalg.norm(p1 - p0))
        z0, z1 = p0[2], p1[2]
        if z0 == z1:
            total += length if low <= z0 <= high else 0.0
            continue
        # Fraction of the segment whose z lies within [low, high].
        t_low, t_high = sorted(((low - z0) / (z1 - z0), (high - z0) / (z1 - z0)))
        t_low, t_high = max(t_low, 0.0), min(t_high, 1.0)
        if t_high > t_low:
            total += length * (t_high - t_low)
    return total


def describe_edema(
    levels: Sequence[VertebralLevel],
    superior_z_mm: float,
    inferior_z_mm: float,
    centreline_mm: Sequence[Sequence[float]] | np.ndarray | None = None,
    thoracic_prefix: ThoracicPrefix = "T",
) -> EdemaExtent:
    """The edema extent in levels and cord length.

    Parameters
    ----------
    levels : sequence of VertebralLevel
        The labels (must be consistent).
    superior_z_mm, inferior_z_mm : float
        The limits set on the sagittal view, LPS mm (swapped if given the wrong way round).
    centreline_mm : (N, 3) array-like, optional
        The cord centreline; without it the length is the superior-inferior extent.

    Raises
    ------
    LabelError
        Inconsistent labels.
    PlanningError
        A centreline that does not reach the limits.
    """
    high, low = max(superior_z_mm, inferior_z_mm), min(superior_z_mm, inferior_z_mm)
    top = position_words(levels, high, thoracic_prefix)
    bottom = position_words(levels, low, thoracic_prefix)
    spanned = levels_between(levels, high, low, thoracic_prefix)
    if centreline_mm is None:
        length, method = high - low, "superior-inferior extent"
    else:
        length = centreline_length_mm(centreline_mm, high, low)
        method = "along the cord centreline"
    return EdemaExtent(
        superior_z_mm=float(high),
        inferior_z_mm=float(low),
        superior_words=top,
        inferior_words=bottom,
        words=top if top == bottom else f"{top} to {bottom}",
        levels=spanned,
        levels_words=level_range_short(spanned, thoracic_prefix),
        cord_length_mm=float(length),
        length_method=method,
    )
