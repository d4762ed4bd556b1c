"""Writing the PDF plan report: the A4 document and its pages, drawn with matplotlib.

A4 portrait (``matplotlib.backends.backend_pdf.PdfPages``, fonts embedded as TrueType so the text
can be searched and copied), three pages and a footer on each naming the patient, the case and
the plan:

1. the case, the coverage verdict with its reasons and fixes, the field, beam, prescription and
   coverage tables;
2. a sagittal and an axial image through the normalisation point with the field outline, the
   lesion, the other structures and the 50 %, 95 % and 107 % isodose lines, each with its
   legend, and the cumulative DVH;
3. the monitor-unit / treatment-time calculation with every input, the assumptions and warnings.

:func:`report_figures` returns the pages as figures, for a preview (``figure.savefig`` to PNG).
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from planning.display import palette
from planning.errors import PlanningError
from planning.export.report.dvh_plot import draw_dvh
from planning.export.report.formatting import format_point_mm
from planning.export.report.page import (
    GREY_TEXT,
    MARGIN_MM,
    TITLE_COLOUR,
    WARNING_TEXT,
    Document,
    line_height_mm,
    wrap_text,
)
from planning.export.report.plane_drawing import draw_plane
from planning.export.report.planes import axial_plane, sagittal_plane
from planning.export.report.tables import (
    beam_rows,
    case_rows,
    coverage_rows,
    field_rows,
    monitor_unit_rows,
    patient_line,
    prescription_rows,
    structure_notes,
)
from planning.plan import PlanResult

#: Resolution of the images inside the PDF, dots per inch.
IMAGE_DPI = 200
_RC: dict[Any, Any] = {"pdf.fonttype": 42, "font.family": "DejaVu Sans", "svg.fonttype": "none"}


def report_figures(result: PlanResult) -> list[Figure]:
    """The report's pages as A4 matplotlib figures (footers included)."""
    document = Document()
    with matplotlib.rc_context(_RC):
        _first_page(document, result)
        document.new_page()
        _images_page(document, result)
        document.new_page()
        _details_page(document, result)
        document.finish(_footer_lines(result))
    return [page.figure for page in document.pages]


def write_report_pdf(path: str | Path, result: PlanResult) -> Path:
    """Render the plan report to ``path`` (A4 PDF)."""
    target = Path(path)
    figures = report_figures(result)
    metadata = {
        "Title": "spineplan plan report",
        "Creator": "spineplan",
        "Subject": _case_name(result),
    }
    try:
        with matplotlib.rc_context(_RC), PdfPages(target, metadata=metadata) as pdf:
            for figure in figures:
                pdf.savefig(figure, dpi=IMAGE_DPI)
    except OSError as error:
        raise PlanningError(f"{target}: cannot write the PDF report ({error})") from error
    return target


def _case_name(result: PlanResult) -> str:
    return result.case.source_path.name if result.case.source_path else "case"


def _plan_line(result: PlanResult) -> str:
    """What identifies the plan: the case file, field, arrangement, energy and prescription."""
    plan_field = result.field
    p = result.prescription
    return (
        f"{_case_name(result)}: field {plan_field.levels_words(result.case.thoracic_prefix)}, "
        f"{plan_field.arrangement} {plan_field.energy}, {p.dose_gy:g} Gy in {p.fractions} "
        f"fraction{'s' if p.fractions != 1 else ''}"
    )


def _footer_lines(result: PlanResult) -> list[str]:
    return [
        f"{patient_line(result)} - {_plan_line(result)}",
        "spineplan plan report - not approved for treatment: check every number against the "
        "department's own data",
    ]


def _verdict_box(document: Document, result: PlanResult) -> None:
    """The coverage verdict, its cold regions and fixes in a green or red box at the cursor."""
    verdict = result.verdict
    colour = palette.REPORT_PASS_TEXT if verdict.passed else palette.REPORT_FAIL_TEXT
    fill = palette.REPORT_PASS_FILL if verdict.passed else palette.REPORT_FAIL_FILL
    lines = [verdict.headline]
    lines += [region.description for region in verdict.cold_regions]
    lines += [f"Fix: {fix}" for fix in verdict.fixes]
    width = document.content_width_mm - 6.0
    sizes = [10.5 if index == 0 else 8.5 for index in range(len(lines))]
    height = sum(
        line_height_mm(size) * len(wrap_text(line, width, size, index == 0)) + 1.0
        for index, (line, size) in enumerate(zip(lines, sizes, strict=True))
    )
    document.ensure(height + 6.0)
    start = document.y
    document.page.fill(MARGIN_MM, start, document.content_width_mm, height + 4.0, fill)
    document.y = start + 2.5
    for index, (line, size) in enumerate(zip(lines, sizes, strict=True)):
        document.text(
            line,
            size,
            index == 0,
            colour if index == 0 else (0, 0, 0),
            indent_mm=3.0,
            width_mm=document.content_width_mm - 3.0,
        )
    document.y = start + height + 7.0


