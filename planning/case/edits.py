"""The edits of a case's annotation: pure functions ``Case -> Case``.

A :class:`~planning.case.Case` being edited carries its masks on the reference grid (see
:func:`planning.case.masks.load_masks`), so that a brush can change them voxel by voxel. Every
edit here (label a body, move an endplate, rename, paint the lesion, set the edema...) returns
a new case and leaves the old one as it was; the GUI's document pushes the pair on its undo
stack, so undo and redo just swap snapshots. Masks are never modified in place once they belong
to a case (a brush stroke works on a copy).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Literal

import numpy as np

from imaging.volume import Volume
from planning.anatomy.counting import CountingAnchors
from planning.anatomy.edema import EdemaLimits
from planning.anatomy.lesion import EllipsoidLesion, LesionSpec, MaskLesion
from planning.anatomy.levels import (
    ThoracicPrefix,
    VertebralLevel,
    canonical_level_name,
    display_name,
    find_level,
    level_at,
    name_bodies,
    region_of,
    rename_level,
    renumber_from,
    sort_by_z,
)
from planning.anatomy.structures import CaseStructure, check_structure_name
from planning.case.model import Case, WidthRuler
from planning.errors import LabelError

#: Body height assumed for a single click, before the user drags the endplates, mm.
DEFAULT_BODY_HEIGHT_MM = {"cervical": 14.0, "thoracic": 20.0, "lumbar": 26.0, "sacral": 30.0}
#: Smallest disc space kept between a clicked body and its labelled neighbours, mm.
MIN_DISC_GAP_MM = 2.0
#: Smallest body height a click or drag may produce, mm.
MIN_BODY_HEIGHT_MM = 4.0
#: Smallest left-right extent a body-width ruler may measure, mm (shorter is a slip of the hand).
MIN_BODY_WIDTH_MM = 5.0

Endplate = Literal["superior", "inferior"]
AnchorKind = Literal["c2", "s1", "lowest_rib", "first_lumbar", "conus_tip"]


# -- levels --------------------------------------------------------------------------------
def default_body_height_mm(name: str) -> float:
    """Body height assumed for a click on level ``name``, mm."""
    return DEFAULT_BODY_HEIGHT_MM[region_of(name)]


def body_at(levels: Sequence[VertebralLevel], z_mm: float) -> VertebralLevel | None:
    """The labelled body whose endplates enclose ``z_mm``, if any."""
    for level in levels:
        if level.contains_z(z_mm):
            return level
    return None


def add_body(
    case: Case,
    position_mm: Sequence[float],
    first_name: str = "C2",
    superior_z_mm: float | None = None,
    inferior_z_mm: float | None = None,
) -> tuple[Case, str]:
    """Mark a body clicked at ``position_mm`` and name it in sequence.

    The first body gets ``first_name`` (the anchor); a body below the lowest label is named
    after it (C2, then C3, C4...), one above the highest before it; one clicked between two
    labelled bodies takes the next name down and renames the bodies below it.

    Without ``superior_z_mm``/``inferior_z_mm`` (a plain click) the endplates are placed at the
    typical height of the level around the click, kept clear of the neighbours.

    Returns
    -------
    (Case, str) : the new case and the new body's name.

    Raises
    ------
    LabelError
        When the count runs past C1 or S5.
    """
    position = tuple(float(v) for v in position_mm)
    z = position[2]
    ordered = sort_by_z(case.levels)
    above = [lv for lv in ordered if lv.middle_z_mm > z]
    below = [lv for lv in ordered if lv.middle_z_mm <= z]
    if not ordered:
        name: str | None = canonical_level_name(first_name)
    elif not below:
        name = level_at(above[-1].index + 1)
    elif not above:
        name = level_at(below[0].index - 1)
    else:
        name = level_at(above[-1].index + 1)
    if name is None:
        end = "S5" if not below else "C1"
        raise LabelError(f"no level can be named beyond {end}")
    if superior_z_mm is None or inferior_z_mm is None:
        half = default_body_height_mm(name) / 2.0
        superior, inferior = z + half, z - half
        if above:
            superior = min(superior, above[-1].inferior_z_mm - MIN_DISC_GAP_MM)
        if below:
            inferior = max(inferior, below[0].superior_z_mm + MIN_DISC_GAP_MM)
        if superior - inferior < MIN_BODY_HEIGHT_MM:
            superior, inferior = z + MIN_BODY_HEIGHT_MM / 2, z - MIN_BODY_HEIGHT_MM / 2
    else:
        superior, inferior = max(superior_z_mm, inferior_z_mm), min(superior_z_mm, inferior_z_mm)
    body = VertebralLevel(name, superior, inferior, position)  # type: ignore[arg-type]
    if above and below:
        # inserted between two labels: keep the names above, shift the ones below
        bodies = [*ordered, body]
        levels = name_bodies(bodies, bodies.index(above[-1]), above[-1].name)
        name = next(
            lv.name for lv in levels if lv.center_mm == position and lv.superior_z_mm == superior
        )
    else:
        levels = (*case.levels, body)
    return replace(case, levels=tuple(sort_by_z(levels))), name


def move_endplate(case: Case, name: str, which: Endplate, z_mm: float) -> Case:
    """The case with one endplate of level ``name`` moved to ``z_mm``."""
    level = find_level(case.levels, name)
    if level is None:
        raise LabelError(f"{name} is not labelled")
    if which == "superior":
        moved = replace(level, superior_z_mm=float(z_mm))
    else:
        moved = replace(level, inferior_z_mm=float(z_mm))
    return replace(case, levels=tuple(moved if lv is level else lv for lv in case.levels))


def rename(case: Case, old_name: str, new_name: str) -> Case:
    """Rename one level only (the others keep their names; the checks flag any clash)."""
    return replace(case, levels=rename_level(case.levels, old_name, new_name))


def renumber(case: Case, anchor_name: str, new_name: str) -> Case:
    """Name every body in sequence from ``anchor_name``, which becomes ``new_name``."""
    return replace(case, levels=sort_by_z(renumber_from(case.levels, anchor_name, new_name)))


def delete_level(case: Case, name: str) -> Case:
    """The case without level ``name``; a counting anchor inside it is dropped too."""
    level = find_level(case.levels, name)
    if level is None:
        raise LabelError(f"{name} is not labelled")
    anchors = case.counting_anchors
    if anchors is not None:
        kept = {
            key: (None if value is not None and level.contains_z(value) else value)
            for key, value in anchors.to_dict().items()
        }
        anchors = CountingAnchors(**kept) if any(v is not None for v in kept.values()) else None
    levels = tuple(lv for lv in case.levels if lv is not level)
    return replace(case, levels=levels, counting_anchors=anchors)


def nearest_level(levels: Sequence[VertebralLevel], z_mm: float) -> VertebralLevel | None:
    """The labelled body nearest to ``z_mm`` (distance to its nearer endplate), if any."""

    def distance(level: VertebralLevel) -> float:
        low, high = sorted((level.inferior_z_mm, level.superior_z_mm))
        return max(low - z_mm, z_mm - high, 0.0)

    return min(levels, key=distance, default=None)


def measure_body_width(
    case: Case, start_mm: Sequence[float], end_mm: Sequence[float]
) -> tuple[Case, str]:
    """Store the left-right extent of a ruler as the body width of the level it lies in.

    The level is the labelled body whose endplates enclose the ruler's middle z; the width is
    ``|x_end - x_start|`` (patient left-right, mm, to 0.1 mm), which replaces any earlier
    measurement of that body.

    Returns
    -------
    (Case, str) : the new case and the measured level's name.

    Raises
    ------
    LabelError
        No level labelled, a ruler outside every labelled body (the message names the nearest
        one), or a ruler with almost no left-right extent.
    """
    ruler = WidthRuler(
        tuple(float(v) for v in start_mm),  # type: ignore[arg-type]
        tuple(float(v) for v in end_mm),  # type: ignore[arg-type]
    )
    if not case.levels:
        raise LabelError("label the vertebral levels before measuring a body width")
    level = body_at(case.levels, ruler.z_mm)
    if level is None:
        nearest = nearest_level(case.levels, ruler.z_mm)
        assert nearest is not None
        name = display_name(nearest.name, case.thoracic_prefix)
        raise LabelError(
            f"the ruler (z {ruler.z_mm:.1f} mm) lies in no labelled vertebral body; the nearest "
            f"is {name} (z {nearest.superior_z_mm:.1f} to {nearest.inferior_z_mm:.1f} mm): "
            "measure between its endplates"
        )
    if ruler.width_mm < MIN_BODY_WIDTH_MM:
        raise LabelError(
            f"the ruler spans {ruler.width_mm:.1f} mm left-right: drag across the vertebral "
            "body from its left edge to its right edge"
        )
    measured = replace(level, body_width_mm=round(ruler.width_mm, 1))
    kept = tuple(r for r in case.width_rulers if not level.contains_z(r.z_mm))
    return (
        replace(
            case,
            levels=tuple(measured if lv is level else lv for lv in case.levels),
            width_rulers=(*kept, ruler),
        ),
        level.name,
    )


def clear_body_width(case: Case, name: str) -> Case:
    """The case without a body width for level ``name`` (nor its ruler)."""
    level = find_level(case.levels, name)
    if level is None:
        raise LabelError(f"{name} is not labelled")
    cleared = replace(level, body_width_mm=None)
    return replace(
        case,
        levels=tuple(cleared if lv is level else lv for lv in case.levels),
        width_rulers=tuple(r for r in case.width_rulers if not level.contains_z(r.z_mm)),
    )


def set_counting_anchor(case: Case, kind: AnchorKind, level_name: str | None) -> Case:
    """Anchor the count (``"c2"``, ``"s1"``, ``"lowest_rib"``, ``"first_lumbar"``; or the
    ``"conus_tip"`` cross-check, opposite a body) at a labelled body, or clear it."""
    z: float | None = None
    if level_name is not None:
        level = find_level(case.levels, level_name)
        if level is None:
            raise LabelError(f"cannot anchor the count at {level_name}: it is not labelled")
        z = level.middle_z_mm
    current = (case.counting_anchors or CountingAnchors()).to_dict()
    current[f"{kind}_z_mm"] = z
    anchors = CountingAnchors(**current) if any(v is not None for v in current.values()) else None
    return replace(case, counting_anchors=anchors)


# -- lesion --------------------------------------------------------------------------------
def stamp_ball(
    mask: np.ndarray,
    grid: Volume,
    center_mm: Sequence[float],
    radius_mm: float,
    plane_normal: Sequence[float] | None = None,
    half_thickness_mm: float = 0.0,
    value: bool = True,
) -> bool:
    """Set (or clear) the voxels of ``mask`` within ``radius_mm`` of a point, in place.

    With ``plane_normal`` the stamp is a disc: only voxels within ``half_thickness_mm`` of the
    plane through the point count (a brush on one view paints that view's slice). A voxel
    whose centre is not within reach but which contains the point is always stamped, so a
    small brush on a coarse grid still paints. Returns whether anything changed.
    """
    center = np.asarray(center_mm, dtype=float)
    reach = np.array([radius_mm] * 3)
    corners = center + np.array(np.meshgrid(*[(-1, 1)] * 3)).reshape(3, -1).T * reach
    ijk = grid.patient_to_index(corners)
    size = np.asarray(grid.size_ijk)
    low = np.clip(np.floor(ijk.min(axis=0)).astype(int), 0, size - 1)
    high = np.clip(np.ceil(ijk.max(axis=0)).astype(int), 0, size - 1)
    k, j, i = np.mgrid[low[2] : high[2] + 1, low[1] : high[1] + 1, low[0] : high[0] + 1]
    points = grid.index_to_patient(np.column_stack([i.ravel(), j.ravel(), k.ravel()]).astype(float))
    offsets = points - center
    inside = np.einsum("ij,ij->i", offsets, offsets) <= radius_mm**2
    if plane_normal is not None:
        normal = np.asarray(plane_normal, dtype=float)
        inside &= np.abs(offsets @ normal) <= max(half_thickness_mm, 1e-6)
    own = np.rint(grid.patient_to_index(center[None])[0]).astype(int)
    region = mask[low[2] : high[2] + 1, low[1] : high[1] + 1, low[0] : high[0] + 1]
    before = region.copy()
    region[inside.reshape(region.shape)] = value
    changed = bool((before != region).any())
    if np.all((own >= 0) & (own < size)) and mask[own[2], own[1], own[0]] != value:
        mask[own[2], own[1], own[0]] = value
        changed = True
    return changed


def set_lesion(case: Case, mask: Volume | None, spec: LesionSpec | None) -> Case:
    """The case with a new lesion mask (None clears it); an empty mask clears it too."""
    if mask is not None and not mask.array.any():
        mask, spec = None, None
    return replace(case, lesion_mask=mask, lesion=spec if mask is not None else None)


# -- other structures ----------------------------------------------------------------------
def set_structure(
    case: Case,
    name: str,
    mask: Volume | None,
    spec: EllipsoidLesion | MaskLesion | None = None,
) -> Case:
    """The case with structure ``name`` given a new mask (added at the end when new; an empty
    mask or None removes it). An existing structure keeps its place and interpreted type.

    Raises
    ------
    PlanningError
        A name that cannot name a structure (empty, reserved such as "Lesion").
    """
    current = case.structure(name)
    if mask is None or not mask.array.any():
        return remove_structure(case, name) if current is not None else case
    if current is None:
        others = [s.name for s in case.structures]
        made = CaseStructure(check_structure_name(name, others), spec, mask=mask)
        return replace(case, structures=(*case.structures, made))
    updated = replace(current, mask=mask, shape=spec)
    return replace(case, structures=tuple(updated if s is current else s for s in case.structures))


def remove_structure(case: Case, name: str) -> Case:
    """The case without structure ``name``."""
    current = case.structure(name)
    if current is None:
        raise LabelError(f"there is no structure named {name!r}")
    return replace(case, structures=tuple(s for s in case.structures if s is not current))


# -- edema ---------------------------------------------------------------------------------
def set_edema(case: Case, superior_z_mm: float | None, inferior_z_mm: float | None) -> Case:
    """The case with the edema limits set (both None clears them); swapped limits are put right."""
    if superior_z_mm is None or inferior_z_mm is None:
        return replace(case, edema=None)
    high, low = max(superior_z_mm, inferior_z_mm), min(superior_z_mm, inferior_z_mm)
    centreline = case.edema.centreline_mm if case.edema is not None else None
    return replace(case, edema=EdemaLimits(float(high), float(low), centreline))


def set_thoracic_prefix(case: Case, prefix: ThoracicPrefix) -> Case:
    if prefix not in ("T", "D"):
        raise LabelError(f'thoracic prefix must be "T" or "D", got {prefix!r}')
    return replace(case, thoracic_prefix=prefix)
