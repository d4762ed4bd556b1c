"""The score sheet of a practice attempt: verdict, per-part numbers with units, feedback, and
the legend of the reference drawn over the trainee's marks."""

from __future__ import annotations

import html

from PySide6.QtCore import QPointF, QSize, Qt, Signal
from PySide6.QtGui import QFont, QPainter, QPen
from PySide6.QtWidgets import (
    QCheckBox,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.practice.comparison import LEGEND
from app.viewer.colours import pen_style, qcolor
from imaging.plurals import noun
from planning.anatomy.levels import level_range_words
from planning.display import palette
from planning.display.palette import hex_of
from planning.practice.sheet import ScoreSheet

VERDICT_COLORS = {
    "perfect": hex_of(palette.VERDICT_PASS_DARK),
    "pass": hex_of(palette.VERDICT_PASS_DARK),
    "fail": hex_of(palette.VERDICT_FAIL_DARK),
}
PASSED_COLOR = qcolor(palette.VERDICT_PASS)
FAILED_COLOR = qcolor(palette.VERDICT_FAIL)


def _signed(value: float, unit: str, digits: int = 1) -> str:
    return f"{value:+.{digits}f} {unit}"


def signed_levels(offset: int) -> str:
    """ "+1 level", "-2 levels": a signed count of vertebral levels."""
    return f"{offset:+d} {noun(offset, 'level')}"


def sheet_rows(sheet: ScoreSheet) -> list[tuple[str, str, bool | None]]:
    """The sheet as table rows ``(part, numbers with units, passed)``; ``passed`` is None for a
    part without a check (the numbers are then for information)."""
    results = {check.item: check.passed for check in sheet.checks}
    prefix = sheet.thoracic_prefix

    def words(names) -> str:
        return level_range_words(names, prefix) or "none"

    def difference(diff) -> str:
        return (
            f"{_signed(diff.difference_mm, 'mm')} ({_signed(diff.difference_levels, 'levels', 2)})"
        )

    rows: list[tuple[str, str, bool | None]] = []
    level = sheet.lesion_level
    if level is not None:
        state = "exact match" if level.match else f"off by {signed_levels(level.offset)}"
        rows.append(
            (
                "Lesion level",
                f"{words(level.attempt_names)} (reference {words(level.reference_names)}): {state}",
                results.get("lesion level"),
            )
        )
        if "vertebral labels" in results:
            labels = (
                "the same bodies as the reference"
                if level.label_offset == 0
                else f"shifted by {signed_levels(level.label_offset)} from the reference"
            )
            rows.append(("Vertebral labels", labels, results["vertebral labels"]))
    elif "lesion level" in results:
        rows.append(("Lesion level", "not compared", results["lesion level"]))
    contour = sheet.contour
    if contour is not None:
        hd = "n/a" if contour.hd95_mm is None else f"{contour.hd95_mm:.1f} mm"
        rows.append(
            ("Lesion contour", f"Dice {contour.dice:.2f}, HD95 {hd}", results.get("lesion contour"))
        )
        rows.append(
            (
                "Lesion volume",
                f"{contour.attempt_volume_cc:.2f} cc vs {contour.reference_volume_cc:.2f} cc "
                f"({contour.volume_difference_percent:+.0f} %)",
                results.get("lesion volume"),
            )
        )
    elif "lesion contour" in results:
        rows.append(("Lesion contour", "no lesion marked", results["lesion contour"]))
    for side in ("superior", "inferior"):
        item = f"edema {side} limit"
        text = "not marked" if sheet.edema is None else difference(getattr(sheet.edema, side))
        if sheet.edema is not None or item in results:
            rows.append((f"Edema {side} limit", text, results.get(item)))
    for side in ("superior", "inferior"):
        item = f"field {side} border"
        text = "no field" if sheet.field is None else difference(getattr(sheet.field, side))
        if sheet.field is not None or item in results:
            rows.append((f"Field {side} border", text, results.get(item)))
    if sheet.field is not None:
        f = sheet.field
        rows.append(
            (
                "Arrangement",
                f"{f.attempt_arrangement} (reference {f.reference_arrangement})",
                results.get("arrangement"),
            )
        )
    elif "arrangement" in results:
        rows.append(("Arrangement", "no field", results["arrangement"]))
    if sheet.coverage is not None:
        rows.append(
            (
                "Your field on the reference lesion",
                f"V95 {sheet.coverage.v95_percent:.1f} %",
                results.get("coverage"),
            )
        )
    return rows


class LegendWidget(QWidget):
    """Swatches: the trainee's colours, then the reference's (see `comparison.LEGEND`)."""

    ROW_PX = 18

    def sizeHint(self) -> QSize:
        return QSize(260, self.ROW_PX * len(LEGEND) + 6)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def entries(self) -> list[str]:
        return [text for _group, _role, text in LEGEND]

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for row, (_group, role, text) in enumerate(LEGEND):
            y = 3 + row * self.ROW_PX + self.ROW_PX / 2
            pen = QPen(qcolor(role), 3)
            pen.setStyle(pen_style(role))
            painter.setPen(pen)
            painter.drawLine(QPointF(6, y), QPointF(34, y))
            painter.setPen(self.palette().windowText().color())
            painter.drawText(QPointF(42, y + 5), text)
        painter.end()


class ScoreSheetView(QWidget):
    """Shows one `ScoreSheet`; ``reference_toggled(bool)`` when the trainee hides/shows the
    reference on the views."""

    reference_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ScoreSheetView")
        self.sheet: ScoreSheet | None = None
        self.title = QLabel("Submit a practice attempt to see its score sheet here.", self)
        self.title.setWordWrap(True)
        self.verdict = QLabel(self)
        self.verdict.setObjectName("PracticeVerdict")
        self.verdict.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.verdict.setWordWrap(True)
        font = QFont(self.verdict.font())
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.verdict.setFont(font)
        self.verdict.hide()
        # rich text rather than a table widget: it wraps in a narrow dock
        self.table = QLabel(self)
        self.table.setObjectName("ScoreTable")
        self.table.setWordWrap(True)
        self.table.setTextFormat(Qt.TextFormat.RichText)
        self.table.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.rows: list[tuple[str, str, bool | None]] = []
        self.table.hide()
        self.convention = QLabel(
            "Differences are yours minus the reference; + means towards the head.", self
        )
        self.convention.setWordWrap(True)
        self.convention.hide()
        self.feedback = QLabel(self)
        self.feedback.setObjectName("PracticeFeedback")
        self.feedback.setWordWrap(True)
        self.feedback.setTextFormat(Qt.TextFormat.RichText)
        self.feedback.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.notes = QLabel(self)
        self.notes.setWordWrap(True)
        self.show_reference = QCheckBox("Show the reference on the views", self)
        self.show_reference.setObjectName("ShowPracticeReference")
        self.show_reference.setChecked(True)
        self.show_reference.toggled.connect(self.reference_toggled)
        self.show_reference.hide()
        self.legend = LegendWidget(self)
        self.legend.hide()
        layout = QVBoxLayout(self)
        for widget in (self.title, self.verdict, self.table, self.convention, self.feedback):
            layout.addWidget(widget)
        layout.addWidget(self.notes)
        layout.addWidget(self.show_reference)
        layout.addWidget(self.legend)
        layout.addStretch(1)

    def clear(self, message: str = "") -> None:
        self.sheet = None
        self.rows = []
        self.title.setText(message or "Submit a practice attempt to see its score sheet here.")
        for widget in (self.verdict, self.table, self.convention, self.show_reference, self.legend):
            widget.hide()
        self.feedback.clear()
        self.notes.clear()

    def set_sheet(self, sheet: ScoreSheet, case_label: str) -> None:
        """Show ``sheet``, the score of the attempt on ``case_label``."""
        self.sheet = sheet
        self.title.setText(f"<b>Score sheet</b>: {html.escape(case_label)}")
        color = VERDICT_COLORS.get(sheet.verdict, hex_of(palette.STATUS_EMPTY))
        self.verdict.setText(
            f"{sheet.verdict.upper()}: {sheet.score_percent:.0f} % of the checks passed"
        )
        self.verdict.setStyleSheet(
            f"QLabel {{ background: {color}; color: white; padding: 6px; border-radius: 4px; }}"
        )
        self.rows = sheet_rows(sheet)
        cells = []
        for part, numbers, passed in self.rows:
            mark = _mark(passed)
            color = "" if passed is None else (PASSED_COLOR if passed else FAILED_COLOR).name()
            cells.append(
                f"<tr><td style='color:{color}; padding-right:6px'><b>{mark}</b></td>"
                f"<td style='padding-right:8px'><b>{html.escape(part)}</b></td>"
                f"<td>{html.escape(numbers)}</td></tr>"
            )
        self.table.setText(f"<table cellspacing='2'>{''.join(cells)}</table>")
        if sheet.feedback:
            items = "".join(f"<li>{html.escape(s)}</li>" for s in sheet.feedback)
            self.feedback.setText(f"<b>Feedback</b><ul style='margin-left:-20px'>{items}</ul>")
        else:
            self.feedback.setText("<b>Feedback</b>: every check passed. Well done.")
        self.notes.setText("\n".join(f"Note: {note}" for note in sheet.notes))
        for widget in (self.verdict, self.table, self.convention, self.show_reference, self.legend):
            widget.show()

    def row_texts(self) -> list[tuple[str, str, str]]:
        """The rows shown, as ``(part, numbers, mark)`` text (for tests and copying)."""
        return [(part, numbers, _mark(passed)) for part, numbers, passed in self.rows]


def _mark(passed: bool | None) -> str:
    return "" if passed is None else ("✔" if passed else "✘")