def _first_page(document: Document, result: PlanResult) -> None:
    document.text("spineplan plan report", 16.0, True, TITLE_COLOUR, gap_mm=0.8)
    document.text(
        f"{_case_name(result)} - {patient_line(result)} - printed "
        f"{_dt.datetime.now().strftime('%Y-%m-%d %H:%M')}",
        8.5,
        colour=GREY_TEXT,
        gap_mm=0.8,
    )
    document.text(
        "Not approved for treatment: check every number against the department's own data.",
        8.0,
        colour=WARNING_TEXT,
        gap_mm=4.0,
    )
    _verdict_box(document, result)
    width = document.content_width_mm
    document.table(case_rows(result), (48.0, width - 48.0))
    document.table(field_rows(result), (48.0, width - 48.0))
    _heading(document, "Beams (jaws at the source-axis distance plane; per fraction)")
    document.table(beam_rows(result), (26.0, 17.0, 25.0, 25.0, 16.0, 18.0, 21.0, width - 148.0))
    document.table(prescription_rows(result), (48.0, width - 48.0))
    _heading(document, "Coverage of the lesion (criterion: V95 >= 99 %)")
    document.table(coverage_rows(result), (22.0, 18.0, 13.0, 31.0, 31.0, 31.0, width - 146.0))
    for note in structure_notes(result):
        document.text(note, 8.0)


def _heading(document: Document, text: str) -> None:
    """A table's title, kept on the page of the table's first rows."""
    document.ensure(20.0)
    document.text(text, 9.5, True, gap_mm=1.2)


def _images_page(document: Document, result: PlanResult) -> None:
    document.text("Images: field, lesion and isodoses", 13.0, True, TITLE_COLOUR, gap_mm=3.0)
    width = document.content_width_mm
    top = document.y
    half = (width - 6.0) / 2.0
    used = max(
        draw_plane(document, sagittal_plane(result), MARGIN_MM, top, half, 140.0),
        draw_plane(document, axial_plane(result), MARGIN_MM + half + 6.0, top, half, 140.0),
    )
    document.y = top + used + 3.0
    document.text(
        f"Isodoses in % of the prescription ({result.prescription.dose_gy:g} Gy); dotted: the "
        "geometric field edges of every beam (beam edges); both planes pass through the "
        "normalisation point "
        f"{format_point_mm(result.normalisation.point_mm)}. Level names at the mid-height of each "
        "labelled vertebra.",
        8.0,
        colour=palette.REPORT_NOTE,
        gap_mm=5.0,
    )
    document.ensure(85.0)
    document.y += draw_dvh(document, result, MARGIN_MM, document.y, width, 85.0) + 5.0


def _details_page(document: Document, result: PlanResult) -> None:
    document.text(
        "Monitor units / treatment time (hand calculation)", 13.0, True, TITLE_COLOUR, gap_mm=2.0
    )
    calc = result.monitor_units[0]
    document.text(
        "MU (or minutes) = D / (output x Sc(rc) x Sp(r) x PDD(d, r, SSD)/100 x ISF x EPL), "
        "ISF = ((SSD_ref + dmax) / (SSD + dmax))^2, EPL = ((SSD + d) / (SSD + d_geometric))^2 "
        "for a water-equivalent depth d differing from the geometric one; "
        "rc = collimator equivalent square at the SAD plane, r = equivalent square at the skin; "
        "'Engine %' is the 3D engine's dose at the point per unit "
        f"output (check against PDD). Reference SSD {calc.reference_ssd_cm:g} cm, "
        f"dmax {calc.dmax_cm:g} cm.",
        8.0,
        gap_mm=2.0,
    )
    width = document.content_width_mm
    document.table(
        monitor_unit_rows(result), (22.0, 17.0, 26.0, 14.0, 14.0, 15.0, 17.0, 18.0, width - 143.0)
    )
    for c in result.monitor_units:
        document.text(
            f"{c.beam_name}: depth {c.depth_cm:.2f} cm, SSD {c.ssd_cm:.1f} cm, rc "
            f"{c.collimator_side_cm:.2f} cm, r {c.surface_side_cm:.2f} cm. {c.formula}",
            8.0,
        )
    document.y += 3.0
    document.text("Assumptions", 11.0, True, TITLE_COLOUR, gap_mm=1.5)
    for assumption in result.assumptions:
        document.text(f"- {assumption}", 8.0, indent_mm=2.0, gap_mm=0.8)
    document.y += 3.0
    document.text("Warnings", 11.0, True, TITLE_COLOUR, gap_mm=1.5)
    if result.warnings:
        for warning in result.warnings:
            document.text(f"- {warning}", 8.0, colour=WARNING_TEXT, indent_mm=2.0, gap_mm=0.8)
    else:
        document.text("none", 8.0, indent_mm=2.0)
