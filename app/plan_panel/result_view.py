"""What the Plan panel shows about a plan: verdict, status line, details, numbers, DVH, notes.

The texts and curves are pure functions of a `PlanResult` (or, for a machine without a
depth-dose table, of a `PlanGeometry`); `PlanResultView` holds the widgets that show them and
fills them for a plan, a field and beam set-up without dose, a failure or nothing.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QLabel, QVBoxLayout, QWidget

from app.plan_panel.dvh_plot import DvhCurve, DvhPlot
from app.plan_panel.numbers_table import (
    NumbersTable,
    energy_label,
    field_rows,
    geometry_rows,
    numbers_rows,
)
from app.viewer.colours import qcolor
from planning.anatomy.levels import ThoracicPrefix
from planning.anatomy.structures import structure_colour
from planning.display import palette
from planning.display.palette import hex_of
from planning.dose.plan_geometry import PlanGeometry
from planning.field.derivation import Field
from planning.plan import PlanResult

PASS_COLOR = hex_of(palette.VERDICT_PASS)
FAIL_COLOR = hex_of(palette.VERDICT_FAIL)
#: no plan: the settings or the case cannot be planned
NO_PLAN_COLOR = hex_of(palette.STATUS_NO_PLAN)
#: the field and beam set-up without dose (no depth-dose table for the machine)
FIELD_ONLY_COLOR = hex_of(palette.STATUS_FIELD_ONLY)
FIELD_ONLY_VERDICT = "FIELD ONLY, NO DOSE"
#: where the shipped beam data and the missing tables are described
BEAM_DATA_README = "resources/beam_data/README.md"
#: nothing to plan yet
EMPTY_COLOR = hex_of(palette.STATUS_EMPTY)
LESION_CURVE_COLOR = qcolor(palette.LESION)


def verdict_style(color: str, *, bold: bool = True) -> str:
    """The verdict label's style sheet in ``color``."""
    weight = " font-weight: bold;" if bold else ""
    return f"font-size: 16pt;{weight} color: {color}; padding: 2px;"


def verdict_text(result: PlanResult) -> str:
    """The verdict in a few words with the lesion's V95."""
    return f"{result.verdict.label}   V95 {result.verdict.v95_percent:.1f} %"


def verdict_color(result: PlanResult) -> str:
    """Green when the coverage passes, else red."""
    return PASS_COLOR if result.verdict.passed else FAIL_COLOR


def status_text(result: PlanResult) -> str:
    """The field, its arrangement and energy and the dose grid, in one line."""
    prefix = result.case.thoracic_prefix
    plan_field = result.field
    return (
        f"Field {plan_field.levels_words(prefix)}{_rule_words(plan_field, prefix)}, "
        f"{plan_field.arrangement}, {energy_label(plan_field.energy)}; dose grid "
        f"{result.grid_spacing_mm:g} mm"
    )


def _rule_words(plan_field: Field, prefix: ThoracicPrefix) -> str:
    """Beside the field levels, at the verdict: a field short of the rule says so there too."""
    if plan_field.covers_rule:
        return ""
    return f" (⚠ NOT one vertebra each side: the rule's {plan_field.rule_levels_words(prefix)})"


def field_only_status_text(geometry: PlanGeometry) -> str:
    """The field, arrangement and energy, and why there is no dose, in a few lines."""
    plan_field = geometry.field
    energy = energy_label(plan_field.energy)
    return (
        f"Field {plan_field.levels_words(geometry.case.thoracic_prefix)}"
        f"{_rule_words(plan_field, geometry.case.thoracic_prefix)}, "
        f"{plan_field.arrangement}, {energy}. No {energy} depth-dose table ships "
        f"(see {BEAM_DATA_README}), so there is no dose and no coverage check: "
        "field limits and beam set-up only."
    )


def field_only_details_text(geometry: PlanGeometry) -> str:
    """What the numbers of a plan without dose are for, and how to get the dose."""
    return (
        "Set the field up from the borders and the beams' jaws, SSD and isocentre depth below. "
        "Whether the 95 % isodose covers the lesion is NOT checked: choose 6 MV to see the dose."
    )


def details_text(result: PlanResult) -> str:
    """The verdict's headline, where the lesion is cold and what would fix it."""
    verdict = result.verdict
    lines = [verdict.headline]
    if verdict.cold_regions:
        lines += ["", "Where it is cold:"]
        lines += [f"• {region.description}" for region in verdict.cold_regions]
    if verdict.fixes:
        lines += ["", "What would fix it:"]
        lines += [f"• {fix}" for fix in verdict.fixes]
    return "\n".join(lines)


def dvh_curves(result: PlanResult) -> list[DvhCurve]:
    """The lesion's DVH curve, then one per structure on the dose grid."""
    curves = [
        DvhCurve(
            result.dvh,
            result.prescription.dose_gy,
            LESION_CURVE_COLOR,
            v95_percent=result.lesion_stats.v95_percent,
        )
    ]
    for index, other in enumerate(result.structure_doses):
        if other.dvh is not None and other.stats is not None:
            curves.append(
                DvhCurve(
                    other.dvh,
                    result.prescription.dose_gy,
                    qcolor(structure_colour(other.name, index)),
                    v95_percent=other.stats.v95_percent,
                    label=f"{other.name}  Dmax {other.stats.dmax_percent:.1f} %",
                )
            )
    return curves


