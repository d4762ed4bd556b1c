"""The coverage verdict: where the cold part lies and whether the suggested fix works."""

from __future__ import annotations

import dataclasses

import pytest

from planning.evaluation.coverage import PASS_V95_PERCENT
from planning.plan import plan_case
from tests.planning.plan_fixtures import TEST_GRID_MM, default_plan, sample_case


def _plan(number: int, **changes):
    case = sample_case(number)
    settings = dataclasses.replace(case.plan, **changes)
    return plan_case(case, settings, grid_spacing_mm=TEST_GRID_MM)


def test_pass_has_no_cold_regions() -> None:
    verdict = default_plan(3).verdict
    assert verdict.passed and verdict.label == "PASS"
    assert verdict.cold_regions == () and verdict.fixes == ()
    assert verdict.headline.startswith("PASS")


def test_borders_pulled_onto_the_lesion_fail_at_both_edges_and_the_fix_passes() -> None:
    base = default_plan(3)
    # A negative margin that brings each border to the lesion's own end.
    gap_top = base.field.superior_border_z_mm - base.lesion.superior_z_mm
    gap_bottom = base.lesion.inferior_z_mm - base.field.inferior_border_z_mm
    tight = _plan(3, margin_mm=-min(gap_top, gap_bottom))
    verdict = tight.verdict
    assert not verdict.passed and verdict.v95_percent < PASS_V95_PERCENT
    kinds = {region.kind for region in verdict.cold_regions}
    assert kinds & {"superior_edge", "inferior_edge"}
    assert kinds <= {"superior_edge", "inferior_edge", "in_field"}
    assert sum(r.volume_percent for r in verdict.cold_regions) == pytest.approx(
        100.0 - verdict.v95_percent, abs=1e-6
    )
    assert any("--margin-mm" in fix for fix in verdict.fixes)
    assert verdict.suggested_margin_mm is not None
    assert verdict.suggested_margin_mm > tight.field.margin_mm
    fixed = _plan(3, margin_mm=verdict.suggested_margin_mm)
    assert fixed.verdict.passed, fixed.verdict.headline


def test_narrow_width_fails_at_the_lateral_edge_and_the_fix_passes() -> None:
    case = sample_case(4)
    tight = _plan(4, field_width_mm=2 * case.lesion.radii_mm[0])
    verdict = tight.verdict
    assert not verdict.passed
    assert verdict.cold_regions[0].kind == "lateral_edge"
    assert verdict.suggested_width_mm is not None
    assert verdict.suggested_width_mm > tight.field.width_mm
    assert f"{verdict.suggested_width_mm:.0f} mm" in " ".join(verdict.fixes)
    fixed = _plan(4, field_width_mm=verdict.suggested_width_mm)
    assert fixed.verdict.passed, fixed.verdict.headline


def test_shallow_normalisation_fails_as_too_deep_and_the_fix_passes() -> None:
    # 100 % at 2 cm: the lesion (about 7 cm deep) gets well under 95 %.
    shallow = _plan(2, normalisation="depth", normalisation_depth_mm=20.0)
    verdict = shallow.verdict
    assert not verdict.passed
    assert {r.kind for r in verdict.cold_regions} == {"too_deep"}
    assert any("normalise deeper" in fix for fix in verdict.fixes)
    assert any("AP/PA" in fix for fix in verdict.fixes)
    depth = verdict.suggested_normalisation_depth_mm
    assert depth is not None and depth > 50.0
    fixed = _plan(2, normalisation="depth", normalisation_depth_mm=depth)
    assert fixed.verdict.passed, fixed.verdict.headline


def test_verdict_dict_is_json_ready() -> None:
    import json

    data = json.loads(json.dumps(_plan(2, field_width_mm=8.0).verdict.to_dict()))
    assert data["result"] == "FAIL"
    assert data["cold_regions"] and all("description" in r for r in data["cold_regions"])
