"""File > Export case for teaching through the GUI: a de-identified copy of the open case and
its study, written in the background, with the changes shown to the user."""

from __future__ import annotations

import shutil
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset
from PySide6.QtWidgets import QFileDialog, QMessageBox

from app.practice.cases import SAMPLE_ROOT
from app.practice.teaching_action import DEFAULT_FOLDER_NAME, free_destination
from planning.case import check_study, load_case
from planning.field.derivation import derive_case_field
from tests.app.conftest import open_and_wait

CASE = SAMPLE_ROOT / "case2" / "reference.spineplan.json"
pytestmark = pytest.mark.skipif(not CASE.is_file(), reason="sample case 2 is not generated")


def identifying_values(folder: Path) -> set[str]:
    """Patient name, ID and birth date of every DICOM file under ``folder``."""
    found = set()
    for path in folder.rglob("*"):
        if path.is_file() and not path.name.endswith((".json", ".nrrd")):
            ds = pydicom.dcmread(path, stop_before_pixels=True)
            for keyword in ("PatientName", "PatientID", "PatientBirthDate"):
                if keyword in ds:
                    found.add(str(ds.data_element(keyword).value))
    return found - {""}


def every_text(ds: Dataset) -> list[str]:
    """Every element value of ``ds`` as text, sequences included."""
    texts = []
    for element in ds:
        if element.VR == "SQ":
            for item in element.value:
                texts += every_text(item)
        elif element.keyword != "PixelData":
            texts.append(str(element.value))
    return texts


def test_the_open_case_is_exported_de_identified(qtbot, window, tmp_path, monkeypatch):
    assert open_and_wait(qtbot, window, CASE) == "done"
    originals = identifying_values(CASE.parent)
    assert originals  # the sample has a name, an ID and a birth date to remove
    exporter = window.practice.teaching
    destination = tmp_path / "teaching"
    destination.mkdir()  # the user makes a new folder in the folder dialog and chooses it
    monkeypatch.setattr(
        QFileDialog, "getExistingDirectory", staticmethod(lambda *args: str(destination))
    )
    action = window.actions_by_id["export_teaching"]
    file_menu = next(m.menu() for m in window.menuBar().actions() if m.text() == "&File")
    assert action in file_menu.actions()
    with qtbot.waitSignal(exporter.exported, timeout=120_000) as blocker:
        action.trigger()
    export = blocker.args[0]
    assert export.folder == destination and export.case_path.is_file()
    assert window.practice.wait_until_idle()

    for path in destination.rglob("*"):
        if path.is_file() and path.suffix not in (".json", ".nrrd"):
            texts = every_text(pydicom.dcmread(path))
            assert not any(value in text for value in originals for text in texts), path
    exported = load_case(export.case_path)
    assert exported.reference
    assert check_study(exported)  # the copy finds its (renamed) study
    original = load_case(CASE)
    assert derive_case_field(exported).superior_border_z_mm == pytest.approx(
        derive_case_field(original).superior_border_z_mm
    )
    assert exported.study.study_instance_uid != original.study.study_instance_uid

    dialog = exporter.result_dialog
    assert dialog is not None and dialog.isVisible()
    shown = dialog.text.toPlainText()
    assert "replaced PatientName" in shown and "files de-identified" in shown
    assert str(destination) in shown
    assert any("exported for teaching" in m for m in window.message_texts())
    dialog.close()


def test_a_cancelled_export_leaves_nothing(qtbot, window, tmp_path):
    assert open_and_wait(qtbot, window, CASE) == "done"
    exporter = window.practice.teaching
    destination = tmp_path / "teaching"
    assert exporter.export_to(destination)
    exporter.export_thread.cancel()
    assert window.practice.wait_until_idle()
    qtbot.waitUntil(lambda: exporter.export_thread is None, timeout=10_000)
    assert not destination.exists()
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".teaching")] == []
    assert any("cancelled" in m for m in window.message_texts())


def test_an_edited_annotation_is_exported_as_it_is_now(qtbot, window, tmp_path):
    assert open_and_wait(qtbot, window, CASE.parent) == "done"  # a new, empty case of the study
    document = window.annotation.document
    assert document.case_path is None
    exporter = window.practice.teaching
    exporter.show_result = False
    with qtbot.waitSignal(exporter.exported, timeout=120_000) as blocker:
        assert exporter.export_to(tmp_path / "copy")
    exported = load_case(blocker.args[0].case_path)
    assert not exported.reference and exported.levels == ()
    assert check_study(exported)


def test_without_a_case_the_export_says_why(qtbot, window, tmp_path):
    assert not window.practice.teaching.export_to(tmp_path / "nothing")
    assert any("open a study or a case" in m for m in window.message_texts())
    assert not (tmp_path / "nothing").exists()


def test_a_folder_that_is_not_empty_gets_a_new_subfolder(tmp_path):
    assert free_destination(tmp_path / "new") == tmp_path / "new"
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    assert free_destination(tmp_path / "full") == tmp_path / "full" / DEFAULT_FOLDER_NAME
    (tmp_path / "full" / DEFAULT_FOLDER_NAME).mkdir()
    assert free_destination(tmp_path / "full") == tmp_path / "full" / f"{DEFAULT_FOLDER_NAME}_2"


def test_burned_in_text_is_exported_only_after_the_user_confirms(
    qtbot, window, tmp_path, monkeypatch
):
    study = tmp_path / "study"
    shutil.copytree(CASE.parent, study)
    shot = sorted(study.rglob("*.dcm"))[0]
    ds = pydicom.dcmread(shot)
    ds.BurnedInAnnotation = "YES"
    ds.save_as(shot)
    assert open_and_wait(qtbot, window, study / CASE.name) == "done"
    exporter = window.practice.teaching
    exporter.show_result = False
    asked = []

    def answer(reply):
        def question(parent, title, text, *args):
            asked.append(text)
            return reply

        return staticmethod(question)

    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.No))
    assert not exporter.export_to(tmp_path / "refused")
    assert "burned into the pixels" in asked[0] and shot.name in asked[0]
    assert not (tmp_path / "refused").exists()
    assert any("burned-in text" in m for m in window.message_texts())

    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Yes))
    with qtbot.waitSignal(exporter.exported, timeout=120_000) as blocker:
        assert exporter.export_to(tmp_path / "accepted")
    assert len(blocker.args[0].deidentification.burned_in_accepted) == 1
    assert window.practice.wait_until_idle()
