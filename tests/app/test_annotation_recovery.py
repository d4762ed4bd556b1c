"""Autosave and crash recovery: kill the program after an edit, restart, get the edit back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from app.annotation.autosave import RecoveryStore, recovery_key
from tests.app.annotation_helpers import click, drag, go_to, view_of
from tests.app.conftest import open_and_wait

DRIVER = Path(__file__).with_name("annotation_driver.py")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "userdata"
    monkeypatch.setenv("SPINEPLAN_DATA_DIR", str(folder))
    return folder


def label_and_paint(window) -> None:
    volume = window.viewer.panels[0].volume
    slices, rows, cols = volume.shape
    centre = volume.index_to_patient(np.array([[cols / 2, rows / 2, slices // 2]], float))[0]
    go_to(window, centre)
    window.annotation.activate_tool("tool_levels")
    for dz in (20.0, 0.0, -20.0):
        click(view_of(window), centre + np.array([0.0, 0.0, dz]))
    window.annotation.activate_tool("tool_brush")
    drag(view_of(window), centre + np.array([0.0, 0.0, 2.0]), centre - np.array([0.0, 0.0, 2.0]))


def test_every_edit_is_written_to_the_recovery_file_in_the_data_folder(
    qtbot, window, study, data_dir
):
    assert open_and_wait(qtbot, window, study.folder) == "done"
    store = window.annotation.store
    recovery = store.path_for(study.folder)
    assert recovery.parent == data_dir / "recovery"
    assert not recovery.exists()
    label_and_paint(window)
    found = store.find(study.folder)
    assert found is not None and found.last_edit == "Paint lesion"
    assert [lv.name for lv in found.case.levels] == ["C2", "C3", "C4"]
    assert Path(found.case.lesion.path).is_file()
    window.actions_by_id["undo"].trigger()  # undo is a change too
    assert store.find(study.folder).case.lesion is None
    # saving the case makes the recovery unnecessary
    window.annotation.save_as(study.folder.parent / "saved.spineplan.json")
    assert store.find(study.folder) is None


def test_recovery_is_offered_on_reopening_and_restores_as_one_undoable_edit(qtbot, window, study):
    assert open_and_wait(qtbot, window, study.folder) == "done"
    label_and_paint(window)
    painted = window.annotation.document.case.lesion_mask.array.copy()
    # open something else and come back, as a restart after a crash would (no question asked)
    window.annotation.document.undo_stack.setClean()
    assert open_and_wait(qtbot, window, study.t1.folder) == "done"
    assert window.annotation.document.case.is_empty()
    assert open_and_wait(qtbot, window, study.folder) == "done"
    annotation = window.annotation
    assert annotation.recovery_bar.isVisible()
    assert "3 levels, a lesion" in annotation.recovery_label.text()
    assert "last edit: Paint lesion" in annotation.recovery_label.text()
    assert annotation.document.case.is_empty()
    annotation.restore_button.click()
    state = annotation.document.case
    assert [lv.name for lv in state.levels] == ["C2", "C3", "C4"]
    assert np.array_equal(state.lesion_mask.array, painted)
    assert state.lesion is None  # still a painted lesion, saved as a new mask file
    assert not annotation.recovery_bar.isVisible()
    window.actions_by_id["undo"].trigger()
    assert annotation.document.case.is_empty()


def test_declining_the_recovery_deletes_it(qtbot, window, study):
    assert open_and_wait(qtbot, window, study.folder) == "done"
    label_and_paint(window)
    assert open_and_wait(qtbot, window, study.folder) == "done"
    window.annotation.discard_button.click()
    assert window.annotation.store.find(study.folder) is None
    assert not window.annotation.recovery_bar.isVisible()


def reopen_with_recovery(qtbot, window, study) -> None:
    """Edit, open something else (no question asked) and come back: the edit is offered."""
    label_and_paint(window)
    window.annotation.document.undo_stack.setClean()
    assert open_and_wait(qtbot, window, study.t1.folder) == "done"
    assert open_and_wait(qtbot, window, study.folder) == "done"
    assert window.annotation.recovery_bar.isVisible()


def test_a_discarded_recovery_is_no_longer_listed_as_restorable(qtbot, window, study):
    assert open_and_wait(qtbot, window, study.folder) == "done"
    reopen_with_recovery(qtbot, window, study)
    offered = [t for t in window.message_texts("warning") if "can be restored" in t]
    assert len(offered) == 1
    warnings_before = window.messages_indicator.warnings
    qtbot.mouseClick(window.annotation.discard_button, Qt.MouseButton.LeftButton)
    assert not [t for t in window.message_texts() if "can be restored" in t]
    assert window.messages_indicator.warnings == warnings_before - 1
    assert any("was discarded" in t for t in window.message_texts("info"))


def test_a_restored_recovery_is_no_longer_listed_as_restorable(qtbot, window, study):
    assert open_and_wait(qtbot, window, study.folder) == "done"
    reopen_with_recovery(qtbot, window, study)
    assert any("can be restored" in t for t in window.message_texts("warning"))
    qtbot.mouseClick(window.annotation.restore_button, Qt.MouseButton.LeftButton)
    assert not [t for t in window.message_texts() if "can be restored" in t]


def test_an_unreadable_recovery_file_is_ignored(tmp_path):
    store = RecoveryStore(tmp_path / "recovery")
    store.folder.mkdir()
    store.path_for(tmp_path).write_text("{ not json")
    assert store.find(tmp_path) is None
    assert recovery_key(tmp_path) == recovery_key(str(tmp_path) + "/")


def test_killed_in_the_middle_of_editing_the_annotation_is_offered_back(
    qtbot, window, study, data_dir
):
    env = {**os.environ, "SPINEPLAN_DATA_DIR": str(data_dir), "QT_QPA_PLATFORM": "offscreen"}
    env["PYTHONPATH"] = str(REPO)
    process = subprocess.Popen(
        [sys.executable, str(DRIVER), str(study.folder)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("EDITED "), line
        assert Path(line.split(" ", 1)[1].strip()).is_file()
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    assert process.returncode == -signal.SIGKILL
    # the restart: the real window opens the same study and offers the edit back
    assert open_and_wait(qtbot, window, study.folder) == "done"
    annotation = window.annotation
    assert annotation.recovery_bar.isVisible()
    assert "last edit: Label C4" in annotation.recovery_label.text()
    annotation.restore_button.click()
    assert [lv.name for lv in annotation.document.case.levels] == ["C2", "C3", "C4"]
    assert "3 levels, consistent" in annotation.levels_panel.issues.text()
