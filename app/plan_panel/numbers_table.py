"""The Plan panel's numbers table: its rows (pure functions of a field, a field with its beam
set-up or a plan) and the table.

Every row is (quantity with unit, value), both in words, as the table shows them.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from planning.anatomy.levels import ThoracicPrefix, level_range_words
from planning.dose.images import PlanImages
from planning.dose.plan_geometry import PlanGeometry
from planning.field.beam import Beam
from planning.field.derivation import Field
from planning.plan import PlanResult


def energy_label(energy: str) -> str:
    """The energy as the panel writes it ("6 MV" or "Co-60")."""
    return "6 MV" if energy == "6MV" else "Co-60"


def field_rows(plan_field: Field, prefix: ThoracicPrefix) -> list[tuple[str, str]]:
    """The field's rows of the numbers table (all that shows when only the dose fails)."""
    return [
        ("Lesion levels", level_range_words(plan_field.lesion_levels, prefix)),
        ("Field levels", field_levels_words(plan_field, prefix)),
        ("Arrangement", plan_field.arrangement),
        (
            "Beams (gantry)",
            ", ".join(f"{b.name} {b.gantry_angle_deg:g}°" for b in plan_field.beams),
        ),
        ("Energy, SSD", f"{energy_label(plan_field.energy)}, {plan_field.ssd_cm:g} cm"),
        *zip(
            ("Superior border", "Inferior border"),
            plan_field.border_sentences(prefix),
            strict=True,
        ),
        ("Field length x width at the isocentre plane", field_size_words(plan_field)),
    ]


def field_levels_words(plan_field: Field, prefix: ThoracicPrefix) -> str:
    """The levels the field reaches; when the rule is not met, or an end is set from a
    landmark, what they are instead."""
    words = plan_field.levels_words(prefix)
    if plan_field.covers_rule and not (
        plan_field.superior_landmark or plan_field.inferior_landmark
    ):
        return words
    return f"{words} ({plan_field.coverage_words(prefix)})"


def field_size_words(plan_field: Field) -> str:
    """The field size as every view and export writes it: length x width in cm."""
    return f"{plan_field.length_mm / 10:.1f} x {plan_field.width_mm / 10:.1f} cm"


def beam_rows(beams: Sequence[Beam]) -> list[tuple[str, str]]:
    """Each beam's set-up (its gantry angle is in the field rows): jaws at the SAD plane (IEC
    X1, X2, Y1 inferior, Y2 superior), SSD and the isocentre's depth below its skin entry."""
    rows: list[tuple[str, str]] = []
    for beam in beams:
        (x1, x2), (y1, y2) = beam.jaw_x_sad_cm, beam.jaw_y_sad_cm
        rows += [
            (
                f"{beam.name} jaws X1/X2/Y1/Y2 at the SAD plane, cm",
                f"{x1:.1f} / {x2:.1f} / {y1:.1f} / {y2:.1f}",
            ),
            (f"{beam.name} SSD", f"{beam.ssd_cm:.1f} cm"),
            (f"{beam.name} isocentre depth", f"{beam.isocentre_depth_cm:.1f} cm"),
        ]
    return rows


def frame_rows(images: PlanImages) -> list[tuple[str, str]]:
    """On a planning CT of another study: which images the plan (and its z values) is on."""
    if not images.on_registered_ct:
        return []
    description = images.export_series.description or "CT"
    return [("Planned on", f"planning CT '{description}' (z in CT coordinates)")]


def geometry_rows(geometry: PlanGeometry) -> list[tuple[str, str]]:
    """The rows of a plan without dose (no depth-dose table): the field, then each beam."""
    rows = field_rows(geometry.field, geometry.case.thoracic_prefix)
    return frame_rows(geometry.images) + rows + beam_rows(geometry.beams)


