"""The pictures of docs/registration.md (and plan_on_ct.png of docs/plan_panel.md), made at
1600x1000 from one registration of sample case 4 (written to docs/screenshots when
``SPINEPLAN_WRITE_SCREENSHOTS`` is set, as in test_truth_screenshots.py). The case starts
without its registration (`write_unregistered_case`): point pair, Register, the fused modes,
the crosshair through the registration, Accept, Save and reopen. Each picture asserts what
its caption in the docs says."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from app.plan_panel.plan_overlays import FIELD_COLOR
from app.registration.fusion import FusionMode
from app.viewer.overlays import LabelOverlay
from tests.app.annotation_helpers import click, view_of
from tests.app.test_plan_panel import PLAN_TIMEOUT_MS, _count_colour, _isodose_colour
from tests.app.test_registration_panel import (
    _finish,
    _known,
    _open,
    _run,
    _set_body_pair,
    _to_ct,
    write_unregistered_case,
)
from tests.app.test_truth_screenshots import save_picture

SIZE = (1600, 1000)
CTRL_ALT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier


def _level_at(data: dict, z_mm: float) -> str:
    """The vertebra of case 4's levels whose body spans ``z_mm`` (MR LPS)."""
    return next(
        level["name"]
        for level in data["levels"]
        if level["inferior_z_mm"] <= z_mm <= level["superior_z_mm"]
    )


def _shot(qtbot, window, tmp_path, stem: str) -> None:
    qtbot.wait(150)  # the layout settled, the views repainted
    name = f"{stem}-{SIZE[0]}x{SIZE[1]}.png" if stem.startswith("registration-") else stem
    assert save_picture(window.grab(), tmp_path, name).stat().st_size > 10_000


def _mr_level_names(viewer) -> list[str]:
    """The MR's level names drawn on the CT ("MR T5")."""
    return [
        item.text
        for item in viewer.overlays.items()
        if isinstance(item, LabelOverlay) and item.name.endswith(" on the CT")
    ]


def _colour_on(view, colour: QColor) -> int:
    return _count_colour(view.grab().toImage(), colour)


