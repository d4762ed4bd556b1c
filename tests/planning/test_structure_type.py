"""The one structure type: a case file's entry and the GUI's record with its mask."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from imaging.volume import Volume
from planning.anatomy.lesion import EllipsoidLesion, MaskLesion
from planning.anatomy.structures import CaseStructure, build_structure_mask
from planning.case import case_from_dict, case_to_dict
from planning.errors import CaseFileError, PlanningError


def _grid(shift_mm: float = 0.0) -> Volume:
    affine = np.diag([2.0, 2.0, 3.0, 1.0])
    affine[:3, 3] = (shift_mm, 0.0, 0.0)
    return Volume(np.zeros((4, 5, 6), dtype=bool), affine)


def _painted() -> Volume:
    array = np.zeros((4, 5, 6), dtype=bool)
    array[1:3, 2, 2:4] = True
    return _grid().with_array(array)


def test_a_structure_needs_a_shape_or_a_mask() -> None:
    with pytest.raises(PlanningError, match="needs a shape"):
        CaseStructure("Cord", None)
    painted = CaseStructure("Cord", None, mask=_painted())
    assert painted.shape is None and painted.is_cord and painted.roi_type == "ORGAN"


def test_the_mask_travels_with_the_record_but_is_not_compared() -> None:
    from_file = CaseStructure("Cord", MaskLesion("cord.nrrd"))
    built = replace(from_file, mask=_painted())
    assert built == from_file  # the same structure, built or not
    assert built.mask is not None and from_file.mask is None
    assert "mask" not in repr(built)


def test_a_painted_structure_is_its_mask_on_its_own_grid() -> None:
    painted = CaseStructure("Bone metastasis", None, mask=_painted())
    assert build_structure_mask(painted, _grid()) is painted.mask
    with pytest.raises(PlanningError, match="another grid"):
        build_structure_mask(painted, _grid(shift_mm=5.0))


def test_a_specified_structure_is_built_from_its_shape_not_a_stale_mask() -> None:
    ellipsoid = EllipsoidLesion((4.0, 4.0, 3.0), (3.0, 3.0, 3.0))
    structure = CaseStructure("Kidney", ellipsoid, mask=_grid().with_array(np.zeros((4, 5, 6))))
    mask = build_structure_mask(structure, _grid())
    assert mask.array.any()  # the ellipsoid, not the empty mask it carried


def test_case_files_keep_structures_and_refuse_an_unsaved_painted_one() -> None:
    case = case_from_dict(
        {
            "study": {"path": "."},
            "structures": [{"name": "Cord", "type": "mask", "path": "c.nrrd"}],
        },
        "c.spineplan.json",
    )
    (cord,) = case.structures
    assert cord.mask is None  # a case read from a file carries no voxels
    data = case_to_dict(replace(case, structures=(replace(cord, mask=_painted()),)))
    assert data["structures"] == case_to_dict(case)["structures"]  # no voxels in the file
    assert data["structures"][0]["path"] == "c.nrrd"
    painted = replace(case, structures=(CaseStructure("Cord", None, mask=_painted()),))
    with pytest.raises(CaseFileError, match="needs a mask file"):
        case_to_dict(painted)
