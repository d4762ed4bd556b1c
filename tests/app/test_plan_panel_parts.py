"""Parts of the Plan panel on their own: overlay geometry and the DVH plot."""

from __future__ import annotations

import functools
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QColor

from app.plan_panel.dvh_plot import DvhCurve, DvhPlot
from app.plan_panel.plan_overlays import (
    beam_path_overlays,
    dose_percent,
    field_overlays,
    geometry_overlays,
    isodose_overlays,
)
from planning.case import load_case
from planning.dose.plan_geometry import plan_geometry
from planning.evaluation.coverage import DoseVolumeHistogram
from planning.plan import PlanResult, plan_case
from tests.app.test_plan_panel import _count_colour

SAMPLES = Path(__file__).resolve().parents[2] / "sample_dicom"


@functools.cache
def _plan(number: int, arrangement: str = "auto") -> PlanResult:
    case = load_case(SAMPLES / f"case{number}" / "reference.spineplan.json")
    return plan_case(case, replace(case.plan, arrangement=arrangement), grid_spacing_mm=4.0)


def test_pa_field_outline_faces_the_coronal_views() -> None:
    result = _plan(2)
    plan_field = result.field
    items = field_overlays(plan_field, "frame")
    borders = [i for i in items if i.kind == "field border"]
    assert sorted(b.z_mm for b in borders) == pytest.approx(
        [plan_field.inferior_border_z_mm, plan_field.superior_border_z_mm]
    )
    assert all(b.frame_of_reference_uid == "frame" for b in items)
    (outline,) = [i for i in items if i.kind == "field outline"]
    assert outline.planes == frozenset({"coronal"})
    points = np.asarray(outline.points_mm)
    iso = np.asarray(plan_field.isocentre_mm)
    assert np.ptp(points[:, 0]) == pytest.approx(plan_field.width_mm)  # width along x
    assert points[:, 1] == pytest.approx(iso[1])  # in the coronal plane of the isocentre
    assert points[:, 2].max() == pytest.approx(plan_field.superior_border_z_mm)
    assert points[:, 2].min() == pytest.approx(plan_field.inferior_border_z_mm)


def test_lateral_pair_outline_faces_the_sagittal_views_and_paths_diverge() -> None:
    result = _plan(1)
    assert result.field.arrangement == "lateral_pair"
    (outline,) = [i for i in field_overlays(result.field) if i.kind == "field outline"]
    assert outline.planes == frozenset({"sagittal"})
    assert np.ptp(np.asarray(outline.points_mm)[:, 1]) == pytest.approx(result.field.width_mm)
    paths = beam_path_overlays(result.field, result.beams, result.dose_gy)
    coronal = [p for p in paths if p.planes == frozenset({"coronal"})]
    assert len(coronal) == 2  # one per lateral beam
    for path, geometry in zip(coronal, result.beams, strict=True):
        points = np.asarray(path.points_mm)
        near_length = abs(points[0, 2] - points[3, 2])
        far_length = abs(points[1, 2] - points[2, 2])
        assert far_length > near_length  # divergence: wider further from the source
        source = np.asarray(geometry.source_lps_mm)
        assert np.linalg.norm(points[1] - source) > np.linalg.norm(points[0] - source)


def test_the_set_up_without_dose_draws_the_beam_paths_a_plan_draws() -> None:
    """Without a depth-dose table the beam paths come from the set-up alone, and end where a
    computed plan's end (the far side of the dose grid the plan would have)."""
    result = _plan(1)
    geometry = plan_geometry(result.case, result.settings, result.images, grid_spacing_mm=4.0)
    without_dose = [i for i in geometry_overlays(geometry, "f") if i.name.startswith("Beam path")]
    with_dose = beam_path_overlays(result.field, result.beams, result.dose_gy, "f")
    assert [i.name for i in without_dose] == [i.name for i in with_dose]
    assert {p for i in without_dose for p in i.planes} == {"axial", "coronal"}
    for drawn, planned in zip(without_dose, with_dose, strict=True):
        assert np.asarray(drawn.points_mm) == pytest.approx(np.asarray(planned.points_mm))
    assert not [i for i in geometry_overlays(geometry) if i.kind == "isodose"]


def test_isodoses_are_percent_of_the_prescription() -> None:
    result = _plan(2)
    percent = dose_percent(result)
    assert float(percent.array.max()) == pytest.approx(
        100.0 * float(result.dose_gy.array.max()) / result.prescription.dose_gy, rel=1e-5
    )
    items = isodose_overlays(result)
    assert [i.levels[0].value for i in items] == [50.0, 95.0, 107.0]
    assert all(i.planes is None for i in items)  # every view


def test_dvh_plot_draws_the_curve_and_the_v95_marker(qtbot) -> None:
    plot = DvhPlot()
    qtbot.addWidget(plot)
    plot.resize(360, 220)
    empty = plot.grab().toImage()
    color = QColor("#ff8c00")
    assert _count_colour(empty, color) == 0
    dvh = DoseVolumeHistogram(
        "Lesion", np.linspace(0.0, 21.0, 50), np.clip(100.0 - np.linspace(0, 21, 50) ** 2, 0, 100)
    )
    curve = DvhCurve(dvh, 20.0, color, v95_percent=12.5)
    plot.set_curves([curve])
    assert curve.volume_at_percent(95.0) == 12.5
    assert curve.volume_at_percent(0.0) == pytest.approx(100.0)
    assert "V95 12.5 %" in plot.toolTip()
    assert _count_colour(plot.grab().toImage(), color) > 100
    plot.clear("No plan")
    assert not plot.curves