def test_registration_screenshots(qtbot, window, tmp_path) -> None:
    window.resize(*SIZE)
    data, truth = _known()
    controller = _open(qtbot, window, write_unregistered_case(tmp_path))
    panel, viewer = controller.panel, window.viewer
    try:
        # -- the point pair: "MR point" on the T5 body of the T2 view (right), "CT point" on
        # the same body of the CT's sagittal view, zoomed (left); both listed in LPS mm
        _set_body_pair(qtbot, window, panel, data, truth)
        body_mr = controller.mr_point
        assert _level_at(data, body_mr[2]) == "T5"
        ct_key, t2_key = panel.ct_combo.currentData(), None
        t2_key = next(k for k, info in window.infos.items() if "T2" in info.description)
        window.show_series(ct_key, 0)
        window.show_series(t2_key, 1)
        viewer.set_point(controller.ct_point, window.volumes[ct_key].frame_of_reference_uid)
        ct_sagittal = view_of(window, "sagittal", 0)
        ct_sagittal.zoom_by(2.0)
        markers = {i.name for i in viewer.overlays.items() if i.name.endswith(" point")}
        assert markers == {"MR point", "CT point"}
        assert panel.points_label.text().startswith("MR (") and " ->  CT (" in (
            panel.points_label.text()
        )
        _shot(qtbot, window, tmp_path, "registration-point-pair")

        # -- registered with the pair: the quality figures, Accept enabled, the MR blended at
        # 50 % on the CT views with its levels (MR T1 ... MR T9) and lesion
        assert _run(qtbot, controller) == "succeeded"
        assert "Mattes mutual information" in panel.quality_label.text()
        assert panel.accept_button.isEnabled()
        assert panel.mode is FusionMode.BLEND and panel.blend_slider.value() == 50
        assert _mr_level_names(viewer) == [f"MR T{n}" for n in range(1, 10)]
        assert "MR fused on the CT" in [i.name for i in viewer.overlays.items()]
        assert window.shown_keys[0] == ct_key  # the CT came to the main panel
        _shot(qtbot, window, tmp_path, "registration-result")

        # -- swipe at 45 %: the MR left of the divider on every CT view
        panel.swipe_slider.setValue(45)
        qtbot.mouseClick(panel.mode_buttons[FusionMode.SWIPE], Qt.MouseButton.LeftButton)
        fused = controller.fused_image()
        assert fused.mode is FusionMode.SWIPE and abs(fused.swipe_fraction - 0.45) < 1e-9
        _shot(qtbot, window, tmp_path, "registration-swipe")

        # -- flicker at its MR turn ("MR" at the bottom of each CT view)
        window.activateWindow()
        qtbot.keyClick(window, Qt.Key.Key_F, CTRL_ALT)
        controller.flicker_timer.stop()  # held at its first turn for the picture
        fused = controller.fused_image()
        assert fused.mode is FusionMode.FLICKER and fused.flicker_mr
        _shot(qtbot, window, tmp_path, "registration-flicker")
        qtbot.keyClick(window, Qt.Key.Key_F, CTRL_ALT)
        assert panel.mode is FusionMode.SWIPE  # back to the mode before
        panel.set_mode(FusionMode.BLEND)

        # -- the crosshair through the registration: the MR left, the CT right (its sagittal
        # view zoomed); a click on the CT's T7 body puts the MR views on the same body
        mr_key = panel.mr_combo.currentData()
        window.show_series(mr_key, 0)
        window.show_series(ct_key, 1)
        mr_panel, ct_panel = viewer.panels
        t7 = next(level for level in data["levels"] if level["name"] == "T7")
        t7_body_mr = np.array(
            [body_mr[0], body_mr[1], (t7["superior_z_mm"] + t7["inferior_z_mm"]) / 2]
        )
        t7_body_ct = _to_ct(controller.pending, t7_body_mr)
        ct_frame = ct_panel.volume.frame_of_reference_uid
        viewer.set_point(t7_body_ct, ct_frame)
        ct_panel.view_for("sagittal").zoom_by(2.0)
        qtbot.wait(50)
        click(ct_panel.view_for("sagittal"), t7_body_ct)
        assert viewer.point_frame_uid == ct_frame
        on_mr = viewer.point_for(mr_panel.volume)
        assert _level_at(data, float(on_mr[2])) == "T7"
        assert np.linalg.norm(on_mr - t7_body_mr) < 5.0
        assert "linked to the CT by the registration" in mr_panel.header.toolTip()
        _shot(qtbot, window, tmp_path, "registration-crosshair")

        # -- Accept: the plan on the CT (PASS, field T3-T7), "Planned on: planning CT"
        with qtbot.waitSignal(window.plan_panel.plan_updated, timeout=PLAN_TIMEOUT_MS) as plan:
            qtbot.mouseClick(panel.accept_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not window.plan_panel.runner.busy, timeout=PLAN_TIMEOUT_MS)
        result = plan.args[0]
        plan_panel = window.plan_panel
        assert result.images.on_registered_ct and result.coverage_pass
        assert plan_panel.verdict_label.text().startswith("PASS")
        assert plan_panel.number("Field levels") == "T3-T7"
        assert plan_panel.number("Planned on").startswith("planning CT")
        window.show_series(ct_key, 0)
        window.show_series(t2_key, 1)
        viewer.set_point(np.asarray(result.field.isocentre_mm), ct_frame)
        window.plan_dock.raise_()
        assert plan_panel.wait_until_idle()
        ct_sagittal = view_of(window, "sagittal", 0)
        assert _colour_on(ct_sagittal, _isodose_colour(95.0)) > 10
        _shot(qtbot, window, tmp_path, "registration-plan-on-ct")
        saved = window.annotation.document.save(tmp_path / "case4.spineplan.json")
    finally:
        _finish(window)

    # -- reopened after Save: planned on the CT (left) with the field on the MR (right), then
    # the CT's sagittal view alone (double-click), its Result box naming the accepted one
    controller = _open(qtbot, window, saved)
    try:
        panel = controller.panel
        assert panel.quality_label.text().startswith(
            "The case's accepted registration is fused on the CT views"
        )
        # nothing of the session before: no progress, no line about its points
        assert panel.status_label.text() == "" and panel.progress_bar.value() == 0
        result = window.plan_panel.result
        assert result.images.on_registered_ct
        window.show_series(ct_key, 0)
        window.show_series(mr_key, 1)
        viewer.set_point(np.asarray(result.field.isocentre_mm), ct_frame)
        window.plan_dock.raise_()
        assert window.plan_panel.wait_until_idle()
        qtbot.wait(100)
        orange = _isodose_colour(95.0)
        for plane in ("sagittal", "axial", "coronal"):
            assert _colour_on(view_of(window, plane, 0), orange) > 10, plane
        mr_sagittal = view_of(window, "sagittal", 1)
        assert _colour_on(mr_sagittal, orange) == 0  # no dose on the MR: another frame
        assert _colour_on(mr_sagittal, FIELD_COLOR) > 50
        _shot(qtbot, window, tmp_path, "plan_on_ct.png")

        controller.dock.raise_()
        ct_sagittal = view_of(window, "sagittal", 0)
        viewer.toggle_maximized(ct_sagittal)
        assert [v for v in viewer.views() if v.isVisible()] == [ct_sagittal]
        assert _colour_on(ct_sagittal, orange) > 10
        assert _mr_level_names(viewer) == [f"MR T{n}" for n in range(1, 10)]
        _shot(qtbot, window, tmp_path, "registration-reopened")
        viewer.toggle_maximized(ct_sagittal)
    finally:
        _finish(window)