def numbers_rows(result: PlanResult) -> list[tuple[str, str]]:
    """The rows of the numbers table: (quantity with unit, value)."""
    stats = result.lesion_stats
    prescription, ab = result.prescription, result.alpha_beta_gy
    rows = frame_rows(result.images) + field_rows(result.field, result.case.thoracic_prefix)
    rows += beam_rows(result.beams)
    rows += [
        ("Normalisation", result.normalisation.description),
        (
            "Prescription",
            f"{prescription.dose_gy:g} Gy in {prescription.fractions} "
            f"({prescription.dose_per_fraction_gy:.2f} Gy/fx)",
        ),
        (
            f"BED, EQD2 (α/β {ab:g} Gy)",
            f"{prescription.bed_gy(ab):.1f} Gy, {prescription.eqd2_gy(ab):.1f} Gy",
        ),
        (f"Lesion volume {result.lesion.volume_basis}", f"{result.lesion.volume_cc:.2f} cm³"),
        *(
            [("Lesion volume from the ellipsoid's formula", f"{beside:.2f} cm³")]
            if (beside := result.lesion.formula_volume_beside_cc) is not None
            else []
        ),
        ("Lesion volume on the dose grid", f"{stats.volume_cc:.2f} cm³ (the DVH's volume)"),
        ("Lesion V95", f"{stats.v95_percent:.1f} %"),
        ("Lesion D95", f"{stats.d95_percent:.1f} % ({stats.d95_gy:.2f} Gy)"),
        ("Lesion Dmin", f"{stats.dmin_percent:.1f} % ({stats.dmin_gy:.2f} Gy)"),
        ("Lesion Dmax", f"{stats.dmax_percent:.1f} % ({stats.dmax_gy:.2f} Gy)"),
        ("Lesion Dmean", f"{stats.dmean_percent:.1f} % ({stats.dmean_gy:.2f} Gy)"),
    ]
    cord, eqd2 = result.cord, result.cord_dmax_eqd2_gy()
    for other in result.structure_doses:
        if other.stats is None:
            rows.append((f"{other.name} Dmax", "not on the dose grid"))
            continue
        o = other.stats
        rows.append((f"{other.name} Dmax", f"{o.dmax_percent:.1f} % ({o.dmax_gy:.2f} Gy)"))
        if other is cord and eqd2 is not None:
            rows.append((f"{other.name} Dmax EQD2 (α/β 2 Gy)", f"{eqd2:.1f} Gy"))
        rows.append((f"{other.name} Dmean", f"{o.dmean_percent:.1f} % ({o.dmean_gy:.2f} Gy)"))
    for calc in result.monitor_units:
        digits = 1 if calc.unit == "MU" else 2
        rows.append((f"{calc.beam_name} per fraction", f"{calc.meterset:.{digits}f} {calc.unit}"))
    return rows


class NumbersTable(QTableWidget):
    """Two columns, quantity and value, without headers; as tall as all its wrapped rows."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(0, 2, parent)
        self.setObjectName("PlanNumbers")
        self.horizontalHeader().hide()
        self.verticalHeader().hide()
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.setWordWrap(True)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, 118)  # names wrap; the values get the rest
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.setMinimumHeight(200)

    def fill(self, rows: list[tuple[str, str]]) -> None:
        """Show ``rows`` (quantity, value), replacing what was shown."""
        self.setRowCount(len(rows))
        for row, (name, value) in enumerate(rows):
            self.setItem(row, 0, QTableWidgetItem(name))
            self.setItem(row, 1, QTableWidgetItem(value))
        self.fit()

    def fit(self) -> None:
        """Rows as tall as their wrapped text; the whole table shows (the panel scrolls)."""
        self.resizeRowsToContents()
        height = sum(self.rowHeight(r) for r in range(self.rowCount()))
        self.setFixedHeight(max(height + 2 * self.frameWidth() + 2, 60))

    def value(self, name: str) -> str:
        """The value shown for ``name`` ('' when absent)."""
        for row in range(self.rowCount()):
            item = self.item(row, 0)
            if item is not None and item.text() == name:
                value = self.item(row, 1)
                return value.text() if value is not None else ""
        return ""
