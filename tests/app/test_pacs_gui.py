"""The PACS in the workstation against a real Orthanc (no mocks): Edit > PACS nodes (add,
validate, echo a good node and a dead port, save), File > Open from PACS (find, retrieve into
the cache, the study opens in the viewer; a cancelled retrieve keeps nothing) and File > Send to
PACS (a plan's exports, one result per file, the objects then in Orthanc).

``orthanc`` is the module-scoped fixture of tests/conftest.py (tests/pacs_server.py)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pydicom
import pydicom.errors
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from app.pacs.nodes_dialog import PacsNodesDialog
from app.pacs.open_dialog import OpenFromPacsDialog
from app.pacs.send_dialog import SendToPacsDialog
from imaging.pacs.nodes import PacsNode, load_nodes, save_nodes
from imaging.pacs.query import SeriesFound, StudyFound
from imaging.pacs.send import send
from tests.app.test_plan_panel import PLAN_TIMEOUT_MS, _open_planned
from tests.imaging.pacs_helpers import sample_files, sample_study_uid, sop_instance_uids
from tests.pacs_server import OrthancServer, free_port

NETWORK_TIMEOUT_MS = 30_000
SAMPLE_STUDY = sample_files()[0].parents[1]


@pytest.fixture
def stored(orthanc: OrthancServer) -> OrthancServer:
    """Orthanc holding sample case 2 (42 MR images in three series) and nothing else."""
    orthanc.clear()
    outcomes = send(orthanc.dimse_node(), [SAMPLE_STUDY])
    assert len(outcomes) == 42 and all(o.ok for o in outcomes)
    return orthanc


def sop_instance_uid(path: Path) -> str:
    return str(pydicom.dcmread(path, stop_before_pixels=True).SOPInstanceUID)


def configure(window, *nodes: PacsNode) -> None:
    """Save ``nodes`` as the user's PACS nodes; the File menu's actions follow."""
    save_nodes(list(nodes))
    window.pacs.refresh_actions()


def set_field(dialog: PacsNodesDialog, name: str, text: str) -> None:
    """Type ``text`` into a field of the node form, as the user does."""
    edit = dialog.edits[name]
    edit.setText(text)
    edit.textEdited.emit(text)


def echo_and_wait(qtbot, dialog: PacsNodesDialog) -> str:
    with qtbot.waitSignal(dialog.echo_finished, timeout=NETWORK_TIMEOUT_MS) as blocker:
        dialog.echo_button.click()
    assert dialog.echo_label.text() == blocker.args[0]
    return blocker.args[0]


# -- Edit > PACS nodes ------------------------------------------------------------------------
def test_without_a_node_open_and_send_are_disabled_and_say_where_to_add_one(qtbot, window):
    for action_id in ("open_from_pacs", "send_to_pacs"):
        action = window.actions_by_id[action_id]
        assert not action.isEnabled()
        assert "Edit ▸ PACS nodes" in action.toolTip()
    assert window.actions_by_id["pacs_nodes"].isEnabled()


def test_add_validate_echo_and_save_a_node(qtbot, window, orthanc: OrthancServer, tmp_path):
    window.actions_by_id["pacs_nodes"].trigger()
    dialog = window.pacs.dialog
    assert isinstance(dialog, PacsNodesDialog) and dialog.isVisible()
    assert dialog.node_list.count() == 0 and dialog.empty_label.isVisible()

    dialog.add_button.click()
    set_field(dialog, "name", "orthanc")
    set_field(dialog, "host", "127.0.0.1")
    set_field(dialog, "port", "70000")
    set_field(dialog, "called_aet", "ORTHANC_WITH_A_LONG_NAME")
    # each bad field says what is wrong beside it; echo and save wait for a valid node
    assert "70000 is not a TCP port" in dialog.notes["port"].text()
    assert "is not a DICOM AE title (1 to 16 characters" in dialog.notes["called_aet"].text()
    assert dialog.notes["host"].text() == ""
    assert not dialog.echo_button.isEnabled() and not dialog.save_button.isEnabled()
    assert dialog.save_note.text() == "Correct orthanc before saving."

    set_field(dialog, "port", str(orthanc.dicom_port))
    set_field(dialog, "called_aet", "ORTHANC")
    assert all(note.text() == "" for note in dialog.notes.values())
    assert dialog.save_button.isEnabled()
    good = echo_and_wait(qtbot, dialog)
    assert good.startswith("✓ Echo answered in ") and good.endswith(" ms")
    assert (
        dialog.node_list.item(0).text() == f"orthanc — 127.0.0.1:{orthanc.dicom_port}, AE ORTHANC"
    )

    # a second node on a port where nothing listens: the error's one line, naming the node
    dialog.add_button.click()
    dead_port = free_port()
    set_field(dialog, "name", "dead")
    set_field(dialog, "host", "127.0.0.1")
    set_field(dialog, "port", str(dead_port))
    set_field(dialog, "called_aet", "ORTHANC")
    bad = echo_and_wait(qtbot, dialog)
    assert bad.startswith(f"✗ PACS 'dead' (127.0.0.1:{dead_port}, AE ORTHANC): ")
    assert "\n" not in bad
    dialog.node_list.setCurrentRow(0)  # each node keeps its own echo result
    assert dialog.echo_label.text() == good

    dialog.node_list.setCurrentRow(1)
    dialog.remove_button.click()
    dialog.save_button.click()
    assert not dialog.isVisible()
    assert load_nodes() == [
        PacsNode("orthanc", "127.0.0.1", orthanc.dicom_port, "ORTHANC", "SPINEPLAN")
    ]
    assert window.actions_by_id["open_from_pacs"].isEnabled()
    assert window.actions_by_id["send_to_pacs"].isEnabled()


def test_two_nodes_of_one_name_cannot_be_saved(qtbot, window):
    dialog = PacsNodesDialog([PacsNode("web", url="http://127.0.0.1:8042/dicom-web")], window)
    qtbot.addWidget(dialog)
    dialog.add_button.click()
    dialog.dicomweb_radio.setChecked(True)
    set_field(dialog, "name", "web")
    set_field(dialog, "url", "pacs:8042")
    assert dialog.notes["name"].text() == "another node is already called 'web'"
    assert "is not an http(s) URL" in dialog.notes["url"].text()
    assert not dialog.edits["host"].isVisible()  # a DICOMweb node has a URL, not a host
    assert not dialog.save_button.isEnabled()


def test_a_node_that_retrieves_by_c_move_needs_its_local_port(qtbot, window):
    dialog = PacsNodesDialog([], window)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.add_button.click()
    for name, text in (("host", "pacs.local"), ("port", "104"), ("called_aet", "PACS")):
        set_field(dialog, name, text)
    assert not dialog.edits["move_port"].isVisible()
    dialog.move_check.setChecked(True)
    assert dialog.edits["move_port"].isVisible()
    assert dialog.notes["move_port"].text() == "no local port for C-MOVE"
    assert not dialog.save_button.isEnabled()
    set_field(dialog, "move_port", "11112")
    dialog.save_button.click()
    assert load_nodes() == [
        PacsNode("PACS", "pacs.local", 104, "PACS", move_only=True, move_port=11112)
    ]


def test_an_empty_port_is_called_missing_not_port_0(qtbot, window):
    """A new node's empty port used to be reported as "port 0 is not a TCP port", a number
    the user never typed."""
    dialog = PacsNodesDialog([], window)
    qtbot.addWidget(dialog)
    dialog.add_button.click()
    assert dialog.notes["port"].text() == "no port"
    set_field(dialog, "port", "0")  # a typed 0 is still named as typed
    assert "0 is not a TCP port" in dialog.notes["port"].text()
    set_field(dialog, "port", " ")
    assert dialog.notes["port"].text() == "no port"


# -- File > Open from PACS --------------------------------------------------------------------
def test_the_patient_id_has_the_keyboard_when_open_from_pacs_opens(qtbot, window):
    """Opening the dialog and typing an ID searches for it (the keys used to go to the PACS
    chooser)."""
    configure(window, PacsNode("dept", "127.0.0.1", free_port(), "NOBODY"))
    dialog = open_dialog(window)
    qtbot.waitExposed(dialog)
    assert dialog.focusWidget() is dialog.patient_id_edit


def test_a_study_description_is_not_cut_short_by_rt_modalities(qtbot, window):
    """A study with RT series lists six modalities: the description keeps its room (the list
    is elided in a column as wide as one series' modality) and both are whole in tooltips."""
    configure(window, PacsNode("dept", "127.0.0.1", free_port(), "NOBODY"))
    dialog = open_dialog(window)
    modalities = ["MR", "MR", "CT", "RTSTRUCT", "RTPLAN", "RTDOSE", "REG"]
    series = tuple(
        SeriesFound(f"1.2.{i}", i + 1, modality, f"{modality} series", 20)
        for i, modality in enumerate(modalities)
    )
    description = "MRI WHOLE SPINE WITH AND WITHOUT CONTRAST"
    study = StudyFound("1.2.3", "SP-0004", "PHANTOM^SPINE", "20260101", description, series)
    dialog.show_studies([study])
    qtbot.waitExposed(dialog)
    item, tree = dialog.tree.topLevelItem(0), dialog.tree
    assert description in item.text(0)
    room = tree.visualRect(tree.indexFromItem(item, 0)).width()
    assert room >= tree.fontMetrics().horizontalAdvance(item.text(0)) + 10
    assert description in item.toolTip(0) and "Study Instance UID 1.2.3" in item.toolTip(0)
    assert item.toolTip(2) == "CT, MR, REG, RTDOSE, RTPLAN, RTSTRUCT"
    # each series' modality is whole in the narrower column
    widest = max(tree.fontMetrics().horizontalAdvance(m) for m in modalities)
    assert tree.columnWidth(2) > widest


def search_and_wait(qtbot, dialog: OpenFromPacsDialog) -> str:
    with qtbot.waitSignal(dialog.search_finished, timeout=NETWORK_TIMEOUT_MS) as blocker:
        dialog.search_button.click()
    return blocker.args[0]


def open_dialog(window) -> OpenFromPacsDialog:
    window.actions_by_id["open_from_pacs"].trigger()
    dialog = window.pacs.dialog
    assert isinstance(dialog, OpenFromPacsDialog) and dialog.isVisible()
    return dialog


@pytest.mark.parametrize("kind", ["dimse", "c-move", "dicomweb"])
def test_find_retrieve_and_the_study_opens_in_the_viewer(
    qtbot, window, stored: OrthancServer, kind: str
):
    node = {
        "dimse": stored.dimse_node(),
        "c-move": stored.dimse_node(move_only=True),  # Orthanc knows SPINEPLAN at move_port
        "dicomweb": stored.dicomweb_node(),
    }[kind]
    configure(window, PacsNode("other", "127.0.0.1", free_port(), "NOBODY"), node)
    window.settings.setValue("pacs/last_node", node.name)
    dialog = open_dialog(window)
    assert dialog.node_chooser.node() == node  # the node used last

    dialog.patient_id_edit.setText("NO-SUCH-PATIENT")
    assert search_and_wait(qtbot, dialog) == "No study matches."
    dialog.patient_id_edit.setText("SPL-0002")
    dialog.modality_combo.setCurrentText("MR")
    text = search_and_wait(qtbot, dialog)
    assert text.startswith("1 study, 3 series found.")
    study = dialog.tree.topLevelItem(0)
    assert study.text(2) == "MR" and study.text(3) == "42"
    rows = [(study.child(n).text(2), study.child(n).text(3)) for n in range(study.childCount())]
    assert rows == [("MR", "11"), ("MR", "11"), ("MR", "20")]
    assert all(study.child(n).text(0) for n in range(study.childCount()))

    study.setSelected(True)
    with (
        qtbot.waitSignal(dialog.retrieve_finished, timeout=NETWORK_TIMEOUT_MS) as retrieved,
        qtbot.waitSignal(window.load_finished, timeout=NETWORK_TIMEOUT_MS) as loaded,
    ):
        dialog.retrieve_button.click()
    assert retrieved.args == ["done"] and loaded.args == ["done"]
    assert not dialog.isVisible()
    # the study is open in the viewer as if its folder had been opened
    assert len(window.infos) == 3 and len(window.volumes) == 3
    assert window.viewer.panels[0].volume is not None
    folder = window.study_path[0]
    assert sop_instance_uids(folder) == sop_instance_uids(SAMPLE_STUDY)
    assert str(window.pacs.cache.root) in str(folder)


def test_a_study_from_the_pacs_is_named_after_its_patient(qtbot, window, tmp_path):
    """Save case as, Export plan and Open recent name a study retrieved from the PACS by its
    patient ID and date (they used to say ``study``, the cache folder's name, for everyone)."""
    from app.plan_panel.export_flow import proposed_export_folder
    from imaging.pacs.cache import PacsCache
    from tests.app.conftest import open_and_wait

    cache = PacsCache(tmp_path / "cache")
    uids = []
    for n, source in enumerate(sample_files()):
        copy = tmp_path / f"{n}.dcm"
        copy.write_bytes(source.read_bytes())
        uids.append(sop_instance_uid(copy))
        cache.add(copy, uids[-1])
    folder = cache.view(sample_study_uid(), "", uids)
    assert open_and_wait(qtbot, window, folder) == "done"
    assert window.annotation.case_files.proposed_stem() == "SPL-0002_20240417"
    case = window.annotation.document.case
    assert proposed_export_folder(case, tmp_path).name == "SPL-0002_20240417-plan"
    entry = window.recent_menu.actions()[0]
    assert entry.text() == "SPL-0002_20240417 (study retrieved from the PACS)"
    assert entry.toolTip() == str(folder.resolve())


def test_retrieving_chosen_series_opens_only_those(qtbot, window, stored: OrthancServer):
    configure(window, stored.dimse_node())
    dialog = open_dialog(window)
    search_and_wait(qtbot, dialog)
    study = dialog.tree.topLevelItem(0)
    chosen = [study.child(0), study.child(2)]
    dialog.tree.clearSelection()  # the study is chosen at first: Ctrl+click two series
    for item in chosen:
        item.setSelected(True)
    with qtbot.waitSignal(window.load_finished, timeout=NETWORK_TIMEOUT_MS):
        dialog.retrieve_button.click()
    shown = sorted(info.description for info in window.infos.values())
    assert shown == sorted(item.text(0).split(" ", 1)[1] for item in chosen)
    assert sum(len(info.files) for info in window.infos.values()) == 11 + 20


def test_unsaved_work_is_asked_about_before_retrieving(
    qtbot, window, stored: OrthancServer, monkeypatch
):
    panel, _result = _open_planned(qtbot, window, 2)
    panel.margin_spin.setValue(panel.margin_spin.value() + 5)  # an unsaved edit of the case
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=PLAN_TIMEOUT_MS)
    asked: list[str] = []

    def answer_cancel(_parent, _title, text, *_args):
        asked.append(text)
        return QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(QMessageBox, "question", answer_cancel)
    configure(window, stored.dimse_node())
    dialog = open_dialog(window)
    search_and_wait(qtbot, dialog)
    opened_before = list(window.study_path)
    dialog.retrieve_button.click()
    assert len(asked) == 1 and "Save them before opening a study from the PACS?" in asked[0]
    assert dialog.worker is None and dialog.isVisible()  # nothing retrieved, nothing opened
    assert window.study_path == opened_before


