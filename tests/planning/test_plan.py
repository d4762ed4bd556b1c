"""The planning pipeline on the four sample cases: field, dose, normalisation, coverage."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from planning.anatomy.levels import disc_space, find_level
from planning.case import case_from_dict, case_to_dict
from planning.dose.beam_setup import inside_field
from planning.errors import CaseFileError, FieldError, PlanCancelled, PlanningError
from planning.field.derivation import derive_case_field
from planning.plan import plan_case
from tests.planning.plan_fixtures import (
    EXPECTED,
    TEST_GRID_MM,
    default_plan,
    plan_frame_uid,
    sample_case,
)


def _sample_at(volume, point_mm) -> float:
    from scipy import ndimage

    ijk = volume.patient_to_index(np.asarray(point_mm, dtype=float))
    return float(ndimage.map_coordinates(volume.array, [[ijk[2]], [ijk[1]], [ijk[0]]], order=1)[0])


@pytest.mark.parametrize("number", sorted(EXPECTED))
@pytest.mark.parametrize("convention", ["disc", "endplate"])
def test_sample_case_borders_and_levels(number: int, convention: str) -> None:
    lesion, top, bottom, arrangement = EXPECTED[number]
    case = sample_case(number)
    settings = dataclasses.replace(case.plan, border_convention=convention)
    field = derive_case_field(case, settings=settings)
    assert field.lesion_levels == lesion
    assert (field.superior_level, field.inferior_level) == (top, bottom)
    assert field.arrangement == arrangement
    above, below = find_level(case.levels, top), find_level(case.levels, bottom)
    if convention == "endplate":
        expected_top, expected_bottom = above.superior_z_mm, below.inferior_z_mm
    else:
        names = [lv.name for lv in case.levels]
        upper = names[names.index(top) - 1]
        lower = names[names.index(bottom) + 1]
        expected_top = disc_space(case.levels, upper, top).middle_z_mm
        expected_bottom = disc_space(case.levels, bottom, lower).middle_z_mm
    assert field.superior_border_z_mm == pytest.approx(expected_top)
    assert field.inferior_border_z_mm == pytest.approx(expected_bottom)


@pytest.mark.parametrize("number", sorted(EXPECTED))
def test_default_plan_passes(number: int) -> None:
    result = default_plan(number)
    lesion, top, bottom, arrangement = EXPECTED[number]
    assert result.field.lesion_levels == lesion
    assert result.lesion_levels.names == lesion
    assert (result.field.superior_level, result.field.inferior_level) == (top, bottom)
    assert result.field.arrangement == arrangement
    assert len(result.beams) == (2 if arrangement == "lateral_pair" else 1)
    assert result.coverage_pass and result.verdict.passed and result.exit_status == 0
    assert result.lesion_stats.v95_percent >= 99.0
    # A parallel field with no hot spots: the lesion's dose is within a few % of 100.
    assert 95.0 <= result.lesion_stats.dmin_percent <= result.lesion_stats.dmax_percent < 107.0
    assert result.dose_gy.frame_of_reference_uid == plan_frame_uid(number)


@pytest.mark.parametrize("number", sorted(EXPECTED))
def test_normalisation_point_receives_the_prescription(number: int) -> None:
    result = default_plan(number)
    at_point = _sample_at(result.dose_gy, result.normalisation.point_mm)
    assert at_point == pytest.approx(result.prescription.dose_gy, rel=1e-3)
    assert result.normalisation.relative_dose == pytest.approx(
        sum(result.normalisation.relative_dose_per_beam)
    )


def test_pa_normalises_at_the_lesion_centroid_depth() -> None:
    result = default_plan(2)
    point = np.asarray(result.normalisation.point_mm)
    np.testing.assert_allclose(point, result.field.isocentre_mm, atol=1e-6)
    assert point[1] == pytest.approx(result.lesion.centroid_mm[1])
    assert "lesion centroid depth" in result.normalisation.description
    # The posterior skin of the sample thorax lies about 7 cm behind the cord.
    assert 5.0 < result.normalisation.depth_cm < 10.0


def test_lateral_pair_normalises_at_midplane() -> None:
    result = default_plan(1)
    entries = np.asarray([b.skin_entry_lps_mm for b in result.beams])
    np.testing.assert_allclose(result.normalisation.point_mm, entries.mean(axis=0), atol=1e-6)
    shares = result.normalisation.relative_dose_per_beam
    assert shares[0] == pytest.approx(shares[1], rel=0.02)  # symmetric neck, equal weights
    assert "planning CT" in result.density.source


def test_user_normalisation_depth() -> None:
    case = sample_case(2)
    settings = dataclasses.replace(case.plan, normalisation="depth", normalisation_depth_mm=50.0)
    result = plan_case(case, settings, grid_spacing_mm=TEST_GRID_MM)
    beam = result.beams[0]
    distance = np.linalg.norm(np.subtract(result.normalisation.point_mm, beam.skin_entry_lps_mm))
    assert distance == pytest.approx(50.0, abs=1e-6)
    # Normalising shallower than the lesion (7 cm) puts the lesion below 100 %.
    assert result.lesion_stats.dmean_percent < 100.0


@pytest.mark.parametrize("number", [2, 1])
def test_jaws_give_the_field_at_the_isocentre(number: int) -> None:
    result = default_plan(number)
    field = result.field
    for beam in result.beams:
        source = np.asarray(beam.source_lps_mm)
        iso = np.asarray(field.isocentre_mm)
        direction = (iso - source) / np.linalg.norm(iso - source)
        across = np.cross(direction, [0.0, 0.0, 1.0])
        edge = iso + across * (field.width_mm / 2.0 - 0.2)
        outside = iso + across * (field.width_mm / 2.0 + 0.2)
        top = iso + np.array([0.0, 0.0, field.superior_border_z_mm - iso[2] - 0.2])
        above = iso + np.array([0.0, 0.0, field.superior_border_z_mm - iso[2] + 0.2])
        inside = inside_field([beam], np.array([edge, outside, top, above]))
        assert inside.tolist() == [True, False, True, False]


def test_monitor_units_match_the_engine() -> None:
    for number in (1, 2):
        for calc in default_plan(number).monitor_units:
            assert calc.meterset > 0
            # The table PDD and the engine's dose at the point agree (same data, same depth).
            assert calc.engine_percent == pytest.approx(calc.pdd_percent, rel=0.02)


def test_narrow_field_fails_with_lateral_reason() -> None:
    case = sample_case(2)
    lesion_width = 2 * case.lesion.radii_mm[0]
    settings = dataclasses.replace(case.plan, field_width_mm=lesion_width)
    result = plan_case(case, settings, grid_spacing_mm=TEST_GRID_MM)
    assert not result.coverage_pass and result.exit_status == 1
    assert "lateral_edge" in {r.kind for r in result.verdict.cold_regions}
    assert any("widen the field" in fix for fix in result.verdict.fixes)


def test_bad_input_raises_spineplan_errors(tmp_path) -> None:
    data = case_to_dict(sample_case(2))
    data["study"]["path"] = str(tmp_path / "nowhere")
    with pytest.raises(CaseFileError, match=r"study\.path"):
        plan_case(case_from_dict(data, source_path=tmp_path / "x.spineplan.json"))
    data = case_to_dict(sample_case(2))
    data["study"]["path"] = str(sample_case(2).study_path())
    data["lesion"] = {"type": "ellipsoid", "center_mm": [0, 50, 900], "radii_mm": [4, 4, 4]}
    with pytest.raises(FieldError, match="above the highest labelled level"):
        plan_case(case_from_dict(data, source_path=tmp_path / "x.spineplan.json"))
    with pytest.raises(PlanningError, match="grid spacing"):
        plan_case(sample_case(2), grid_spacing_mm=50.0)


def test_energy_without_depth_dose_is_refused(cobalt_without_data) -> None:
    case = sample_case(2)
    with pytest.raises(PlanningError, match=r"Co60.*6MV"):
        plan_case(case, dataclasses.replace(case.plan, energy="Co60"))


def _case_with_lesion(tmp_path, number: int, lesion: dict):
    data = case_to_dict(sample_case(number))
    data["study"]["path"] = str(sample_case(number).study_path())
    data["lesion"] = lesion
    return case_from_dict(data, source_path=tmp_path / "case.spineplan.json")


def test_mask_file_lesion_plans_like_the_ellipsoid(tmp_path) -> None:
    import SimpleITK as sitk

    from planning.anatomy.lesion import ellipsoid_mask
    from planning.dose.images import load_plan_images

    reference = sample_case(3)
    images = load_plan_images(reference)
    mask = ellipsoid_mask(
        images.lesion_volume, reference.lesion.center_mm, reference.lesion.radii_mm
    )
    sitk.WriteImage(
        mask.with_array(mask.array.astype(np.uint8)).to_sitk(), str(tmp_path / "lesion.nrrd")
    )
    case = _case_with_lesion(tmp_path, 3, {"type": "mask", "path": "lesion.nrrd"})
    result = plan_case(case, grid_spacing_mm=TEST_GRID_MM)
    expected = default_plan(3)
    assert result.field.lesion_levels == expected.field.lesion_levels
    assert result.field.superior_border_z_mm == pytest.approx(expected.field.superior_border_z_mm)
    assert result.lesion.volume_cc == pytest.approx(expected.lesion.volume_cc, rel=0.15)
    assert result.coverage_pass


def test_seed_lesion_grows_on_the_post_contrast_series(tmp_path) -> None:
    reference = sample_case(2)
    case = _case_with_lesion(
        tmp_path, 2, {"type": "seed", "point_mm": list(reference.lesion.center_mm)}
    )
    result = plan_case(case, grid_spacing_mm=TEST_GRID_MM)
    assert "+C" in result.images.lesion_series.description
    assert result.field.lesion_levels == ("T9",)
    assert result.lesion_mask.array.any() and result.coverage_pass


def test_should_stop_stops_the_plan_before_the_next_beam() -> None:
    """The GUI stops a plan nobody will see (the window closes) between two beams' doses."""
    case = sample_case(2)
    settings = dataclasses.replace(case.plan, arrangement="AP_PA")
    asked: list[int] = []

    def stop_after_the_first_beam() -> bool:
        asked.append(1)
        return len(asked) > 1

    with pytest.raises(PlanCancelled):
        plan_case(
            case, settings, grid_spacing_mm=TEST_GRID_MM, should_stop=stop_after_the_first_beam
        )
    assert len(asked) == 2  # asked before the AP beam (go on) and before the PA beam (stop)
