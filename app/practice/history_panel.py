"""The trainee's practice history: progress per case, over time, and a small plot of scores.

Reads the history the practice mode records (`planning.practice.history`, in the user's data
folder). The plot is drawn with QPainter: one point per attempt (score %, in date order),
coloured by case and joined per case; filled points passed, hollow points failed.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from planning.display import palette
from planning.display.palette import hex_of
from planning.errors import PlanningError
from planning.practice.history import (
    Attempt,
    History,
    load_history,
    progress_by_case,
    progress_over_time,
)

CASE_COLORS = tuple(hex_of(colour) for colour in palette.HISTORY_CASE_COLOURS)


class ProgressPlot(QWidget):
    """Score (%) of every attempt in date order, one colour and one line per case."""

    MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 46.0, 10.0, 12.0, 22.0

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("PracticeProgressPlot")
        self.attempts: tuple[Attempt, ...] = ()
        self.case_order: list[str] = []
        self.setMinimumHeight(150)

    def sizeHint(self) -> QSize:
        return QSize(300, 170)

    def set_attempts(self, attempts: tuple[Attempt, ...]) -> None:
        self.attempts = tuple(sorted(attempts, key=lambda a: a.date))
        self.case_order = list(dict.fromkeys(a.case_id for a in self.attempts))
        self.update()

    def color_of(self, case_id: str) -> QColor:
        return QColor(CASE_COLORS[self.case_order.index(case_id) % len(CASE_COLORS)])

    def points(self) -> list[tuple[str, QPointF, bool]]:
        """Each attempt's ``(case id, point in widget pixels, passed)``."""
        plot = self.plot_rect()
        n = len(self.attempts)
        found = []
        for index, attempt in enumerate(self.attempts):
            x = plot.left() + (plot.width() * (index + 0.5) / n if n else 0)
            score = min(max(attempt.score_percent, 0.0), 100.0)
            y = plot.bottom() - plot.height() * score / 100.0
            found.append((attempt.case_id, QPointF(x, y), attempt.verdict in ("pass", "perfect")))
        return found

    def plot_rect(self) -> QRectF:
        return QRectF(
            self.MARGIN_LEFT,
            self.MARGIN_TOP,
            max(self.width() - self.MARGIN_LEFT - self.MARGIN_RIGHT, 1.0),
            max(self.height() - self.MARGIN_TOP - self.MARGIN_BOTTOM, 1.0),
        )

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        text_color = self.palette().windowText().color()
        grid_color = QColor(text_color)
        grid_color.setAlpha(60)
        plot = self.plot_rect()
        metrics = QFontMetricsF(painter.font())
        for percent in (0, 50, 100):
            y = plot.bottom() - plot.height() * percent / 100.0
            painter.setPen(QPen(grid_color, 1, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(text_color)
            label = f"{percent}%"
            painter.drawText(
                QPointF(plot.left() - metrics.horizontalAdvance(label) - 4, y + 4), label
            )
        painter.setPen(QPen(text_color, 1))
        painter.drawLine(plot.bottomLeft(), plot.bottomRight())
        if not self.attempts:
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, "No attempts yet")
            painter.end()
            return
        first = self.attempts[0].date.date().isoformat()
        last = self.attempts[-1].date.date().isoformat()
        painter.drawText(QPointF(plot.left(), plot.bottom() + metrics.ascent() + 4), first)
        if last != first:
            painter.drawText(
                QPointF(
                    plot.right() - metrics.horizontalAdvance(last),
                    plot.bottom() + metrics.ascent() + 4,
                ),
                last,
            )
        points = self.points()
        for case_id in self.case_order:
            color = self.color_of(case_id)
            path = QPainterPath()
            own = [p for c, p, _ in points if c == case_id]
            path.moveTo(own[0])
            for point in own[1:]:
                path.lineTo(point)
            painter.setPen(QPen(color, 1.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(path)
        for case_id, point, passed in points:
            color = self.color_of(case_id)
            painter.setPen(QPen(color, 1.5))
            painter.setBrush(QBrush(color) if passed else QBrush(Qt.BrushStyle.NoBrush))
            painter.drawEllipse(point, 4.0, 4.0)
        painter.end()


class HistoryPanel(QWidget):
    """Progress per case (table), per day (table) and the plot; ``refresh()`` re-reads the file."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("PracticeHistoryPanel")
        self.history: History | None = None
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.plot = ProgressPlot(self)
        self.cases = QTableWidget(0, 5, self)
        self.cases.setObjectName("PracticeHistoryCases")
        self.cases.setHorizontalHeaderLabels(["Case", "Attempts", "Passed", "Best", "Last"])
        self.days = QTableWidget(0, 4, self)
        self.days.setObjectName("PracticeHistoryDays")
        self.days.setHorizontalHeaderLabels(["Day (UTC)", "Attempts", "Mean score", "Passed"])
        for table in (self.cases, self.days):
            table.verticalHeader().hide()
            table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
            header = table.horizontalHeader()
            header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
            header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.clicked.connect(self.refresh)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.plot)
        layout.addWidget(QLabel("<b>Per case</b>", self))
        layout.addWidget(self.cases, 1)
        layout.addWidget(QLabel("<b>Over time</b>", self))
        layout.addWidget(self.days, 1)
        layout.addWidget(self.refresh_button)

    def refresh(self) -> None:
        """Read the history again and show it."""
        try:
            self.history = load_history()
        except PlanningError as error:
            self.history = None
            self.summary.setText(f"The practice history cannot be read: {error}")
            self.plot.set_attempts(())
            self.cases.setRowCount(0)
            self.days.setRowCount(0)
            return
        attempts = self.history.attempts
        self.plot.set_attempts(attempts)
        by_case = progress_by_case(attempts)
        self.cases.setRowCount(len(by_case))
        for row, progress in enumerate(by_case.values()):
            last = f"{progress.last_score_percent:.0f} % ({progress.last_verdict})"
            values = [
                progress.case_label,
                str(progress.attempts),
                str(progress.passed),
                f"{progress.best_score_percent:.0f} %",
                last,
            ]
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                if column == 0:
                    item.setForeground(self.plot.color_of(progress.case_id))
                    item.setToolTip(
                        f"{progress.case_id}\nfirst {progress.first_date:%Y-%m-%d %H:%M}, last "
                        f"{progress.last_date:%Y-%m-%d %H:%M} UTC; change "
                        f"{progress.improvement_percent:+.0f} points"
                    )
                self.cases.setItem(row, column, item)
        days = progress_over_time(attempts)
        self.days.setRowCount(len(days))
        for row, point in enumerate(reversed(days)):
            values = [
                point.day,
                str(point.attempts),
                f"{point.mean_score_percent:.0f} %",
                str(point.passed),
            ]
            for column, value in enumerate(values):
                self.days.setItem(row, column, QTableWidgetItem(value))
        if not attempts:
            text = "No practice attempts yet: Tools ▸ Practice… to start one."
        else:
            passed = sum(a.verdict in ("pass", "perfect") for a in attempts)
            text = (
                f"{len(attempts)} attempt(s) on {len(by_case)} case(s), {passed} passed. "
                "The plot shows the score of each attempt in date order, one colour per case; "
                "filled points passed, hollow points did not."
            )
        if self.history.skipped_lines:
            text += f" ({self.history.skipped_lines} unreadable line(s) skipped.)"
        self.summary.setText(text)

    def case_rows(self) -> list[list[str]]:
        """The per-case table as text."""
        return [
            [self.cases.item(r, c).text() for c in range(self.cases.columnCount())]
            for r in range(self.cases.rowCount())
        ]