def test_a_cancelled_retrieve_keeps_nothing(qtbot, window, stored: OrthancServer):
    configure(window, stored.dimse_node())
    dialog = open_dialog(window)
    search_and_wait(qtbot, dialog)
    dialog.tree.topLevelItem(0).setSelected(True)
    cache_root = Path(window.pacs.cache.root)
    before = {p for p in cache_root.rglob("*")} if cache_root.exists() else set()
    with qtbot.waitSignal(dialog.retrieve_finished, timeout=NETWORK_TIMEOUT_MS) as blocker:
        dialog.retrieve_button.click()
        assert dialog.cancel_button.isVisible() and dialog.progress_bar.isVisible()
        # Cancel as soon as the first image is in
        dialog.worker.progressed.connect(lambda done, _total: dialog.cancel_button.click())
    assert blocker.args == ["cancelled"]
    assert dialog.status_label.text() == "Retrieve cancelled: nothing was kept."
    assert dialog.isVisible() and not dialog.cancel_button.isVisible()
    after = {p for p in cache_root.rglob("*")} if cache_root.exists() else set()
    new_files = [p for p in after - before if p.is_file()]
    assert new_files == []
    assert window.study_path == []  # nothing was opened


def test_closing_the_dialog_mid_retrieve_stops_it_and_opens_nothing(
    qtbot, window, stored: OrthancServer
):
    configure(window, stored.dimse_node())
    dialog = open_dialog(window)
    search_and_wait(qtbot, dialog)
    worker_ended: list[bool] = []
    dialog.retrieve_button.click()
    worker = dialog.worker
    worker.finished.connect(lambda: worker_ended.append(True))
    late: list[object] = []
    worker.succeeded.connect(late.append)
    dialog.close_button.click()
    assert not dialog.isVisible() and dialog.worker is None
    qtbot.waitUntil(lambda: bool(worker_ended), timeout=NETWORK_TIMEOUT_MS)
    qtbot.wait(200)  # any answer queued by the thread would arrive now
    assert late == [] and window.study_path == []
    studies = Path(window.pacs.cache.root) / "studies"
    assert not studies.exists() or not any(studies.rglob("*.dcm"))