def notes_text(result: PlanResult | PlanGeometry) -> str:
    """The plan's (or set-up's) warnings, then its assumptions, one a line ("None." without
    any)."""
    notes = [f"⚠ {w}" for w in result.warnings] + [f"• {a}" for a in result.assumptions]
    return "\n".join(notes) if notes else "None."


class PlanResultView:
    """The labels, numbers table, DVH and notes of the Plan panel, and what they show.

    The panel lays the widgets out: the verdict, status and details labels above its settings,
    the boxes `create_boxes` returns (numbers, DVH, notes) below them. The boxes are created
    after the settings so that Tab moves through the settings before the numbers.

    Parameters
    ----------
    parent : the widget the labels and boxes are created in.
    """

    def __init__(self, parent: QWidget) -> None:
        self.verdict_label = QLabel(parent)
        self.verdict_label.setObjectName("PlanVerdict")
        self.verdict_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.verdict_label.setMinimumHeight(34)
        self.verdict_label.setWordWrap(True)
        self.details_label = QLabel(parent)
        self.details_label.setObjectName("PlanVerdictDetails")
        self.details_label.setWordWrap(True)
        self.details_label.setTextFormat(Qt.TextFormat.PlainText)
        self.details_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label = QLabel(parent)
        self.status_label.setObjectName("PlanStatus")
        self.status_label.setWordWrap(True)
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)

    def create_boxes(self, parent: QWidget) -> list[QGroupBox]:
        """Create the numbers, DVH and notes boxes in ``parent``; returns them, top to bottom."""
        numbers_box = QGroupBox("Numbers", parent)
        numbers_layout = QVBoxLayout(numbers_box)
        self.numbers = NumbersTable(numbers_box)
        numbers_layout.addWidget(self.numbers)

        dvh_box = QGroupBox("Dose-volume histogram", parent)
        dvh_layout = QVBoxLayout(dvh_box)
        self.dvh_plot = DvhPlot(dvh_box)
        dvh_layout.addWidget(self.dvh_plot)

        notes_box = QGroupBox("Warnings and assumptions", parent)
        notes_layout = QVBoxLayout(notes_box)
        self.notes_label = QLabel(notes_box)
        self.notes_label.setObjectName("PlanNotes")
        self.notes_label.setWordWrap(True)
        self.notes_label.setTextFormat(Qt.TextFormat.PlainText)
        self.notes_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        notes_layout.addWidget(self.notes_label)
        return [numbers_box, dvh_box, notes_box]

    def show_busy(self, busy: bool, doing: str = "Computing the dose…") -> None:
        """While a plan is computed (``doing`` says what) the details and numbers shown are
        greyed out."""
        if busy:
            self.status_label.setText(doing)
            self.details_label.setEnabled(False)
            self.numbers.setEnabled(False)
        else:
            self.details_label.setEnabled(True)
            self.numbers.setEnabled(True)

    def show_result(self, result: PlanResult) -> None:
        """Show ``result``: verdict, status line, details, numbers, DVH and notes."""
        self.verdict_label.setText(verdict_text(result))
        self.verdict_label.setStyleSheet(verdict_style(verdict_color(result)))
        self.status_label.setText(status_text(result))
        self.details_label.setText(details_text(result))
        self.numbers.fill(numbers_rows(result))
        self.dvh_plot.set_curves(dvh_curves(result))
        self.notes_label.setText(notes_text(result))

    def show_geometry(self, geometry: PlanGeometry) -> None:
        """Show a field and beam set-up without dose (the machine has no depth-dose table):
        the field-only verdict, why there is no dose, the field and beam rows and the notes."""
        self.verdict_label.setText(FIELD_ONLY_VERDICT)
        self.verdict_label.setStyleSheet(verdict_style(FIELD_ONLY_COLOR))
        self.status_label.setText(field_only_status_text(geometry))
        self.details_label.setText(field_only_details_text(geometry))
        self.numbers.fill(geometry_rows(geometry))
        self.dvh_plot.clear("No dose (field only)")
        self.notes_label.setText(notes_text(geometry))

    def show_failed(self, message: str) -> None:
        """No plan: ``message`` says why."""
        self.verdict_label.setText("NO PLAN")
        self.verdict_label.setStyleSheet(verdict_style(NO_PLAN_COLOR))
        self.status_label.setText(message)
        self.details_label.setText("")
        self.numbers.setRowCount(0)
        self.dvh_plot.clear("No plan")
        self.notes_label.setText("")

    def show_field_only(self, plan_field: Field, prefix: ThoracicPrefix) -> None:
        """After `show_failed`: the field was derived without a dose; its numbers show."""
        self.verdict_label.setText(FIELD_ONLY_VERDICT)
        self.numbers.fill(field_rows(plan_field, prefix))

    def show_empty(self, message: str) -> None:
        """Nothing to plan yet: ``message`` says what is missing."""
        self.verdict_label.setText("—")
        self.verdict_label.setStyleSheet(verdict_style(EMPTY_COLOR, bold=False))
        self.status_label.setText(message)
        self.details_label.setText("")
        self.numbers.setRowCount(0)
        self.dvh_plot.clear()
        self.notes_label.setText("")
