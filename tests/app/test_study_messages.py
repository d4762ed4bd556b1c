"""What the Messages panel says about the files of an opened folder: a case file in a study
folder is not junk, nothing is said about skipping when nothing was skipped, counts in words."""

from __future__ import annotations

import pytest

from app.gui import sample_case_path
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
    assert window.message_texts("error") == [
        f"Could not open {empty}: no DICOM images found"
    ]
