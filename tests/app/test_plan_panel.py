"""The Plan panel in the real main window: live plan, verdict, overlays, edits, export."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QTabBar

from app.plan_panel import export as export_module
from app.plan_panel.plan_overlays import FIELD_COLOR, ISODOSE_LEVELS
from app.plan_panel.worker import PlanRunner
from planning.case import load_case
from planning.run import PlanJob

SAMPLES = Path(__file__).resolve().parents[2] / "sample_dicom"
OUTPUTS = {"field.json", "field.csv", "report.pdf", "rtplan.dcm", "rtdose.dcm", "rtstruct.dcm"}
#: Coarser than the GUI's 2 mm default to keep the tests quick.
TEST_GRID_MM = 3.0
PLAN_TIMEOUT_MS = 60_000


def _case_path(number: int) -> Path:
    return SAMPLES / f"case{number}" / "reference.spineplan.json"


def _pixels(image: QImage) -> np.ndarray:
    """RGB array (rows, columns, 3) of a grabbed widget image."""
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height, stride = image.width(), image.height(), image.bytesPerLine()
    data = np.frombuffer(image.constBits(), dtype=np.uint8, count=stride * height)
    return data.reshape(height, stride)[:, : width * 3].reshape(height, width, 3)


def _count_colour(image: QImage, color: QColor) -> int:
    rgb = np.array([color.red(), color.green(), color.blue()])
    return int((np.abs(_pixels(image).astype(int) - rgb).sum(axis=2) <= 6).sum())


def _isodose_colour(percent: float) -> QColor:
    return QColor(next(color for value, color, _ in ISODOSE_LEVELS if value == percent))


def _open_planned(qtbot, window, number: int, starts: list | None = None):
    """Open sample case ``number`` and wait until both its images and its plan are shown.

    ``starts`` collects one entry per plan computation started.
    """
    panel = window.plan_panel
    panel.grid_spacing_mm = TEST_GRID_MM
    if starts is not None:
        panel.runner.started.connect(lambda: starts.append(1))
    with (
        qtbot.waitSignal(panel.plan_updated, timeout=PLAN_TIMEOUT_MS) as blocker,
        qtbot.waitSignal(window.load_finished, timeout=PLAN_TIMEOUT_MS),
    ):
        window.open_path(_case_path(number))
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=PLAN_TIMEOUT_MS)
    return panel, blocker.args[0]


def _assert_field_only(panel, geometry, beam_names: list[str]) -> None:
    """What the panel shows for a machine without a depth-dose table: the field and beam
    set-up, the beam paths, no dose."""
    assert panel.verdict_label.text() == "FIELD ONLY, NO DOSE"
    status = panel.status_label.text()
    assert "no dose and no coverage check" in status
    assert "resources/beam_data/README.md" in status
    assert panel.number("Energy, SSD") == "Co-60, 80 cm"
    assert panel.number("Field levels") == "T8-T10"
    assert panel.number("Lesion V95") == ""
    assert [b.name for b in geometry.beams] == beam_names
    for beam in geometry.beams:
        assert f"{beam.name} {beam.gantry_angle_deg:g}°" in panel.number("Beams (gantry)")
        jaws = panel.number(f"{beam.name} jaws X1/X2/Y1/Y2 at the SAD plane, cm").split(" / ")
        assert [float(v) for v in jaws] == pytest.approx(
            [*beam.jaw_x_sad_cm, *beam.jaw_y_sad_cm], abs=0.051
        )
        assert panel.number(f"{beam.name} SSD") == f"{beam.ssd_cm:.1f} cm"
        assert beam.ssd_cm == pytest.approx(80.0, abs=0.5)
        depth = panel.number(f"{beam.name} isocentre depth")
        assert depth == f"{beam.isocentre_depth_cm:.1f} cm" and beam.isocentre_depth_cm > 0
    names = [i.name for i in panel.overlay_items]
    assert not [n for n in names if n.startswith("Isodose")]
    assert [n for n in names if "field border" in n]
    for beam in geometry.beams:
        paths = [i for i in panel.overlay_items if i.name.startswith(f"Beam path {beam.name}")]
        assert {plane for i in paths for plane in i.planes} >= {"axial"}
    assert panel.dvh_plot.message == "No dose (field only)" and not panel.dvh_plot.curves
    assert panel.notes_label.text() not in ("", "None.")
    assert panel.plan_geometry is geometry and panel.result is None


def _edit_and_wait(qtbot, panel, edit) -> object:
    with qtbot.waitSignal(panel.plan_updated, timeout=PLAN_TIMEOUT_MS) as blocker:
        edit()
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=PLAN_TIMEOUT_MS)
    return blocker.args[0]


def test_case2_plan_passes_then_fails_when_narrowed(qtbot, window) -> None:
    starts: list[int] = []
    panel, result = _open_planned(qtbot, window, 2, starts)
    assert result.coverage_pass
    assert panel.verdict_label.text().startswith("PASS")
    assert "V95 100.0 %" in panel.verdict_label.text()
    assert panel.number("Field levels") == "T8-T10"
    assert panel.number("Arrangement") == "PA"
    assert panel.number("Lesion V95") == f"{result.lesion_stats.v95_percent:.1f} %"
    assert panel.number("PA per fraction").endswith("MU")
    (x1, x2), (y1, y2) = result.beams[0].jaw_x_sad_cm, result.beams[0].jaw_y_sad_cm
    assert panel.number("PA jaws X1/X2/Y1/Y2 at the SAD plane, cm") == (
        f"{x1:.1f} / {x2:.1f} / {y1:.1f} / {y2:.1f}"
    )
    assert panel.number("PA SSD") == f"{result.beams[0].ssd_cm:.1f} cm"
    assert panel.dvh_plot.curves and panel.dvh_plot.curves[0].dvh is result.dvh
    # the document made from the case when loading ended did not start a second plan
    assert len(starts) == 1

    # field outline, borders and isodoses are registered and listed in the Layers panel
    names = {item.name for item in window.viewer.overlays.items()}
    for expected in ("Isodose 95 %", "Isodose 50 %", "Isodose 107 %", "Beam path PA"):
        assert any(name.startswith(expected) for name in names), expected
    assert any(name.startswith("Field outline PA") for name in names)
    assert any(name.startswith("Superior field border") for name in names)
    layers = [window.layers.item(row).text() for row in range(window.layers.count())]
    assert "Isodose 95 %" in layers

    # ... and drawn: the 95 % isodose on sagittal, coronal and axial views, the field outline
    # on the coronal view (beam's eye view of a PA field)
    iso = np.asarray(result.field.isocentre_mm)
    window.viewer.set_point(iso)
    qtbot.wait(50)
    views = {plane: window.viewer.panels[0].view_for(plane) for plane in ("sagittal", "coronal")}
    views["axial"] = window.viewer.panels[0].view_for("axial")
    orange = _isodose_colour(95.0)
    for plane, view in views.items():
        assert _count_colour(view.grab().toImage(), orange) > 10, plane
    assert _count_colour(views["coronal"].grab().toImage(), FIELD_COLOR) > 50

    # hiding the layer removes its colour from the view
    item = next(i for i in window.viewer.overlays.items() if i.name == "Isodose 95 %")
    window.viewer.overlays.set_visible(item, False)
    qtbot.wait(50)
    assert _count_colour(views["sagittal"].grab().toImage(), orange) == 0

    # a 10 mm field fails, with where and what to do
    def narrow() -> None:
        panel.width_auto.setChecked(False)
        panel.width_spin.setValue(10.0)

    failed = _edit_and_wait(qtbot, panel, narrow)
    assert failed.settings.field_width_mm == 10.0
    assert not failed.coverage_pass
    assert panel.verdict_label.text().startswith("FAIL")
    details = panel.details_label.text()
    assert "FAIL" in details and "side of the field" in details
    assert "widen the field" in details
    assert panel.number("Field length x width at the isocentre plane").endswith("x 1.0 cm")
    # the outline followed the edit; the user's hidden layer stays hidden across replans
    outline = next(i for i in panel.overlay_items if i.name.startswith("Field outline"))
    assert "x 1.0 cm, length x width at the isocentre plane)" in outline.name
    replaced = next(i for i in panel.overlay_items if i.name == "Isodose 95 %")
    assert replaced is not item and not replaced.visible
    assert next(i for i in panel.overlay_items if i.name == "Isodose 50 %").visible


def test_live_field_updates_before_the_dose(qtbot, window) -> None:
    panel, result = _open_planned(qtbot, window, 2)
    before = result.field.superior_border_z_mm
    with qtbot.waitSignal(panel.field_updated, timeout=1000) as blocker:
        panel.margin_spin.setValue(5.0)  # emitted synchronously, the plan follows later
    assert blocker.args[0].superior_border_z_mm == pytest.approx(before + 5.0)
    border = next(i for i in panel.overlay_items if i.name.startswith("Superior field border"))
    assert border.z_mm == pytest.approx(before + 5.0)
    planned = _edit_and_wait(qtbot, panel, lambda: None) if panel.runner.busy else panel.result
    assert planned.field.superior_border_z_mm == pytest.approx(before + 5.0)
    # an entered separation reaches the plan; the lowest value means "from the images"
    assert panel.separation_cm() is None
    entered = _edit_and_wait(qtbot, panel, lambda: panel.separation_spin.setValue(30.0))
    assert entered.separation_cm == 30.0


def test_quick_edits_are_debounced_and_only_the_last_plan_shows(qtbot, window) -> None:
    panel, _ = _open_planned(qtbot, window, 2)
    starts: list[int] = []
    panel.runner.started.connect(lambda: starts.append(1))
    shown: list[object] = []
    panel.plan_updated.connect(shown.append)
    for margin in (1.0, 2.0, 3.0, 4.0, 6.0):
        panel.margin_spin.setValue(margin)
    qtbot.waitUntil(lambda: bool(shown) and not panel.runner.busy, timeout=PLAN_TIMEOUT_MS)
    assert len(starts) == 1
    assert len(shown) == 1 and shown[0].settings.margin_mm == 6.0


def test_superseded_result_is_dropped(qtbot) -> None:
    case = load_case(_case_path(2))
    runner = PlanRunner(debounce_ms=0)
    results: list[object] = []
    runner.result_ready.connect(results.append)
    try:
        runner.request(PlanJob(case, case.plan, grid_spacing_mm=4.0), immediately=True)
        # a newer request while the first runs: the first result is discarded
        newer = replace(case.plan, margin_mm=7.0)
        runner.request(PlanJob(case, newer, grid_spacing_mm=4.0), immediately=True)
        qtbot.waitUntil(lambda: not runner.busy, timeout=PLAN_TIMEOUT_MS)
        assert [r.settings.margin_mm for r in results] == [7.0]
        # cancelled work is dropped as well
        runner.request(PlanJob(case, case.plan, grid_spacing_mm=4.0), immediately=True)
        runner.cancel()
        runner.wait()
        qtbot.wait(100)
        assert len(results) == 1
    finally:
        runner.shutdown()


def test_cancel_stops_a_running_plan_before_its_next_beam(qtbot, monkeypatch) -> None:
    """The window closing waits for the running plan: Cancel stops it at the next beam
    instead of computing every beam's dose for a result nobody sees."""
    import threading

    from planning.dose import engine

    entered, go_on = threading.Event(), threading.Event()
    computed: list[str] = []
    real = engine.compute_beam_dose

    def first_beam_waits(beam, *args, **kwargs):
        computed.append(beam.name)
        entered.set()
        go_on.wait(10)
        return real(beam, *args, **kwargs)

    monkeypatch.setattr(engine, "compute_beam_dose", first_beam_waits)
    case = load_case(_case_path(2))
    job = PlanJob(case, replace(case.plan, arrangement="AP_PA"), grid_spacing_mm=4.0)
    runner = PlanRunner(debounce_ms=0)
    results: list[object] = []
    runner.result_ready.connect(results.append)
    try:
        runner.request(job, immediately=True)
        assert entered.wait(PLAN_TIMEOUT_MS / 1000)  # the first beam's dose is being computed
        runner.cancel()
        go_on.set()
        qtbot.waitUntil(lambda: not runner.busy, timeout=PLAN_TIMEOUT_MS)
        assert len(computed) == 1 and not results
        # the runner plans again afterwards, both beams
        with qtbot.waitSignal(runner.result_ready, timeout=PLAN_TIMEOUT_MS) as blocker:
            runner.request(job, immediately=True)
        assert len(computed) == 1 + len(blocker.args[0].beams) == 3
    finally:
        go_on.set()
        runner.shutdown()