def test_a_dead_pacs_is_the_one_line_error(qtbot, window):
    dead = PacsNode("dead", "127.0.0.1", free_port(), "ORTHANC")
    configure(window, PacsNode("first", "127.0.0.1", free_port(), "ORTHANC"), dead)
    dialog = open_dialog(window)
    assert dialog.node_chooser.node().name == "first"  # none used yet: the first
    dialog.node_chooser.choose("dead")
    text = search_and_wait(qtbot, dialog)
    assert text.startswith(f"PACS 'dead' (127.0.0.1:{dead.port}, AE ORTHANC): ")
    assert dialog.status_label.text() == text and "\n" not in text
    assert dialog.search_button.isEnabled() and not dialog.retrieve_button.isEnabled()
    dialog.close_button.click()
    assert open_dialog(window).node_chooser.node() == dead  # the node used last


# -- File > Send to PACS ----------------------------------------------------------------------
def test_send_a_plans_exports_shows_each_file_ok_and_they_are_in_orthanc(
    qtbot, window, orthanc: OrthancServer, tmp_path
):
    orthanc.clear()
    panel, _result = _open_planned(qtbot, window, 2)
    folder = tmp_path / "case2-plan"
    with qtbot.waitSignal(panel.export_finished, timeout=PLAN_TIMEOUT_MS):
        assert panel.export_to(folder)
    configure(window, orthanc.dimse_node())
    window.actions_by_id["send_to_pacs"].trigger()
    dialog = window.pacs.dialog
    assert isinstance(dialog, SendToPacsDialog) and dialog.isVisible()
    listed = {
        dialog.items_table.item(row, 0).text(): dialog.path_at(row)
        for row in range(dialog.items_table.rowCount())
    }
    assert listed == {
        "RT Plan": folder / "rtplan.dcm",
        "RT Dose": folder / "rtdose.dcm",
        "RT Structure Set": folder / "rtstruct.dcm",
    }
    assert sorted(dialog.chosen_paths()) == sorted(listed.values())  # checked

    with qtbot.waitSignal(dialog.send_finished, timeout=NETWORK_TIMEOUT_MS) as blocker:
        dialog.send_button.click()
    assert blocker.args == ["done"]
    rows = dialog.result_rows()
    assert sorted(rows) == sorted(
        (name, sop_instance_uid(folder / name), "OK")
        for name in ("rtdose.dcm", "rtplan.dcm", "rtstruct.dcm")
    )
    assert {uid for _name, uid, _result in rows} == orthanc.instance_uids()
    assert dialog.status_label.text() == "3 files stored in orthanc."
    # Enter now closes the dialog: it must not send the same files a second time
    assert dialog.close_button.isDefault() and not dialog.send_button.isDefault()


