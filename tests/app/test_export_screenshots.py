"""The export and unsaved-changes pictures of docs/plan_panel.md and docs/annotation.md, at
1600x1000 and 1280x800 (written to docs/screenshots when ``SPINEPLAN_WRITE_SCREENSHOTS`` is
set, as in test_truth_screenshots.py). One planned case serves all three, each picture
asserting what its caption says:

- export-folder: "Export plan: a typed folder that does not exist yet is made";
- plan-export-stale: "the export is flagged stale under the button, with Open folder";
- unsaved-question: "Closing with unsaved changes: Save, Discard or Cancel".
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from app.plan_panel.export_flow import ExportFolderDialog
from tests.app.test_plan_panel import OUTPUTS, PLAN_TIMEOUT_MS, _open_planned
from tests.app.test_truth_screenshots import SIZES, grab_with, save_picture


def _name(stem: str, size: tuple[int, int]) -> str:
    return f"{stem}-{size[0]}x{size[1]}.png"


def _at_each_size(qtbot, window, tmp_path: Path, stem: str, *over) -> None:
    """The window (with ``over`` centred on it) at each of `SIZES`, saved as ``stem-WxH``."""
    for size in SIZES:
        window.resize(*size)
        qtbot.wait(150)
        shot = grab_with(window, *over, centred=True)
        assert shot.width() == size[0]
        assert save_picture(shot, tmp_path, _name(stem, size)).stat().st_size > 10_000


def test_export_folder_stale_export_and_unsaved_question_screenshots(
    qtbot, window, tmp_path, monkeypatch, request
) -> None:
    window.resize(*SIZES[0])
    panel, _ = _open_planned(qtbot, window, 3)
    window.plan_dock.raise_()
    # a short folder to read in the picture (pytest's tmp_path fills the box); none of it exists
    exports = Path(tempfile.mkdtemp(prefix="exports-"))
    request.addfinalizer(lambda: shutil.rmtree(exports, ignore_errors=True))
    new_folder = exports / "patient 3" / "plan"
    typed: list[str] = []

    def type_folder() -> None:
        dialog = next(
            w for w in QApplication.topLevelWidgets() if isinstance(w, ExportFolderDialog)
        )
        dialog.path_edit.setText(str(new_folder))
        typed.append(dialog.note.text())
        assert dialog.export_button.isEnabled()
        _at_each_size(qtbot, window, tmp_path, "export-folder", dialog)
        dialog.export_button.click()

    QTimer.singleShot(50, type_folder)
    with qtbot.waitSignal(panel.export_finished, timeout=PLAN_TIMEOUT_MS):
        window.actions_by_id["export_plan"].trigger()
    assert typed == ["A new folder will be made."]
    assert {p.name for p in new_folder.iterdir()} == OUTPUTS

    # a later margin change: the export is stale, said under the button with Open folder
    panel.margin_spin.setValue(panel.margin_spin.value() + 5)
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=PLAN_TIMEOUT_MS)
    assert panel.wait_until_idle()
    record = panel.export_record
    assert "the plan has changed since" in record.label.text()
    assert record.isVisible() and record.open_button.isVisible()
    assert panel.export_button.isVisible()
    for size in SIZES:
        window.resize(*size)
        qtbot.wait(150)
        panel.scroll_area.ensureWidgetVisible(record)  # as after the export, at this size
        qtbot.wait(50)
        assert not record.visibleRegion().isEmpty(), size
        shot = window.grab()
        assert save_picture(shot, tmp_path, _name("plan-export-stale", size)).stat().st_size

    # closing with that unsaved margin: the question, with Save, Discard and Cancel
    asked: list[str] = []

    def question(parent, title, text, buttons, default):
        box = QMessageBox(QMessageBox.Icon.Question, title, text, buttons, parent)
        box.setDefaultButton(default)
        box.show()
        qtbot.waitExposed(box)
        asked.append(text)
        names = sorted(b.text().replace("&", "") for b in box.buttons())
        assert names == ["Cancel", "Discard", "Save"]
        _at_each_size(qtbot, window, tmp_path, "unsaved-question", box)
        box.close()
        return QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(QMessageBox, "question", question)
    assert not window.close()  # Cancel keeps the window open
    assert len(asked) == 1
    assert asked[0].endswith("Save them before closing?")
    assert "(last edit: Change plan settings)" in asked[0]
    window.annotation.document.undo_stack.setClean()  # no question at teardown
