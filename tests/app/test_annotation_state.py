"""The document's undo stack and case file, without a window (the snapshots and edits are
tested in ``tests/planning/test_case_edits.py``)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from app.annotation.document import AnnotationDocument
from imaging.volume import Volume
from planning.anatomy.lesion import MaskLesion
from planning.case import Case, StudyReference, edits, load_case
from planning.case.masks import load_masks
from planning.case.settings import PlanSettings


def grid() -> Volume:
    """An axial 1 mm grid, 40 x 40 x 60 voxels, z from -30 to +29 mm."""
    affine = np.eye(4)
    affine[:3, 3] = (-20.0, -20.0, -30.0)
    return Volume(array=np.zeros((60, 40, 40), dtype=np.int16), affine=affine)


def names(state: Case) -> list[str]:
    return [lv.name for lv in state.levels]


def test_the_document_undoes_redoes_and_saves_a_painted_lesion(qtbot, tmp_path):
    volume = grid()
    study = tmp_path / "study"
    study.mkdir()
    document = AnnotationDocument()
    document.reset(Case(StudyReference(str(study))), volume)
    state, _ = edits.add_body(document.case, (0, 0, 10), "C4")
    document.apply("Label C4", state)
    mask = np.zeros(volume.shape, dtype=bool)
    edits.stamp_ball(mask, volume, (0, 0, 12), 4.0)
    document.apply("Paint lesion", edits.set_lesion(document.case, volume.with_array(mask), None))
    assert document.is_modified
    document.undo_stack.undo()
    assert document.case.lesion_mask is None and names(document.case) == ["C4"]
    document.undo_stack.redo()
    document.apply("Anchor C2", edits.set_counting_anchor(document.case, "c2", "C4"))
    written = document.save(tmp_path / "cases" / "one")
    assert written.name == "one.spineplan.json" and not document.is_modified
    case = load_case(written)
    assert case.lesion == MaskLesion("one.lesion.nrrd", "painted")
    assert case.study.path == "../study"
    assert case.counting_anchors.c2_z_mm == pytest.approx(document.case.levels[0].middle_z_mm)
    saved_check = json.loads(written.read_text())["counting_check"]
    assert saved_check["status"] == "c2_only" and "C2" in saved_check["sentence"]
    back = load_masks(case, volume)
    assert np.array_equal(back.lesion_mask.array, mask)
    assert names(back) == ["C4"]


def test_undo_after_save_as_keeps_where_the_case_now_lives(qtbot, tmp_path):
    """An undo step holds a whole `Case` snapshot taken before the save; where the case lives
    (study path relative to the new file, the file, no longer a reference) is kept."""
    volume = grid()
    study = tmp_path / "study"
    study.mkdir()
    document = AnnotationDocument()
    document.reset(Case(StudyReference(str(study)), reference=True), volume)
    document.apply("Label C4", edits.add_body(document.case, (0, 0, 10), "C4")[0])
    (tmp_path / "cases").mkdir()
    written = document.save(tmp_path / "cases" / "one")
    document.apply("Label C5", edits.add_body(document.case, (0, 0, -10), "C4")[0])
    assert names(document.case) == ["C4", "C5"]
    document.undo_stack.undo()
    document.undo_stack.undo()  # to before the first label, a snapshot older than the save
    assert names(document.case) == []
    assert document.case.source_path == written
    assert document.case.study.path == "../study" and not document.case.reference
    assert document.case.study_path().resolve() == study.resolve()
    document.undo_stack.redo()
    assert names(document.case) == ["C4"] and document.case.source_path == written


def test_plan_settings_and_the_planning_ct_are_undone_as_edits_of_the_case(qtbot, tmp_path):
    volume = grid()
    document = AnnotationDocument()
    document.reset(Case(StudyReference(str(tmp_path))), volume)
    plans, cts = [], []
    document.plan_changed.connect(plans.append)
    document.planning_ct_changed.connect(cts.append)
    document.apply("Label C4", edits.add_body(document.case, (0, 0, 10), "C4")[0])
    first = replace(document.case.plan, margin_mm=5.0)
    document.set_plan_settings(first)
    document.set_plan_settings(replace(first, margin_mm=10.0))  # merged with the one above
    assert document.undo_stack.count() == 2 and plans == [first, document.case.plan]
    document.undo_stack.undo()
    assert document.case.plan == PlanSettings() and names(document.case) == ["C4"]
    assert plans[-1] == PlanSettings() and cts == []
    document.undo_stack.undo()
    assert names(document.case) == [] and len(plans) == 3  # a label's undo: no plan signal
