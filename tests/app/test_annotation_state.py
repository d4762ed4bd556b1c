"""The annotation snapshots and edits, and the document's undo stack and case file, without
a window."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.annotation.document import AnnotationDocument
from imaging.volume import Volume
from planning.anatomy.lesion import MaskLesion
from planning.case import Case, StudyReference, load_case
from planning.case import annotation as edits
from planning.case.annotation import annotation_from_case
from planning.errors import LabelError


def grid() -> Volume:
    """An axial 1 mm grid, 40 x 40 x 60 voxels, z from -30 to +29 mm."""
    affine = np.eye(4)
    affine[:3, 3] = (-20.0, -20.0, -30.0)
    return Volume(array=np.zeros((60, 40, 40), dtype=np.int16), affine=affine)


def names(state: edits.Annotation) -> list[str]:
    return [lv.name for lv in state.levels]


def test_clicks_are_named_from_the_anchor_whichever_way_the_user_goes():
    state, name = edits.add_body(edits.Annotation(), (0, 0, 100), "C2")
    assert name == "C2"
    state, name = edits.add_body(state, (0, 0, 80), "ignored once a body is labelled")
    assert name == "C3"
    state, name = edits.add_body(state, (0, 0, 120), "")
    assert name == "C1"
    assert names(state) == ["C1", "C2", "C3"]
    with pytest.raises(LabelError, match="beyond C1"):
        edits.add_body(state, (0, 0, 140), "")


def test_a_body_clicked_between_two_labels_shifts_the_ones_below():
    state = edits.Annotation()
    for z in (100, 80, 40):
        state, _ = edits.add_body(state, (0, 0, z), "T4")
    state, name = edits.add_body(state, (0, 0, 60), "")
    assert name == "T6"
    assert names(state) == ["T4", "T5", "T6", "T7"]


def test_a_click_gets_the_typical_height_kept_clear_of_its_neighbours():
    state, _ = edits.add_body(edits.Annotation(), (0, 0, 100), "L1")
    assert state.levels[0].height_mm == pytest.approx(26.0)
    state, _ = edits.add_body(state, (0, 0, 80), "")
    upper, lower = state.levels
    assert lower.superior_z_mm == pytest.approx(upper.inferior_z_mm - edits.MIN_DISC_GAP_MM)
    dragged, _ = edits.add_body(state, (0, 0, 40), "", 45.0, 30.0)
    assert (dragged.levels[-1].superior_z_mm, dragged.levels[-1].inferior_z_mm) == (45.0, 30.0)


def test_deleting_an_anchored_body_drops_its_anchor():
    state = edits.Annotation()
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


def test_the_document_undoes_redoes_and_saves_a_painted_lesion(qtbot, tmp_path):
    volume = grid()
    study = tmp_path / "study"
    study.mkdir()
    document = AnnotationDocument()
    document.reset(Case(StudyReference(str(study))), volume)
    state, _ = edits.add_body(document.state, (0, 0, 10), "C4")
    document.apply("Label C4", state)
    mask = np.zeros(volume.shape, dtype=bool)
    edits.stamp_ball(mask, volume, (0, 0, 12), 4.0)
    document.apply("Paint lesion", edits.set_lesion(document.state, volume.with_array(mask), None))
    assert document.is_modified
    document.undo_stack.undo()
    assert document.state.lesion_mask is None and names(document.state) == ["C4"]
    document.undo_stack.redo()
    document.apply("Anchor C2", edits.set_counting_anchor(document.state, "c2", "C4"))
    written = document.save(tmp_path / "cases" / "one")
    assert written.name == "one.spineplan.json" and not document.is_modified
    case = load_case(written)
    assert case.lesion == MaskLesion("one.lesion.nrrd", "painted")
    assert case.study.path == "../study"
    assert case.counting_anchors.c2_z_mm == pytest.approx(document.state.levels[0].middle_z_mm)
    saved_check = json.loads(written.read_text())["counting_check"]
    assert saved_check["status"] == "c2_only" and "C2" in saved_check["sentence"]
    back = annotation_from_case(case, volume)
    assert np.array_equal(back.lesion_mask.array, mask)
    assert names(back) == ["C4"]
