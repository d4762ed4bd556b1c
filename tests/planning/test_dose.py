"""3D dose engine: geometry conventions, depth, heterogeneity, separation assumption."""

from __future__ import annotations

import numpy as np
import pytest

from imaging.volume import Volume
from planning.dose.beam_data import Table2D, load_table_2d
from planning.dose.beam_model import MACHINES, BeamModel, beam_model
from planning.dose.engine import compute_beam_dose, compute_dose
from planning.dose.phantom import engine_depth_dose, engine_profile, line_grid
from planning.dose.radiological_depth import density_from_ct, density_from_mr
from planning.errors import PlanningError
from planning.field.beam import Beam, beam_axes


def box(
    shape_kji: tuple[int, int, int], spacing_ijk: tuple[float, float, float], fill: float = 1.0
) -> Volume:
    """A volume centred on the LPS origin, axes along x, y, z."""
    nk, nj, ni = shape_kji
    affine = np.diag([*spacing_ijk, 1.0])
    affine[:3, 3] = [-(n - 1) * s / 2.0 for n, s in zip((ni, nj, nk), spacing_ijk, strict=True)]
    return Volume(array=np.full(shape_kji, fill, dtype=np.float32), affine=affine)


def body_phantom() -> Volume:
    """Axial slab: an elliptic water body 30 cm wide (x) and 20 cm deep (y) in air."""
    volume = box((20, 120, 160), (2.5, 2.5, 5.0), fill=0.0)
    i = np.arange(160)
    j = np.arange(120)
    x = (i - 79.5) * 2.5
    y = (j - 59.5) * 2.5
    body = (x[None, :] / 150.0) ** 2 + (y[:, None] / 100.0) ** 2 <= 1.0
    volume.array[:] = body[None].astype(np.float32)
    return volume


def position_of_max(dose: Volume) -> np.ndarray:
    k, j, i = np.unravel_index(int(np.argmax(dose.array)), dose.shape)
    return dose.index_to_patient(np.array([i, j, k], dtype=float))


def test_gantry_axes_follow_iec_for_hfs() -> None:
    # Source direction = beam Z. 0: anterior (-y in LPS); 90: patient left (+x); 180: posterior.
    np.testing.assert_allclose(beam_axes(0)[2], [0, -1, 0], atol=1e-12)
    np.testing.assert_allclose(beam_axes(90)[2], [1, 0, 0], atol=1e-12)
    np.testing.assert_allclose(beam_axes(180)[2], [0, 1, 0], atol=1e-12)
    np.testing.assert_allclose(beam_axes(270)[2], [-1, 0, 0], atol=1e-12)
    np.testing.assert_allclose(beam_axes(0)[1], [0, 0, 1], atol=1e-12)  # Y jaws along S-I


@pytest.mark.parametrize(
    ("gantry", "axis", "sign"),
    [(0.0, 1, -1.0), (180.0, 1, 1.0), (90.0, 0, 1.0), (270.0, 0, -1.0)],
)
def test_dose_maximum_lies_just_under_the_entrance_skin(gantry, axis, sign) -> None:
    density = body_phantom()
    beam = Beam.symmetric("6MV", gantry, (0.0, 0.0, 0.0), 8.0, 8.0, setup="SAD")
    result = compute_beam_dose(beam, density, density)
    peak = position_of_max(result.dose)
    skin_mm = 100.0 if axis == 1 else 150.0
    # d_max is 1.5 cm: the peak sits 1.5 cm inside the skin the beam enters through.
    assert sign * peak[axis] == pytest.approx(skin_mm - 15.0, abs=4.0)
    assert float(result.dose.array.max()) == pytest.approx(1.0, abs=0.01)


def test_pa_beam_geometry_and_depth_output() -> None:
    density = body_phantom()
    beam = Beam.symmetric("6MV", 180.0, (0.0, 20.0, 0.0), 8.0, 8.0, setup="SAD")
    result = compute_beam_dose(beam, density, density)
    # Skin at y = +100 mm on the axis; isocentre 8 cm deep.
    assert result.skin_entry_lps_mm[1] == pytest.approx(100.0, abs=1.5)
    assert result.ssd_cm == pytest.approx(92.0, abs=0.15)
    assert result.isocentre_depth_cm == pytest.approx(8.0, abs=0.15)
    assert result.isocentre_radiological_depth_cm == pytest.approx(8.0, abs=0.15)
    assert result.source_lps_mm[1] == pytest.approx(1020.0)
    depth = result.depth_cm.array
    i, j = 80, round((20.0 + 148.75) / 2.5)  # voxel near the isocentre on the axis
    assert float(depth[10, j, i]) == pytest.approx(8.0, abs=0.2)
    assert np.all(result.dose.array[density.array < 0.05] == 0.0)  # no dose reported in air


