"""The field's level words say where the borders really are (issue 16, item 4), and the two
ends of the spine get a stated landmark instead of a refusal (issue 16, "the ends of the spine")."""

from __future__ import annotations

import pytest

from planning.anatomy.levels import VertebralLevel, z_location_words
from planning.case.settings import PlanSettings
from planning.field.derivation import derive_field
from tests.planning.synthetic_spine import by_name, spine

LEVELS = spine()
TABLE = by_name(LEVELS)
#: A T10-T11 lesion like sample case 3.
T10_T11 = (TABLE["T10"].middle_z_mm, TABLE["T11"].middle_z_mm)


def test_where_a_z_lies_in_words() -> None:
    assert z_location_words(LEVELS, TABLE["T10"].middle_z_mm) == "the T10 body"
    disc = 0.5 * (TABLE["T9"].inferior_z_mm + TABLE["T10"].superior_z_mm)
    assert z_location_words(LEVELS, disc) == "the T9-10 disc space"
    assert z_location_words(LEVELS, disc, "D") == "the D9-10 disc space"
    assert z_location_words(LEVELS, 500.0) == "above C2, the highest labelled body"
    gap = spine(["T8", "T10"])
    z = by_name(gap)["T10"].superior_z_mm + 10.0
    assert z_location_words(gap, z).startswith("between T8 and T10")


def test_default_field_meets_the_rule_and_keeps_its_words() -> None:
    field = derive_field(LEVELS, T10_T11)
    assert field.covers_rule
    assert field.levels_words() == "T9-T12" == field.rule_levels_words()
    assert field.superior_border_location == "the T8-9 disc space"
    assert field.inferior_border_location == "the T12-L1 disc space"
    assert not any("no longer covers" in w for w in field.warnings)


def test_a_margin_that_pulls_the_borders_into_the_lesion_levels_says_so() -> None:
    field = derive_field(LEVELS, T10_T11, PlanSettings(margin_mm=-38.0))
    assert TABLE["T10"].contains_z(field.superior_border_z_mm)
    assert TABLE["T11"].contains_z(field.inferior_border_z_mm)
    assert not field.covers_rule
    assert field.levels_words() == "T10-T11"
    assert field.rule_levels_words() == "T9-T12"
    assert field.superior_border_location == "the T10 body"
    assert field.inferior_border_location == "the T11 body"
    (warning,) = [w for w in field.warnings if "no longer covers" in w]
    assert "one vertebra above and below the lesion levels T10-T11" in warning
    assert "T9 and T12 are not wholly inside the field" in warning
    assert "margin -38 mm" in warning
    data = field.to_dict()
    assert data["covers_rule"] is False
    assert (data["superior_reach_level"], data["inferior_reach_level"]) == ("T10", "T11")


def test_one_side_short_names_only_that_side() -> None:
    # A margin that leaves the superior border just inside T9 while the inferior disc of T12
    # is taller (7.5 mm): the inferior border still lies in the T12-L1 disc.
    half_t8_disc = 0.5 * (TABLE["T8"].inferior_z_mm - TABLE["T9"].superior_z_mm)
    field = derive_field(LEVELS, T10_T11, PlanSettings(margin_mm=-(half_t8_disc + 1.0)))
    assert not field.covers_rule
    assert field.levels_words() == "T9-T12"  # the border still cuts into T9
    assert field.superior_border_location == "the T9 body"
    (warning,) = [w for w in field.warnings if "no longer covers" in w]
    assert "T9 is not wholly inside the field" in warning and "inferior border" not in warning


def _with_c1(levels: tuple[VertebralLevel, ...]) -> tuple[VertebralLevel, ...]:
    c2 = by_name(levels)["C2"]
    c1 = VertebralLevel("C1", c2.superior_z_mm + 12.0, c2.superior_z_mm + 2.0, (0.0, 0.0, 0.0))
    return (c1, *levels)


def test_a_lesion_reaching_c1_extends_the_field_to_the_skull_base() -> None:
    levels = _with_c1(LEVELS)
    c1 = by_name(levels)["C1"]
    lesion = (c1.middle_z_mm, by_name(levels)["C2"].middle_z_mm)
    field = derive_field(levels, lesion, PlanSettings(skull_base_margin_mm=15.0))
    assert field.superior_border_z_mm == pytest.approx(c1.superior_z_mm + 15.0)
    assert field.superior_level == "C1" and field.inferior_level == "C3"
    assert field.superior_border_description.startswith("the top of the C1 ring + 15 mm")
    assert field.superior_landmark == "skull base: top of the C1 ring"
    assert field.landmark_z_mm == {"superior": pytest.approx(c1.superior_z_mm)}
    assert any(
        "there is no vertebra above it" in w and "foramen magnum" in w for w in field.warnings
    )
    assert field.levels_words() == "C1-C3"


def test_a_lesion_above_c1_sets_the_border_from_the_lesion_top() -> None:
    levels = _with_c1(LEVELS)
    c1 = by_name(levels)["C1"]
    top = c1.superior_z_mm + 6.0  # into the cervicomedullary junction
    field = derive_field(levels, (top, c1.middle_z_mm))
    assert field.superior_border_z_mm == pytest.approx(top + 10.0)  # the default 10 mm
    assert field.superior_border_description.startswith("the top of the lesion + 10 mm")
    assert any("6.0 mm above the top of C1" in a for a in field.assumptions)


def test_a_lesion_reaching_s1_extends_the_field_to_the_sacral_end() -> None:
    s1 = TABLE["S1"]
    lesion = (TABLE["L5"].middle_z_mm, s1.middle_z_mm)
    field = derive_field(LEVELS, lesion, PlanSettings(sacral_margin_mm=25.0))
    assert field.inferior_border_z_mm == pytest.approx(s1.inferior_z_mm - 25.0)
    assert field.inferior_level == "S1" and field.superior_level == "L4"
    assert field.inferior_landmark == "sacral end: below S1"
    assert any("S2 is not labelled" in w and "thecal sac" in w for w in field.warnings)
    # a cauda lesion below the lowest labelled sacral body
    low = derive_field(LEVELS, (s1.middle_z_mm, s1.inferior_z_mm - 8.0))
    assert low.inferior_border_z_mm == pytest.approx(s1.inferior_z_mm - 8.0 - 20.0)


@pytest.mark.parametrize("key", ["skull_base_margin_mm", "sacral_margin_mm"])
def test_end_margins_are_not_negative(key: str) -> None:
    from planning.errors import PlanningError

    with pytest.raises(PlanningError, match=f"{key}: must not be negative"):
        PlanSettings(**{key: -1.0})
