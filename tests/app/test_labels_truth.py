"""What the panels say matches the images (issue 16, items 4-6): the field levels follow the
borders with a warning when the rule is no longer met, the two lesion volumes are named for
their grids in cm³, the field size reads length x width at a named plane, and a leaking seed
growth is reported."""

from __future__ import annotations

import numpy as np

from planning.anatomy.lesion import measure_lesion
from tests.app.annotation_helpers import click, go_to, view_of
from tests.app.conftest import SAGITTAL_T1_SHAPE, open_and_wait
from tests.app.test_annotation_gui import lesion_study, t1  # noqa: F401  (a fixture)
from tests.app.test_plan_panel import _edit_and_wait, _open_planned


def test_a_tight_margin_changes_the_field_words_and_warns(qtbot, window) -> None:
    panel, _ = _open_planned(qtbot, window, 3)
    assert panel.number("Field levels") == "T9-T12"
    assert "no longer covers" not in panel.notes_label.text()
    tight = _edit_and_wait(qtbot, panel, lambda: panel.margin_spin.setValue(-38.0))
    assert tight.field.margin_mm == -38.0
    levels = panel.number("Field levels")
    assert levels.startswith("T10-T11 (the borders reach only these")
    assert "T9-T12 is NOT covered" in levels
    assert "in the T10 body" in panel.number("Superior border")
    assert "in the T11 body" in panel.number("Inferior border")
    # beside the verdict too, not only in the notes below
    assert "Field T10-T11 (⚠ NOT one vertebra each side: the rule's T9-T12)" in (
        panel.status_label.text()
    )
    notes = panel.notes_label.text()
    assert "the field no longer covers one vertebra above and below" in notes
    # the border labels on the views name the vertebra the border is in
    labels = [i.label for i in panel.overlay_items if i.name.startswith("Superior field border")]
    assert labels and "T10" in " ".join(
        i.short_labels[0] for i in panel.overlay_items if i.name.startswith("Superior field border")
    )


def test_volumes_and_sizes_say_their_grid_plane_and_unit(qtbot, window) -> None:
    panel, result = _open_planned(qtbot, window, 2)
    # an ellipsoid lesion: the plan counts the MR voxels its RT Structure Set outlines, shows
    # the ellipsoid's formula beside, the DVH counts the dose grid's; each named for what it is
    on_mr = panel.number("Lesion volume on the MR grid")
    exact = panel.number("Lesion volume from the ellipsoid's formula")
    dose = panel.number("Lesion volume on the dose grid")
    assert on_mr == f"{result.lesion.volume_cc:.2f} cm³" == "0.25 cm³"
    assert exact == f"{result.lesion.formula_volume_cc:.2f} cm³" == "0.29 cm³"
    assert dose.startswith(f"{result.lesion_stats.volume_cc:.2f} cm³")
    size = panel.number("Field length x width at the isocentre plane")
    f = result.field
    assert size == f"{f.length_mm / 10:.1f} x {f.width_mm / 10:.1f} cm"
    assert panel.number("PA jaws X1/X2/Y1/Y2 at the SAD plane, cm")
    lesion_panel = window.annotation.lesion_panel
    window.annotation.show_panel("Lesion")
    volume = lesion_panel.values["Volume"].text()
    assert volume.endswith(" voxels)") and " cm³ on the MR grid (" in volume
    assert " cc" not in volume


def test_a_leaking_seed_growth_is_reported_with_its_size(
    qtbot,
    window,
    lesion_study,  # noqa: F811  (the fixture imported above)
) -> None:
    assert open_and_wait(qtbot, window, lesion_study) == "done"
    annotation = window.annotation
    volume = t1(window)
    slices, rows, cols = SAGITTAL_T1_SHAPE
    seed = volume.index_to_patient(np.array([[cols // 2, rows // 3 + 2, slices // 2]], float))[0]
    go_to(window, seed)
    annotation.activate_tool("tool_seed")
    click(view_of(window), seed)
    assert not [m for m in window.message_texts("warning") if "Lesion grown" in m]
    # +-60 % takes the cord (900 vs 2000): the region runs to the growth limit, and says so
    annotation.lesion_panel.set_tolerance(0.6)
    annotation.lesion_panel.tolerance_chosen.emit(0.6)
    wider = measure_lesion(annotation.document.case.lesion_mask)
    (warning,) = [m for m in window.message_texts("warning") if m.startswith("Lesion grown")]
    assert f"({wider.volume_cc:.1f} cm³, {wider.voxel_count} voxels)" in warning
    assert "30 mm growth limit" in warning and "at tolerance ±60 %" in warning
    assert window.statusBar().currentMessage() == warning


def test_the_skull_base_landmark_is_drawn_with_the_field() -> None:
    from app.plan_panel.plan_overlays import FieldBorderOverlay, LandmarkOverlay, field_overlays
    from planning.field.derivation import derive_field
    from tests.planning.synthetic_spine import by_name, spine
    from tests.planning.test_field_truth import _with_c1

    levels = _with_c1(spine())
    c1, c2 = by_name(levels)["C1"], by_name(levels)["C2"]
    items = field_overlays(derive_field(levels, (c1.middle_z_mm, c2.middle_z_mm)))
    (landmark,) = [i for i in items if isinstance(i, LandmarkOverlay)]
    assert landmark.z_mm == c1.superior_z_mm
    assert landmark.label == "skull base: top of the C1 ring"
    top = next(i for i in items if isinstance(i, FieldBorderOverlay) and "Superior" in i.name)
    assert top.z_mm == c1.superior_z_mm + 10.0
    assert top.label.startswith("superior border: the top of the C1 ring + 10 mm")
    assert top.short_labels[0] == "sup. border: C1"
