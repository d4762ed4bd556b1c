"""What a clinician met in a whole session under Xvfb (sample case 3 as a plain folder, then
sample case 4 registered onto its CT), each fault with the test that keeps it fixed."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.plan_panel.settings_form import PlanSettingsForm
from planning.case.settings import PlanSettings


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