def test_quitting_during_a_plan_shows_a_wait_cursor_and_what_it_waits_for(
    qtbot, window, monkeypatch
) -> None:
    """Quit while a plan computes: the status bar names the wait and the cursor is the wait
    cursor while the window stops the plan; both go when the window has closed."""
    import threading

    from PySide6.QtWidgets import QApplication

    from planning.dose import engine

    panel, _ = _open_planned(qtbot, window, 2)
    entered, go_on = threading.Event(), threading.Event()
    real = engine.compute_beam_dose

    def beam_waits(*args, **kwargs):
        entered.set()
        go_on.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "compute_beam_dose", beam_waits)
    seen: list[tuple[str, object]] = []
    real_shutdown = panel.shutdown

    def shutdown_seen() -> None:
        cursor = QApplication.overrideCursor()
        seen.append((window.statusBar().currentMessage(), cursor and cursor.shape()))
        go_on.set()
        real_shutdown()

    monkeypatch.setattr(panel, "shutdown", shutdown_seen)
    try:
        panel.margin_spin.setValue(panel.margin_spin.value() + 2.0)
        qtbot.waitUntil(entered.is_set, timeout=PLAN_TIMEOUT_MS)  # after the debounce
        window.annotation.document.undo_stack.setClean()  # no Save/Discard question
        assert window.close()
        assert seen == [
            ("Closing: waiting for the plan computation to stop…", Qt.CursorShape.WaitCursor)
        ]
        assert QApplication.overrideCursor() is None and panel.runner.wait(0)  # stopped
    finally:
        go_on.set()


