"""Drive the real main window offscreen: open, scroll, zoom, window/level, link, cancel, drop."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QMouseEvent, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.file_drops import local_urls
from app.help_dialogs import ShortcutsDialog
from tests.app.conftest import SAGITTAL_T1_SHAPE, open_and_wait, write_study
from tests.dicom_builders import write_garbage_file, write_text_file


def wheel(view, steps: int, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    """Turn the mouse wheel over the centre of ``view`` (positive = away from the user)."""
    centre = QPointF(view.width() / 2, view.height() / 2)
    event = QWheelEvent(
        centre,
        view.mapToGlobal(centre),
        QPoint(0, 0),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        modifiers,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(view, event)


def drag_and_drop(widget, data: QMimeData, position: QPoint | None = None) -> None:
    """What a user's drag does: enter (the widget must accept it), then drop."""
    position = position if position is not None else QPoint(20, 20)
    buttons, no_mod = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(position, Qt.DropAction.CopyAction, data, buttons, no_mod)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(position), Qt.DropAction.CopyAction, data, buttons, no_mod)
    QApplication.sendEvent(widget, drop)


def main_views(window):
    panel = window.viewer.panels[0]
    return {view.plane: view for view in panel.views}


def test_opening_a_study_shows_the_sagittal_t1_post_contrast_in_three_views(qtbot, window, study):
    assert open_and_wait(qtbot, window, study.folder) == "done"
    panel = window.viewer.panels[0]
    assert "SAG T1 +C" in panel.header.text()
    assert [view.plane for view in panel.views] == ["sagittal", "axial", "coronal"]
    sagittal = panel.views[0]
    assert sagittal.slice_count == SAGITTAL_T1_SHAPE[0]
    assert sagittal.slice_label().startswith("Slice 5/9")
    # every series listed with its description, orientation and size
    texts = [window.browser.item(row).text() for row in range(window.browser.count())]
    assert any("SAG T2" in t and "sagittal" in t and "60×80×7" in t for t in texts)
    assert any("AX T1 +C" in t and "axial" in t for t in texts)
    assert "PHANTOM SPINE" in window.windowTitle()
    assert not window.progress_bar.isVisible()


def test_scrolling_with_wheel_and_keys_changes_the_slice(qtbot, window, study):
    open_and_wait(qtbot, window, study.folder)
    views = main_views(window)
    sagittal, axial = views["sagittal"], views["axial"]
    spacing = sagittal.geometry_.slice_spacing_mm
    start_x = sagittal.geometry_.position_mm
    wheel(sagittal, -2)  # towards the user: two slices on, towards the patient's left (+x)
    assert sagittal.geometry_.position_mm == pytest.approx(start_x + 2 * spacing)
    qtbot.keyClick(sagittal, Qt.Key.Key_Up)
    assert sagittal.geometry_.position_mm == pytest.approx(start_x + spacing)
    qtbot.keyClick(sagittal, Qt.Key.Key_End)  # the patient's leftmost slice
    assert sagittal.slice_label().startswith(("Slice 1/", f"Slice {SAGITTAL_T1_SHAPE[0]}/"))
    leftmost = sagittal.geometry_.position_mm
    qtbot.keyClick(sagittal, Qt.Key.Key_Home)
    assert sagittal.geometry_.position_mm == pytest.approx(leftmost - 8 * spacing)
    qtbot.keyClick(sagittal, Qt.Key.Key_Up)  # clamped at the rightmost slice
    assert sagittal.geometry_.position_mm == pytest.approx(leftmost - 8 * spacing)
    # on an axial view "next" goes towards the feet
    z = axial.geometry_.position_mm
    qtbot.keyClick(axial, Qt.Key.Key_Down)
    assert axial.geometry_.position_mm < z
    qtbot.keyClick(axial, Qt.Key.Key_PageUp)
    assert axial.geometry_.position_mm > z


