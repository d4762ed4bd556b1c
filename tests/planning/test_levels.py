"""Vertebral levels: names, validation in words, disc spaces, segments, naming from an anchor."""

from __future__ import annotations

import dataclasses
import random

import pytest

from planning.anatomy.levels import (
    LEVEL_SEQUENCE,
    BodyMarks,
    VertebralLevel,
    canonical_level_name,
    check_levels,
    disc_name,
    disc_space,
    disc_spaces,
    display_name,
    level_range_short,
    level_range_words,
    levels_between,
    name_bodies,
    region_of,
    rename_level,
    renumber_from,
    require_consistent,
    segment,
    segments,
)
from planning.errors import LabelError
from tests.planning.synthetic_spine import by_name, disc_middle, spine


# -- names ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("C4", "C4"),
        ("c4", "C4"),
        ("T10", "T10"),
        ("D5", "T5"),
        ("d12", "T12"),
        ("Th7", "T7"),
        ("L5", "L5"),
        ("S1", "S1"),
        (" t 3 ", "T3"),
    ],
)
def test_names_are_accepted_in_every_usual_spelling(given: str, canonical: str) -> None:
    assert canonical_level_name(given) == canonical


@pytest.mark.parametrize("bad", ["C8", "T13", "D0", "L6", "S6", "X1", "", "C"])
def test_non_levels_are_rejected_with_the_accepted_names(bad: str) -> None:
    with pytest.raises(LabelError, match=r"not a vertebral level.*C1-C7, T1-T12"):
        canonical_level_name(bad)


def test_sequence_runs_c1_to_s5() -> None:
    assert LEVEL_SEQUENCE[:2] == ("C1", "C2")
    assert LEVEL_SEQUENCE[6:8] == ("C7", "T1")
    assert LEVEL_SEQUENCE[18:20] == ("T12", "L1")
    assert LEVEL_SEQUENCE[23:25] == ("L5", "S1")
    assert len(LEVEL_SEQUENCE) == 7 + 12 + 5 + 5
    assert region_of("D4") == "thoracic"


def test_dorsal_naming_is_a_display_preference() -> None:
    assert display_name("T5", "D") == "D5"
    assert display_name("D5") == "T5"
    assert display_name("C5", "D") == "C5"
    level = VertebralLevel("D9", 10.0, -10.0)
    assert level.name == "T9"


def test_disc_and_range_words() -> None:
    assert disc_name("C4", "C5") == "C4-5"
    assert disc_name("C7", "T1") == "C7-T1"
    assert disc_name("T12", "L1") == "T12-L1"
    assert disc_name("T4", "T5", "D") == "D4-5"
    assert level_range_words(["T9"]) == "T9"
    assert level_range_words(["C5", "C4"]) == "C4-C5"
    assert level_range_words(["T10", "T11"]) == "T10-T11"
    assert level_range_words(["T4", "T5", "T6"]) == "T4-T6"
    assert level_range_words(["C7", "T1"]) == "C7-T1"
    assert level_range_short(["C4", "C5"]) == "C4-5"
    assert level_range_short(["T4", "T5", "T6"], "D") == "D4-6"
    assert level_range_short(["T12", "L1"]) == "T12-L1"
    assert level_range_words([]) == ""


# -- validation -------------------------------------------------------------------------------
def test_a_realistic_spine_has_no_issues() -> None:
    levels = spine()
    assert check_levels(levels) == ()
    assert [lv.name for lv in require_consistent(list(reversed(levels)))] == [
        lv.name for lv in levels
    ]


def test_out_of_order_labels_are_flagged() -> None:
    levels = list(spine(["C3", "C4", "C5", "C6"]))
    c4, c5 = levels[1], levels[2]
    levels[1] = dataclasses.replace(c4, name="C5")
    levels[2] = dataclasses.replace(c5, name="C4")
    issues = check_levels(levels)
    kinds = {i.kind for i in issues}
    assert "out_of_order" in kinds
    message = next(i.message for i in issues if i.kind == "out_of_order")
    assert "C5" in message and "C4" in message and "above" in message


def test_overlapping_bodies_are_flagged() -> None:
    c4, c5 = spine(["C4", "C5"])
    c4 = dataclasses.replace(c4, inferior_z_mm=c5.superior_z_mm - 2.0)
    issues = check_levels([c4, c5])
    assert [i.kind for i in issues] == ["overlap"]
    assert issues[0].severity == "error"
    assert "inferior endplate of C4" in issues[0].message
    assert "superior endplate of C5" in issues[0].message


def test_a_skipped_level_is_a_warning_naming_it() -> None:
    issues = check_levels(spine(["T3", "T4", "T6", "T7"]))
    assert len(issues) == 1
    assert issues[0].kind == "skipped_level"
    assert issues[0].severity == "warning"
    assert issues[0].levels == ("T5",)
    assert "T5 is not labelled between T4 and T6" in issues[0].message
    several = check_levels(spine(["T3", "T7"]), thoracic_prefix="D")
    assert "D4-D6 are not labelled between D3 and D7" in several[0].message


def test_inverted_endplates_and_duplicates_are_flagged_together() -> None:
    c3, c4, c5 = spine(["C3", "C4", "C5"])
    broken = [
        dataclasses.replace(c3, superior_z_mm=c3.inferior_z_mm - 1.0),
        c4,
        dataclasses.replace(c5, name="C4"),
    ]
    kinds = [i.kind for i in check_levels(broken)]
    assert "inverted_endplates" in kinds
    assert "duplicate" in kinds
    with pytest.raises(LabelError) as raised:
        require_consistent(broken)
    assert "C4 is labelled 2 times" in str(raised.value)
    assert "superior endplate" in str(raised.value)


