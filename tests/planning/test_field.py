"""Field derivation: borders in both conventions, arrangement, width, isocentre, warnings."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from planning.anatomy.levels import disc_name
from planning.case import load_case
from planning.case.settings import PlanSettings
from planning.errors import FieldError, LabelError
from planning.field.derivation import FALLBACK_HALF_DISC_MM, derive_case_field, derive_field
from tests.planning.synthetic_spine import by_name, disc_middle, spine

LEVELS = spine()
TABLE = by_name(LEVELS)


#: The four sample cases of issue 3/6, placed on the synthetic spine:
#: (lesion z range, lesion levels, field superior level, field inferior level, arrangement).
SAMPLE_CASES = {
    "case1_C4-5": (
        (disc_middle(LEVELS, "C4", "C5") + 7.0, disc_middle(LEVELS, "C4", "C5") - 7.0),
        ("C4", "C5"), "C3", "C6", "lateral_pair",
    ),
    "case2_T9": (
        (TABLE["T9"].middle_z_mm + 6.0, TABLE["T9"].middle_z_mm - 6.0),
        ("T9",), "T8", "T10", "PA",
    ),
    "case3_T10-T11": (
        (TABLE["T10"].middle_z_mm, TABLE["T11"].middle_z_mm),
        ("T10", "T11"), "T9", "T12", "PA",
    ),
    "case4_T4-T6": (
        (TABLE["T4"].middle_z_mm + 2.0, TABLE["T6"].middle_z_mm - 2.0),
        ("T4", "T5", "T6"), "T3", "T7", "PA",
    ),
}  # fmt: skip


def _level_above(name: str) -> str:
    names = [lv.name for lv in LEVELS]
    return names[names.index(name) - 1]


def _level_below(name: str) -> str:
    names = [lv.name for lv in LEVELS]
    return names[names.index(name) + 1]


@pytest.mark.parametrize("case", sorted(SAMPLE_CASES))
def test_sample_cases_disc_convention(case: str) -> None:
    z_range, lesion, top, bottom, arrangement = SAMPLE_CASES[case]
    field = derive_field(LEVELS, z_range, PlanSettings(), lesion_centroid_mm=(1.0, 4.0, 0.0))
    assert field.lesion_levels == lesion
    assert (field.superior_level, field.inferior_level) == (top, bottom)
    assert field.arrangement == arrangement
    assert field.superior_border_z_mm == pytest.approx(disc_middle(LEVELS, _level_above(top), top))
    assert field.inferior_border_z_mm == pytest.approx(
        disc_middle(LEVELS, bottom, _level_below(bottom))
    )
    assert field.length_mm == pytest.approx(field.superior_border_z_mm - field.inferior_border_z_mm)
    assert field.superior_border_description == (
        f"middle of the {disc_name(_level_above(top), top)} disc"
    )
    assert field.warnings == ()


@pytest.mark.parametrize("case", sorted(SAMPLE_CASES))
def test_sample_cases_endplate_convention(case: str) -> None:
    z_range, lesion, top, bottom, arrangement = SAMPLE_CASES[case]
    settings = PlanSettings(border_convention="endplate")
    field = derive_field(LEVELS, z_range, settings, lesion_centroid_mm=(0.0, 0.0, 0.0))
    assert field.lesion_levels == lesion
    assert (field.superior_level, field.inferior_level) == (top, bottom)
    assert field.arrangement == arrangement
    assert field.superior_border_z_mm == TABLE[top].superior_z_mm
    assert field.inferior_border_z_mm == TABLE[bottom].inferior_z_mm
    assert field.superior_border_description == f"superior endplate of {top}"
    disc = derive_field(LEVELS, z_range, PlanSettings(), lesion_centroid_mm=(0.0, 0.0, 0.0))
    assert disc.length_mm > field.length_mm  # the disc convention reaches half a disc further


def test_case_one_field_in_words() -> None:
    z_range = SAMPLE_CASES["case1_C4-5"][0]
    field = derive_field(LEVELS, z_range, lesion_centroid_mm=(0.0, 0.0, 0.0))
    assert field.levels_words() == "C3-C6"
    assert field.field_levels == ("C3", "C4", "C5", "C6")
    assert field.superior_border_description == "middle of the C2-3 disc"
    assert field.inferior_border_description == "middle of the C6-7 disc"
    assert [b.gantry_angle_deg for b in field.beams] == [90.0, 270.0]
    four = derive_field(LEVELS, SAMPLE_CASES["case4_T4-T6"][0], thoracic_prefix="D")
    assert four.levels_words("D") == "D3-D7"
    assert four.superior_border_description == "middle of the D2-3 disc"


def test_margin_moves_both_borders_outwards() -> None:
    z_range = SAMPLE_CASES["case2_T9"][0]
    plain = derive_field(LEVELS, z_range)
    wider = derive_field(LEVELS, z_range, PlanSettings(margin_mm=5.0))
    assert wider.superior_border_z_mm == pytest.approx(plain.superior_border_z_mm + 5.0)
    assert wider.inferior_border_z_mm == pytest.approx(plain.inferior_border_z_mm - 5.0)
    assert wider.length_mm == pytest.approx(plain.length_mm + 10.0)
    assert wider.superior_border_description.endswith("+ 5 mm margin")
    endplate = derive_field(LEVELS, z_range, PlanSettings("Co60", "endplate", margin_mm=3.0))
    assert endplate.superior_border_z_mm == pytest.approx(TABLE["T8"].superior_z_mm + 3.0)


def test_fallback_when_the_disc_beyond_is_not_labelled() -> None:
    levels = spine(["T8", "T9", "T10"])
    table = by_name(levels)
    z_range = (table["T9"].middle_z_mm + 5.0, table["T9"].middle_z_mm - 5.0)
    field = derive_field(levels, z_range, PlanSettings(margin_mm=2.0))
    half = FALLBACK_HALF_DISC_MM["T"]
    assert field.superior_border_z_mm == pytest.approx(table["T8"].superior_z_mm + half + 2.0)
    assert field.inferior_border_z_mm == pytest.approx(table["T10"].inferior_z_mm - half - 2.0)
    text = " ".join(field.assumptions)
    assert "the disc above T8 is not labelled (T7 is not labelled)" in text
    assert "superior border 2.5 mm beyond the superior endplate of T8" in text
    assert "the disc below T10 is not labelled (T11 is not labelled)" in text
    assert field.superior_border_description == "superior endplate of T8 + 2.5 mm + 2 mm margin"
    # The endplate convention needs no fallback.
    endplate = derive_field(levels, z_range, PlanSettings(border_convention="endplate"))
    assert not any("not labelled" in a for a in endplate.assumptions)


def test_adjacent_vertebra_must_be_labelled() -> None:
    levels = spine(["T9", "T10"])
    t9 = by_name(levels)["T9"]
    with pytest.raises(FieldError, match="T8 is not labelled: the field extends one vertebra"):
        derive_field(levels, (t9.middle_z_mm + 1.0, t9.middle_z_mm - 1.0))


def test_lesion_outside_the_levels() -> None:
    levels = spine(["T8", "T9", "T10"])
    with pytest.raises(FieldError, match="mm above the highest labelled level T8"):
        derive_field(levels, (500.0, 400.0))


def test_inconsistent_labels_give_no_field() -> None:
    broken = list(LEVELS)
    broken[3] = dataclasses.replace(broken[3], name="C6")
    with pytest.raises(LabelError, match="inconsistent vertebral labels"):
        derive_field(broken, SAMPLE_CASES["case2_T9"][0])


def test_arrangement_overrides() -> None:
    cervical = SAMPLE_CASES["case1_C4-5"][0]
    thoracic = SAMPLE_CASES["case2_T9"][0]
    pa = derive_field(LEVELS, cervical, PlanSettings(arrangement="PA"))
    assert pa.arrangement == "PA"
    assert [(b.name, b.gantry_angle_deg) for b in pa.beams] == [("PA", 180.0)]
    assert pa.beams[0].source_direction_lps == (0.0, 1.0, 0.0)  # source posterior
    appa = derive_field(LEVELS, thoracic, PlanSettings(arrangement="AP/PA"))
    assert appa.arrangement == "AP_PA"
    assert [b.gantry_angle_deg for b in appa.beams] == [0.0, 180.0]
    lateral = derive_field(LEVELS, cervical, PlanSettings(arrangement="lateral pair"))
    assert lateral.beams[0].source_direction_lps == (1.0, 0.0, 0.0)  # gantry 90: patient left


def test_lesion_crossing_c7_t1_is_not_cervical_only() -> None:
    disc = disc_middle(LEVELS, "C7", "T1")
    field = derive_field(LEVELS, (disc + 6.0, disc - 6.0))
    assert field.lesion_levels == ("C7", "T1")
    assert field.arrangement == "PA"


def test_shoulder_warning_for_a_low_cervical_lateral_pair() -> None:
    c6, c7 = TABLE["C6"], TABLE["C7"]
    field = derive_field(LEVELS, (c6.middle_z_mm, c7.middle_z_mm))
    assert field.arrangement == "lateral_pair"
    assert field.inferior_level == "T1"
    assert len(field.warnings) == 1
    assert "below C7" in field.warnings[0] and "shoulders" in field.warnings[0]
    # Without C7 labelled, a thoracic inferior level still triggers it.
    levels = tuple(lv for lv in LEVELS if lv.name not in ("C2", "C3"))
    forced = derive_field(levels, SAMPLE_CASES["case2_T9"][0], PlanSettings(arrangement="lateral"))
    assert any("shoulders" in w for w in forced.warnings)
    assert derive_field(LEVELS, SAMPLE_CASES["case1_C4-5"][0]).warnings == ()


def test_the_width_assumption_keeps_the_measured_half_millimetre() -> None:
    """A 24.5 mm body and 10 mm each side is a 44.5 mm field (4.5 cm in the numbers): the
    assumption said "field width 44 mm ... (T7, 24 mm)" (whole mm, rounded half to even)."""
    measured = [dataclasses.replace(level, body_width_mm=24.5) for level in spine()]
    plan_field = derive_field(
        measured, SAMPLE_CASES["case4_T4-T6"][0], PlanSettings(width_margin_mm=10.0)
    )
    assert plan_field.width_mm == pytest.approx(44.5)
    (note,) = [a for a in plan_field.assumptions if "widest vertebral body" in a]
    assert note.startswith("field width 44.5 mm: the widest vertebral body in the field (")
    assert ", 24.5 mm) + 10 mm each side" in note


def test_width_override_default_and_from_body_width() -> None:
    z_range = SAMPLE_CASES["case4_T4-T6"][0]
    default = derive_field(LEVELS, z_range)
    assert default.width_mm == 80.0
    assert any("default field width 80 mm" in a for a in default.assumptions)
    lateral = derive_field(LEVELS, SAMPLE_CASES["case1_C4-5"][0])
    assert lateral.width_mm == 60.0
    measured = spine(with_widths=True)
    from_body = derive_field(measured, z_range, PlanSettings(width_margin_mm=12.0))
    widest = max(by_name(measured)[n].body_width_mm for n in ("T3", "T4", "T5", "T6", "T7"))
    assert from_body.width_mm == pytest.approx(widest + 24.0)
    assert any("widest vertebral body in the field (T7" in a for a in from_body.assumptions)
    override = derive_field(measured, z_range, PlanSettings(field_width_mm=95.0))
    assert override.width_mm == 95.0
    assert not any("width" in a for a in override.assumptions)


def test_isocentre_and_ssd() -> None:
    z_range = SAMPLE_CASES["case3_T10-T11"][0]
    field = derive_field(LEVELS, z_range, lesion_centroid_mm=(2.0, 15.0, -300.0))
    assert field.isocentre_mm == pytest.approx(
        (2.0, 15.0, (field.superior_border_z_mm + field.inferior_border_z_mm) / 2)
    )
    assert field.ssd_cm == 100.0 and field.energy == "6MV"
    assert derive_field(LEVELS, z_range, PlanSettings(energy="Co-60")).ssd_cm == 80.0
    assert derive_field(LEVELS, z_range, PlanSettings(ssd_cm=90.0)).ssd_cm == 90.0
    from_bodies = derive_field(LEVELS, z_range)
    assert from_bodies.isocentre_mm[:2] == (0.0, -25.0)
    assert any("lesion centroid not given" in a for a in from_bodies.assumptions)
    bare = spine(with_centres=False)
    unknown = derive_field(bare, z_range)
    assert unknown.isocentre_mm is None
    assert any("isocentre is not set" in w for w in unknown.warnings)


def test_field_serialises() -> None:
    field = derive_field(LEVELS, SAMPLE_CASES["case1_C4-5"][0], lesion_centroid_mm=(0, 0, 0))
    data = json.loads(json.dumps(field.to_dict()))
    assert data["superior_level"] == "C3"
    assert data["beams"][1]["gantry_angle_deg"] == 270.0
    assert data["lesion_levels"] == ["C4", "C5"]
    assert data["assumptions"]


# -- the bundled sample cases ----------------------------------------------------------------
SAMPLE_DIR = Path(__file__).resolve().parents[2] / "sample_dicom"

#: Issue 6's acceptance: lesion levels, field levels, arrangement of each sample case.
SAMPLE_EXPECTED = {
    1: (("C4", "C5"), "C3", "C6", "lateral_pair"),
    2: (("T9",), "T8", "T10", "PA"),
    3: (("T10", "T11"), "T9", "T12", "PA"),
    4: (("T4", "T5", "T6"), "T3", "T7", "PA"),
}


def _reference_case(number: int):
    path = SAMPLE_DIR / f"case{number}" / "reference.spineplan.json"
    if not path.is_file():
        pytest.skip(f"{path} has not been generated")
    return load_case(path)


@pytest.mark.parametrize("number", sorted(SAMPLE_EXPECTED))
@pytest.mark.parametrize("convention", ["disc", "endplate"])
def test_reference_case_fields(number: int, convention: str) -> None:
    case = _reference_case(number)
    assert case.reference is True
    lesion, top, bottom, arrangement = SAMPLE_EXPECTED[number]
    settings = dataclasses.replace(case.plan, border_convention=convention)
    field = derive_field(
        case.levels, case.lesion.z_range_mm, settings, lesion_centroid_mm=case.lesion.center_mm
    )
    assert field.lesion_levels == lesion
    assert (field.superior_level, field.inferior_level) == (top, bottom)
    assert field.arrangement == arrangement
    table = by_name(case.levels)
    if convention == "disc":
        expected_top = disc_middle(case.levels, _level_above(top), top)
        expected_bottom = disc_middle(case.levels, bottom, _level_below(bottom))
    else:
        expected_top, expected_bottom = table[top].superior_z_mm, table[bottom].inferior_z_mm
    assert field.superior_border_z_mm == pytest.approx(expected_top)
    assert field.inferior_border_z_mm == pytest.approx(expected_bottom)
    assert field.warnings == ()
    assert field.isocentre_mm[:2] == pytest.approx(case.lesion.center_mm[:2])


def test_case_field_from_the_ellipsoid_or_from_a_mask() -> None:
    import numpy as np

    from imaging.volume import Volume
    from planning.anatomy.lesion import EllipsoidLesion, SeedLesion, ellipsoid_mask
    from planning.case import Case, StudyReference

    center = (0.0, 5.0, TABLE["T9"].middle_z_mm)
    lesion = EllipsoidLesion(center, (4.0, 3.0, 6.0))
    case = Case(StudyReference("."), levels=LEVELS, lesion=lesion, thoracic_prefix="D")
    exact = derive_case_field(case)
    assert exact == derive_field(
        LEVELS, lesion.z_range_mm, PlanSettings(), lesion_centroid_mm=center, thoracic_prefix="D"
    )
    assert "D7-8 disc" in exact.superior_border_description
    affine = np.diag([1.0, 1.0, 1.0, 1.0])
    affine[:3, 3] = (-20.0, -15.0, center[2] - 20.0)
    grid = Volume(np.zeros((40, 30, 40), dtype=np.float32), affine)
    from_mask = derive_case_field(case, ellipsoid_mask(grid, center, (4.0, 3.0, 6.0)))
    assert from_mask.lesion_levels == exact.lesion_levels == ("T9",)
    assert from_mask.isocentre_mm == pytest.approx(exact.isocentre_mm, abs=0.1)
    assert derive_case_field(case, settings=PlanSettings(energy="6MV")).ssd_cm == 100.0
    with pytest.raises(FieldError, match="SeedLesion needs its mask"):
        derive_case_field(dataclasses.replace(case, lesion=SeedLesion(center)))
    with pytest.raises(FieldError, match="has no lesion"):
        derive_case_field(dataclasses.replace(case, lesion=None))


def test_negative_margin_tightens_the_field() -> None:
    z_range = SAMPLE_CASES["case3_T10-T11"][0]
    plain = derive_field(LEVELS, z_range)
    tight = derive_field(LEVELS, z_range, PlanSettings(margin_mm=-2.0))
    assert tight.length_mm == pytest.approx(plain.length_mm - 4.0)
    assert tight.inferior_border_description == "middle of the T12-L1 disc - 2 mm margin"


def test_a_margin_that_crosses_the_borders_is_refused_with_the_margin_named() -> None:
    levels = spine()
    z = disc_middle(levels, "T9", "T10")
    with pytest.raises(FieldError, match=r"margin_mm -500 mm leaves no field"):
        derive_field(levels, (z + 5.0, z - 5.0), PlanSettings(margin_mm=-500))


def test_ssd_outside_what_the_dose_engine_takes_is_refused_in_the_settings() -> None:
    from planning.errors import PlanningError

    with pytest.raises(PlanningError, match=r"ssd_cm: 1e\+09 cm is outside 20-200 cm"):
        PlanSettings(ssd_cm=1e9)