def test_ctrl_wheel_zooms_and_fit_restores(qtbot, window, study):
    open_and_wait(qtbot, window, study.folder)
    axial = main_views(window)["axial"]
    before = axial.screen_px_per_mm()
    wheel(axial, 3, Qt.KeyboardModifier.ControlModifier)
    assert axial.screen_px_per_mm() == pytest.approx(before * 1.15**3)
    qtbot.keyClick(window, Qt.Key.Key_F)
    assert axial.screen_px_per_mm() == pytest.approx(before)


def test_a_series_shown_again_keeps_its_zoom_and_pan_until_fit(qtbot, window, study):
    """Switching the main panel between two series (as when placing registration points on
    the MR and the CT) gives each back the zoom and pan the user left it at; Fit all views
    forgets them."""
    open_and_wait(qtbot, window, study.folder)
    first = window.shown_keys[0]
    other = next(key for key in window.volumes if key != first)
    axial = main_views(window)["axial"]
    fitted, fitted_centre = axial.screen_px_per_mm(), axial.center_uv()
    axial.zoom_by(2.0, QPointF(10, 10))  # zoomed towards a corner: zoom and pan both change
    zoomed, centre = axial.screen_px_per_mm(), axial.center_uv()
    assert zoomed == pytest.approx(2 * fitted) and centre != pytest.approx(fitted_centre)

    window.show_series(other)
    assert main_views(window)["axial"].zoom == pytest.approx(1.0)  # never zoomed: fitted
    window.show_series(first)
    axial = main_views(window)["axial"]
    assert axial.screen_px_per_mm() == pytest.approx(zoomed)
    assert axial.center_uv() == pytest.approx(centre)

    qtbot.keyClick(window, Qt.Key.Key_F)  # Fit all views
    window.show_series(other)
    window.show_series(first)
    axial = main_views(window)["axial"]
    assert axial.screen_px_per_mm() == pytest.approx(fitted)
    assert axial.center_uv() == pytest.approx(fitted_centre)


