"""The edits of a case (`planning.case.edits`), and its masks built from the case file and named
by the files they are saved to (`planning.case.masks`), without Qt."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from imaging.volume import Volume
from planning.anatomy.lesion import EllipsoidLesion, MaskLesion, ellipsoid_mask
from planning.case import Case, StudyReference, case_to_dict, edits
from planning.case.masks import is_painted, load_masks, with_mask_files
from planning.errors import LabelError, PlanningError


def grid() -> Volume:
    """An axial 1 mm grid, 40 x 40 x 60 voxels, z from -30 to +29 mm."""
    affine = np.eye(4)
    affine[:3, 3] = (-20.0, -20.0, -30.0)
    return Volume(array=np.zeros((60, 40, 40), dtype=np.int16), affine=affine)


def names(state: Case) -> list[str]:
    return [lv.name for lv in state.levels]


def test_clicks_are_named_from_the_anchor_whichever_way_the_user_goes():
    state, name = edits.add_body(Case(StudyReference("")), (0, 0, 100), "C2")
    assert name == "C2"
    state, name = edits.add_body(state, (0, 0, 80), "ignored once a body is labelled")
    assert name == "C3"
    state, name = edits.add_body(state, (0, 0, 120), "")
    assert name == "C1"
    assert names(state) == ["C1", "C2", "C3"]
    with pytest.raises(LabelError, match="beyond C1"):
        edits.add_body(state, (0, 0, 140), "")


def test_a_body_clicked_between_two_labels_shifts_the_ones_below():
    state = Case(StudyReference(""))
    for z in (100, 80, 40):
        state, _ = edits.add_body(state, (0, 0, z), "T4")
    state, name = edits.add_body(state, (0, 0, 60), "")
    assert name == "T6"
    assert names(state) == ["T4", "T5", "T6", "T7"]


def test_a_click_gets_the_typical_height_kept_clear_of_its_neighbours():
    state, _ = edits.add_body(Case(StudyReference("")), (0, 0, 100), "L1")
    assert state.levels[0].height_mm == pytest.approx(26.0)
    state, _ = edits.add_body(state, (0, 0, 80), "")
    upper, lower = state.levels
    assert lower.superior_z_mm == pytest.approx(upper.inferior_z_mm - edits.MIN_DISC_GAP_MM)
    dragged, _ = edits.add_body(state, (0, 0, 40), "", 45.0, 30.0)
    assert (dragged.levels[-1].superior_z_mm, dragged.levels[-1].inferior_z_mm) == (45.0, 30.0)


def test_deleting_an_anchored_body_drops_its_anchor():
    state = Case(StudyReference(""))
    for z in (100, 80):
        state, _ = edits.add_body(state, (0, 0, z), "C2")
    state = edits.set_counting_anchor(state, "c2", "C2")
    assert state.counting_anchors.c2_z_mm == pytest.approx(100)
    assert edits.delete_level(state, "C2").counting_anchors is None
    assert edits.delete_level(state, "C3").counting_anchors.c2_z_mm == pytest.approx(100)


def test_a_brush_stamp_is_a_disc_in_the_view_plane():
    volume = grid()
    mask = np.zeros(volume.shape, dtype=bool)
    changed = edits.stamp_ball(mask, volume, (0, 0, 0), 3.0, (0, 0, 1), 0.5)
    assert changed
    assert set(np.nonzero(mask)[0]) == {30}  # one axial slice: z = 0
    assert mask.sum() == 29  # voxel centres within 3 mm on a 1 mm grid
    assert not edits.stamp_ball(mask, volume, (0, 0, 0), 3.0, (0, 0, 1), 0.5)
    edits.stamp_ball(mask, volume, (0, 0, 0), 3.0, (0, 0, 1), 0.5, value=False)
    assert not mask.any()


def test_a_case_goes_through_its_masks_unchanged_and_a_painted_lesion_needs_a_file():
    volume = grid()
    case = Case(StudyReference("study"), description="kept", thoracic_prefix="D")
    state, _ = edits.add_body(case, (0, 0, 10), "T4")
    state = edits.set_edema(state, 5.0, 20.0)
    ellipsoid = EllipsoidLesion((0.0, 0.0, 12.0), (3.0, 3.0, 4.0))
    lesion_mask = ellipsoid_mask(volume, ellipsoid.center_mm, ellipsoid.radii_mm)
    with_spec = with_mask_files(edits.set_lesion(state, lesion_mask, ellipsoid))
    assert with_spec.lesion == ellipsoid and with_spec.description == "kept"
    assert with_spec.edema.superior_z_mm == 20.0 and with_spec.thoracic_prefix == "D"
    as_read = replace(with_spec, lesion_mask=None)  # what the case file gives back
    back = load_masks(as_read, volume)
    assert back.lesion == ellipsoid and back.lesion_mask.array.sum() > 0
    assert with_mask_files(back) == as_read

    mask = np.zeros(volume.shape, dtype=bool)
    edits.stamp_ball(mask, volume, (0, 0, 12), 4.0)
    painted = edits.set_lesion(state, volume.with_array(mask), None)
    with pytest.raises(PlanningError, match="mask file"):
        with_mask_files(painted)
    saved = with_mask_files(painted, "case.lesion.nrrd")
    assert saved.lesion == MaskLesion("case.lesion.nrrd", "painted")
    assert is_painted(saved.lesion) and not is_painted(ellipsoid)


def test_masks_and_rulers_ride_with_the_case_but_not_into_its_file_nor_its_equality():
    volume = grid()
    case = Case(StudyReference("study"))
    case, _ = edits.add_body(case, (0, 0, 10), "T4")
    case = edits.set_lesion(case, ellipsoid_mask(volume, (0, 0, 10), (3, 3, 3)), None)
    measured, name = edits.measure_body_width(case, (-15.0, 0.0, 10.0), (16.0, 0.0, 10.0))
    assert name == "T4" and measured.levels[0].body_width_mm == 31.0
    assert len(measured.width_rulers) == 1 and measured.lesion_mask is case.lesion_mask
    saved = with_mask_files(measured, "case.lesion.nrrd")
    bare = replace(saved, lesion_mask=None, width_rulers=())
    assert saved == bare and case_to_dict(saved) == case_to_dict(bare)
    assert "width_rulers" not in json.dumps(case_to_dict(saved))
    cleared = edits.clear_body_width(measured, "T4")
    assert cleared.width_rulers == () and cleared.levels[0].body_width_mm is None
    assert edits.set_lesion(measured, None, None).lesion_mask is None
