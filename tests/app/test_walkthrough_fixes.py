"""What a clinician met in a whole session under Xvfb (sample case 3 as a plain folder, then
sample case 4 registered onto its CT), each fault with the test that keeps it fixed."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from app.plan_panel.settings_form import NO_WIDTH_TEXT, PlanSettingsForm
from planning.case.settings import PlanSettings
from tests.app.annotation_helpers import drag, go_to, view_of
from tests.app.conftest import open_and_wait
from tests.app.test_plan_panel import PLAN_TIMEOUT_MS, _open_planned
from tests.app.test_registration_panel import _finish, _open, _run, write_unregistered_case
from tests.app.test_work_not_lost import label_one_level

SAMPLES = Path(__file__).resolve().parents[2] / "sample_dicom"


@pytest.fixture
def unregistered_case(tmp_path):
    return write_unregistered_case(tmp_path)


def test_the_automatic_width_box_shows_and_keeps_the_half_millimetre(qtbot) -> None:
    """A 24.5 mm body + 10 mm each side is a 44.5 mm field: the box showed "44 mm" (rounded
    half to even) beside the table's 4.5 cm, and unticking "auto" planned 44 mm."""
    form = PlanSettingsForm(None, lambda: 44.5)
    qtbot.addWidget(form)
    form.show()
    qtbot.waitExposed(form)
    form.load(PlanSettings())
    form.show_derived_width(44.5)
    assert form.width_spin.text() == "44.5 mm"
    qtbot.mouseClick(form.width_auto, Qt.MouseButton.LeftButton)
    assert not form.width_auto.isChecked()
    assert form.read(PlanSettings()).field_width_mm == 44.5
    assert form.width_spin.text() == "44.5 mm"


#: the levels left unlabelled in the session's case 3 (T8 to L2 were labelled)
LUMBOSACRAL = {"L3", "L4", "L5", "S1"}


def test_a_lesion_painted_below_the_labelled_levels_leaves_no_field_drawn(qtbot, window) -> None:
    """Painting a stroke below the last labelled level gave "NO PLAN" and its reason, but the
    last plan's field borders (and its width) stayed on the views, as if they still held."""
    panel, result = _open_planned(qtbot, window, 3)
    assert result.field.levels_words() == "T9-T12"
    drawn = {item.kind for item in panel.overlay_items}
    assert "field border" in drawn and "field outline" in drawn  # the comparison can fail
    # the levels labelled as in the session: none below L2
    document = window.annotation.document
    kept = tuple(level for level in document.case.levels if level.name not in LUMBOSACRAL)
    with qtbot.waitSignal(panel.plan_updated, timeout=PLAN_TIMEOUT_MS):
        document.apply("Delete levels", replace(document.case, levels=kept))
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=PLAN_TIMEOUT_MS)
    failures: list[str] = []
    panel.plan_failed.connect(failures.append)
    sagittal = view_of(window, "sagittal")
    x_mm, y_mm = result.lesion.centroid_mm[:2]
    l4_z_mm = -242.0
    go_to(window, (x_mm, y_mm, l4_z_mm))
    window.annotation.activate_tool("tool_brush")
    drag(sagittal, (x_mm, y_mm, l4_z_mm + 4.0), (x_mm, y_mm, l4_z_mm - 4.0))
    qtbot.waitUntil(lambda: bool(failures), timeout=PLAN_TIMEOUT_MS)
    assert "below the lowest labelled level" in failures[-1]
    assert panel.verdict_label.text() == "NO PLAN"
    assert not [item for item in panel.overlay_items if item.kind.startswith("field")]
    assert panel.field is None
    assert panel.width_spin.text() == NO_WIDTH_TEXT
    # Undo takes the stroke back: the plan and its field return
    with qtbot.waitSignal(panel.plan_updated, timeout=PLAN_TIMEOUT_MS):
        window.actions_by_id["undo"].trigger()
    assert {"field border", "field outline"} <= {item.kind for item in panel.overlay_items}


def test_edits_undone_back_to_the_opened_state_leave_nothing_to_recover(
    qtbot, window, study
) -> None:
    """Edits undone and redone back to the saved state, then Quit without a question (nothing
    unsaved): the next opening still offered "Unsaved annotation found" (the recovery file
    written by the undo and redo), inviting the user to restore a state already saved."""
    assert open_and_wait(qtbot, window, study.folder) == "done"
    annotation = window.annotation
    label_one_level(window)
    recovery_file = annotation.recovery.store.path_for(annotation.recovery_source)
    assert recovery_file.is_file()  # an edit not saved is recoverable
    window.actions_by_id["undo"].trigger()
    qtbot.waitUntil(lambda: not recovery_file.is_file(), timeout=2000)
    window.actions_by_id["redo"].trigger()
    qtbot.wait(20)
    assert window.isWindowModified() and recovery_file.is_file()
    window.actions_by_id["undo"].trigger()
    qtbot.waitUntil(lambda: not recovery_file.is_file(), timeout=2000)
    assert not window.isWindowModified()
    assert open_and_wait(qtbot, window, study.folder) == "done"
    assert not annotation.recovery_bar.isVisible()


def _clipped(labels) -> list[str]:
    """The labels shown shorter than their wrapped text needs (their last lines cut off)."""
    return [
        label.text()[:40]
        for label in labels
        if label.isVisible() and label.height() < label.heightForWidth(label.width())
    ]


def test_the_registration_panel_shows_its_texts_whole_in_a_1600x1000_window(
    qtbot, window, unregistered_case
) -> None:
    """At 1600x1000 with the Messages panel open, after Register (automatic) on sample case 4,
    the point-pair help and the Result text (mutual information, overlap, what the search
    found) were cut mid-line: the panel was squeezed into the dock instead of scrolling."""
    window.resize(1600, 1000)
    window.messages_dock.show()
    controller = _open(qtbot, window, unregistered_case)
    panel = controller.panel
    try:
        assert _run(qtbot, controller) == "succeeded"
        assert "no other level competes" in panel.quality_label.text()
        labels = panel.findChildren(QLabel)
        assert panel.quality_label in labels and len(labels) > 5
        qtbot.wait(300)  # the layouts settle, and the area fits its panel to them
        assert _clipped(labels) == []
    finally:
        _finish(window)


def test_a_case_saved_elsewhere_names_its_study_folder_plainly(qtbot, window, tmp_path) -> None:
    """A case saved in the cases folder keeps its study as a relative path; the message on
    opening it said "its study is /home/.../spineplan cases/../../../data/case3"."""
    study = tmp_path / "data" / "case3"
    shutil.copytree(SAMPLES / "case3", study, ignore=shutil.ignore_patterns("*.json"))
    cases = tmp_path / "home" / "Documents" / "spineplan cases"
    cases.mkdir(parents=True)
    data = json.loads((SAMPLES / "case3" / "reference.spineplan.json").read_text())
    data["study"]["path"] = "../../../data/case3"
    data["reference"] = False
    case_file = cases / "case3.spineplan.json"
    case_file.write_text(json.dumps(data))
    assert open_and_wait(qtbot, window, case_file) == "done"
    assert f"Case file case3.spineplan.json: its study is {study}" in window.message_texts()
