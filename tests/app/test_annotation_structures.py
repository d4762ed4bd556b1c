"""Named structures in the real main window: paint the cord with the brush, undo/redo, save and
reopen, recovery, RTSTRUCT export, and the cord's dose in the Plan panel."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from imaging.rtstruct import contours_to_mask, read_rtstruct
from planning.anatomy.lesion import measure_lesion
from planning.case import edits, load_case
from tests.app.annotation_helpers import drag, go_to, view_of
from tests.app.conftest import open_and_wait
from tests.app.test_annotation_gui import label_three, t1

SAMPLES = Path(__file__).resolve().parents[2] / "sample_dicom"
PLAN_TIMEOUT_MS = 60_000


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "userdata"
    monkeypatch.setenv("SPINEPLAN_DATA_DIR", str(folder))
    return folder


def _choose(window, name: str) -> None:
    """Pick ``name`` in the Lesion panel's Paint into list, as the user does."""
    combo = window.annotation.lesion_panel.target
    index = combo.findText(name)
    assert index >= 0, [combo.itemText(i) for i in range(combo.count())]
    combo.setCurrentIndex(index)


def _paint_cord_and_lesion(window):
    """Label three bodies, paint a 20 mm cord segment and a small lesion inside it."""
    annotation = window.annotation
    centre, zs = label_three(window, None)
    annotation.lesion_panel.radius.setValue(3.0)
    _choose(window, "Cord")
    annotation.activate_tool("tool_brush")
    sagittal = view_of(window)
    drag(sagittal, (centre[0], centre[1], zs[0]), (centre[0], centre[1], zs[2]), steps=12)
    _choose(window, "Lesion")
    drag(sagittal, (centre[0], centre[1], zs[1] + 2), (centre[0], centre[1], zs[1] - 2))
    return centre, zs


def dice(a: np.ndarray, b: np.ndarray) -> float:
    return 2.0 * float((a & b).sum()) / float(a.sum() + b.sum())