def test_ssd_setup_places_the_source_from_the_skin() -> None:
    density = body_phantom()
    beam = Beam.symmetric("6MV", 0.0, (0.0, 0.0, 0.0), 10.0, 10.0, setup="SSD")
    result = compute_beam_dose(beam, density, density)
    assert result.ssd_cm == pytest.approx(100.0)
    assert result.source_lps_mm[1] == pytest.approx(-100.0 - 1000.0, abs=1.5)
    assert result.equivalent_square_at_skin_cm == pytest.approx(10.0, abs=0.01)


def test_engine_follows_the_table_in_water() -> None:
    model = beam_model("6MV")
    depths = [2.25, 3.7, 6.2, 11.3, 17.5]
    for side in (7.5, 12.5):
        curve = engine_depth_dose("6MV", side, 100.0, depths)
        np.testing.assert_allclose(curve.pdd_percent, model.pdd_percent(depths, side), rtol=0.01)
        assert curve.dmax_cm == pytest.approx(1.5, abs=0.1)


def test_inverse_square_between_two_ssds() -> None:
    # Same field at the surface, SSD 100 and 130 cm: the ratio of PDDs is the Mayneord factor
    # ((f2 + dm)/(f1 + dm))^2 ((f1 + d)/(f2 + d))^2, i.e. pure inverse square.
    depths = [5.0, 10.0, 20.0]
    near = engine_depth_dose("6MV", 10.0, 100.0, depths).pdd_percent
    far = engine_depth_dose("6MV", 10.0, 130.0, depths).pdd_percent
    dm = 1.5
    d = np.asarray(depths)
    factor = ((130 + dm) / (100 + dm)) ** 2 * ((100 + d) / (130 + d)) ** 2
    np.testing.assert_allclose(far / near, factor, rtol=0.005)
    # And the output at d_max falls with the square of the distance to the source.
    density = body_phantom()
    beams = [
        Beam.symmetric("6MV", 0.0, (0.0, 0.0, 0.0), 10.0, 10.0, setup="SSD", ssd_cm=ssd)
        for ssd in (100.0, 120.0)
    ]
    factors = [compute_beam_dose(b, density, density).output_distance_factor for b in beams]
    assert factors[0] == pytest.approx(1.0)
    assert factors[1] == pytest.approx((101.5 / 121.5) ** 2)


def test_field_size_and_depth_monotonic_in_engine() -> None:
    small = engine_depth_dose("6MV", 5.0, 100.0, [10.0]).pdd_percent[0]
    large = engine_depth_dose("6MV", 20.0, 100.0, [10.0]).pdd_percent[0]
    assert large > small
    curve = engine_depth_dose("6MV", 10.0, 100.0, np.arange(2.0, 30.0, 1.0))
    assert np.all(np.diff(curve.pdd_percent) < 0)


def test_penumbra_widens_with_depth_and_field_edge_diverges() -> None:
    shallow = engine_profile("6MV", 10.0, 100.0, 1.5)
    deep = engine_profile("6MV", 10.0, 100.0, 20.0)
    assert deep.penumbra_80_20_cm > shallow.penumbra_80_20_cm
    # The 50 % points diverge with the field: near 10 x 101.5/100 and 10 x 120/100 cm, where
    # the measured TrueBeam profiles put them (2 x 5.097 and 2 x 6.036 cm).
    assert shallow.field_width_50_cm == pytest.approx(2 * 5.097, abs=0.05)
    assert deep.field_width_50_cm == pytest.approx(2 * 6.036, abs=0.05)
    assert deep.penumbra_left_cm == pytest.approx(deep.penumbra_right_cm, abs=0.01)


def test_lung_slab_raises_dose_beyond_it() -> None:
    # Water box, surface at y = -100 mm; lung (density 0.25) from 3 to 8 cm depth.
    water = box((12, 160, 60), (2.5, 2.5, 5.0))
    lung = water.with_array(water.array.copy())
    y = water.origin_mm[1] + 2.5 * np.arange(160)
    depth_mm = y - (y[0] - 1.25)
    lung.array[:, (depth_mm > 30.0) & (depth_mm <= 80.0), :] = 0.25
    beam = Beam.symmetric("6MV", 0.0, (0.0, 0.0, 0.0), 10.0, 10.0, setup="SSD")
    homogeneous = compute_beam_dose(beam, water, water)
    heterogeneous = compute_beam_dose(beam, water, lung)
    i, k = 30, 6
    j = int(np.argmin(np.abs(depth_mm - 120.0)))  # 12 cm deep, beyond the slab
    ratio = heterogeneous.dose.array[k, j, i] / homogeneous.dose.array[k, j, i]
    # Effective path length: 12 - 0.75 * 5 = 8.25 cm of water; independent expectation from the
    # Mayneord-free attenuation at the two depths (same inverse square: same geometric point).
    model = beam_model("6MV")
    expected = model.attenuation(8.25, 10.0) / model.attenuation(12.0, 10.0)
    assert ratio > 1.05
    assert ratio == pytest.approx(float(expected), rel=0.02)
    assert float(heterogeneous.depth_cm.array[k, j, i]) == pytest.approx(8.25, abs=0.15)


