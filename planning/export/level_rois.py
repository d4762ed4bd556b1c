"""The vertebral levels of a plan as RT Structure Set ROIs, in the plan's frame of reference.

Each level in and next to the field (the field's levels plus one vertebra above and one below:
the region the registration was fitted in, where the mapped levels are trustworthy) becomes one
ROI, ``Level T5``: the column between its two endplates, a cylinder of
:data:`LEVEL_RADIUS_MM` (half the body width when it was measured) around the level's clicked
body centre, else around the spinal canal (the lesion's centroid: it is intramedullary). It is a
marker of the level's extent along the spine, not the vertebra's outline, hence
RTROIInterpretedType ``CONTROL``, in the colour the views draw the levels in (the palette's
``LEVELS``).

The masks are built on the referenced series' grid (the planning CT's, or for an MR-only plan
the MR's) and contoured on its image planes like every other ROI. A voxel belongs to a level
when its centre lies between the endplates or within half a slice step (along z) of one: each
endplate falls on the nearest slice of an axial CT, and on a sagittal MR the contour runs on
the edge of the last pixel row inside, so the ROI's z extent is within half a slice (CT) or
half a pixel (sagittal MR) of the endplates, in the plan's frame (on a planning CT, the
endplates mapped through the registration as planes through the canal,
:mod:`planning.dose.ct_mapping`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from imaging.rtstruct import Structure
from imaging.volume import Volume
from planning.anatomy.levels import VertebralLevel, level_index
from planning.display import palette

#: Radius of a level's ROI around its body centre or the canal when no body width is known, mm.
LEVEL_RADIUS_MM = 15.0
#: DICOM RTROIInterpretedType of a level: a marker, not the vertebra's outline.
LEVEL_ROI_TYPE = "CONTROL"
#: ROI name prefix: ``Level T5``.
LEVEL_ROI_PREFIX = "Level "


def levels_near_field(
    levels: Sequence[VertebralLevel], superior_level: str, inferior_level: str
) -> list[VertebralLevel]:
    """The labelled levels from one above ``superior_level`` to one below ``inferior_level``
    (the field's own levels, named as the field names them), head down."""
    top, bottom = level_index(superior_level) - 1, level_index(inferior_level) + 1
    chosen = [level for level in levels if top <= level_index(level.name) <= bottom]
    return sorted(chosen, key=lambda level: level_index(level.name))


def level_mask(level: VertebralLevel, grid: Volume, canal_xy_mm: Sequence[float]) -> Volume:
    """The voxels of ``grid`` in ``level``'s ROI (see the module): between the endplates, within
    the radius of its body centre (or ``canal_xy_mm``, LPS mm) in x, y."""
    a = grid.affine
    k, j, i = np.indices(grid.shape, dtype=float, sparse=True)
    x, y, z = (a[r, 0] * i + a[r, 1] * j + a[r, 2] * k + a[r, 3] for r in range(3))
    # Contours lie on the slices (through-plane: each endplate to its nearest slice) and trace
    # the pixels' edges in-plane (a pixel row whose centre is between the endplates).
    half_slice_z = 0.5 * abs(float(a[2, 2]))
    low, high = sorted((level.inferior_z_mm, level.superior_z_mm))
    between = (z >= low - half_slice_z) & (z < high + half_slice_z)
    x0, y0 = level.center_mm[:2] if level.center_mm is not None else canal_xy_mm[:2]
    radius = LEVEL_RADIUS_MM if level.body_width_mm is None else 0.5 * level.body_width_mm
    around = (x - x0) ** 2 + (y - y0) ** 2 <= radius**2
    return grid.with_array(np.broadcast_to(between & around, grid.shape).copy())


def level_structures(
    levels: Sequence[VertebralLevel], grid: Volume, canal_xy_mm: Sequence[float]
) -> list[Structure]:
    """One ROI per level that has voxels on ``grid`` (a level beyond a planning CT's field of
    view has none and is left out)."""
    structures = []
    for level in levels:
        mask = level_mask(level, grid, canal_xy_mm)
        if mask.array.any():
            structures.append(
                Structure(LEVEL_ROI_PREFIX + level.name, mask, palette.LEVELS.rgb, LEVEL_ROI_TYPE)
            )
    return structures
