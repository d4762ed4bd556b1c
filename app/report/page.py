"""A report page: a QPainter on a QPdfWriter with millimetre helpers, text, tables, verdict box."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QLineF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPdfWriter, QPen

from planning.plan import PlanResult

RESOLUTION_DPI = 200
MARGIN_MM = 14.0


class Page:
    """A QPainter on a QPdfWriter with millimetre helpers and a text cursor."""

    def __init__(self, writer: QPdfWriter, painter: QPainter) -> None:
        self.writer = writer
        self.painter = painter
        self.scale = RESOLUTION_DPI / 25.4  # device pixels per mm
        layout = writer.pageLayout()
        rect = layout.fullRectPoints()
        self.width_mm = rect.width() * 25.4 / 72.0
        self.height_mm = rect.height() * 25.4 / 72.0
        self.y = MARGIN_MM
        self.font = QFont("DejaVu Sans")

    def px(self, mm: float) -> float:
        """Millimetres to device pixels."""
        return mm * self.scale

    @property
    def content_width_mm(self) -> float:
        """The page width inside the margins, mm."""
        return self.width_mm - 2 * MARGIN_MM

    def set_font(self, size_pt: float, bold: bool = False) -> None:
        font = QFont(self.font)
        font.setPointSizeF(size_pt)
        font.setBold(bold)
        self.painter.setFont(font)

    def new_page(self) -> None:
        """Start a new page with the cursor at the top margin."""
        self.writer.newPage()
        self.y = MARGIN_MM

    def ensure(self, height_mm: float) -> None:
        """Start a new page unless ``height_mm`` fits below the cursor."""
        if self.y + height_mm > self.height_mm - MARGIN_MM:
            self.new_page()

    def text(
        self,
        text: str,
        size_pt: float = 9.0,
        bold: bool = False,
        colour: tuple[int, int, int] = (0, 0, 0),
        indent_mm: float = 0.0,
        gap_mm: float = 1.0,
    ) -> float:
        """Wrapped text at the cursor; returns its height in mm."""

        self.set_font(size_pt, bold)
        painter = self.painter
        width = self.px(self.content_width_mm - indent_mm)
        flags = int(Qt.TextFlag.TextWordWrap) | int(Qt.AlignmentFlag.AlignLeft)
        bound = painter.boundingRect(QRectF(0, 0, width, 1e6), flags, text)
        height_mm = bound.height() / self.scale
        self.ensure(height_mm)
        painter.setPen(QColor(*colour))
        painter.drawText(
            QRectF(self.px(MARGIN_MM + indent_mm), self.px(self.y), width, bound.height() + 2),
            flags,
            text,
        )
        self.y += height_mm + gap_mm
        return height_mm

    def table(
        self, rows: Sequence[Sequence[str]], widths_mm: Sequence[float], header: bool = True
    ) -> None:
        """A simple ruled table; the first row is the header when ``header``."""

        painter = self.painter
        flags = int(Qt.TextFlag.TextWordWrap) | int(Qt.AlignmentFlag.AlignLeft)
        for index, row in enumerate(rows):
            bold = header and index == 0
            self.set_font(8.0, bold)
            heights = [
                painter.boundingRect(QRectF(0, 0, self.px(w - 1.5), 1e6), flags, cell).height()
                / self.scale
                for cell, w in zip(row, widths_mm, strict=False)
            ]
            height = max(heights) + 1.4
            self.ensure(height)
            x = MARGIN_MM
            if bold:
                painter.fillRect(
                    QRectF(self.px(x), self.px(self.y), self.px(sum(widths_mm)), self.px(height)),
                    QColor(232, 236, 242),
                )
            painter.setPen(QColor(0, 0, 0))
            for cell, w in zip(row, widths_mm, strict=False):
                painter.drawText(
                    QRectF(
                        self.px(x + 0.7), self.px(self.y + 0.7), self.px(w - 1.5), self.px(height)
                    ),
                    flags,
                    cell,
                )
                x += w
            pen = QPen(QColor(170, 170, 170))
            pen.setWidthF(self.px(0.15))
            painter.setPen(pen)
            painter.drawLine(
                QLineF(
                    self.px(MARGIN_MM),
                    self.px(self.y + height),
                    self.px(MARGIN_MM + sum(widths_mm)),
                    self.px(self.y + height),
                )
            )
            self.y += height
        self.y += 3.0


def draw_verdict_box(page: Page, result: PlanResult) -> None:
    """The coverage verdict, its cold regions and fixes in a green or red box at the cursor."""
    verdict = result.verdict
    colour = (20, 130, 50) if verdict.passed else (190, 30, 30)
    fill = QColor(225, 245, 228) if verdict.passed else QColor(252, 228, 228)
    lines = [verdict.headline]
    lines += [region.description for region in verdict.cold_regions]
    lines += [f"Fix: {fix}" for fix in verdict.fixes]
    # Measure first to draw the box under the text.
    text_height = 0.0
    flags = int(Qt.TextFlag.TextWordWrap)
    for index, line in enumerate(lines):
        page.set_font(10.5 if index == 0 else 8.5, index == 0)
        bound = page.painter.boundingRect(
            QRectF(0, 0, page.px(page.content_width_mm - 6), 1e6), flags, line
        )
        text_height += bound.height() / page.scale + 1.0
    page.ensure(text_height + 6)
    start = page.y
    page.painter.fillRect(
        QRectF(
            page.px(MARGIN_MM),
            page.px(start),
            page.px(page.content_width_mm),
            page.px(text_height + 4),
        ),
        fill,
    )
    page.y = start + 2.0
    for index, line in enumerate(lines):
        page.text(
            line,
            10.5 if index == 0 else 8.5,
            index == 0,
            colour if index == 0 else (0, 0, 0),
            indent_mm=3.0,
        )
    page.y = start + text_height + 7.0
