"""The PDF plan report (matplotlib, no Qt): pages, the numbers of field.json in its text, layout."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from planning.display import palette
from planning.export.field_limits import field_dict
from planning.export.report import report_figures, write_report_pdf
from planning.export.report.page import (
    MARGIN_MM,
    PAGE_HEIGHT_MM,
    Document,
    text_width_mm,
    wrap_text,
)
from tests.planning.plan_fixtures import default_plan

needs_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed"
)


def _pdf_pages(path: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", path.read_bytes()))


def _text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture(scope="module")
def report_of_case1(tmp_path_factory) -> tuple[Path, dict]:
    result = default_plan(1)
    path = write_report_pdf(tmp_path_factory.mktemp("report") / "report.pdf", result)
    return path, field_dict(result)


def test_report_has_three_a4_pages(report_of_case1) -> None:
    path, _ = report_of_case1
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    assert _pdf_pages(path) == 3
    # A4 portrait in points: 595.3 x 841.9
    box = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)
    assert box is not None
    assert float(box.group(1)) == pytest.approx(595.3, abs=0.5)
    assert float(box.group(2)) == pytest.approx(841.9, abs=0.5)


@needs_pdftotext
def test_report_text_holds_the_numbers_of_field_json(report_of_case1) -> None:
    path, data = report_of_case1
    text = _text(path)
    field = data["field"]
    lesion = data["coverage"]["lesion"]
    expected = [
        data["lesion_levels_words"],
        field["levels_words"],
        f"{field['length_mm'] / 10:.1f} x {field['width_mm'] / 10:.1f} cm at the isocentre plane",
        f"{data['prescription']['dose_gy']:g} Gy in {data['prescription']['fractions']} fractions",
        f"V95 {lesion['v95_percent']:.1f} %",
        *(f"{beam['meterset']:.1f} MU" for beam in data["beams"]),
        *(f"{beam['gantry_angle_deg']:g} deg" for beam in data["beams"]),
    ]
    missing = [number for number in expected if number not in text]
    assert missing == [], missing
    # the borders: one decimal in the report, two in field.json (rounded from the same value)
    borders = [float(z) for z in re.findall(r"z (-?\d+\.\d) mm,", text)]
    assert len(borders) == 2
    assert borders[0] == pytest.approx(field["superior_border_z_mm"], abs=0.051)
    assert borders[1] == pytest.approx(field["inferior_border_z_mm"], abs=0.051)
    assert data["coverage"]["pass"] and "PASS" in text


@needs_pdftotext
def test_report_text_has_every_section_assumption_and_footer(report_of_case1) -> None:
    path, data = report_of_case1
    text = " ".join(_text(path).split())  # wrapped lines joined
    for title in (
        "spineplan plan report",
        "Beams (jaws at the source-axis distance plane; per fraction)",
        "Coverage of the lesion",
        "Sagittal at x =",
        "Axial at z =",
        "Cumulative DVH: Lesion",
        "Monitor units / treatment time (hand calculation)",
        "Assumptions",
        "Warnings",
    ):
        assert title in text
    for assumption in data["assumptions"]:
        assert " ".join(assumption.split()) in text
    # every page names the patient and its number
    for number in (1, 2, 3):
        assert f"page {number} of 3" in text
    assert text.count("ID SPL-0001") >= 3


def test_each_plane_has_its_legend_naming_what_it_shows() -> None:
    figures = report_figures(default_plan(1))
    labels = [t.get_text() for t in figures[1].axes[0].texts]
    for entry in ("95 % isodose", "50 % isodose", "lesion", "beam edges"):
        assert labels.count(entry) == 2  # under the sagittal and under the axial image
    # the 107 % line is named only under the planes it crosses
    planes = figures[1].axes[1:3]
    crossing = sum(
        any(
            np.allclose(c.get_edgecolor()[0][:3], palette.ISODOSE_107.rgb01)
            for c in axes.collections
        )
        for axes in planes
    )
    assert labels.count("107 % isodose") == crossing


def test_wrapped_lines_fit_the_width() -> None:
    text = "The patient is water inside the outline of the MR " * 8
    lines = wrap_text(text.strip(), 60.0, 8.0)
    assert len(lines) > 3
    assert all(text_width_mm(line, 8.0) <= 60.0 for line in lines)
    assert " ".join(lines) == text.strip()


def test_a_long_table_continues_on_a_new_page_under_its_header() -> None:
    document = Document()
    document.table([["Name", "Value"]] + [["row", f"{n}"] for n in range(120)], (40.0, 40.0))
    assert len(document.pages) > 1
    assert all(page.y <= PAGE_HEIGHT_MM - MARGIN_MM for page in document.pages)
    for page in document.pages:
        texts = [t.get_text() for t in page.axes.texts]
        assert texts[:2] == ["Name", "Value"]  # the header heads every page
    values = [t.get_text() for page in document.pages for t in page.axes.texts]
    assert [v for v in values if v.isdigit()] == [str(n) for n in range(120)]  # none lost