def test_a_machine_without_depth_dose_gives_its_set_up_not_a_failure(
    qtbot, cobalt_without_data
) -> None:
    case = load_case(_case_path(2))
    runner = PlanRunner(debounce_ms=0)
    plans: list[object] = []
    set_ups: list[object] = []
    failures: list[str] = []
    runner.result_ready.connect(plans.append)
    runner.geometry_ready.connect(set_ups.append)
    runner.failed.connect(failures.append)
    try:
        cobalt = replace(case.plan, energy="Co60")
        runner.request(PlanJob(case, cobalt, grid_spacing_mm=4.0), immediately=True)
        qtbot.waitUntil(lambda: not runner.busy, timeout=PLAN_TIMEOUT_MS)
        assert not plans and not failures
        (geometry,) = set_ups
        assert geometry.field.energy == "Co60" and [b.name for b in geometry.beams] == ["PA"]
        # the images loaded for it are kept for the next plan of the study
        assert runner.cached_images(case) is geometry.images
    finally:
        runner.shutdown()


def test_export_writes_the_six_files_and_cancel_writes_nothing(
    qtbot, window, tmp_path: Path
) -> None:
    panel, result = _open_planned(qtbot, window, 2)
    export = window.actions_by_id["export_plan"]
    assert export.text() == "Export &plan…"
    assert export in window.menuBar().actions()[0].menu().actions()

    out = tmp_path / "plan out"
    with qtbot.waitSignal(panel.export_finished, timeout=PLAN_TIMEOUT_MS) as blocker:
        assert panel.export_to(out)
    assert {p.name for p in blocker.args[0]} == OUTPUTS
    assert {p.name for p in out.iterdir()} == OUTPUTS
    data = json.loads((out / "field.json").read_text())
    assert data["coverage"]["pass"] is True
    assert data["coverage"]["lesion"]["v95_percent"] == pytest.approx(
        result.lesion_stats.v95_percent, abs=0.01
    )
    assert (data["field"]["superior_level"], data["field"]["inferior_level"]) == ("T8", "T10")
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF")
    assert panel.status_label.text().startswith("Exported 6 files")

    cancelled = tmp_path / "cancelled"
    with qtbot.waitSignal(panel.exporter.cancelled, timeout=PLAN_TIMEOUT_MS):
        assert panel.export_to(cancelled)
        panel.exporter.cancel()
    assert not cancelled.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]
    assert "cancelled" in panel.status_label.text()

    # a file where the folder should be is refused in words
    blocker_file = tmp_path / "a file"
    blocker_file.write_text("x")
    assert not panel.export_to(blocker_file)
    assert "not a folder" in panel.status_label.text()


