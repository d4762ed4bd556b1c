"""plan_geometry: the field and beam set-up without dose, the same as plan_case's."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from imaging.volume import Volume
from planning.dose.beam_model import beam_model
from planning.dose.central_axis import central_axis
from planning.dose.engine import compute_beam_dose
from planning.dose.plan_geometry import plan_geometry
from planning.errors import PlanningError
from planning.field.beam import Beam
from planning.plan import plan_case
from tests.planning.plan_fixtures import EXPECTED, TEST_GRID_MM, default_plan, sample_case


@pytest.mark.parametrize("number", sorted(EXPECTED))
def test_geometry_is_the_plans_field_and_jaws(number: int) -> None:
    geometry = plan_geometry(sample_case(number), grid_spacing_mm=TEST_GRID_MM)
    result = default_plan(number)
    lesion, top, bottom, arrangement = EXPECTED[number]
    assert geometry.lesion_levels.names == lesion
    assert (geometry.field.superior_level, geometry.field.inferior_level) == (top, bottom)
    assert geometry.field.arrangement == arrangement
    assert geometry.field == result.field
    assert geometry.lesion_levels == result.lesion_levels
    assert geometry.lesion == result.lesion
    for mine, planned in zip(geometry.beams, result.beams, strict=True):
        assert mine.name == planned.name
        assert mine.jaw_x_sad_cm == planned.jaw_x_sad_cm
        assert mine.jaw_y_sad_cm == planned.jaw_y_sad_cm
        assert mine.ssd_cm == planned.ssd_cm
        assert mine.isocentre_depth_cm == planned.isocentre_depth_cm
        assert mine.skin_entry_lps_mm == planned.skin_entry_lps_mm
        assert mine.machine_isocentre_lps_mm == planned.machine_isocentre_lps_mm
    # What the set-up rests on is also in the plan's assumptions and warnings.
    assert set(geometry.field.assumptions) <= set(geometry.assumptions)
    assert set(geometry.density.assumptions) <= set(result.assumptions)
    assert set(geometry.position_warnings) <= set(result.warnings)


def test_co60_geometry_needs_no_depth_dose_table(cobalt_without_data) -> None:
    case = sample_case(2)
    settings = replace(case.plan, energy="Co60")
    assert not beam_model("Co60").has_depth_dose  # the premise: a machine without data
    geometry = plan_geometry(case, settings)
    assert geometry.field.energy == "Co60"
    assert geometry.field.ssd_cm == pytest.approx(80.0)
    (beam,) = geometry.beams
    assert beam.gantry_angle_deg == 180.0
    assert beam.ssd_cm == pytest.approx(80.0)
    # Jaws at SAD 80 cm give the derived width and borders in the isocentre plane.
    scale = (beam.ssd_cm + beam.isocentre_depth_cm) / 80.0
    assert (beam.jaw_x_sad_cm[1] - beam.jaw_x_sad_cm[0]) * 10.0 * scale == pytest.approx(
        geometry.field.width_mm, abs=1e-6
    )
    iso_z = geometry.field.isocentre_mm[2]  # type: ignore[index]
    assert iso_z + beam.jaw_y_sad_cm[1] * 10.0 * scale == pytest.approx(
        geometry.field.superior_border_z_mm, abs=1e-6
    )
    with pytest.raises(PlanningError, match="no depth-dose table"):
        plan_case(case, settings, images=geometry.images, grid_spacing_mm=TEST_GRID_MM)


def test_geometry_refuses_a_case_without_lesion() -> None:
    case = replace(sample_case(1), lesion=None)
    with pytest.raises(PlanningError, match=r"reference\.spineplan\.json: the case has no lesion"):
        plan_geometry(case)


def test_central_axis_is_the_dose_engines_set_up() -> None:
    density = default_plan(2).density.volume
    iso = default_plan(2).field.isocentre_mm
    beam = Beam.symmetric("6MV", 180.0, iso, 8.0, 8.0, ssd_cm=100.0, name="PA")  # type: ignore[arg-type]
    axis = central_axis(beam, density)
    grid = Volume(np.zeros((1, 1, 1), dtype=np.float32), density.affine, density.metadata)
    dose = compute_beam_dose(beam, grid, density, with_depth=False)
    assert axis.source_lps_mm == dose.source_lps_mm
    assert axis.skin_entry_lps_mm == dose.skin_entry_lps_mm
    assert axis.ssd_cm == dose.ssd_cm
    assert axis.isocentre_depth_cm == dose.isocentre_depth_cm
    assert axis.isocentre_depth_cm > 0.0
