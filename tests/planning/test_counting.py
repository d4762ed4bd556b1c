"""The counting check from C2 and from S1, with normal and transitional spines."""

from __future__ import annotations

import json

import pytest

from planning.anatomy.counting import CountingAnchors, anchors_at, counting_check
from planning.anatomy.levels import BodyMarks, VertebralLevel, name_bodies
from planning.errors import LabelError
from tests.planning.synthetic_spine import by_name, spine


def _bodies(levels: tuple[VertebralLevel, ...]) -> list[BodyMarks]:
    return [BodyMarks(lv.superior_z_mm, lv.inferior_z_mm) for lv in levels]


def _with_extra_body_below(name: str) -> list[BodyMarks]:
    """The normal spine with one more body (24 mm + a 7 mm disc) inserted below ``name``."""
    bodies = []
    shift = 0.0
    for lv in spine():
        bodies.append(BodyMarks(lv.superior_z_mm - shift, lv.inferior_z_mm - shift))
        if lv.name == name:
            top = lv.inferior_z_mm - 7.0
            bodies.append(BodyMarks(top, top - 24.0))
            shift = 31.0
    return bodies


def _without(name: str) -> list[BodyMarks]:
    """The normal spine with one body removed and the ones below moved up to close the gap."""
    bodies = []
    shift = 0.0
    for lv in spine():
        if lv.name == name:
            shift = lv.height_mm + 10.0
            continue
        bodies.append(BodyMarks(lv.superior_z_mm + shift, lv.inferior_z_mm + shift))
    return bodies


def _anchors(levels, c2: int, s1: int, rib: int | None = None) -> CountingAnchors:
    ordered = sorted(levels, key=lambda b: -b.middle_z_mm)
    return CountingAnchors(
        ordered[c2].middle_z_mm,
        ordered[s1].middle_z_mm,
        None if rib is None else ordered[rib].middle_z_mm,
    )


def test_a_normal_spine_counts_agree() -> None:
    levels = spine()
    table = by_name(levels)
    check = counting_check(
        levels, CountingAnchors(table["C2"].middle_z_mm, table["S1"].middle_z_mm)
    )
    assert check.status == "agree"
    assert check.agree is True
    assert check.bodies_between == 22
    assert check.difference_levels == 0
    assert check.labels_match_c2 and check.labels_match_s1
    assert "agree: 22 bodies" in check.sentence
    assert "The current labels follow them" in check.sentence


def test_an_extra_vertebra_is_found_and_located_by_the_ribs() -> None:
    bodies = _with_extra_body_below("T12")
    levels = name_bodies(bodies, 0, "C2")  # the user counted down from C2
    check = counting_check(levels, _anchors(levels, 0, len(levels) - 1))
    assert check.status == "disagree"
    assert check.bodies_between == 23
    assert check.difference_levels == 1
    assert check.labels_match_c2 is True
    assert check.labels_match_s1 is False
    assert "disagree by 1 level: 23 bodies" in check.sentence
    assert "the sacral anchor would be S2" in check.sentence
    assert "13th rib-bearing level" in check.sentence
    assert "lumbarised S1" in check.sentence
    # Marking the lowest rib-bearing body (the 13th thoracic) says which it is.
    with_ribs = counting_check(levels, _anchors(levels, 0, len(levels) - 1, rib=18))
    assert with_ribs.rib_bearing_count == 13
    assert with_ribs.lumbar_count == 5
    assert with_ribs.explanations == ("13 rib-bearing (thoracic) levels instead of 12",)


def test_a_lumbarised_s1_shows_as_six_lumbar_vertebrae() -> None:
    bodies = _with_extra_body_below("L5")
    levels = name_bodies(bodies, len(bodies) - 1, "S1")  # the user counted up from S1
    check = counting_check(levels, _anchors(levels, 0, len(levels) - 1, rib=17))
    assert check.labels_match_s1 is True and check.labels_match_c2 is False
    assert check.rib_bearing_count == 12
    assert check.lumbar_count == 6
    assert "6 lumbar-type vertebrae instead of 5 (lumbarised S1)" in check.sentence
    assert "counting up from S1 the dens would be C1" in check.sentence


def test_one_vertebra_fewer_suggests_eleven_ribs_or_sacralised_l5() -> None:
    bodies = _without("L3")
    levels = name_bodies(bodies, 0, "C2")
    check = counting_check(levels, _anchors(levels, 0, len(levels) - 1))
    assert check.difference_levels == -1
    assert "11 rib-bearing levels" in check.sentence
    assert "sacralised L5" in check.sentence
    with_ribs = counting_check(levels, _anchors(levels, 0, len(levels) - 1, rib=17))
    assert with_ribs.lumbar_count == 4
    assert "(sacralised L5)" in with_ribs.sentence


def test_a_big_gap_between_marked_bodies_is_reported() -> None:
    levels = spine()
    table = by_name(levels)
    unmarked = tuple(lv for lv in levels if lv.name != "T6")  # T6 exists but was not clicked
    check = counting_check(
        unmarked, CountingAnchors(table["C2"].middle_z_mm, table["S1"].middle_z_mm)
    )
    assert check.difference_levels == -1
    assert any("gap between T5 and T7" in e for e in check.explanations)


def test_one_anchor_only() -> None:
    levels = spine()
    table = by_name(levels)
    check = counting_check(levels, CountingAnchors(c2_z_mm=table["C2"].middle_z_mm))
    assert check.status == "c2_only"
    assert check.agree is None
    assert check.sentence.startswith("Counted from C2 only (S1 anchor not set).")
    assert "follow the count from C2" in check.sentence
    none = counting_check(levels, CountingAnchors())
    assert none.status == "no_anchor"


def test_anchor_errors() -> None:
    levels = spine()
    table = by_name(levels)
    with pytest.raises(LabelError, match=r"C2 anchor at z 500\.0 mm is not inside"):
        counting_check(levels, CountingAnchors(c2_z_mm=500.0))
    with pytest.raises(LabelError, match="S1 anchor must lie below the C2 anchor"):
        counting_check(levels, CountingAnchors(table["S1"].middle_z_mm, table["C2"].middle_z_mm))


def test_result_serialises_to_json() -> None:
    levels = spine()
    table = by_name(levels)
    check = counting_check(
        levels, CountingAnchors(table["C2"].middle_z_mm, table["S1"].middle_z_mm)
    )
    data = json.loads(json.dumps(check.to_dict()))
    assert data["status"] == "agree"
    assert data["anchors"]["c2_z_mm"] == table["C2"].middle_z_mm
    assert data["sentence"] == check.sentence


def test_anchors_at_named_levels() -> None:
    levels = spine()
    anchors = anchors_at(levels, "C2", "S1", lowest_rib="D12")
    assert anchors.lowest_rib_z_mm == by_name(levels)["T12"].middle_z_mm
    check = counting_check(levels, anchors)
    assert (check.rib_bearing_count, check.lumbar_count) == (12, 5)
    with pytest.raises(LabelError, match="cannot anchor the count at C1"):
        anchors_at(levels, "C1")


@pytest.mark.parametrize("number", [1, 2, 3, 4])
def test_reference_cases_count_right(number: int) -> None:
    from pathlib import Path

    from planning.case import load_case

    path = (
        Path(__file__).resolve().parents[2] / "sample_dicom" / f"case{number}"
        / "reference.spineplan.json"
    )  # fmt: skip
    if not path.is_file():
        pytest.skip(f"{path} has not been generated")
    case = load_case(path)
    check = counting_check(case.levels, anchors_at(case.levels, "C2", "S1", "T12"))
    assert check.status == "agree"
    assert check.explanations == ()