def test_paint_the_cord_undo_redo_save_reopen_and_export(qtbot, window, study, tmp_path):
    assert open_and_wait(qtbot, window, study.folder) == "done"
    annotation = window.annotation
    # Cord is offered as a preset before anything is painted
    combo = annotation.lesion_panel.target
    assert [combo.itemText(i) for i in range(combo.count())] == ["Lesion", "Cord"]
    centre, zs = _paint_cord_and_lesion(window)
    state = annotation.document.case
    cord = state.structure("cord")
    assert cord is not None and cord.name == "Cord" and cord.shape is None
    assert state.lesion_mask is not None
    m = measure_lesion(cord.mask)
    # a 3 mm brush dragged over 40 mm of one sagittal slice
    assert m.si_extent_mm == pytest.approx(46.0, abs=4.0)
    assert abs(m.centroid_mm[2] - centre[2]) < 2.0
    lesion_voxels = int(state.lesion_mask.array.sum())
    assert lesion_voxels < int(cord.mask.array.sum())
    # drawn in its own colour on the views and listed in the Layers panel
    items = {i.name: i for i in window.viewer.overlays.items()}
    assert "Cord" in items and "Lesion" in items
    assert items["Cord"].color != items["Lesion"].color
    assert items["Cord"].frame_of_reference_uid == t1(window).frame_of_reference_uid
    layers = [window.layers.item(row).text() for row in range(window.layers.count())]
    assert "Cord" in layers
    summary = annotation.lesion_panel.structures_label.text()
    assert "<b>Cord</b> (ORGAN)" in summary and "cm³" in summary

    # undo takes back the lesion, then the cord; redo brings both back
    undo, redo = window.actions_by_id["undo"], window.actions_by_id["redo"]
    assert "Paint lesion" in undo.text()
    undo.trigger()
    assert annotation.document.case.lesion_mask is None
    assert "Paint Cord" in undo.text()
    undo.trigger()
    assert annotation.document.case.structure("Cord") is None
    assert "Cord" not in {i.name for i in window.viewer.overlays.items()}
    redo.trigger()
    redo.trigger()
    again = annotation.document.case
    assert np.array_equal(again.structure("Cord").mask.array, cord.mask.array)
    assert int(again.lesion_mask.array.sum()) == lesion_voxels

    # the eraser erases the structure chosen, not the lesion
    _choose(window, "Cord")
    annotation.activate_tool("tool_eraser")
    drag(view_of(window), (centre[0], centre[1], zs[0]), (centre[0], centre[1], zs[0] - 6))
    erased = annotation.document.case
    assert erased.structure("Cord").mask.array.sum() < cord.mask.array.sum()
    assert int(erased.lesion_mask.array.sum()) == lesion_voxels
    undo.trigger()

    # save: the cord is written beside the case, as NRRD, and listed in the case file
    target = tmp_path / "cases" / "mine.spineplan.json"
    target.parent.mkdir()
    assert annotation.save_as(target) == target.resolve()
    data = json.loads(target.read_text())
    assert data["structures"] == [
        {"name": "Cord", "type": "mask", "path": "mine.cord.nrrd", "origin": "painted"}
    ]
    assert (target.parent / "mine.cord.nrrd").is_file()
    assert open_and_wait(qtbot, window, target) == "done"
    reopened = annotation.document.case
    assert np.array_equal(reopened.structure("Cord").mask.array, cord.mask.array)
    assert "Cord" in {i.name for i in window.viewer.overlays.items()}

    # with the edema marked, its segment is the painted cord between the limits
    annotation.edit("Edema", edits.set_edema, zs[0] - 5.0, zs[1])
    edema = {s.name: s for s in annotation.structures()}["Edema (cord segment)"].mask.array
    assert edema.any() and not (edema & ~cord.mask.array).any()
    assert edema.sum() < cord.mask.array.sum()

    # File > Export structures: Lesion (GTV), Cord (ORGAN) and the edema, read back the same
    rtstruct = annotation.export_rtstruct(tmp_path / "rs.dcm")
    frame, rois = read_rtstruct(rtstruct)
    assert frame == annotation.document.reference.frame_of_reference_uid
    by_name = {r.name: r for r in rois}
    assert set(by_name) == {"Lesion", "Cord", "Edema (cord segment)"}
    assert by_name["Cord"].interpreted_type == "ORGAN"
    assert by_name["Lesion"].interpreted_type == "GTV"
    reference = annotation.document.reference
    back = contours_to_mask(by_name["Cord"].contours, reference).array.astype(bool)
    assert dice(back, cord.mask.array) >= 0.95
    if shutil.which("dciodvfy"):
        run = subprocess.run(["dciodvfy", str(rtstruct)], capture_output=True, text=True)
        errors = [line for line in run.stderr.splitlines() if line.startswith("Error")]
        assert errors == [], run.stderr


def test_a_named_structure_and_its_recovery(qtbot, window, study):
    assert open_and_wait(qtbot, window, study.folder) == "done"
    annotation = window.annotation
    centre, zs = label_three(window, None)
    with pytest.raises(Exception, match="reserved"):
        annotation.set_paint_target("Field")
    annotation.set_paint_target("Bone metastasis")
    assert annotation.lesion_panel.current_target() == "Bone metastasis"
    annotation.activate_tool("tool_brush")
    drag(view_of(window), (centre[0], centre[1], zs[2] + 3), (centre[0], centre[1], zs[2] - 3))
    state = annotation.document.case
    bone = state.structure("bone metastasis")
    assert bone is not None and bone.roi_type == "GTV" and state.lesion_mask is None
    # the recovery file holds the painted structure
    recovery = annotation.store.find(study.folder)
    assert recovery is not None
    (recovered,) = recovery.case.structures
    assert recovered.name == "Bone metastasis" and Path(recovered.shape.path).is_file()
    # reopening the study (as after a crash: no question asked) offers it back; restoring is
    # one undoable edit
    annotation.document.undo_stack.setClean()
    assert open_and_wait(qtbot, window, study.folder) == "done"
    assert annotation.pending_recovery is not None
    assert "Bone metastasis" in annotation.recovery_label.text()
    annotation.restore_recovery()
    restored = annotation.document.case.structure("Bone metastasis")
    assert restored is not None and restored.shape is None  # painted: Save writes it again
    assert np.array_equal(restored.mask.array, bone.mask.array)
    # deleting it is an edit too; the recovery file then no longer lists it
    annotation.delete_structure("Bone metastasis")
    assert annotation.document.case.structure("Bone metastasis") is None
    assert annotation.store.find(study.folder).case.structures == ()
    assert not list(annotation.store.folder.glob("*.structure-*.nrrd"))


