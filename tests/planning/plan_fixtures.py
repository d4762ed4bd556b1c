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


def plan_frame_uid(number: int) -> str:
    """The frame of reference a sample case is planned in: its planning CT's (another study,
    case 4) when the case names one, else the study's."""
    case = sample_case(number)
    if case.planning_ct is None:
        return case.study.frame_of_reference_uid
    import pydicom

    folder = SAMPLES / f"case{number}" / case.planning_ct.path
    first = next(iter(sorted(folder.glob("*.dcm"))))
    return str(pydicom.dcmread(first, stop_before_pixels=True).FrameOfReferenceUID)


def to_plan_z(number: int, z_mm: float) -> float:
    """A z of the case file (the MR's frame) as a z of the frame the case is planned in: on a
    planning CT, the plane through the lesion centre's x, y mapped by the case's matrix."""
    case = sample_case(number)
    if case.planning_ct is None or case.planning_ct.matrix is None:
        return z_mm
    x, y = case.lesion.center_mm[:2]  # type: ignore[union-attr]
    return float((case.planning_ct.matrix @ [x, y, z_mm, 1.0])[2])
