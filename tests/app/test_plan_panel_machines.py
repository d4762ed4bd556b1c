"""The Plan panel's energy box offers the commissioned machines beside the reference beams."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from app.plan_panel.settings_form import MACHINE_ROLE, PlanSettingsForm
from planning.case.settings import PlanSettings
from planning.dose.machine_store import MachineSetup, import_machine
from tests.machine_builders import co60_reference_copy


def test_a_stored_machine_is_offered_chosen_and_read_back(qtbot, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SPINEPLAN_MACHINES_DIR", str(tmp_path / "machines"))
    import_machine(co60_reference_copy(tmp_path), MachineSetup("Cobalt A", "Co60"))
    parent = QWidget()
    qtbot.addWidget(parent)
    form = PlanSettingsForm(parent, lambda: None)
    combo = form.energy_combo
    texts = [combo.itemText(i) for i in range(combo.count())]
    assert texts[0] == "6 MV" and "Cobalt A (Co-60, commissioned)" in texts
    index = texts.index("Cobalt A (Co-60, commissioned)")
    assert "machine Cobalt A" in combo.itemData(index, Qt.ItemDataRole.ToolTipRole)
    combo.setCurrentIndex(index)
    settings = form.read(PlanSettings())
    assert (settings.energy, settings.machine) == ("Co60", "Cobalt A")
    combo.setCurrentIndex(0)
    assert form.read(PlanSettings()).machine is None
    # a case that names the machine shows it chosen
    form.load(PlanSettings(energy="Co60", machine="Cobalt A"))
    assert combo.currentData(MACHINE_ROLE) == "Cobalt A"
    # a machine this computer does not hold is kept, and said so
    form.load(PlanSettings(energy="6MV", machine="Elsewhere"))
    assert combo.currentText() == "Elsewhere (not found here)"
    assert form.read(PlanSettings()).machine == "Elsewhere"