@pytest.mark.skipif(not (SAMPLES / "case2").exists(), reason="sample cases not generated")
def test_the_plan_panel_shows_the_cord_dmax(qtbot, window):
    panel = window.plan_panel
    panel.grid_spacing_mm = 3.0
    with (
        qtbot.waitSignal(panel.plan_updated, timeout=PLAN_TIMEOUT_MS),
        qtbot.waitSignal(window.load_finished, timeout=PLAN_TIMEOUT_MS),
    ):
        window.open_path(SAMPLES / "case2" / "reference.spineplan.json")
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=PLAN_TIMEOUT_MS)
    assert panel.number("Cord Dmax") == ""
    annotation = window.annotation
    lesion = load_case(SAMPLES / "case2" / "reference.spineplan.json").lesion
    x, y, z = lesion.center_mm
    go_to(window, (x, y, z))
    qtbot.wait(50)
    _choose(window, "Cord")
    annotation.lesion_panel.radius.setValue(4.0)
    annotation.activate_tool("tool_brush")
    with qtbot.waitSignal(panel.plan_updated, timeout=PLAN_TIMEOUT_MS) as blocker:
        drag(view_of(window), (x, y, z + 30), (x, y, z - 30), steps=20)
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=PLAN_TIMEOUT_MS)
    result = panel.result
    assert result is not None and blocker.args[0].case.structures
    cord = result.cord
    assert cord is not None and cord.stats is not None
    shown = panel.number("Cord Dmax")
    assert shown == f"{cord.stats.dmax_percent:.1f} % ({cord.stats.dmax_gy:.2f} Gy)"
    assert 90.0 < cord.stats.dmax_percent < 115.0
    assert panel.number("Cord Dmax EQD2 (α/β 2 Gy)").endswith("Gy")
    assert [c.dvh.structure for c in panel.dvh_plot.curves] == ["Lesion", "Cord"]


@pytest.mark.skipif(not (SAMPLES / "case2").exists(), reason="sample cases not generated")
def test_spineplan_plan_reports_the_cord(tmp_path, capsys):
    """The command line on a case file with a Cord: summary line, field.json, RTSTRUCT, PDF."""
    from app import cli

    case = json.loads((SAMPLES / "case2" / "reference.spineplan.json").read_text())
    x, y, z = case["lesion"]["center_mm"]
    case["study"]["path"] = str(SAMPLES / "case2")
    case["reference"] = False
    case["structures"] = [
        {"name": "Cord", "type": "ellipsoid", "center_mm": [x, y, z], "radii_mm": [5, 4, 60]}
    ]
    path = tmp_path / "cord.spineplan.json"
    path.write_text(json.dumps(case))
    out = tmp_path / "out"
    assert cli.main(["plan", str(path), "--out", str(out), "--grid-mm", "3"]) == 0
    printed = capsys.readouterr().out
    data = json.loads((out / "field.json").read_text())
    cord = data["coverage"]["cord"]
    assert f"Cord Dmax {cord['dmax_gy']:.2f} Gy" in printed
    assert cord["interpreted_type"] == "ORGAN" and 95 < cord["dmax_percent"] < 115
    rows = (out / "field.csv").read_text().splitlines()
    assert rows[0].endswith("cord_dmax_gy,cord_dmax_percent")
    _frame, rois = read_rtstruct(out / "rtstruct.dcm")
    assert {r.name: r.interpreted_type for r in rois}["Cord"] == "ORGAN"
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(out / "report.pdf"), "-"], capture_output=True, text=True
        ).stdout
        assert "Cord Dmax" in text and "Cumulative DVH: Lesion, Cord" in text
