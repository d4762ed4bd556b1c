"""Writing the PDF plan report: the A4 document and its three pages.

Rendered with Qt's ``QPdfWriter`` and ``QPainter`` (no GUI needed: the offscreen platform is
used when no Qt application is running). A4 portrait, three pages:

1. the case, the coverage verdict with its reasons and fixes, the field, beam, prescription and
   coverage tables;
2. a sagittal and an axial image through the normalisation point with the field outline, the
   lesion and the 50 %, 95 % and 107 % isodose lines, and the lesion's cumulative DVH;
3. the monitor-unit / treatment-time calculation with every input, the assumptions and warnings.
"""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path

from PySide6.QtCore import QMarginsF
from PySide6.QtGui import QGuiApplication, QPageLayout, QPageSize, QPainter, QPdfWriter
from PySide6.QtWidgets import QApplication

from app.report.dvh_plot import draw_dvh
from app.report.formatting import format_point_mm
from app.report.page import MARGIN_MM, RESOLUTION_DPI, Page, draw_verdict_box
from app.report.plane_drawing import draw_legend, draw_plane
from app.report.planes import axial_plane, sagittal_plane
from app.report.tables import (
    beam_rows,
    case_rows,
    coverage_rows,
    field_rows,
    monitor_unit_rows,
    patient_line,
    prescription_rows,
    structure_notes,
)
from planning.errors import PlanningError
from planning.plan import PlanResult


def _ensure_application() -> None:
    """Start an offscreen Qt application when none runs (fonts need one)."""
    if QGuiApplication.instance() is None:
        # The report never needs a screen; another platform would abort without a display.
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        # A QApplication, not a bare QGuiApplication: widgets made later in the same process
        # (the GUI, tests) need one. Kept on the function so it is not garbage-collected.
        _ensure_application.app = QApplication([])  # type: ignore[attr-defined]


def write_report_pdf(path: str | Path, result: PlanResult) -> Path:
    """Render the plan report to ``path`` (A4 PDF)."""
    _ensure_application()

    target = Path(path)
    writer = QPdfWriter(str(target))
    writer.setResolution(RESOLUTION_DPI)
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(0, 0, 0, 0),
        )
    )
    writer.setTitle("spineplan plan report")
    writer.setCreator("spineplan")
    painter = QPainter()
    if not painter.begin(writer):
        raise PlanningError(f"{target}: cannot write the PDF report")
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        page = Page(writer, painter)
        _first_page(page, result)
        page.new_page()
        _images_page(page, result)
        page.new_page()
        _details_page(page, result)
    finally:
        painter.end()
    return target


def _first_page(page: Page, result: PlanResult) -> None:
    case_name = result.case.source_path.name if result.case.source_path else "case"
    page.text("spineplan plan report", 16.0, True, (20, 40, 90), gap_mm=0.5)
    page.text(
        f"{case_name} - {patient_line(result)} - printed "
        f"{_dt.datetime.now().strftime('%Y-%m-%d %H:%M')}",
        8.5,
        colour=(80, 80, 80),
        gap_mm=1.0,
    )
    page.text(
        "Not approved for treatment: check every number against the department's own data.",
        8.0,
        colour=(160, 30, 30),
        gap_mm=4.0,
    )
    draw_verdict_box(page, result)
    width = page.content_width_mm
    page.table(case_rows(result), (48.0, width - 48.0))
    page.table(field_rows(result), (48.0, width - 48.0))
    page.text("Beams (jaws at the source-axis distance plane; per fraction)", 9.5, True)
    page.table(beam_rows(result), (28.0, 16.0, 25.0, 25.0, 16.0, 17.0, 20.0, width - 147.0))
    page.table(prescription_rows(result), (48.0, width - 48.0))
    page.text("Coverage of the lesion (criterion: V95 >= 99 %)", 9.5, True)
    page.table(coverage_rows(result), (20.0, 18.0, 14.0, 32.0, 32.0, 32.0, width - 148.0))
    for note in structure_notes(result):
        page.text(note, 8.0)


def _images_page(page: Page, result: PlanResult) -> None:
    page.text("Images: field, lesion and isodoses", 13.0, True, (20, 40, 90), gap_mm=2.0)
    draw_legend(page, result)
    width = page.content_width_mm
    top = page.y
    sagittal = sagittal_plane(result)
    axial = axial_plane(result)
    half = (width - 6.0) / 2.0
    used = max(
        draw_plane(page, sagittal, MARGIN_MM, top, half, 150.0),
        draw_plane(page, axial, MARGIN_MM + half + 6.0, top, half, 150.0),
    )
    page.y = top + used + 2.0
    page.text(
        f"Isodoses in % of the prescription ({result.prescription.dose_gy:g} Gy); dashed: the "
        "geometric field edges of every beam; both planes pass through the normalisation point "
        f"{format_point_mm(result.normalisation.point_mm)}. Level names at the mid-height of each "
        "labelled vertebra.",
        8.0,
        colour=(60, 60, 60),
        gap_mm=4.0,
    )
    draw_dvh(page, result, MARGIN_MM, page.y, width * 0.62, 85.0)
    page.y += 90.0


def _details_page(page: Page, result: PlanResult) -> None:
    page.text("Monitor units / treatment time (hand calculation)", 13.0, True, (20, 40, 90))
    calc = result.monitor_units[0]
    page.text(
        "MU (or minutes) = D / (output x Sc(rc) x Sp(r) x PDD(d, r, SSD)/100 x ISF x EPL), "
        "ISF = ((SSD_ref + dmax) / (SSD + dmax))^2, EPL = ((SSD + d) / (SSD + d_geometric))^2 "
        "for a water-equivalent depth d differing from the geometric one; "
        "rc = collimator equivalent square at the SAD plane, r = equivalent square at the skin; "
        "'Engine %' is the 3D engine's dose at the point per unit "
        f"output (check against PDD). Reference SSD {calc.reference_ssd_cm:g} cm, "
        f"dmax {calc.dmax_cm:g} cm.",
        8.0,
    )
    width = page.content_width_mm
    page.table(
        monitor_unit_rows(result), (24.0, 17.0, 26.0, 13.0, 13.0, 15.0, 17.0, 18.0, width - 143.0)
    )
    for c in result.monitor_units:
        page.text(
            f"{c.beam_name}: depth {c.depth_cm:.2f} cm, SSD {c.ssd_cm:.1f} cm, rc "
            f"{c.collimator_side_cm:.2f} cm, r {c.surface_side_cm:.2f} cm. {c.formula}",
            8.0,
        )
    page.y += 2.0
    page.text("Assumptions", 11.0, True, (20, 40, 90))
    for assumption in result.assumptions:
        page.text(f"- {assumption}", 8.0, indent_mm=2.0, gap_mm=0.6)
    page.y += 2.0
    page.text("Warnings", 11.0, True, (20, 40, 90))
    if result.warnings:
        for warning in result.warnings:
            page.text(f"- {warning}", 8.0, colour=(160, 30, 30), indent_mm=2.0, gap_mm=0.6)
    else:
        page.text("none", 8.0, indent_mm=2.0)