def sagittal_slab() -> Volume:
    """A sagittal-like study: only 4 cm of patient imaged left-right, tissue to both faces."""
    return box((40, 100, 16), (2.5, 2.5, 5.0))  # x spans +-18.75 mm, all water


def test_separation_is_used_and_recorded_when_the_skin_is_not_imaged() -> None:
    density = sagittal_slab()
    beam = Beam.symmetric("6MV", 90.0, (0.0, 0.0, 0.0), 10.0, 10.0, setup="SAD")
    with_sep = compute_dose([beam], density, density, separation_cm=12.0)
    detail = with_sep.beams[0]
    assert detail.isocentre_depth_cm == pytest.approx(6.0, abs=0.05)
    assert detail.isocentre_radiological_depth_cm == pytest.approx(6.0, abs=0.1)
    assert detail.skin_entry_lps_mm[0] == pytest.approx(60.0, abs=0.5)  # patient left
    assert any("12 cm" in a and "separation" in a for a in with_sep.assumptions)
    # The depth at the isocentre voxel comes from the assumed slab plus the imaged tissue.
    depth = detail.depth_cm.array
    assert float(depth[20, 50, 8]) == pytest.approx(6.0 - 0.125, abs=0.2)

    without = compute_dose([beam], density, density)
    assert any("no separation was entered" in a for a in without.assumptions)
    assert without.beams[0].isocentre_depth_cm == pytest.approx(1.875 + 0.125, abs=0.2)
    # Counting depth from the image edge overestimates the dose at the isocentre.
    assert without.dose.array[20, 50, 8] > with_sep.dose.array[20, 50, 8]


def test_opposed_lateral_pair_is_symmetric_and_sums() -> None:
    density = body_phantom()
    beams = [
        Beam.symmetric("6MV", g, (0.0, 0.0, 0.0), 8.0, 8.0, setup="SAD", weight=0.5)
        for g in (90.0, 270.0)
    ]
    result = compute_dose(beams, density, density)
    total = result.dose.array
    np.testing.assert_allclose(total, sum(b.dose.array for b in result.beams), rtol=1e-6)
    row = total[10, 60, :]
    np.testing.assert_allclose(row, row[::-1], atol=2e-3)
    assert result.assumptions[0].startswith("dose model:")


def test_weights_scale_dose() -> None:
    density = body_phantom()
    one = compute_beam_dose(
        Beam.symmetric("6MV", 0.0, (0, 0, 0), 8, 8, setup="SAD"), density, density
    )
    half = compute_beam_dose(
        Beam.symmetric("6MV", 0.0, (0, 0, 0), 8, 8, setup="SAD", weight=0.5), density, density
    )
    np.testing.assert_allclose(half.dose.array, 0.5 * one.dose.array, rtol=1e-6, atol=1e-7)


def test_dose_on_another_grid_of_the_same_frame() -> None:
    density = body_phantom()
    beam = Beam.symmetric("6MV", 180.0, (0.0, 20.0, 0.0), 8.0, 8.0, setup="SAD")
    full = compute_beam_dose(beam, density, density)
    grid = line_grid((0.0, 20.0, 0.0), (0.0, 0.0, 2.5), 9)  # along z through the isocentre
    line = compute_beam_dose(beam, grid, density)
    j = round((20.0 + 148.75) / 2.5)
    assert float(line.dose.array[0, 0, 4]) == pytest.approx(
        float(full.dose.array[10, j, 80]), rel=0.02
    )


def test_a_machine_without_data_is_refused_but_works_with_commissioning_data(
    cobalt_without_data,
) -> None:
    density = body_phantom()
    beam = Beam.symmetric("Co-60", 180.0, (0.0, 20.0, 0.0), 8.0, 8.0, setup="SSD")
    with pytest.raises(PlanningError, match=r"co60_pdd_ssd80\.csv"):
        compute_beam_dose(beam, density, density)
    # A physicist's own table (here the 6 MV numbers stand in, to exercise the code path only).
    stand_in = load_table_2d("6mv_pdd_ssd100_tg71.csv")
    model = BeamModel(MACHINES["Co60"], pdd_table_override=stand_in)
    result = compute_beam_dose(beam, density, density, model=model)
    assert not any("REFERENCE" in note for note in result.assumptions)
    assert result.ssd_cm == pytest.approx(80.0)
    assert float(result.dose.array.max()) == pytest.approx(1.0, abs=0.02)