def test_co60_plans_with_dose_from_the_reference_beam(qtbot, window) -> None:
    panel, _ = _open_planned(qtbot, window, 2)
    combo = panel.energy_combo
    assert combo.itemText(combo.findData("Co60")) == "Co-60"
    result = _edit_and_wait(qtbot, panel, lambda: combo.setCurrentIndex(combo.findData("Co60")))
    assert result.settings.energy == "Co60" and result.coverage_pass
    assert panel.verdict_label.text().startswith("PASS")
    assert any("REFERENCE Co-60 beam" in note for note in result.assumptions)
    assert all(calc.unit == "min" for calc in result.monitor_units)


def test_a_machine_without_data_gives_the_field_only(qtbot, cobalt_without_data, window) -> None:
    panel, _ = _open_planned(qtbot, window, 2)
    combo = panel.energy_combo
    co60 = combo.findData("Co60")
    assert co60 >= 0 and combo.itemText(co60) == "Co-60 (field only, no dose)"
    assert "no coverage check" in combo.itemData(co60, Qt.ItemDataRole.ToolTipRole)
    failures: list[str] = []
    panel.plan_failed.connect(failures.append)
    with qtbot.waitSignal(panel.geometry_updated, timeout=PLAN_TIMEOUT_MS) as blocker:
        combo.setCurrentIndex(co60)
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=PLAN_TIMEOUT_MS)
    assert not failures  # no depth-dose table is not a failure: the set-up is shown
    _assert_field_only(panel, blocker.args[0], ["PA"])
    # back to 6 MV: the dose and its verdict return
    result = _edit_and_wait(qtbot, panel, lambda: combo.setCurrentIndex(combo.findData("6MV")))
    assert result.coverage_pass and panel.plan_geometry is None
    assert panel.verdict_label.text().startswith("PASS")