def test_a_file_the_pacs_cannot_take_is_reported_beside_the_others(
    qtbot, window, orthanc: OrthancServer, tmp_path
):
    orthanc.clear()
    configure(window, orthanc.dimse_node())
    not_dicom = tmp_path / "notes.dcm"
    not_dicom.write_text("not DICOM")
    image = sample_files()[0]
    dialog = SendToPacsDialog([orthanc.dimse_node()], [], window.settings, window)
    qtbot.addWidget(dialog)
    assert "Nothing exported in this session yet" in dialog.items_note.text()
    assert not dialog.send_button.isEnabled()
    dialog.add_paths([image, not_dicom])
    with qtbot.waitSignal(dialog.send_finished, timeout=NETWORK_TIMEOUT_MS):
        dialog.send_button.click()
    rows = {name: (uid, result) for name, uid, result in dialog.result_rows()}
    assert rows[image.name][1] == "OK"
    assert rows["notes.dcm"] == ("", "not a DICOM file (not sent)")
    assert (
        dialog.status_label.text()
        == "1 of 2 files stored in orthanc; 1 not (see each file's result)."
    )
    assert orthanc.instance_uids() == {rows[image.name][0]}


def test_the_annotations_and_teaching_exports_are_offered_and_sent(
    qtbot, window, orthanc: OrthancServer, tmp_path, monkeypatch
):
    orthanc.clear()
    case = SAMPLE_STUDY / "reference.spineplan.json"
    with qtbot.waitSignal(window.load_finished, timeout=PLAN_TIMEOUT_MS):
        window.open_path(case)
    for action_id, name in (("export_rtstruct", "case2.rtstruct.dcm"), ("export_seg", "seg.dcm")):
        target = tmp_path / name
        monkeypatch.setattr(
            QFileDialog, "getSaveFileName", staticmethod(lambda *_a, t=target: (str(t), ""))
        )
        window.actions_by_id[action_id].trigger()
        assert target.is_file()
    teaching = tmp_path / "teaching"
    with qtbot.waitSignal(window.practice.teaching.exported, timeout=PLAN_TIMEOUT_MS):
        assert window.practice.teaching.export_to(teaching)
    assert window.practice.wait_until_idle()
    window.practice.teaching.result_dialog.close()

    configure(window, orthanc.dimse_node())
    window.actions_by_id["send_to_pacs"].trigger()
    dialog = window.pacs.dialog
    assert isinstance(dialog, SendToPacsDialog)
    table = dialog.items_table
    listed = {
        table.item(row, 0).text(): (dialog.path_at(row), table.item(row, 0).checkState())
        for row in range(table.rowCount())
    }
    checked, unchecked = Qt.CheckState.Checked, Qt.CheckState.Unchecked
    assert listed == {  # newest first; the teaching export is sent only when asked for
        "Teaching export (folder)": (teaching, unchecked),
        "Segmentation (SEG)": (tmp_path / "seg.dcm", checked),
        "RT Structure Set": (tmp_path / "case2.rtstruct.dcm", checked),
    }
    dialog.check_row(0, True)
    with qtbot.waitSignal(dialog.send_finished, timeout=NETWORK_TIMEOUT_MS) as blocker:
        dialog.send_button.click()
    assert blocker.args == ["done"]
    rows = dialog.result_rows()
    teaching_uids = sop_instance_uids_of_dicom(teaching)
    assert len(rows) == len(teaching_uids) + 2
    assert all(result == "OK" for _name, _uid, result in rows)
    assert orthanc.instance_uids() == teaching_uids | {
        sop_instance_uid(tmp_path / "seg.dcm"),
        sop_instance_uid(tmp_path / "case2.rtstruct.dcm"),
    }


def sop_instance_uids_of_dicom(folder: Path) -> set[str]:
    """The SOP Instance UIDs of the DICOM files under ``folder`` (the case file and masks of a
    teaching export are not DICOM)."""
    found = set()
    for path in folder.rglob("*"):
        if path.is_file():
            with contextlib.suppress(pydicom.errors.InvalidDicomError):
                found.add(sop_instance_uid(path))
    return found


def test_each_node_field_shows_its_whole_example(qtbot, window):
    """At the dialog's own size every field is wide enough for its example (the host's was cut
    to "e.g. pacs.hospital.local or …" beside the list)."""
    from PySide6.QtWidgets import QStyle, QStyleOptionFrame

    dialog = PacsNodesDialog([], window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.add_button.click()
    dialog.move_check.setChecked(True)  # the local C-MOVE port's field too
    for name, edit in dialog.edits.items():
        if not edit.isVisible():
            continue
        option = QStyleOptionFrame()
        edit.initStyleOption(option)
        inner = edit.style().subElementRect(QStyle.SubElement.SE_LineEditContents, option, edit)
        needed = edit.fontMetrics().horizontalAdvance(edit.placeholderText())
        assert inner.width() >= needed, (name, inner.width(), needed)
