"""The bundled sample cases: their reference annotation, and DICOM export of the structures."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from app.gui import sample_case_path
from imaging.rtstruct import contours_to_mask, read_rtstruct
from imaging.seg import read_seg
from planning.anatomy.lesion import lesion_levels, measure_lesion
from tests.app.conftest import open_and_wait

pytestmark = pytest.mark.skipif(
    not sample_case_path("case1").exists(), reason="sample cases not generated"
)


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "userdata"
    monkeypatch.setenv("SPINEPLAN_DATA_DIR", str(folder))
    return folder


def reference_items(window):
    return [i for i in window.viewer.overlays.items() if i.name.startswith("Reference: ")]


def dice(a: np.ndarray, b: np.ndarray) -> float:
    return 2.0 * float((a & b).sum()) / float(a.sum() + b.sum())


def test_opening_a_sample_study_shows_its_reference_as_a_layer_practice_can_hide(qtbot, window):
    assert open_and_wait(qtbot, window, sample_case_path("case1"), 120_000) == "done"
    annotation = window.annotation
    assert annotation.document.case.is_empty()  # the user's own annotation starts empty
    items = reference_items(window)
    names = {i.name for i in items}
    assert {
        "Reference: Level names",
        "Reference: Endplates",
        "Reference: Lesion",
        "Reference: Edema superior limit",
    } <= names
    assert all(i.visible for i in items)
    window.actions_by_id["show_reference"].setChecked(False)
    assert not any(i.visible for i in reference_items(window))
    window.actions_by_id["show_reference"].setChecked(True)
    annotation.set_reference_allowed(False)  # what practice mode does
    assert reference_items(window) == []
    assert not window.actions_by_id["show_reference"].isEnabled()
    annotation.set_reference_allowed(True)
    assert reference_items(window)


@pytest.mark.parametrize("case", ["case1", "case2", "case3", "case4"])
def test_reference_case_numbers_and_structure_exports(qtbot, window, case, tmp_path):
    path = sample_case_path(case) / "reference.spineplan.json"
    assert open_and_wait(qtbot, window, path, 120_000) == "done"
    annotation = window.annotation
    state = annotation.document.case
    assert len(state.levels) == 24 and state.lesion_mask is not None
    assert annotation.document.case_path is None  # a reference is never overwritten by Save
    assert "consistent" in annotation.levels_panel.issues.text()
    lesion_words = annotation.lesion_panel.values["Levels"].text()
    m = measure_lesion(state.lesion_mask)
    expected = lesion_levels(state.levels, (m.superior_z_mm, m.inferior_z_mm)).short
    assert lesion_words == f"<b>{expected}</b>"
    # the case opens on its lesion: every view passes through the lesion's centroid
    assert np.allclose(window.viewer.point_mm, m.centroid_mm)
    assert (
        annotation.lesion_panel.values["Volume"]
        .text()
        .startswith(f"{m.volume_cc:.2f} cm³ on the MR grid")
    )
    if case == "case1":
        assert lesion_words == "<b>C4-5</b>"
        assert annotation.edema_panel.values["Extent"].text() == (
            "<b>cervicomedullary junction to T5</b>"
        )
        assert annotation.edema_panel.values["Cord length"].text().startswith("234.3 mm")

    rtstruct = annotation.export_rtstruct(tmp_path / "rs.dcm")
    frame, structures = read_rtstruct(rtstruct)
    assert frame == annotation.document.reference.frame_of_reference_uid
    by_name = {s.name: s for s in structures}
    assert set(by_name) == {"Lesion", "Edema (cord segment)"}
    back = contours_to_mask(by_name["Lesion"].contours, annotation.document.reference)
    assert dice(back.array.astype(bool), state.lesion_mask.array) >= 0.95
    if shutil.which("dciodvfy"):
        result = subprocess.run(["dciodvfy", str(rtstruct)], capture_output=True, text=True)
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
        assert errors == [], result.stderr

    seg = annotation.export_seg(tmp_path / "seg.dcm")
    masks = read_seg(seg, annotation.document.reference)
    assert np.array_equal(masks["Lesion"].array, state.lesion_mask.array)
