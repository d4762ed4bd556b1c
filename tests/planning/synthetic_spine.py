"""A synthetic adult spine for the planning tests: realistic body and disc heights per level.

Heights (mm) follow the usual adult ranges: cervical bodies ~14-15 with 5-6 mm discs, thoracic
bodies growing from 17 to 25 with 4-7 mm discs, lumbar bodies ~27-29 with ~10-12 mm discs, S1.
C2's superior endplate is the dens tip. z decreases downwards (LPS).
"""

from __future__ import annotations

from collections.abc import Iterable

from planning.anatomy.levels import LEVEL_SEQUENCE, VertebralLevel

#: name: (body height mm, disc below mm, body width LR mm)
ANATOMY: dict[str, tuple[float, float, float]] = {
    "C2": (30.0, 5.0, 18.0),  # body 16 mm plus the dens
    "C3": (14.0, 5.5, 20.0),
    "C4": (14.0, 5.5, 22.0),
    "C5": (14.0, 6.0, 24.0),
    "C6": (14.5, 6.0, 26.0),
    "C7": (15.0, 5.0, 28.0),
    "T1": (17.0, 4.0, 30.0),
    "T2": (18.0, 4.0, 30.0),
    "T3": (18.5, 4.5, 30.0),
    "T4": (19.0, 4.5, 31.0),
    "T5": (19.5, 5.0, 32.0),
    "T6": (20.0, 5.0, 33.0),
    "T7": (21.0, 5.0, 35.0),
    "T8": (21.5, 5.5, 37.0),
    "T9": (22.0, 5.5, 39.0),
    "T10": (23.0, 6.0, 41.0),
    "T11": (24.0, 6.5, 43.0),
    "T12": (25.0, 7.5, 45.0),
    "L1": (27.0, 10.0, 46.0),
    "L2": (28.0, 11.0, 48.0),
    "L3": (28.5, 11.5, 50.0),
    "L4": (28.5, 12.0, 52.0),
    "L5": (28.0, 12.0, 54.0),
    "S1": (30.0, 0.0, 56.0),
}

#: The dens tip (C2's superior endplate), LPS mm.
TOP_Z_MM = 20.0


def spine(
    names: Iterable[str] | None = None,
    *,
    top_z_mm: float = TOP_Z_MM,
    with_centres: bool = True,
    with_widths: bool = False,
) -> tuple[VertebralLevel, ...]:
    """Levels C2..S1 (or the named subset, keeping everyone's anatomical position)."""
    wanted = set(ANATOMY if names is None else names)
    levels = []
    z = top_z_mm
    for name in LEVEL_SEQUENCE:
        if name not in ANATOMY:
            continue
        height, disc, width = ANATOMY[name]
        if name in wanted:
            # The body sits a little anterior to the cord (y negative = anterior in LPS).
            centre = (0.0, -25.0, z - height / 2) if with_centres else None
            levels.append(
                VertebralLevel(name, z, z - height, centre, width if with_widths else None)
            )
        z -= height + disc
    return tuple(levels)


def by_name(levels: Iterable[VertebralLevel]) -> dict[str, VertebralLevel]:
    return {lv.name: lv for lv in levels}


def disc_middle(levels: Iterable[VertebralLevel], upper: str, lower: str) -> float:
    """Middle of the disc between two levels, computed from their endplates (mm)."""
    table = by_name(levels)
    return 0.5 * (table[upper].inferior_z_mm + table[lower].superior_z_mm)
