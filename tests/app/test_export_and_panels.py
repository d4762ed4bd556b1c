"""Export into a typed new folder with the confirmation beside the button and stale exports
flagged; and the smaller items of issue 16: tool keys raise the Annotation panel, Messages do
not pop up, the user guide opens at its top, counts agree, the width box shows — without a
plan and never a previous case's width."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QDesktopServices
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from app.plan_panel.export_flow import ExportFolderDialog, proposed_export_folder
from app.user_guide import UserGuideDialog
from imaging.plurals import plural
from tests.app.conftest import open_and_wait
from tests.app.test_plan_panel import OUTPUTS, PLAN_TIMEOUT_MS, _open_planned, front_tab


def test_export_into_a_typed_new_folder_confirms_beside_the_button_and_flags_stale(
    qtbot, window, tmp_path: Path, monkeypatch
) -> None:
    panel, _result = _open_planned(qtbot, window, 2)
    new_folder = tmp_path / "exports" / "patient 2" / "plan"  # none of these exist yet

    def type_folder() -> None:
        dialog = next(
            w for w in QApplication.topLevelWidgets() if isinstance(w, ExportFolderDialog)
        )
        # proposed: a new folder beside... the reference case is not overwritten: a free name
        assert dialog.path_edit.text().endswith("-plan")
        dialog.path_edit.setText(str(new_folder))
        assert dialog.note.text() == "A new folder will be made."
        assert dialog.export_button.isEnabled()
        dialog.export_button.click()

    QTimer.singleShot(50, type_folder)
    with qtbot.waitSignal(panel.export_finished, timeout=PLAN_TIMEOUT_MS):
        panel.export_button.click()
    assert {p.name for p in new_folder.iterdir()} == OUTPUTS

    record = panel.export_record
    assert record.isVisible()
    assert f"Exported 6 files into {new_folder}" in record.label.text()
    # beside the button: right under it in the panel
    below = record.mapTo(panel, record.rect().topLeft()).y()
    button_bottom = panel.export_button.mapTo(panel, panel.export_button.rect().bottomLeft()).y()
    assert 0 <= below - button_bottom < 30
    opened: list[str] = []
    monkeypatch.setattr(
        QDesktopServices, "openUrl", staticmethod(lambda url: opened.append(url.toLocalFile()))
    )
    record.open_button.click()
    assert opened == [str(new_folder)]

    # a later edit makes the export stale, until it is exported again
    panel.margin_spin.setValue(panel.margin_spin.value() + 5)
    assert "the plan has changed since" in record.label.text()
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=PLAN_TIMEOUT_MS)
    with qtbot.waitSignal(panel.export_finished, timeout=PLAN_TIMEOUT_MS):
        assert panel.export_to(new_folder)
    assert "changed since" not in record.label.text()


def test_export_dialog_refuses_a_file_and_says_an_existing_folder_is_reused(qtbot, tmp_path):
    a_file = tmp_path / "a file"
    a_file.write_text("x")
    dialog = ExportFolderDialog(None, tmp_path / "new")
    qtbot.addWidget(dialog)
    dialog.path_edit.setText(str(a_file))
    assert not dialog.export_button.isEnabled() and "is a file" in dialog.note.text()
    dialog.path_edit.setText(str(tmp_path))
    assert dialog.export_button.isEnabled() and "replaced" in dialog.note.text()
    dialog.path_edit.setText("")
    assert not dialog.export_button.isEnabled()
    assert dialog.result() != QDialog.DialogCode.Accepted


def test_a_tool_key_brings_the_annotation_panel_in_front_of_the_plan(qtbot, window, study):
    assert open_and_wait(qtbot, window, study.folder) == "done"
    annotation_title = window.annotation.dock.windowTitle()
    window.plan_dock.show()
    window.plan_dock.raise_()
    qtbot.waitUntil(lambda: front_tab(window, annotation_title) == window.plan_dock.windowTitle())
    window.viewer.setFocus()
    QTest.keyClick(window, Qt.Key.Key_B)
    assert window.actions_by_id["tool_brush"].isChecked()
    qtbot.waitUntil(lambda: front_tab(window, annotation_title) == annotation_title)
    tabs = window.annotation.tabs
    assert tabs.tabText(tabs.currentIndex()).startswith("Lesion")


def test_messages_do_not_pop_up_but_are_counted_in_the_status_bar(qtbot, window):
    assert not window.messages_dock.isVisible()
    window.add_message("warning", "first warning")
    window.add_message("info", "an info")
    window.add_message("error", "an error")
    assert not window.messages_dock.isVisible()
    indicator = window.messages_indicator
    assert indicator.isVisible() and indicator.text() == "✖ 1 error, 1 warning"
    indicator.click()
    assert window.messages_dock.isVisible()
    window.clear_messages()
    assert not indicator.isVisible()


def test_the_user_guide_opens_at_its_top(qtbot):
    dialog = UserGuideDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.wait(50)
    browser = dialog.browser
    assert browser.verticalScrollBar().value() == 0
    top = browser.cursorForPosition(browser.viewport().rect().topLeft()).block().text()
    assert top == "The viewer"


def test_counts_agree_with_their_nouns():
    assert plural(1, "level") == "1 level"
    assert plural(2, "level") == "2 levels"
    assert plural(1, "voxel") == "1 voxel"
    assert plural(0, "file") == "0 files"
    assert plural(3, "vertebra") == "3 vertebrae"


def test_the_width_box_is_empty_without_a_plan_and_per_case(qtbot, window, study):
    panel = window.plan_panel
    assert panel.width_auto.isChecked()
    assert panel.width_spin.text() == "—"  # no plan: no width
    panel, _ = _open_planned(qtbot, window, 2)
    assert panel.width_spin.text().endswith(" mm")
    derived = panel.width_spin.text()
    # another case (a study without a field yet) shows no width, not the previous one's
    assert open_and_wait(qtbot, window, study.folder) == "done"
    assert panel.width_spin.text() == "—", derived
    # unticking "auto" gives a width to type, never "—"
    panel.width_auto.setChecked(False)
    assert panel.width_spin.text().endswith(" mm")


def test_export_of_a_case_that_cannot_be_planned_says_why_before_asking_a_folder(
    qtbot, window, study, monkeypatch
):
    assert open_and_wait(qtbot, window, study.folder) == "done"
    said: list[str] = []
    monkeypatch.setattr(
        QMessageBox, "information", staticmethod(lambda _parent, _title, text: said.append(text))
    )
    window.annotation.dock.raise_()
    window.actions_by_id["export_plan"].trigger()
    assert said and "the case has no lesion" in said[0]
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, ExportFolderDialog)]
    # the Plan panel came forward: its outcome line is where the user looks next
    title = window.plan_dock.windowTitle()
    qtbot.waitUntil(lambda: front_tab(window, title) == title)


def test_the_export_folder_proposed_is_new_and_named_after_the_case(tmp_path):
    from dataclasses import replace

    from planning.case import Case, StudyReference

    study = tmp_path / "case7"
    case = Case(StudyReference(str(study), "1.2", "1.3"))
    cases = tmp_path / "cases"
    # not saved yet: in the cases folder, after the study
    assert proposed_export_folder(case, cases) == cases / "case7-plan"
    # a bundled reference is named after its study, not "reference"
    reference = replace(case, source_path=study / "reference.spineplan.json", reference=True)
    assert proposed_export_folder(reference, cases) == cases / "case7-plan"
    # saved: beside the case file it is saved to now, a free name
    saved = tmp_path / "mine" / "patient.spineplan.json"
    (tmp_path / "mine" / "patient-plan").mkdir(parents=True)
    assert proposed_export_folder(reference, cases, saved) == tmp_path / "mine" / "patient-plan-2"


def test_save_as_names_a_reference_case_after_its_study(qtbot, window, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from tests.app.test_plan_panel import _case_path

    assert open_and_wait(qtbot, window, _case_path(2), PLAN_TIMEOUT_MS) == "done"
    proposed: list[str] = []
    monkeypatch.setattr(
        QFileDialog,
        "getSaveFileName",
        staticmethod(lambda _parent, _title, start, *_args: (proposed.append(start), ("", ""))[1]),
    )
    window.annotation.choose_save_as()
    assert Path(proposed[0]).name == "case2.spineplan.json"
