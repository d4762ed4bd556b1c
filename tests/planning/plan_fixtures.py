"""Shared plans of the four sample cases (computed once per test session)."""

from __future__ import annotations

import functools
from pathlib import Path

from planning.case import Case, load_case
from planning.plan import PlanResult, plan_case

SAMPLES = Path(__file__).resolve().parents[2] / "sample_dicom"

#: Expected field per sample case (issue 6 acceptance): lesion levels, field levels, arrangement.
EXPECTED = {
    1: (("C4", "C5"), "C3", "C6", "lateral_pair"),
    2: (("T9",), "T8", "T10", "PA"),
    3: (("T10", "T11"), "T9", "T12", "PA"),
    4: (("T4", "T5", "T6"), "T3", "T7", "PA"),
}

#: Dose grid used by the tests, mm (coarser than the 2 mm default to keep the suite quick).
TEST_GRID_MM = 2.5


@functools.cache
def sample_case(number: int) -> Case:
    return load_case(SAMPLES / f"case{number}" / "reference.spineplan.json")


@functools.cache
def default_plan(number: int) -> PlanResult:
    return plan_case(sample_case(number), grid_spacing_mm=TEST_GRID_MM)
