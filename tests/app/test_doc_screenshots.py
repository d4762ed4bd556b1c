"""The screenshots at the head of docs/plan_panel.md and docs/annotation.md, the body-width
picture of docs/annotation.md and the Open from PACS search of docs/pacs.md, made from the
repository at 1600x1000 (written to docs/screenshots when ``SPINEPLAN_WRITE_SCREENSHOTS`` is
set, as in test_truth_screenshots.py). Each asserts what its caption in the docs says."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from PySide6.QtCore import QPoint
from PySide6.QtGui import QPainter

from planning.case import load_case
from planning.display import palette
from planning.dose.grid import DEFAULT_GRID_SPACING_MM
from tests.app import test_plan_panel
from tests.app.annotation_helpers import drag, go_to, view_of
from tests.app.test_annotation_width import BODY_Y_MM, T9_Z_MM
from tests.app.test_palette_screenshots import _pixels_of
from tests.app.test_plan_panel import PLAN_TIMEOUT_MS, _case_path, _open_planned
from tests.app.test_truth_screenshots import _save, save_picture
from tests.pacs_server import OrthancServer

SIZE = (1600, 1000)
SAMPLES = _case_path(1).parents[1]


def test_plan_screenshot(qtbot, window, tmp_path, monkeypatch) -> None:
    """docs/plan_panel.md: sample case 1 planned, lateral pair C3-C6, the field outline,
    borders and isodoses on the views, the Plan panel on the right."""
    window.resize(*SIZE)
    monkeypatch.setattr(test_plan_panel, "TEST_GRID_MM", DEFAULT_GRID_SPACING_MM)
    panel, result = _open_planned(qtbot, window, 1)
    window.plan_dock.raise_()
    go_to(window, np.array(result.field.isocentre_mm))
    assert panel.wait_until_idle()
    qtbot.wait(300)
    # the guide says the panel plans on the command line's grid
    assert result.grid_spacing_mm == DEFAULT_GRID_SPACING_MM
    assert panel.status_label.text().endswith("dose grid 2 mm")
    assert panel.number("Field levels") == "C3-C6"
    assert panel.number("Arrangement") == "lateral_pair"
    sagittal = view_of(window, "sagittal")
    for role in (palette.ISODOSE_95, palette.FIELD_BORDER, palette.FIELD_EDGE, palette.LESION):
        assert _pixels_of(sagittal, role) > 3, role.key
    assert _save(window, tmp_path, "plan.png").stat().st_size > 10_000


def test_annotation_screenshot(qtbot, window, tmp_path) -> None:
    """docs/annotation.md: sample case 1 with its annotation, the Lesion tab in front."""
    window.resize(*SIZE)
    panel, _ = _open_planned(qtbot, window, 1)
    annotation = window.annotation
    annotation.show_panel("Lesion")
    case = load_case(_case_path(1))
    go_to(window, np.array(case.lesion.center_mm))
    assert panel.wait_until_idle()
    qtbot.wait(300)
    lesion = annotation.lesion_panel
    assert lesion.isVisible()
    sagittal, axial = view_of(window, "sagittal"), view_of(window, "axial")
    assert _pixels_of(sagittal, palette.EDEMA) > 3
    assert _pixels_of(sagittal, palette.LEVELS) > 10
    assert _pixels_of(axial, palette.LESION) + _pixels_of(sagittal, palette.LESION) > 0
    assert _save(window, tmp_path, "annotation.png").stat().st_size > 10_000


def test_body_width_screenshot(qtbot, window, tmp_path) -> None:
    """docs/annotation.md: sample case 2, T9 measured on the axial series (shown beside the
    sagittal one): a 30 mm drag, measured 29.9 mm on the pixel grid: the ruler and "29.9 mm" on
    both axial views, the width in the Levels list."""
    window.resize(*SIZE)
    panel, _ = _open_planned(qtbot, window, 2)
    axial_series = next(k for k, info in window.infos.items() if info.orientation == "axial")
    window.show_series(axial_series, 1)
    go_to(window, (-2.5, BODY_Y_MM, T9_Z_MM))
    qtbot.wait(50)
    window.annotation.activate_tool("tool_body_width")
    axial = view_of(window, "axial", 1)
    with qtbot.waitSignal(panel.field_updated, timeout=5000):
        drag(axial, (-15.0, BODY_Y_MM, T9_Z_MM), (15.0, BODY_Y_MM, T9_Z_MM))
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=PLAN_TIMEOUT_MS)
    assert panel.wait_until_idle()
    qtbot.wait(300)
    levels = window.annotation.levels_panel
    t9 = next(t for t in levels.level_texts() if t.startswith("T9"))
    assert t9.endswith("width 29.9 mm")
    item = next(i for i in window.viewer.overlays.items() if i.name == "Body widths")
    assert item.texts == ["29.9 mm"]
    for panel_index in (0, 1):
        assert _pixels_of(view_of(window, "axial", panel_index), palette.LEVELS) > 10
    assert _save(window, tmp_path, "body-width.png").stat().st_size > 10_000


def test_open_from_pacs_screenshot(qtbot, window, orthanc: OrthancServer, tmp_path) -> None:
    """docs/pacs.md step 2: SPL-0003 found with its MR series and the RT Structure Set, RT
    Dose and RT Plan of its plan sent back, the study's row whole."""
    from app.pacs.open_dialog import OpenFromPacsDialog
    from imaging.pacs.send import send
    from tests.app.cli_runner import run
    from tests.app.test_pacs_gui import configure, search_and_wait

    window.resize(*SIZE)
    orthanc.clear()
    # the plan's RT objects as `spineplan plan` writes them, sent beside the MR series
    exports = tmp_path / "case3-plan"
    status, _, err = run("plan", str(_case_path(3)), "--out", str(exports), "--grid-mm", "3")
    assert status == 0, err
    rt = [exports / name for name in ("rtstruct.dcm", "rtdose.dcm", "rtplan.dcm")]
    outcomes = send(orthanc.dimse_node(), [SAMPLES / "case3", *rt])
    assert outcomes and all(o.ok for o in outcomes)
    _open_planned(qtbot, window, 3)
    window.plan_dock.raise_()
    configure(window, replace(orthanc.dimse_node(), name="PACS"))
    window.actions_by_id["open_from_pacs"].trigger()
    dialog = window.pacs.dialog
    assert isinstance(dialog, OpenFromPacsDialog)
    dialog.patient_id_edit.setText("SPL-0003")
    assert search_and_wait(qtbot, dialog).startswith("1 study, 6 series found.")
    study = dialog.tree.topLevelItem(0)
    study.setExpanded(True)
    study.setSelected(True)
    children = [study.child(n) for n in range(study.childCount())]
    assert sorted(c.text(2) for c in children) == ["MR", "MR", "MR", "RTDOSE", "RTPLAN", "RTSTRUCT"]
    # the study's row is whole: patient and description in their column
    tree = dialog.tree
    room = tree.visualRect(tree.indexFromItem(study, 0)).width()
    assert room >= tree.fontMetrics().horizontalAdvance(study.text(0))
    qtbot.wait(200)
    # the dialog over the window, as on the screen (each is its own top-level window)
    shot = window.grab()
    painter = QPainter(shot)
    dialog_shot = dialog.grab()
    corner = QPoint(
        (shot.width() - dialog_shot.width()) // 2, (shot.height() - dialog_shot.height()) // 2
    )
    painter.drawPixmap(corner, dialog_shot)
    painter.end()
    dialog.close()
    assert save_picture(shot, tmp_path, "pacs-open-search.png").stat().st_size > 10_000
