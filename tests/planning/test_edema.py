"""Edema limits in words and cord length."""

from __future__ import annotations

import math

import numpy as np
import pytest

from planning.anatomy.edema import (
    CERVICOMEDULLARY_REACH_MM,
    EdemaLimits,
    centreline_length_mm,
    describe_edema,
    position_words,
)
from planning.errors import LabelError, PlanningError
from tests.planning.synthetic_spine import by_name, disc_middle, spine


def test_positions_in_bodies_and_discs() -> None:
    levels = spine()
    table = by_name(levels)
    assert position_words(levels, table["T5"].middle_z_mm) == "T5"
    assert position_words(levels, table["T5"].superior_z_mm) == "T5"  # endplates belong to it
    assert position_words(levels, disc_middle(levels, "T4", "T5")) == "T4-5 disc"
    assert position_words(levels, disc_middle(levels, "C7", "T1")) == "C7-T1 disc"
    assert position_words(levels, disc_middle(levels, "T4", "T5"), "D") == "D4-5 disc"


def test_cervicomedullary_junction_above_c2() -> None:
    levels = spine()
    top = by_name(levels)["C2"].superior_z_mm
    assert position_words(levels, top + 5.0) == "cervicomedullary junction"
    assert position_words(levels, top + CERVICOMEDULLARY_REACH_MM) == "cervicomedullary junction"
    far = position_words(levels, top + 45.0)
    assert far == "above the cervicomedullary junction (45 mm above C2)"


def test_beyond_the_labels_and_in_gaps() -> None:
    levels = spine(["C5", "C6", "T1", "T2"])
    table = by_name(levels)
    assert position_words(levels, table["C5"].superior_z_mm + 12.0) == (
        "12 mm above C5 (not labelled higher)"
    )
    assert position_words(levels, table["T2"].inferior_z_mm - 7.0) == (
        "7 mm below T2 (not labelled lower)"
    )
    gap = by_name(spine())["C7"].middle_z_mm
    assert position_words(levels, gap) == "between C6 and T1 (C7 is not labelled)"


def test_case_one_style_extent() -> None:
    levels = spine()
    table = by_name(levels)
    superior = table["C2"].superior_z_mm + 8.0
    inferior = table["T5"].middle_z_mm
    extent = describe_edema(levels, superior, inferior)
    assert extent.words == "cervicomedullary junction to T5"
    assert extent.superior_words == "cervicomedullary junction"
    assert extent.inferior_words == "T5"
    assert extent.levels[0] == "C2" and extent.levels[-1] == "T5"
    assert extent.levels_words == "C2-T5"
    assert extent.cord_length_mm == pytest.approx(superior - inferior)
    assert extent.length_method == "superior-inferior extent"


def test_one_place_extent_and_swapped_limits() -> None:
    levels = spine()
    t4 = by_name(levels)["T4"]
    extent = describe_edema(levels, t4.inferior_z_mm + 2.0, t4.superior_z_mm - 2.0)
    assert extent.words == "T4"
    assert extent.superior_z_mm > extent.inferior_z_mm
    disc = disc_middle(levels, "T4", "T5")
    across = EdemaLimits(by_name(levels)["T4"].middle_z_mm, by_name(levels)["T5"].middle_z_mm)
    described = across.describe(levels)
    assert described.words == "T4 to T5"
    assert described.levels_words == "T4-5"
    assert described.levels == ("T4", "T5")
    assert describe_edema(levels, disc + 0.5, disc - 0.5).words == "T4-5 disc"


def test_length_along_a_centreline() -> None:
    levels = spine()
    # A cord tilted 30 degrees from the z axis: its length is SI extent / cos(30).
    z = np.linspace(100.0, -400.0, 51)
    points = np.column_stack([np.zeros_like(z), -z * math.tan(math.radians(30.0)), z])
    length = centreline_length_mm(points, 0.0, -200.0)
    assert length == pytest.approx(200.0 / math.cos(math.radians(30.0)))
    extent = describe_edema(levels, 0.0, -200.0, centreline_mm=points[::-1])
    assert extent.cord_length_mm == pytest.approx(length)
    assert extent.length_method == "along the cord centreline"
    # A curved (lordotic) centreline is longer than the straight SI extent.
    curve = np.column_stack([np.zeros_like(z), 15.0 * np.sin(z / 40.0), z])
    assert centreline_length_mm(curve, 0.0, -200.0) > 200.0


def test_centreline_errors() -> None:
    with pytest.raises(PlanningError, match="at least two points"):
        centreline_length_mm([[0.0, 0.0, 0.0]], 0.0, -10.0)
    with pytest.raises(PlanningError, match="does not reach both edema limits"):
        centreline_length_mm([[0.0, 0.0, 0.0], [0.0, 0.0, -5.0]], 0.0, -10.0)


def test_inconsistent_labels_are_refused() -> None:
    c3, c4 = spine(["C3", "C4"])
    with pytest.raises(LabelError):
        position_words([c4, c3.__class__("C4", c3.superior_z_mm, c3.inferior_z_mm)], 0.0)


def test_reference_case_edema_in_words() -> None:
    from pathlib import Path

    from planning.case import load_case

    root = Path(__file__).resolve().parents[2] / "sample_dicom"
    paths = [root / f"case{n}" / "reference.spineplan.json" for n in (1, 2)]
    if not all(p.is_file() for p in paths):
        pytest.skip("the sample cases have not been generated")
    case1, case2 = (load_case(p) for p in paths)
    extent = case1.edema.describe(case1.levels)
    assert extent.words == "cervicomedullary junction to T5"
    assert extent.cord_length_mm == pytest.approx(
        case1.edema.superior_z_mm - case1.edema.inferior_z_mm
    )
    assert case2.edema.describe(case2.levels).superior_words == "T4-5 disc"
