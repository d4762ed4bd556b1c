"""The masks of a case on the images: built from what the case file references, and named by
the files they are saved to.

A case read from a file says how its lesion and structures are made (an ellipsoid, a seed, a
mask file); :func:`load_masks` builds their masks on the reference grid, so that the case can be
drawn and edited voxel by voxel (:mod:`planning.case.edits`). A mask painted by hand has no
specification until it is saved: :func:`with_mask_files` names the files the caller writes it
to, which is what the case file then says.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from imaging.volume import Volume
from planning.anatomy.lesion import MaskLesion, build_lesion_mask
from planning.anatomy.structures import CaseStructure, build_structure_mask
from planning.case.model import Case
from planning.errors import PlanningError


def _boolean(mask: Volume) -> Volume:
    return mask.with_array(np.asarray(mask.array, dtype=bool))


def load_masks(case: Case, reference: Volume, post_contrast: Volume | None = None) -> Case:
    """``case`` with the masks of its lesion and structures built on ``reference``'s grid.

    ``post_contrast`` is the series a seed-grown lesion grows on (``reference`` without it).

    Raises
    ------
    SpineplanError
        When the lesion or a structure cannot be built (a missing mask file, a seed outside the
        images...).
    """
    mask = None
    if case.lesion is not None:
        mask = _boolean(
            build_lesion_mask(case.lesion, reference, post_contrast or reference, case.base_dir)
        )
    structures = tuple(
        replace(structure, mask=_boolean(build_structure_mask(structure, reference, case.base_dir)))
        for structure in case.structures
    )
    return replace(case, lesion_mask=mask, structures=structures)


def is_painted(spec: object) -> bool:
    """Painted by hand (no specification yet, or the mask file spineplan saved it to): written
    again beside the case at every save, so that Save as never points at another folder."""
    return spec is None or (isinstance(spec, MaskLesion) and spec.origin == "painted")


def with_mask_files(
    case: Case, mask_path: str | None = None, structure_paths: dict[str, str] | None = None
) -> Case:
    """``case`` with its painted masks specified by the files they are written to.

    ``mask_path`` becomes the lesion of a painted lesion mask (the caller writes the file); a
    lesion made from a specification keeps the specification. ``structure_paths`` gives the
    mask file of each painted structure by name (the caller writes them); without it,
    structures painted but never saved are left out. The masks stay with the case.

    Raises
    ------
    PlanningError
        A painted lesion without ``mask_path``, or a painted structure missing from
        ``structure_paths``.
    """
    lesion = case.lesion
    if case.lesion_mask is not None and is_painted(lesion):
        if mask_path is not None:
            lesion = MaskLesion(mask_path, "painted")
        elif lesion is None:
            raise PlanningError("a painted lesion needs a mask file to be saved")
    structures: list[CaseStructure] = []
    for structure in case.structures:
        path = (structure_paths or {}).get(structure.name)
        if path is not None:
            structure = replace(structure, shape=MaskLesion(path, "painted"))
        elif structure.shape is None:
            if structure_paths is None:
                continue  # a caller that does not write structures (practice attempts)
            raise PlanningError(
                f"the painted structure {structure.name!r} needs a mask file to be saved"
            )
        structures.append(structure)
    return replace(case, lesion=lesion, structures=tuple(structures))