def test_no_levels_is_a_label_error() -> None:
    with pytest.raises(LabelError, match="no vertebral levels"):
        require_consistent([])


# -- discs and segments ---------------------------------------------------------------------
def test_disc_space_middle_is_between_the_facing_endplates() -> None:
    levels = spine(["C4", "C5", "C7"])
    table = by_name(levels)
    disc = disc_space(levels, "C4", "C5")
    assert disc is not None
    assert disc.middle_z_mm == pytest.approx(
        (table["C4"].inferior_z_mm + table["C5"].superior_z_mm) / 2
    )
    assert disc.height_mm == pytest.approx(5.5)
    assert disc.name() == "C4-5"
    assert disc_space(levels, "C5", "C7") is None  # not consecutive: no disc between them
    assert [d.name() for d in disc_spaces(levels)] == ["C4-5"]


def test_segment_runs_from_disc_middle_to_disc_middle() -> None:
    levels = spine()
    seg = segment(levels, "T9")
    assert seg.superior_z_mm == pytest.approx(disc_middle(levels, "T8", "T9"))
    assert seg.inferior_z_mm == pytest.approx(disc_middle(levels, "T9", "T10"))
    assert seg.superior_at_disc and seg.inferior_at_disc
    assert seg.notes == ()


def test_segment_uses_the_endplate_where_the_neighbour_is_not_labelled() -> None:
    levels = spine(["T8", "T9", "T10"])
    top, middle, bottom = segments(levels)
    table = by_name(levels)
    assert top.superior_z_mm == table["T8"].superior_z_mm
    assert not top.superior_at_disc
    assert "T8 segment ends at its superior endplate (T7 is not labelled)" in top.notes
    assert bottom.inferior_z_mm == table["T10"].inferior_z_mm
    assert middle.notes == ()
    # Segments tile the labelled column without gaps.
    assert top.inferior_z_mm == middle.superior_z_mm
    assert middle.inferior_z_mm == bottom.superior_z_mm


def test_c1_segment_has_nothing_above() -> None:
    levels = (VertebralLevel("C1", 40.0, 30.0), *spine(["C2"], top_z_mm=25.0))
    assert "nothing above it" in segment(levels, "C1").notes[0]
    with pytest.raises(LabelError, match="C5 is not labelled"):
        segment(levels, "C5")


def test_levels_between_a_z_range() -> None:
    levels = spine()
    table = by_name(levels)
    assert levels_between(levels, table["T9"].middle_z_mm, table["T9"].middle_z_mm - 1) == ("T9",)
    top = table["T4"].middle_z_mm
    bottom = table["T6"].middle_z_mm
    assert levels_between(levels, bottom, top) == ("T4", "T5", "T6")


# -- naming ---------------------------------------------------------------------------------
def test_bodies_are_named_from_the_anchor_in_z_order_not_click_order() -> None:
    reference = spine(["C2", "C3", "C4", "C5", "C6", "C7", "T1"])
    bodies = [BodyMarks(lv.superior_z_mm, lv.inferior_z_mm, lv.center_mm) for lv in reference]
    clicks = bodies[:]
    random.Random(7).shuffle(clicks)
    anchor = clicks.index(bodies[0])
    named = name_bodies(clicks, anchor, "C2")
    assert [lv.name for lv in named] == ["C2", "C3", "C4", "C5", "C6", "C7", "T1"]
    assert [lv.superior_z_mm for lv in named] == [lv.superior_z_mm for lv in reference]


def test_anchor_in_the_middle_names_above_and_below() -> None:
    reference = spine(["T10", "T11", "T12", "L1", "L2"])
    bodies = [BodyMarks(lv.superior_z_mm, lv.inferior_z_mm) for lv in reference]
    named = name_bodies(bodies, 3, "D12")  # the user anchors the 4th body down as T12
    assert [lv.name for lv in named] == ["T9", "T10", "T11", "T12", "L1"]


def test_naming_past_the_ends_of_the_spine_fails() -> None:
    bodies = [BodyMarks(lv.superior_z_mm, lv.inferior_z_mm) for lv in spine(["C2", "C3"])]
    with pytest.raises(LabelError, match="runs past C1"):
        name_bodies(bodies, 1, "C1")
    with pytest.raises(LabelError, match="anchor body 5 does not exist"):
        name_bodies(bodies, 5, "C2")


def test_rename_one_and_renumber_all() -> None:
    levels = spine(["T8", "T9", "T10"])
    renamed = rename_level(levels, "T9", "D11")
    assert [lv.name for lv in renamed] == ["T8", "T11", "T10"]
    assert any(i.kind == "out_of_order" for i in check_levels(renamed))
    shifted = renumber_from(levels, "T9", "T10")
    assert [lv.name for lv in shifted] == ["T9", "T10", "T11"]
    assert check_levels(shifted) == ()
    with pytest.raises(LabelError, match="T4: it is not labelled"):
        rename_level(levels, "T4", "T5")


def test_endplates_must_be_finite() -> None:
    with pytest.raises(LabelError, match="T4: endplate positions must be finite"):
        VertebralLevel("T4", float("nan"), 0.0)