def test_plan_follows_the_annotation_document(qtbot, window) -> None:
    panel, result = _open_planned(qtbot, window, 2)
    document = window.annotation.document
    assert document.case is not None
    state = document.case
    document.apply("Clear lesion", replace(state, lesion_mask=None, lesion=None))
    assert "no lesion" in panel.status_label.text()
    assert not panel.overlay_items
    with qtbot.waitSignal(panel.plan_updated, timeout=PLAN_TIMEOUT_MS) as blocker:
        document.undo_stack.undo()
    assert blocker.args[0].coverage_pass
    assert panel.verdict_label.text().startswith("PASS")
    # a lesion painted by hand (a mask without a specification) is planned from its mask
    with qtbot.waitSignal(panel.plan_updated, timeout=PLAN_TIMEOUT_MS) as blocker:
        document.apply("Paint", replace(document.case, lesion=None))
    painted = blocker.args[0]
    assert painted.lesion_levels.words == result.lesion_levels.words
    assert painted.field.levels_words() == "T8-T10"


def front_tab(window, title: str) -> str:
    """The tab in front in the main window's tab bar of docks that holds ``title``."""
    for bar in window.findChildren(QTabBar):
        if title in [bar.tabText(i) for i in range(bar.count())]:
            return bar.tabText(bar.currentIndex())
    raise AssertionError(f"no dock tab named {title}")


