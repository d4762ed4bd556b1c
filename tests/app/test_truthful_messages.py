"""What the window says must be true: a case file in a study folder is not junk, nothing is said
about skipping when nothing was skipped, counts are in words, and with no case open the Plan
panel shows no case's settings."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from app.gui import sample_case_path
from planning.case.settings import PlanSettings
from tests.app.conftest import open_and_wait


def test_the_case_file_of_a_sample_study_folder_is_not_reported_skipped(qtbot, window):
    folder = sample_case_path("case4")
    if not (folder / "reference.spineplan.json").exists():
        pytest.skip(f"{folder} not generated")
    assert open_and_wait(qtbot, window, folder, timeout_ms=120_000) == "done"
    texts = window.message_texts()
    assert not [t for t in texts if "skipped" in t or "reference.spineplan.json" in t], texts


def test_skipped_files_are_counted_in_words(qtbot, window, study):
    (study.folder / "a-notes.txt").write_text("notes\n")
    (study.folder / "b-notes.txt").write_text("notes\n")
    assert open_and_wait(qtbot, window, study.folder) == "done"
    assert "2 files skipped, e.g. a-notes.txt: not a DICOM file" in window.message_texts("info")


def test_an_empty_folder_says_no_images_and_nothing_about_skipping(qtbot, window, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert open_and_wait(qtbot, window, empty) == "failed"
    assert window.message_texts("error") == [f"Could not open {empty}: no DICOM images found"]


def test_with_no_case_open_the_plan_panel_shows_the_defaults_not_the_last_case(
    qtbot, window, study, tmp_path
):
    panel = window.plan_panel
    assert open_and_wait(qtbot, window, study.folder) == "done"
    # the user types another margin and dose: the open case's settings
    for spin, typed in ((panel.margin_spin, "15"), (panel.dose_spin, "8")):
        qtbot.mouseDClick(spin.lineEdit(), Qt.MouseButton.LeftButton)
        spin.lineEdit().selectAll()
        qtbot.keyClicks(spin.lineEdit(), typed)
        qtbot.keyClick(spin.lineEdit(), Qt.Key.Key_Return)
    assert (panel.margin_spin.value(), panel.dose_spin.value()) == (15.0, 8.0)
    assert window.annotation.document.case.plan.margin_mm == 15.0
    # opening an empty folder fails and leaves no case open
    empty = tmp_path / "empty"
    empty.mkdir()
    assert open_and_wait(qtbot, window, empty) == "failed"
    assert window.annotation.document.case is None
    defaults = PlanSettings()
    assert panel.margin_spin.value() == defaults.margin_mm
    assert panel.dose_spin.value() == defaults.dose_gy
    assert panel.settings() == defaults
    assert panel.status_label.text() == "No case is open."
