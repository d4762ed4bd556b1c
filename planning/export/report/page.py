"""The report's pages: A4 matplotlib figures laid out in millimetres with a text cursor.

Each page is a :class:`matplotlib.figure.Figure` (no pyplot: no global state, safe in a worker
thread) with one invisible axes spanning it whose data coordinates are millimetres from the
top-left corner. Text is wrapped by measuring it with the Agg renderer in the font the PDF
embeds, so a wrapped line never runs past the margin.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Rectangle

from planning.display import palette
from planning.display.palette import RGB

PAGE_WIDTH_MM = 210.0
PAGE_HEIGHT_MM = 297.0
MARGIN_MM = 14.0
#: Room kept free at the bottom for the footer, mm.
FOOTER_MM = 8.0
FONT_FAMILY = "DejaVu Sans"
#: Line pitch as a multiple of the font size.
LINE_SPACING = 1.22
MM_PER_PT = 25.4 / 72.0

TITLE_COLOUR: RGB = palette.REPORT_TITLE
GREY_TEXT: RGB = palette.REPORT_GREY_TEXT
WARNING_TEXT: RGB = palette.REPORT_WARNING
HEADER_FILL: RGB = palette.REPORT_HEADER_FILL
RULE_COLOUR: RGB = palette.REPORT_RULE

#: Space between a table cell's text and its edges, mm.
_CELL_PADDING_MM = 0.8

#: Renderer resolution for measuring text, dpi (high, so widths are not rounded to points).
_MEASURE_DPI = 720.0


rgb = palette.rgb01


@functools.cache
def _font(size_pt: float, bold: bool) -> FontProperties:
    return FontProperties(family=FONT_FAMILY, size=size_pt, weight="bold" if bold else "normal")


@functools.cache
def _renderer() -> RendererAgg:
    return RendererAgg(1, 1, _MEASURE_DPI)


def text_width_mm(text: str, size_pt: float, bold: bool = False) -> float:
    """The width of one line of ``text`` in the report's font, mm."""
    width_px, _, _ = _renderer().get_text_width_height_descent(
        text, _font(size_pt, bold), ismath=False
    )
    return float(width_px) / _MEASURE_DPI * 25.4


def line_height_mm(size_pt: float) -> float:
    """The pitch of wrapped lines at ``size_pt``, mm."""
    return size_pt * LINE_SPACING * MM_PER_PT


