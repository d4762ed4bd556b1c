"""The skull-base and sacral margins in the Plan panel's settings: shown when the field's end is
set from the C1 ring or the sacral end, undoable and saved with the case like the other plan
settings."""

from __future__ import annotations

from planning.case import load_case
from planning.field.derivation import derive_field
from tests.app.conftest import open_and_wait
from tests.planning.synthetic_spine import by_name, spine
from tests.planning.test_field_truth import _with_c1


def _shown(form, spin) -> bool:
    return form._form.isRowVisible(spin)


def test_the_end_margins_show_when_the_field_reaches_c1_and_are_undoable_and_saved(
    qtbot, window, study
):
    assert open_and_wait(qtbot, window, study.folder) == "done"
    annotation, panel = window.annotation, window.plan_panel
    form = panel.settings_box
    # the study's lesion is far from both ends of the spine: neither margin is offered
    assert not _shown(form, form.skull_base_spin)
    assert not _shown(form, form.sacral_spin)

    # a field reaching C1 sets its superior end from the C1 ring: the skull-base margin shows
    levels = _with_c1(spine())
    c1, c2 = by_name(levels)["C1"], by_name(levels)["C2"]
    reaching_c1 = derive_field(levels, (c1.middle_z_mm, c2.middle_z_mm))
    assert reaching_c1.superior_landmark and not reaching_c1.inferior_landmark
    panel._show_landmark_ends(reaching_c1)
    assert _shown(form, form.skull_base_spin)
    assert not _shown(form, form.sacral_spin)
    assert form.skull_base_spin.value() == annotation.document.case.plan.skull_base_margin_mm

    # an edit of the margin is the case's, undoable, and saved with it
    before = annotation.document.case.plan.skull_base_margin_mm
    form.skull_base_spin.setValue(before + 5.0)
    assert annotation.document.case.plan.skull_base_margin_mm == before + 5.0
    assert window.isWindowModified()
    assert window.actions_by_id["undo"].text() == "&Undo Change plan settings"
    window.actions_by_id["undo"].trigger()
    assert form.skull_base_spin.value() == before
    assert annotation.document.case.plan.skull_base_margin_mm == before
    form.sacral_spin.setValue(33.0)
    saved = annotation.save_as(study.folder.parent / "with-margins.spineplan.json")
    assert load_case(saved).plan.sacral_margin_mm == 33.0

    # a case whose plan holds its own sacral margin shows it even far from the sacrum
    panel._show_landmark_ends(derive_field(levels, (c2.middle_z_mm, c2.middle_z_mm - 5.0)))
    assert _shown(form, form.sacral_spin)
    assert not _shown(form, form.skull_base_spin)