def test_the_panels_share_one_column_and_the_first_plan_brings_its_tab_forward(
    qtbot, window
) -> None:
    """Annotation, Plan and Practice are tabs of one right-hand column, so the images keep
    most of the window; the first plan of a case raises the Plan tab, later replans leave the
    tab the user works in."""
    annotation_dock, plan_dock = window.annotation.dock, window.plan_dock
    practice_dock = window.practice.dock
    assert not practice_dock.isVisible()  # shown when a practice is scored or asked for
    practice_dock.toggleViewAction().trigger()  # View > Practice
    tabbed = window.tabifiedDockWidgets(annotation_dock)
    assert plan_dock in tabbed and practice_dock in tabbed
    practice_dock.toggleViewAction().trigger()
    assert front_tab(window, "Plan") == "Annotation"
    panel, _ = _open_planned(qtbot, window, 1)
    qtbot.wait(50)
    assert front_tab(window, "Plan") == "Plan" and panel.isVisible()
    assert window.viewer.width() > 0.55 * window.width()
    assert plan_dock.width() >= panel.minimumWidth()

    window.annotation.show_panel("Lesion")
    annotation_dock.raise_()
    qtbot.wait(20)
    assert front_tab(window, "Plan") == "Annotation"
    _edit_and_wait(qtbot, panel, lambda: panel.margin_spin.setValue(5.0))
    qtbot.wait(20)
    assert front_tab(window, "Plan") == "Annotation"
    plan_dock.raise_()  # the tab is there whenever the user wants it
    assert front_tab(window, "Plan") == "Plan"


def test_a_dose_failure_still_shows_the_field_numbers(
    qtbot, cobalt_without_data, window, tmp_path
) -> None:
    # a case file planned for a machine without depth-dose data: no dose, but the
    # field limits a planner needs are derived and listed
    case = json.loads(_case_path(2).read_text())
    case["study"]["path"] = str(_case_path(2).parent)
    case["plan"] = {"energy": "Co60"}
    path = tmp_path / "cobalt.spineplan.json"
    path.write_text(json.dumps(case))
    panel = window.plan_panel
    panel.grid_spacing_mm = TEST_GRID_MM
    failures: list[str] = []
    panel.plan_failed.connect(failures.append)
    with (
        qtbot.waitSignal(panel.geometry_updated, timeout=PLAN_TIMEOUT_MS) as blocker,
        qtbot.waitSignal(window.load_finished, timeout=PLAN_TIMEOUT_MS),
    ):
        window.open_path(path)
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=PLAN_TIMEOUT_MS)
    assert not failures
    _assert_field_only(panel, blocker.args[0], ["PA"])
    # another dose failure still lists the live field's numbers under "FIELD ONLY, NO DOSE"
    panel._on_dose_failed("the dose engine failed")
    assert panel.verdict_label.text() == "FIELD ONLY, NO DOSE"
    assert panel.status_label.text() == "the dose engine failed"
    assert panel.number("Field levels") == "T8-T10" and panel.number("PA SSD") == ""
    assert panel.plan_geometry is None


def test_export_without_dose_data_writes_the_field_limits(
    qtbot, cobalt_without_data, window, tmp_path, monkeypatch
) -> None:
    panel, _ = _open_planned(qtbot, window, 2)
    with qtbot.waitSignal(panel.geometry_updated, timeout=PLAN_TIMEOUT_MS) as shown:
        panel.energy_combo.setCurrentIndex(panel.energy_combo.findData("Co60"))
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=PLAN_TIMEOUT_MS)
    _assert_field_only(panel, shown.args[0], ["PA"])
    # the set-up on screen is exported as it is: deriving it again would fail here
    monkeypatch.setattr(
        export_module, "run_plan_or_geometry", lambda *_: pytest.fail("set-up derived again")
    )
    out = tmp_path / "cobalt"
    with qtbot.waitSignal(panel.export_finished, timeout=PLAN_TIMEOUT_MS) as blocker:
        assert panel.export_to(out)
    assert sorted(p.name for p in blocker.args[0]) == ["field_limits.json", "field_limits.txt"]
    assert sorted(p.name for p in out.iterdir()) == ["field_limits.json", "field_limits.txt"]
    document = json.loads((out / "field_limits.json").read_text())
    assert document["dose_computed"] is False and document["energy"] == "Co60"
    assert document["field"]["levels_words"] == "T8-T10"
    assert [b["ssd_cm"] for b in document["beams"]] == [pytest.approx(80.0, abs=0.5)]
    (beam,) = shown.args[0].beams
    assert document["beams"][0]["jaw_x1_cm"] == pytest.approx(beam.jaw_x_sad_cm[0], abs=0.01)
    assert "coverage by the 95 % isodose is NOT checked" in (out / "field_limits.txt").read_text()