def wrap_text(text: str, width_mm: float, size_pt: float, bold: bool = False) -> list[str]:
    """``text`` broken into lines no wider than ``width_mm`` (at spaces; a longer word alone)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if line and text_width_mm(candidate, size_pt, bold) > width_mm:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return lines


class Page:
    """One A4 portrait page: a figure, its millimetre axes and a text cursor ``y`` (mm)."""

    def __init__(self) -> None:
        self.figure = Figure(figsize=(PAGE_WIDTH_MM / 25.4, PAGE_HEIGHT_MM / 25.4))
        self.axes = self.figure.add_axes((0.0, 0.0, 1.0, 1.0))
        self.axes.set_xlim(0.0, PAGE_WIDTH_MM)
        self.axes.set_ylim(PAGE_HEIGHT_MM, 0.0)
        self.axes.set_axis_off()
        self.y = MARGIN_MM

    def add_axes_mm(self, x_mm: float, y_mm: float, w_mm: float, h_mm: float) -> Axes:
        """New axes over the box whose top-left corner is (x_mm, y_mm) on the page."""
        return self.figure.add_axes(
            (
                x_mm / PAGE_WIDTH_MM,
                1.0 - (y_mm + h_mm) / PAGE_HEIGHT_MM,
                w_mm / PAGE_WIDTH_MM,
                h_mm / PAGE_HEIGHT_MM,
            )
        )

    def put(
        self,
        x_mm: float,
        y_mm: float,
        text: str,
        size_pt: float = 9.0,
        bold: bool = False,
        colour: RGB = palette.REPORT_TEXT,
        align: str = "left",
    ) -> None:
        """One line of text whose top is at ``y_mm``; ``align`` left, center or right of x."""
        self.axes.text(
            x_mm,
            y_mm,
            text,
            fontproperties=_font(size_pt, bold),
            color=rgb(colour),
            ha=align,
            va="top",
            parse_math=False,
        )

    def fill(self, x_mm: float, y_mm: float, w_mm: float, h_mm: float, colour: RGB) -> None:
        """A filled rectangle without an outline (behind the text)."""
        self.axes.add_patch(
            Rectangle((x_mm, y_mm), w_mm, h_mm, facecolor=rgb(colour), edgecolor="none", zorder=0)
        )

    def rule(self, x0_mm: float, x1_mm: float, y_mm: float, colour: RGB = RULE_COLOUR) -> None:
        """A thin horizontal line."""
        self.axes.plot([x0_mm, x1_mm], [y_mm, y_mm], color=rgb(colour), linewidth=0.45)


class Document:
    """The report's pages and the cursor on the last of them."""

    def __init__(self) -> None:
        self.pages: list[Page] = [Page()]

    @property
    def page(self) -> Page:
        return self.pages[-1]

    @property
    def y(self) -> float:
        return self.page.y

    @y.setter
    def y(self, value: float) -> None:
        self.page.y = value

    @property
    def content_width_mm(self) -> float:
        """The page width inside the margins, mm."""
        return PAGE_WIDTH_MM - 2 * MARGIN_MM

    def new_page(self) -> None:
        """Start a new page with the cursor at the top margin."""
        self.pages.append(Page())

    def ensure(self, height_mm: float) -> None:
        """Start a new page unless ``height_mm`` fits above the footer."""
        if self.y + height_mm > PAGE_HEIGHT_MM - MARGIN_MM - FOOTER_MM:
            self.new_page()

    def text(
        self,
        text: str,
        size_pt: float = 9.0,
        bold: bool = False,
        colour: RGB = palette.REPORT_TEXT,
        indent_mm: float = 0.0,
        gap_mm: float = 1.0,
        width_mm: float | None = None,
    ) -> float:
        """Wrapped text at the cursor (moved below it); returns its height, mm."""
        width = (width_mm or self.content_width_mm) - indent_mm
        lines = wrap_text(text, width, size_pt, bold)
        pitch = line_height_mm(size_pt)
        height = pitch * len(lines)
        self.ensure(height)
        for n, line in enumerate(lines):
            self.page.put(MARGIN_MM + indent_mm, self.y + n * pitch, line, size_pt, bold, colour)
        self.y += height + gap_mm
        return height

    def table(
        self,
        rows: Sequence[Sequence[str]],
        widths_mm: Sequence[float],
        header: bool = True,
        size_pt: float = 8.0,
    ) -> None:
        """A ruled table at the cursor; the first row is the header (shaded) when ``header``,
        repeated at the top of each page the table continues on."""
        for index, row in enumerate(rows):
            head = header and index == 0
            height = self._row_height(row, widths_mm, size_pt, head)
            if head:  # a header alone at the bottom of a page is no use
                self.ensure(
                    height + self._row_height(rows[1], widths_mm, size_pt, False)
                    if len(rows) > 1
                    else height
                )
            pages = len(self.pages)
            self.ensure(height)
            if header and index > 0 and len(self.pages) > pages:
                self._row(rows[0], widths_mm, size_pt, True)
            self._row(row, widths_mm, size_pt, head)
        self.y += 3.0

    def _row_height(
        self, row: Sequence[str], widths_mm: Sequence[float], size_pt: float, bold: bool
    ) -> float:
        return (
            max(
                len(wrap_text(cell, w - 2 * _CELL_PADDING_MM, size_pt, bold))
                for cell, w in zip(row, widths_mm, strict=False)
            )
            * line_height_mm(size_pt)
            + 2 * _CELL_PADDING_MM
        )

    def _row(
        self, row: Sequence[str], widths_mm: Sequence[float], size_pt: float, bold: bool
    ) -> None:
        """One table row at the cursor (shaded when ``bold``: the header), ruled below."""
        pitch = line_height_mm(size_pt)
        # the line pitch's leading sits below the glyphs: move them down by half of it
        centring = (pitch - size_pt * MM_PER_PT) / 2.0
        height = self._row_height(row, widths_mm, size_pt, bold)
        if bold:
            self.page.fill(MARGIN_MM, self.y, sum(widths_mm), height, HEADER_FILL)
        x = MARGIN_MM
        for cell, w in zip(row, widths_mm, strict=False):
            lines = wrap_text(cell, w - 2 * _CELL_PADDING_MM, size_pt, bold)
            for n, line in enumerate(lines):
                top = self.y + _CELL_PADDING_MM + centring + n * pitch
                self.page.put(x + _CELL_PADDING_MM, top, line, size_pt, bold)
            x += w
        self.page.rule(MARGIN_MM, MARGIN_MM + sum(widths_mm), self.y + height)
        self.y += height

    def finish(self, footer_lines: Sequence[str]) -> None:
        """Draw the footer on every page: ``footer_lines`` (who and what the report is of) on
        the left, the page number at the right of the last line (kept short)."""
        count = len(self.pages)
        top = PAGE_HEIGHT_MM - MARGIN_MM - FOOTER_MM + 2.0
        pitch = line_height_mm(7.0)
        for number, page in enumerate(self.pages, start=1):
            page.rule(MARGIN_MM, PAGE_WIDTH_MM - MARGIN_MM, top - 1.2)
            for n, line in enumerate(footer_lines):
                page.put(MARGIN_MM, top + n * pitch, line, 7.0, colour=GREY_TEXT)
            page.put(
                PAGE_WIDTH_MM - MARGIN_MM,
                top + (len(footer_lines) - 1) * pitch,
                f"page {number} of {count}",
                7.0,
                colour=GREY_TEXT,
                align="right",
            )