def test_right_drag_changes_window_level_and_presets_restore_it(qtbot, window, study):
    open_and_wait(qtbot, window, study.folder)
    panel = window.viewer.panels[0]
    view = panel.views[0]
    before = panel.display_window
    start = QPoint(view.width() // 2, view.height() // 2)
    QTest.mousePress(view, Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(view, start + QPoint(60, 40))
    QTest.mouseRelease(
        view, Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier, start + QPoint(60, 40)
    )
    after = panel.display_window
    assert after.width > before.width
    assert after.center > before.center
    assert "W/L: Manual" in panel.header.text()
    assert window.preset_combo.currentText() == "Manual"
    qtbot.keyClick(window, Qt.Key.Key_2)  # MR T1 preset
    assert panel.display_window == before
    assert window.preset_combo.currentText() == "MR T1"
    qtbot.keyClick(window, Qt.Key.Key_I)
    assert panel.display_window.invert
    assert window.actions_by_id["invert"].isChecked()
    qtbot.keyClick(window, Qt.Key.Key_R)
    assert not panel.display_window.invert


def test_clicking_in_one_view_moves_the_other_views_to_that_point(qtbot, window, study):
    open_and_wait(qtbot, window, study.folder)
    views = main_views(window)
    sagittal, axial, coronal = views["sagittal"], views["axial"], views["coronal"]
    target = QPoint(sagittal.width() // 2 + 40, sagittal.height() // 2 - 70)
    QTest.mouseClick(sagittal, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, target)
    clicked_mm = sagittal.screen_to_patient(QPointF(target))
    np.testing.assert_allclose(window.viewer.point_mm, clicked_mm)
    t1 = study.t1
    ijk = np.linalg.solve(t1.affine, [*clicked_mm, 1.0])[:3]
    # rows run inferior (j), columns posterior (i): axial slice = row, coronal slice = column
    assert axial.slice_index == round(ijk[1])
    assert coronal.slice_index == round(ijk[0])
    # the crosshair is drawn where the point projects in the other views
    projected = axial.patient_to_screen(clicked_mm)
    back = axial.screen_to_patient(projected)
    assert back[1] == pytest.approx(clicked_mm[1], abs=1e-6)
    assert f"{clicked_mm[2]:.1f}" in window.point_label.text()


def test_second_series_side_by_side_is_linked_by_patient_position(qtbot, window, study):
    open_and_wait(qtbot, window, study.folder)
    viewer = window.viewer
    # the sagittal T2 opens beside the T1 +C by itself (same frame, same plane)
    assert viewer.panels[1].isVisible()
    assert "SAG T2" in viewer.panels[1].header.text()
    t1_sagittal = viewer.panels[0].views[0]
    t2_sagittal = viewer.panels[1].views[0]
    t2_axial = viewer.panels[1].view_for("axial")
    for steps in (1, 2, -3):
        wheel(t1_sagittal, steps)
        t1_x = t1_sagittal.geometry_.position_mm
        t2_x = t2_sagittal.geometry_.position_mm
        assert abs(t1_x - t2_x) <= 4.0 / 2 + 1e-6  # within half a T2 slice (4 mm)
    # moving the point along z in the T1 moves the T2's axial slice to the same height
    t1_axial = viewer.panels[0].view_for("axial")
    wheel(t1_axial, -10)
    assert abs(t1_axial.geometry_.position_mm - t2_axial.geometry_.position_mm) <= 0.8 / 2 + 1e-6
    # compare toggles the panel off and on again
    window.toggle_compare()
    assert not viewer.panels[1].isVisible()
    window.toggle_compare()
    assert "SAG T2" in viewer.panels[1].header.text()


def test_a_series_dropped_on_a_view_is_shown_there(qtbot, window, study):
    open_and_wait(qtbot, window, study.folder)
    axial_key = next(k for k, info in window.infos.items() if info.description == "AX T1 +C")
    item = window.browser.item_for(axial_key)
    data = window.browser.mimeData([item])
    drag_and_drop(window.viewer.panels[1].views[0], data)
    panel = window.viewer.panels[1]
    assert "AX T1 +C" in panel.header.text()
    assert [view.plane for view in panel.views] == ["axial", "sagittal", "coronal"]


def test_activating_a_series_in_the_browser_shows_it(qtbot, window, study):
    open_and_wait(qtbot, window, study.folder)
    axial_key = next(k for k, info in window.infos.items() if info.description == "AX T1 +C")
    item = window.browser.item_for(axial_key)
    window.browser.setCurrentItem(item)
    qtbot.keyClick(window.browser, Qt.Key.Key_Return)  # activation, as a double-click
    assert "AX T1 +C" in window.viewer.panels[0].header.text()


def test_dropping_a_folder_on_the_window_opens_it(qtbot, window, study):
    data = QMimeData()
    data.setUrls(local_urls([study.folder]))
    with qtbot.waitSignal(window.load_finished, timeout=30_000) as blocker:
        drag_and_drop(window, data, QPoint(300, 300))
    assert blocker.args == ["done"]
    assert "SAG T1 +C" in window.viewer.panels[0].header.text()
    assert window.recent_studies()[0] == str(study.folder.resolve())


def test_cancelling_a_load_stops_it_and_says_so(qtbot, window, tmp_path):
    big = write_study(tmp_path / "big", seed="big")
    with qtbot.waitSignal(window.load_finished, timeout=30_000) as blocker:
        window.open_path(big.folder)
        assert window.cancel_button.isVisible()
        QTest.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["cancelled"]
    assert any("Loading cancelled" in text for text in window.message_texts())
    assert not window.cancel_button.isVisible()
    # the window keeps working: the next study opens normally
    assert open_and_wait(qtbot, window, big.folder) == "done"


def test_a_corrupt_folder_gives_a_message_in_the_window(qtbot, window, tmp_path):
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    write_garbage_file(corrupt / "IM0001.dcm")
    write_garbage_file(corrupt / "IM0002.dcm", seed=4)
    write_text_file(corrupt / "notes.txt")
    assert open_and_wait(qtbot, window, corrupt) == "failed"
    assert "Could not open" in window.viewer.message.text()
    assert str(corrupt) in window.viewer.message.text()
    assert window.viewer.message.isVisible()
    assert any(text.startswith("Could not open") for text in window.message_texts())


def test_a_missing_path_gives_a_message_and_the_window_keeps_working(
    qtbot, window, study, tmp_path
):
    assert open_and_wait(qtbot, window, tmp_path / "nowhere") == "failed"
    assert "no such file or folder" in window.viewer.message.text()
    assert open_and_wait(qtbot, window, study.folder) == "done"
    assert window.viewer.has_images


def test_status_bar_reads_value_and_patient_position_under_the_cursor(qtbot, window, study):
    open_and_wait(qtbot, window, study.folder)
    view = main_views(window)["sagittal"]
    point = QPoint(view.width() // 2, view.height() // 2)
    move = QMouseEvent(
        QEvent.Type.MouseMove,
        QPointF(point),
        view.mapToGlobal(QPointF(point)),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(view, move)
    text = window.readout_label.text()
    xyz = view.screen_to_patient(QPointF(point))
    assert "value" in text and "LPS (" in text
    assert f"{xyz[2]:.1f}" in text
    value = view.value_at(QPointF(point))
    assert f"value {value:.6g}" in text


def test_view_shows_orientation_slice_and_scale_and_patient_overlay_toggles(qtbot, window, study):
    open_and_wait(qtbot, window, study.folder)
    sagittal = main_views(window)["sagittal"]
    geometry = sagittal.geometry_
    assert geometry.position_label.startswith("x = ")
    before = sagittal.grab().toImage()
    qtbot.keyClick(window, Qt.Key.Key_O)
    assert not window.viewer.show_patient_info
    after = sagittal.grab().toImage()
    assert before != after  # the patient/study text disappeared


def test_export_view_and_window_as_png(qtbot, window, study, tmp_path):
    open_and_wait(qtbot, window, study.folder)
    view_png = window.export_view_png(tmp_path / "out" / "view.png")
    window_png = window.export_window_png(tmp_path / "out" / "window.png")
    from PySide6.QtGui import QImage

    view_image, window_image = QImage(str(view_png)), QImage(str(window_png))
    assert view_image.width() == window.viewer.active_view.width()
    assert window_image.width() == window.width()


def test_keyboard_shortcuts_dialog_lists_the_shortcuts(qtbot, window):
    dialog = ShortcutsDialog(window)
    qtbot.addWidget(dialog)
    rows = [
        (dialog.table.item(r, 0).text(), dialog.table.item(r, 1).text())
        for r in range(dialog.table.rowCount())
    ]
    assert ("Ctrl+O", "Open a DICOM folder") in rows
    assert any(keys == "Right drag" for keys, _ in rows)
    for action_id, (keys, _) in __import__("app.shortcuts").shortcuts.ACTION_SHORTCUTS.items():
        assert window.actions_by_id[action_id].shortcut().toString() == keys


def test_window_state_and_recent_studies_persist(qtbot, study, settings):
    from app.main_window import MainWindow

    first = MainWindow(settings=settings)
    qtbot.addWidget(first)
    first.show()
    open_and_wait(qtbot, first, study.folder)
    first.layers_dock.show()
    first.messages_dock.hide()
    # the user moves the Plan panel out of the right-hand tabs, to the left
    first.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, first.plan_dock)
    first.close()
    second = MainWindow(settings=settings)
    qtbot.addWidget(second)
    assert second.recent_studies() == [str(study.folder.resolve())]
    assert [a.data() for a in second.recent_menu.actions()] == [str(study.folder.resolve())]
    assert second.recent_menu.actions()[0].text().startswith("study (study folder) — ")
    second.show()
    assert second.layers_dock.isVisible()  # dock layout restored
    assert not second.messages_dock.isVisible()
    assert second.dockWidgetArea(second.plan_dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert second.plan_dock not in second.tabifiedDockWidgets(second.annotation.dock)


def test_the_first_series_is_shown_before_the_rest_has_loaded(qtbot, window, study):
    events: list[str] = []
    window.series_shown.connect(lambda key, panel: events.append(f"shown {panel}"))
    window.loader.series_loaded.connect(lambda key, volume: events.append("loaded"))
    open_and_wait(qtbot, window, study.folder)
    # the window reacts to the first series before anything else loads (its own handler runs
    # before this test's, hence "shown" first)
    assert events[:2] == ["shown 0", "loaded"]
    assert events.count("loaded") == 3
    # the progress bar was used and hidden again at the end
    assert window.progress_bar.maximum() > 0 and not window.progress_bar.isVisible()


def test_a_case_file_opens_its_study_and_a_broken_one_says_why(qtbot, window, study, tmp_path):
    import json

    case_file = tmp_path / "patient.spineplan.json"
    case_file.write_text(json.dumps({"study": {"path": "study"}}))  # relative to the file
    assert open_and_wait(qtbot, window, case_file) == "done"
    assert window.case is not None and window.case.study_path() == study.folder
    assert "SAG T1 +C" in window.viewer.panels[0].header.text()
    broken = tmp_path / "broken.spineplan.json"
    broken.write_text("{not json")
    assert open_and_wait(qtbot, window, broken) == "failed"
    assert "not valid JSON" in window.viewer.message.text()


def test_pan_zoom_modes_and_maximise(qtbot, window, study):
    open_and_wait(qtbot, window, study.folder)
    view = main_views(window)["sagittal"]
    centre = QPoint(view.width() // 2, view.height() // 2)
    anchor_mm = view.screen_to_patient(QPointF(centre))
    # middle drag pans: the anatomy follows the mouse
    QTest.mousePress(view, Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, centre)
    QTest.mouseMove(view, centre + QPoint(30, 20))
    QTest.mouseRelease(
        view, Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, centre + QPoint(30, 20)
    )
    moved = view.patient_to_screen(anchor_mm)
    assert (moved.x(), moved.y()) == pytest.approx((centre.x() + 30, centre.y() + 20), abs=0.5)
    # Z: the left button zooms (drag up = in)
    qtbot.keyClick(window, Qt.Key.Key_Z)
    assert window.actions_by_id["mode_zoom"].isChecked()
    before = view.screen_px_per_mm()
    QTest.mousePress(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
    QTest.mouseMove(view, centre - QPoint(0, 60))
    QTest.mouseRelease(
        view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre - QPoint(0, 60)
    )
    assert view.screen_px_per_mm() > before * 1.3
    qtbot.keyClick(window, Qt.Key.Key_X)  # back to the crosshair
    assert window.viewer.left_mode == "crosshair"
    # double-click shows the view alone, again restores the layout
    axial = main_views(window)["axial"]
    QTest.mouseDClick(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
    assert view.isVisible() and not axial.isVisible()
    assert not window.viewer.panels[1].isVisible()
    QTest.mouseDClick(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
    assert axial.isVisible() and window.viewer.panels[1].isVisible()


def test_geometry_warnings_are_listed_and_the_series_still_shows(qtbot, window, tmp_path):
    from tests.dicom_builders import write_series

    built = write_series(
        tmp_path / "gap",
        orientation="sagittal",
        shape=(10, 40, 30),
        skip_slices=(4,),
        series_description="SAG T1 +C",
    )
    assert open_and_wait(qtbot, window, built.folder) == "done"
    warnings = [text for text in window.message_texts() if "SAG T1 +C" in text]
    assert warnings, window.message_texts()
    # counted in the status bar (the panel does not pop up mid-task); a click opens it
    indicator = window.messages_indicator
    assert indicator.isVisible() and "warning" in indicator.text()
    indicator.click()
    assert window.messages_dock.isVisible()
    assert window.viewer.has_images
    assert "1 geometry warning" in window.viewer.panels[0].header.text()
    assert "missing" in window.viewer.panels[0].header.toolTip()


def test_double_clicking_a_series_in_the_browser_shows_it(qtbot, window, study):
    open_and_wait(qtbot, window, study.folder)
    axial_key = next(k for k, info in window.infos.items() if info.description == "AX T1 +C")
    item = window.browser.item_for(axial_key)
    centre = window.browser.visualItemRect(item).center()
    viewport = window.browser.viewport()
    # A real double-click is press, release, double-click, release at one place.
    QTest.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=centre)
    QTest.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=centre)
    assert "AX T1 +C" in window.viewer.panels[0].header.text()