def test_cobalt_penumbra_is_wider_than_six_mv() -> None:
    stand_in = load_table_2d("6mv_pdd_ssd100_tg71.csv")
    table = Table2D(stand_in.rows, stand_in.columns, stand_in.values, "test", stand_in.path)
    cobalt = BeamModel(MACHINES["Co60"], pdd_table_override=table)
    co = engine_profile("Co60", 10.0, 80.0, 5.0, model=cobalt)
    linac = engine_profile("6MV", 10.0, 100.0, 5.0)
    # 6 MV from the measured TrueBeam profiles (0.60 cm); Co-60 from its source geometry.
    assert co.penumbra_80_20_cm > 1.5 * linac.penumbra_80_20_cm
    # Brief's range for a Co-60 10 x 10 cm field at SSD 80 cm, 5 cm deep: about 1.0-1.5 cm.
    assert 0.9 <= co.penumbra_80_20_cm <= 1.6


def test_density_from_ct_bilinear_and_mr_mask() -> None:
    ct = box((2, 4, 4), (1.0, 1.0, 1.0))
    ct.array[0, 0, :] = [-1000.0, -500.0, 0.0, 1500.0]
    red = density_from_ct(ct).array[0, 0, :]
    np.testing.assert_allclose(red, [0.0, 0.5, 1.0, 1.78], atol=1e-6)
    mr = box((3, 40, 40), (1.0, 1.0, 1.0), fill=0.0)
    yy, xx = np.mgrid[0:40, 0:40]
    disc = (xx - 20) ** 2 + (yy - 20) ** 2 <= 12**2
    mr.array[:] = np.where(disc, 300.0, 2.0)[None]
    mr.array[:, 18:22, 18:22] = 5.0  # a dark canal inside the body is still water
    mask = density_from_mr(mr).array
    assert mask[1, 20, 20] == 1.0 and mask[1, 0, 0] == 0.0
    assert abs(int(mask[1].sum()) - int(disc.sum())) < 0.05 * disc.sum()


def test_bad_beams_are_refused() -> None:
    with pytest.raises(PlanningError):
        Beam.symmetric("6MV", 0.0, (0, 0, 0), 0.0, 10.0)
    with pytest.raises(PlanningError):
        Beam.symmetric("6MV", 0.0, (0, 0, 0), 10.0, 10.0, setup="SAS")
    with pytest.raises(PlanningError):
        Beam.symmetric("10MV", 0.0, (0, 0, 0), 10.0, 10.0)
    density = body_phantom()
    with pytest.raises(PlanningError):
        compute_dose([], density, density)


def test_result_is_in_the_study_frame_of_reference() -> None:
    from dataclasses import replace

    density = body_phantom()
    tagged = Volume(
        array=density.array,
        affine=density.affine,
        metadata=replace(density.metadata, frame_of_reference_uid="1.2.3", patient_id="P1"),
    )
    beam = Beam.symmetric("6MV", 180.0, (0.0, 0.0, 0.0), 8.0, 8.0, setup="SAD")
    result = compute_dose([beam], tagged, tagged)
    assert result.dose.frame_of_reference_uid == "1.2.3"
    assert result.dose.metadata.units == "relative" and result.dose.array.dtype == np.float32
    assert result.beams[0].depth_cm.metadata.units == "cm"
    assert result.dose.same_grid(tagged)
    other = Volume(
        array=density.array,
        affine=density.affine,
        metadata=replace(density.metadata, frame_of_reference_uid="9.9"),
    )
    with pytest.raises(PlanningError, match="frames of reference"):
        compute_dose([beam], tagged, other)


def test_ct_bone_reduces_dose_beyond_it() -> None:
    # CT in HU: water (0 HU) with a 2 cm bone slab (1500 HU -> RED 1.78) from 3 to 5 cm depth.
    ct = box((12, 160, 60), (2.5, 2.5, 5.0), fill=0.0)
    y = ct.origin_mm[1] + 2.5 * np.arange(160)
    depth_mm = y - (y[0] - 1.25)
    ct.array[:, (depth_mm > 30.0) & (depth_mm <= 50.0), :] = 1500.0
    water = density_from_ct(ct.with_array(np.zeros_like(ct.array)))
    bone = density_from_ct(ct)
    beam = Beam.symmetric("6MV", 0.0, (0.0, 0.0, 0.0), 10.0, 10.0, setup="SSD")
    j = int(np.argmin(np.abs(depth_mm - 100.0)))
    plain = compute_beam_dose(beam, water, water).dose.array[6, j, 30]
    shielded = compute_beam_dose(beam, water, bone).dose.array[6, j, 30]
    model = beam_model("6MV")
    expected = model.attenuation(10.0 + 0.78 * 2.0, 10.0) / model.attenuation(10.0, 10.0)
    assert shielded / plain == pytest.approx(float(expected), rel=0.02)
