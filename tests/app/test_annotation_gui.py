"""Annotate in the real main window offscreen: levels by clicks, paint, grow, undo/redo, save."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QPushButton

from planning.anatomy.lesion import grow_from_seed, lesion_levels, measure_lesion
from planning.case import load_case
from tests.app.annotation_helpers import click, drag, go_to, screen_point, view_of
from tests.app.conftest import SAGITTAL_T1_SHAPE, open_and_wait, spine_phantom
from tests.dicom_builders import uid, write_series


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "userdata"
    monkeypatch.setenv("SPINEPLAN_DATA_DIR", str(folder))
    return folder


def t1(window):
    return window.viewer.panels[0].volume


def centre_mm(volume) -> np.ndarray:
    slices, rows, cols = volume.shape
    return volume.index_to_patient(np.array([[cols / 2, rows / 2, slices // 2]], float))[0]


def label_three(window, qtbot):
    """Click three bodies from the head down with the Levels tool; returns their z."""
    annotation = window.annotation
    annotation.activate_tool("tool_levels")
    centre = centre_mm(t1(window))
    go_to(window, centre)
    sagittal = view_of(window)
    zs = [centre[2] + 20, centre[2], centre[2] - 20]
    for z in zs:
        click(sagittal, (centre[0], centre[1], z))
    return centre, zs


def test_levels_are_labelled_by_clicks_from_the_anchor_and_undone(qtbot, window, study):
    assert open_and_wait(qtbot, window, study.folder) == "done"
    annotation = window.annotation
    panel = annotation.levels_panel
    assert panel.first_name.currentText() == "C2"
    centre, zs = label_three(window, qtbot)
    state = annotation.document.case
    assert [lv.name for lv in state.levels] == ["C2", "C3", "C4"]
    for level, z in zip(state.levels, zs, strict=True):
        assert level.middle_z_mm == pytest.approx(z, abs=1.5)  # one screen pixel
        assert level.height_mm == pytest.approx(14.0)  # cervical default for a click
    texts = panel.level_texts()
    assert [t.split()[0] for t in texts] == ["C2", "C3", "C4"]
    assert "3 levels, consistent" in panel.issues.text()
    assert window.actions_by_id["undo"].text() == "&Undo Label C4"

    window.actions_by_id["undo"].trigger()
    assert [lv.name for lv in annotation.document.case.levels] == ["C2", "C3"]
    assert len(panel.level_texts()) == 2
    window.actions_by_id["redo"].trigger()
    assert [lv.name for lv in annotation.document.case.levels] == ["C2", "C3", "C4"]

    # a body clicked below the lowest continues the count; a drag sets both endplates
    sagittal = view_of(window)
    drag(sagittal, (centre[0], centre[1], zs[2] - 12), (centre[0], centre[1], zs[2] - 26))
    c5 = annotation.document.case.levels[-1]
    assert c5.name == "C5"
    assert c5.superior_z_mm == pytest.approx(zs[2] - 12, abs=1.5)
    assert c5.inferior_z_mm == pytest.approx(zs[2] - 26, abs=1.5)

    # dragging an endplate moves it
    c2 = annotation.document.case.levels[0]
    drag(
        sagittal,
        (centre[0], centre[1], c2.superior_z_mm),
        (centre[0], centre[1], c2.superior_z_mm + 4),
    )
    moved = annotation.document.case.levels[0]
    assert moved.superior_z_mm == pytest.approx(c2.superior_z_mm + 4, abs=1.5)
    assert moved.inferior_z_mm == c2.inferior_z_mm
    assert window.actions_by_id["undo"].text() == "&Undo Move C2 superior endplate"

    # renaming one body flags the skipped level in words, at once
    panel.select("C4")
    panel.new_name.setText("C6")
    panel.rename_selected()
    issues = panel.issues.text()
    assert "out of order" in issues and "C6" in issues
    window.actions_by_id["undo"].trigger()
    assert "consistent" in panel.issues.text()


def test_thoracic_naming_preference_and_counting_check(qtbot, window, study):
    assert open_and_wait(qtbot, window, study.folder) == "done"
    annotation = window.annotation
    panel = annotation.levels_panel
    panel.first_name.setCurrentText("T4")
    label_three(window, qtbot)
    assert [t.split()[0] for t in panel.level_texts()] == ["T4", "T5", "T6"]
    panel.prefix.setCurrentIndex(1)
    panel.prefix.activated.emit(1)
    assert [t.split()[0] for t in panel.level_texts()] == ["D4", "D5", "D6"]
    assert annotation.document.case.thoracic_prefix == "D"
    # the count anchored at the top body, called C2: the labels do not follow it
    panel.select("T4")
    panel.counting_box.findChild(QPushButton, "Anchor_c2").click()
    sentence = panel.sentence.text()
    assert sentence and "C2" in sentence
    assert "C2 at z" in panel.anchors_label.text()
    # D naming is remembered as the preference new cases start with
    assert open_and_wait(qtbot, window, study.folder) == "done"
    assert annotation.document.case.thoracic_prefix == "D"
    assert panel.prefix.currentText() == "D1-D12"


def test_paint_erase_and_lesion_numbers(qtbot, window, study):
    assert open_and_wait(qtbot, window, study.folder) == "done"
    annotation = window.annotation
    centre, zs = label_three(window, qtbot)
    annotation.lesion_panel.radius.setValue(3.0)
    annotation.activate_tool("tool_brush")
    sagittal = view_of(window)
    drag(sagittal, (centre[0], centre[1], zs[1] + 3), (centre[0], centre[1], zs[1] - 3))
    state = annotation.document.case
    assert state.lesion_mask is not None and state.lesion is None
    m = measure_lesion(state.lesion_mask)
    assert m.voxel_count > 10
    # a 3 mm disc dragged 6 mm on one 3.5 mm sagittal slice: at most a 6 x 12 mm stadium
    assert m.si_extent_mm == pytest.approx(12.0, abs=2.5)
    assert abs(m.centroid_mm[0] - centre[0]) < 2.0
    values = annotation.lesion_panel.values
    assert values["Volume"].text().startswith(f"{m.volume_cc:.2f} cm³ on the MR grid")
    assert values["SI extent"].text().startswith(f"{m.si_extent_mm:.1f} mm")
    words = lesion_levels(state.levels, (m.superior_z_mm, m.inferior_z_mm)).short
    assert words == "C3"
    assert "C3" in values["Levels"].text()
    assert values["Made by"].text() == "painted"
    # the mask is drawn on every view of every series of the frame (the T2 beside it too)
    overlays = [item for item in window.viewer.overlays.items() if item.name == "Lesion"]
    assert overlays and overlays[0].frame_of_reference_uid == t1(window).frame_of_reference_uid

    # the brush outline follows the cursor on the view it is over
    from PySide6.QtTest import QTest

    QTest.mouseMove(sagittal, screen_point(sagittal, centre))
    outline = [i for i in window.viewer.overlays.items() if i.name == "Brush outline"]
    assert len(outline) == 1 and outline[0].planes == frozenset({"sagittal"})
    radii = np.linalg.norm(outline[0].points_mm - outline[0].points_mm.mean(axis=0), axis=1)
    assert radii == pytest.approx(3.0, abs=0.2)
    annotation.activate_tool("tool_eraser")
    drag(sagittal, (centre[0], centre[1], zs[1] + 3), (centre[0], centre[1], zs[1] - 3))
    assert annotation.document.case.lesion_mask is None
    assert values["Volume"].text() == "—"
    window.actions_by_id["undo"].trigger()
    assert measure_lesion(annotation.document.case.lesion_mask).voxel_count == m.voxel_count
    window.actions_by_id["undo"].trigger()
    assert annotation.document.case.lesion_mask is None


@pytest.fixture
def lesion_study(tmp_path):
    """A sagittal T1 +C whose enhancing lesion spans three slices (3 x 6 x 4 voxels)."""
    values = spine_phantom(SAGITTAL_T1_SHAPE, 900)
    slices, rows, cols = SAGITTAL_T1_SHAPE
    values[
        slices // 2 - 1 : slices // 2 + 2, rows // 3 : rows // 3 + 6, cols // 2 - 2 : cols // 2 + 2
    ] = 2000
    write_series(
        tmp_path / "lesion_study" / "t1c",
        orientation="sagittal",
        shape=SAGITTAL_T1_SHAPE,
        pixel_spacing_mm=(1.2, 1.0),
        slice_spacing_mm=3.5,
        origin_mm=(14.0, -30.0, 40.0),
        values=values,
        series_description="SAG T1 +C",
        frame_of_reference_uid=uid("lesion-frame"),
        study_instance_uid=uid("lesion-study"),
    )
    return tmp_path / "lesion_study"


def test_grow_from_a_seed_with_the_tolerance_slider(qtbot, window, lesion_study):
    assert open_and_wait(qtbot, window, lesion_study) == "done"
    annotation = window.annotation
    volume = t1(window)
    slices, rows, cols = SAGITTAL_T1_SHAPE
    seed = volume.index_to_patient(np.array([[cols // 2, rows // 3 + 2, slices // 2]], float))[0]
    go_to(window, seed)
    annotation.activate_tool("tool_seed")
    click(view_of(window), seed)
    state = annotation.document.case
    m = measure_lesion(state.lesion_mask)
    expected = grow_from_seed(volume, state.lesion.point_mm, annotation.grow_tolerance)
    assert m.voxel_count == int(expected.array.sum()) == 3 * 6 * 4
    assert m.si_extent_mm == pytest.approx(6 * 1.2, abs=0.01)
    values = annotation.lesion_panel.values
    assert values["Volume"].text().startswith(f"{m.volume_cc:.2f} cm³ on the MR grid (72 voxels)")
    assert values["SI extent"].text().startswith("7.2 mm")
    x, y, z = m.centroid_mm
    assert values["Centroid"].text() == f"LPS ({x:.1f}, {y:.1f}, {z:.1f}) mm"
    assert values["Made by"].text() == "grown from a seed, tolerance ±30 %"
    # a tolerance wide enough to take the cord (900 vs 2000) regrows from the same seed
    annotation.lesion_panel.set_tolerance(0.6)
    annotation.lesion_panel.tolerance_chosen.emit(0.6)
    wider = measure_lesion(annotation.document.case.lesion_mask)
    assert wider.voxel_count > m.voxel_count
    assert "±60 %" in values["Made by"].text()
    window.actions_by_id["undo"].trigger()
    assert measure_lesion(annotation.document.case.lesion_mask).voxel_count == 72


def test_ellipsoid_and_edema_by_dragging(qtbot, window, study):
    assert open_and_wait(qtbot, window, study.folder) == "done"
    annotation = window.annotation
    centre, zs = label_three(window, qtbot)
    sagittal = view_of(window)
    annotation.activate_tool("tool_ellipsoid")
    drag(sagittal, centre, centre + np.array([0.0, 4.0, 8.0]))
    state = annotation.document.case
    spec = state.lesion
    assert spec.radii_mm[1] == pytest.approx(4.0, abs=1.0)
    assert spec.radii_mm[2] == pytest.approx(8.0, abs=1.5)
    assert annotation.lesion_panel.values["Levels"].text() == "<b>C3</b>"

    annotation.activate_tool("tool_edema")
    drag(sagittal, (centre[0], centre[1], zs[0]), (centre[0], centre[1], zs[2]))
    edema = annotation.document.case.edema
    assert edema.superior_z_mm == pytest.approx(zs[0], abs=1.5)
    assert edema.inferior_z_mm == pytest.approx(zs[2], abs=1.5)
    values = annotation.edema_panel.values
    assert values["Extent"].text() == "<b>C2 to C4</b>"
    assert (
        values["Cord length"]
        .text()
        .startswith(f"{edema.superior_z_mm - edema.inferior_z_mm:.1f} mm")
    )
    # drag the inferior limit down into the C4 body's lower half: still C4
    drag(sagittal, (centre[0], centre[1], edema.inferior_z_mm), (centre[0], centre[1], zs[2] - 4))
    assert annotation.document.case.edema.inferior_z_mm == pytest.approx(zs[2] - 4, abs=1.5)
    assert annotation.document.case.edema.superior_z_mm == edema.superior_z_mm
    heights = [i.name for i in window.viewer.overlays.items() if i.kind == "height line"]
    assert {"Edema superior limit", "Edema inferior limit"} <= set(heights)


def test_save_and_reopen_a_painted_case(qtbot, window, study, tmp_path):
    assert open_and_wait(qtbot, window, study.folder) == "done"
    annotation = window.annotation
    centre, zs = label_three(window, qtbot)
    annotation.activate_tool("tool_brush")
    drag(view_of(window), (centre[0], centre[1], zs[1] + 2), (centre[0], centre[1], zs[1] - 2))
    before = annotation.document.case
    assert window.isWindowModified() and "[*]" in window.windowTitle()
    target = tmp_path / "cases" / "mine.spineplan.json"
    target.parent.mkdir()
    assert annotation.save_as(target) == target.resolve()
    assert not window.isWindowModified()
    saved = load_case(target)
    assert [lv.name for lv in saved.levels] == ["C2", "C3", "C4"]
    assert saved.lesion.path == "mine.lesion.nrrd" and saved.lesion.origin == "painted"
    assert (target.parent / "mine.lesion.nrrd").is_file()
    assert saved.study_path().resolve() == study.folder.resolve()
    # File > Save now writes to the same file without asking
    annotation.levels_panel.select("C4")
    annotation.levels_panel.findChild(QPushButton, "DeleteLevel").click()
    assert annotation.save() == target.resolve()
    assert [lv.name for lv in load_case(target).levels] == ["C2", "C3"]

    assert open_and_wait(qtbot, window, target) == "done"
    state = annotation.document.case
    assert [lv.name for lv in state.levels] == ["C2", "C3"]
    assert np.array_equal(state.lesion_mask.array, before.lesion_mask.array)
    assert annotation.document.case_path == target.resolve()
    assert not annotation.document.undo_stack.canUndo()


def test_hand_written_minimal_case_loads(qtbot, window, study, tmp_path):
    volume_folder = study.folder
    case_folder = tmp_path / "written"
    case_folder.mkdir()
    case_path = case_folder / "hand.spineplan.json"
    assert open_and_wait(qtbot, window, volume_folder) == "done"
    centre = centre_mm(t1(window))
    z = float(centre[2])
    case_path.write_text(
        json.dumps(
            {
                "study": {"path": "../study"},
                "levels": [
                    {"name": "C3", "superior_z_mm": z + 7, "inferior_z_mm": z - 7},
                    {"name": "C4", "superior_z_mm": z - 10, "inferior_z_mm": z - 24},
                ],
                "lesion": {
                    "type": "ellipsoid",
                    "center_mm": list(map(float, centre)),
                    "radii_mm": [3, 3, 5],
                },
                "edema": {"superior_z_mm": z + 5, "inferior_z_mm": z - 20},
            }
        )
    )
    assert open_and_wait(qtbot, window, case_path) == "done"
    annotation = window.annotation
    assert [t.split()[0] for t in annotation.levels_panel.level_texts()] == ["C3", "C4"]
    levels_text = annotation.lesion_panel.values["Levels"].text()
    assert levels_text.startswith("<b>C3</b>") and "C2 is not labelled" in levels_text
    assert annotation.edema_panel.values["Extent"].text() == "<b>C3 to C4</b>"
    assert annotation.edema_panel.values["Cord length"].text().startswith("25.0 mm")
    assert annotation.document.case_path == case_path.resolve()


def test_a_broken_case_file_gives_a_clear_message_and_is_not_overwritten(
    qtbot, window, study, tmp_path
):
    path = tmp_path / "broken.spineplan.json"
    text = json.dumps(
        {
            "study": {"path": str(study.folder)},
            "levels": [{"name": "C3", "superior_z_mm": "abc", "inferior_z_mm": 1}],
        }
    )
    path.write_text(text)
    assert open_and_wait(qtbot, window, path) == "failed"
    messages = " ".join(window.message_texts())
    assert 'levels[0].superior_z_mm: expected a number, got "abc"' in messages
    assert window.annotation.document.case is None
    window.annotation.save()  # nothing open: refused with a message, nothing written
    assert path.read_text() == text
    assert "Open a study before saving a case" in " ".join(window.message_texts())


def test_a_case_whose_frame_of_reference_does_not_match_is_refused(qtbot, window, study, tmp_path):
    path = tmp_path / "other.spineplan.json"
    path.write_text(
        json.dumps(
            {"study": {"path": str(study.folder), "frame_of_reference_uid": "1.2.3"}, "levels": []}
        )
    )
    assert open_and_wait(qtbot, window, path) == "done"
    assert window.annotation.document.case is None
    assert any(
        "study.frame_of_reference_uid: 1.2.3 does not match" in m for m in window.message_texts()
    )


def test_tools_menu_shortcuts_and_the_crosshair_mode_take_the_tool_back(qtbot, window, study):
    from PySide6.QtTest import QTest

    assert open_and_wait(qtbot, window, study.folder) == "done"
    annotation = window.annotation
    window.activateWindow()
    view_of(window).setFocus()
    QTest.keyClick(view_of(window), "g")
    assert window.viewer.tool is annotation.tools["tool_seed"]
    assert annotation.tabs.tabText(annotation.tabs.currentIndex()) == "Lesion"
    QTest.keyClick(view_of(window), "m")
    assert window.viewer.tool is annotation.tools["tool_edema"]
    assert annotation.tabs.tabText(annotation.tabs.currentIndex()) == "Edema"
    window.actions_by_id["mode_crosshair"].trigger()
    assert window.viewer.tool is None
    tools_menu = [a.objectName() for a in window.tools_menu.actions()]
    assert {"tool_levels", "tool_brush", "tool_eraser", "tool_seed"} <= set(tools_menu)
    from app.help_dialogs import ShortcutsDialog

    dialog = ShortcutsDialog(window)
    rows = [dialog.table.item(r, 1).text() for r in range(dialog.table.rowCount())]
    assert (
        "Undo the last annotation edit" in rows and "Brush: paint the lesion (radius in mm)" in rows
    )


def test_tools_refuse_a_series_of_another_frame_of_reference(qtbot, window, tmp_path):
    folder = tmp_path / "two_frames"
    common = dict(
        orientation="sagittal",
        shape=SAGITTAL_T1_SHAPE,
        pixel_spacing_mm=(1.2, 1.0),
        slice_spacing_mm=3.5,
        origin_mm=(14.0, -30.0, 40.0),
        study_instance_uid=uid("two-study"),
    )
    write_series(
        folder / "t1c",
        series_description="SAG T1 +C",
        series_number=5,
        frame_of_reference_uid=uid("frame-a"),
        **common,
    )
    write_series(
        folder / "other",
        series_description="SAG T2 other frame",
        series_number=3,
        frame_of_reference_uid=uid("frame-b"),
        **common,
    )
    assert open_and_wait(qtbot, window, folder) == "done"
    key = next(k for k, info in window.infos.items() if "other frame" in info.description)
    window.show_series(key, 1)
    annotation = window.annotation
    annotation.activate_tool("tool_levels")
    centre = centre_mm(t1(window))
    go_to(window, centre)
    click(view_of(window, panel=1), centre)
    assert annotation.document.case.levels == ()
    assert any("another frame of reference" in m for m in window.message_texts())
    click(view_of(window, panel=0), centre)
    assert [lv.name for lv in annotation.document.case.levels] == ["C2"]
