"""The workstation run through the PACS of docs/pacs.md ("In the workstation", steps 1 and
3-6), made at 1600x1000 against the Orthanc fixture holding sample case 3 (written to
docs/screenshots when ``SPINEPLAN_WRITE_SCREENSHOTS`` is set, as in test_truth_screenshots.py;
step 2's search picture is in test_doc_screenshots.py). One run serves every picture, each
asserting what its caption says:

- pacs-nodes-echo: "Edit > PACS nodes: the Orthanc node typed in and echoed";
- pacs-retrieve-progress: "Retrieving: the progress bar (... of 42 images) and Cancel";
- pacs-plan-on-retrieved-study: "The retrieved study planned: levels T8-L1 labelled, the
  lesion at T10-11, the edema limits, the field T9-T12 and its isodoses";
- pacs-send-results: "File > Send to PACS: three files, each OK";
- pacs-open-recent: "File > Open recent after a restart: the saved case, the study
  retrieved from the PACS and the sample study".
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint

from app.pacs.nodes_dialog import PacsNodesDialog
from app.pacs.send_dialog import SendToPacsDialog
from imaging.pacs.send import send
from planning.display import palette
from tests.app.annotation_helpers import go_to, view_of
from tests.app.conftest import open_and_wait
from tests.app.test_pacs_gui import (
    NETWORK_TIMEOUT_MS,
    echo_and_wait,
    open_dialog,
    search_and_wait,
    set_field,
)
from tests.app.test_palette_screenshots import _pixels_of
from tests.app.test_plan_panel import PLAN_TIMEOUT_MS, TEST_GRID_MM, _case_path
from tests.app.test_truth_screenshots import grab_with, save_picture
from tests.pacs_server import OrthancServer

SIZE = (1600, 1000)
SAMPLES = _case_path(1).parents[1]
#: the levels a user labels around the lesion of sample case 3 (docs/pacs.md step 4)
LABELLED = ["T8", "T9", "T10", "T11", "T12", "L1"]


def _save(picture, tmp_path: Path, name: str) -> None:
    assert save_picture(picture, tmp_path, name).stat().st_size > 10_000


def _case_on(study_folder: Path, path: Path) -> Path:
    """Sample case 3's reference marks (levels T8-L1 of them) on the retrieved study, as a
    user would label and mark it: a case file at ``path``."""
    data = json.loads(_case_path(3).read_text())
    data["levels"] = [level for level in data["levels"] if level["name"] in LABELLED]
    data["reference"] = False
    data["study"]["path"] = str(study_folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


def _open_recent_menu(qtbot, window):
    """File > Open recent opened, as on the screen; returns the File menu and its list."""
    bar = window.menuBar()
    file_menu = bar.actions()[0].menu()
    file_menu.popup(bar.mapToGlobal(bar.actionGeometry(file_menu.menuAction()).bottomLeft()))
    qtbot.waitExposed(file_menu)
    entry = window.recent_menu.menuAction()
    file_menu.setActiveAction(entry)
    place = file_menu.actionGeometry(entry)
    menu = file_menu.geometry()
    beside = QPoint(menu.right() + 1, menu.top() + place.top())
    window.recent_menu.popup(beside)
    qtbot.waitExposed(window.recent_menu)
    window.recent_menu.move(beside)  # popup() keeps it on the offscreen screen (800 px wide)
    return file_menu, window.recent_menu


def test_the_pacs_walkthrough_screenshots(
    qtbot, window, settings, orthanc: OrthancServer, request
) -> None:
    from app.main_window import MainWindow

    # short folders to read in the pictures (pytest's tmp_path fills the lists)
    tmp_path = Path(tempfile.mkdtemp(prefix="spineplan-"))
    request.addfinalizer(lambda: shutil.rmtree(tmp_path, ignore_errors=True))
    window.resize(*SIZE)
    orthanc.clear()
    outcomes = send(orthanc.dimse_node(), [SAMPLES / "case3"])
    assert outcomes and all(o.ok for o in outcomes)
    assert open_and_wait(qtbot, window, SAMPLES / "case1") == "done"  # the sample study

    # -- 1. Edit > PACS nodes: the Orthanc node typed in, echoed, saved
    window.actions_by_id["pacs_nodes"].trigger()
    nodes = window.pacs.dialog
    assert isinstance(nodes, PacsNodesDialog)
    nodes.add_button.click()
    for field, text in (
        ("name", "PACS"),
        ("host", "127.0.0.1"),
        ("port", str(orthanc.dicom_port)),
        ("called_aet", "ORTHANC"),
    ):
        set_field(nodes, field, text)
    echoed = echo_and_wait(qtbot, nodes)
    assert echoed.startswith("✓ Echo answered in ") and echoed.endswith(" ms")
    qtbot.wait(100)
    _save(grab_with(window, nodes, centred=True), tmp_path, "pacs-nodes-echo.png")
    nodes.save_button.click()

    # -- 3. Open from PACS, retrieve: the progress bar and Cancel while it runs
    dialog = open_dialog(window)
    dialog.patient_id_edit.setText("SPL-0003")
    assert search_and_wait(qtbot, dialog).startswith("1 study, 3 series found.")
    dialog.tree.topLevelItem(0).setSelected(True)
    during: list[bool] = []

    def picture_while_retrieving(done: int, total: int) -> None:
        if during or done == 0:
            return
        during.append(dialog.progress_bar.isVisible() and dialog.cancel_button.isVisible())
        assert dialog.progress_bar.value() == done and total == 42
        assert dialog.progress_bar.text() == f"{done} of 42 images"
        _save(grab_with(window, dialog, centred=True), tmp_path, "pacs-retrieve-progress.png")

    with qtbot.waitSignal(window.load_finished, timeout=NETWORK_TIMEOUT_MS) as loaded:
        dialog.retrieve_button.click()
        dialog.worker.progressed.connect(picture_while_retrieving)
    assert loaded.args == ["done"] and during == [True]
    retrieved = window.study_path[0]
    assert str(window.pacs.cache.root) in str(retrieved)

    # -- 4. the retrieved study labelled, marked and planned
    case_path = _case_on(retrieved, tmp_path / "cases" / "SPL-0003_20240522.spineplan.json")
    panel = window.plan_panel
    panel.grid_spacing_mm = TEST_GRID_MM
    with qtbot.waitSignal(panel.plan_updated, timeout=PLAN_TIMEOUT_MS) as planned:
        assert open_and_wait(qtbot, window, case_path, PLAN_TIMEOUT_MS) == "done"
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=PLAN_TIMEOUT_MS)
    result = planned.args[0]
    assert result.coverage_pass
    assert panel.number("Lesion levels") == "T10-T11"
    assert panel.number("Field levels") == "T9-T12"
    assert [level.name for level in window.annotation.document.case.levels] == LABELLED
    window.plan_dock.raise_()
    go_to(window, np.array(result.field.isocentre_mm))
    assert panel.wait_until_idle()
    qtbot.wait(200)
    sagittal = view_of(window, "sagittal")
    for role in (palette.LEVELS, palette.LESION, palette.EDEMA, palette.ISODOSE_95):
        assert _pixels_of(sagittal, role) > 3, role.key
    _save(window.grab(), tmp_path, "pacs-plan-on-retrieved-study.png")

    # -- 5. Export plan, then Send to PACS: the RT Plan, Dose and Structure Set, each OK
    exports = tmp_path / "SPL-0003_20240522-plan"
    with qtbot.waitSignal(panel.export_finished, timeout=PLAN_TIMEOUT_MS):
        assert panel.export_to(exports)
    window.actions_by_id["send_to_pacs"].trigger()
    sender = window.pacs.dialog
    assert isinstance(sender, SendToPacsDialog)
    assert sorted(p.name for p in sender.chosen_paths()) == [
        "rtdose.dcm",
        "rtplan.dcm",
        "rtstruct.dcm",
    ]
    with qtbot.waitSignal(sender.send_finished, timeout=NETWORK_TIMEOUT_MS):
        sender.send_button.click()
    rows = sender.result_rows()
    assert len(rows) == 3 and all(answer == "OK" for _name, _uid, answer in rows)
    qtbot.wait(100)
    _save(grab_with(window, sender, centred=True), tmp_path, "pacs-send-results.png")
    sender.close_button.click()

    # -- 6. Save case; after a restart File > Open recent names the three
    assert window.annotation.case_files.save_as(case_path) == case_path
    restarted = MainWindow(settings=settings)
    qtbot.addWidget(restarted)
    restarted.resize(*SIZE)
    restarted.show()
    qtbot.waitExposed(restarted)
    try:
        entries = [a.text() for a in restarted.recent_menu.actions()]
        assert entries == [
            f"{case_path.name} (case file) — {case_path.parent}",
            "SPL-0003_20240522 (study retrieved from the PACS)",
            f"case1 (study folder) — {SAMPLES}",
        ]
        menus = _open_recent_menu(qtbot, restarted)
        _save(grab_with(restarted, *menus), tmp_path, "pacs-open-recent.png")
        for menu in reversed(menus):
            menu.close()
    finally:
        restarted.loader.cancel()
        restarted.loader.wait(10_000)
