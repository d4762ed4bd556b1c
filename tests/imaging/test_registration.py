"""Rigid MR -> CT registration on spine phantom pairs with a known transform.

Each pair: a sagittal T1+C MR and an axial CT of the same synthetic spine, in different frames
of reference, rotated by up to 4 degrees, with a table offset, the CT's field of view centred
one or two vertebrae away from the lesion, a couch and (in the thorax) lungs. The target
registration error (TRE) is measured at the lesion centre.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from imaging.errors import RegistrationCancelled, RegistrationError
from imaging.registration import (
    PointPair,
    RegionBox,
    RegistrationResult,
    register_rigid,
)
from imaging.registration_levels import euler_transform, matrix_of
from tests.registration_phantoms import PairSpec, PhantomPair, build_pair, rotation_matrix

TRE_LIMIT_MM = 2.0

PAIRS = {
    # The CT's field of view is centred one vertebra below the lesion: aligning the centres
    # (the naive start) puts the MR one level off.
    "T10-11, CT one level off": PairSpec(
        "t10", case_number=3, rotation_deg=(2.0, -3.0, 1.5), table_offset_mm=(5, 120, -700)
    ),
    "T9, CT two levels up": PairSpec(
        "t9",
        case_number=2,
        rotation_deg=(-4.0, 2.0, -3.0),
        table_offset_mm=(-12, 60, 350),
        ct_centre_levels=-2,
    ),
    "C4-5 neck, no lungs": PairSpec(
        "c4", case_number=1, rotation_deg=(3.0, 0.0, -4.0), ct_centre_levels=2
    ),
    "T4-6, CT one level up": PairSpec(
        "t4",
        case_number=4,
        rotation_deg=(0.0, 4.0, 2.0),
        table_offset_mm=(20, -80, 1200),
        ct_centre_levels=-1,
    ),
}


@functools.cache
def pair(name: str) -> PhantomPair:
    return build_pair(PAIRS[name])


def report(name: str, result: RegistrationResult, built: PhantomPair, how: str) -> float:
    tre = built.tre_mm(result.matrix_moving_to_fixed)
    print(f"{name} [{how}]: TRE {tre:.2f} mm, ambiguous={result.ambiguous}, {result.quality_text}")
    return tre


def test_phantom_truth_is_consistent() -> None:
    """The builder's own truth: the lesion lies inside both images, frames differ, rotation."""
    built = pair("T10-11, CT one level off")
    assert built.moving.frame_of_reference_uid != built.fixed.frame_of_reference_uid
    lesion_ct = (built.matrix_moving_to_fixed @ np.append(built.lesion_centre_moving_mm, 1))[:3]
    assert built.fixed.contains_index(built.fixed.patient_to_index(lesion_ct))
    assert built.moving.contains_index(built.moving.patient_to_index(built.lesion_centre_moving_mm))
    # The CT HU at the lesion's vertebral body is bone marrow; the MR there is marrow too.
    body_ct = built.fixed.patient_to_index(built.body_centre_fixed_mm)
    hu = built.fixed.array[tuple(np.rint(body_ct[::-1]).astype(int))]
    assert 150 < hu < 400
    angle = np.degrees(np.arccos((np.trace(built.matrix_moving_to_fixed[:3, :3]) - 1) / 2))
    assert 2.0 < angle <= 4.5


def test_naive_start_is_one_level_off() -> None:
    """The designed pair: aligning the region's centre with the CT's centre is a level off."""
    built = pair("T10-11, CT one level off")
    lower, upper = built.fixed.bounds_mm()
    region = built.region
    box_z = 0.5 * (region.lower_mm[2] + region.upper_mm[2])
    naive_shift_z = 0.5 * (lower[2] + upper[2]) - box_z
    true_z = (built.matrix_moving_to_fixed @ np.append(built.lesion_centre_moving_mm, 1))[2]
    naive_z = built.lesion_centre_moving_mm[2] + naive_shift_z
    assert 0.6 * built.pitch_mm < abs(naive_z - true_z) < 1.6 * built.pitch_mm


def test_euler_helpers_round_trip() -> None:
    matrix = np.eye(4)
    matrix[:3, :3] = rotation_matrix((3.0, -2.0, 4.0))
    matrix[:3, 3] = (10.0, -250.0, 600.0)
    transform = euler_transform(np.array([5.0, 60.0, -40.0]), matrix)
    assert np.allclose(matrix_of(transform), matrix, atol=1e-9)
    point = np.array([12.0, 30.0, -80.0])
    assert np.allclose(transform.TransformPoint(tuple(point)), (matrix @ np.append(point, 1))[:3])


@pytest.mark.parametrize("name", list(PAIRS))
def test_one_point_pair_clicked_8_mm_off(name: str) -> None:
    built = pair(name)
    off = np.array([5.0, -4.0, 5.0])  # |off| = 8.1 mm
    clicked = PointPair(tuple(built.body_centre_moving_mm), tuple(built.body_centre_fixed_mm + off))
    result = register_rigid(built.moving, built.fixed, region=built.region, point_pairs=[clicked])
    tre = report(name, result, built, "1 point pair 8 mm off")
    assert tre <= TRE_LIMIT_MM
    assert result.initialisation == "1 point pair"
    assert not result.ambiguous


@pytest.mark.parametrize("name", list(PAIRS))
def test_automatic_is_right_or_says_ambiguous(name: str) -> None:
    built = pair(name)
    result = register_rigid(built.moving, built.fixed, region=built.region)
    tre = report(name, result, built, "automatic")
    for alternative in result.alternatives:
        print(
            f"   alternative {alternative.offset_mm:+.1f} mm, metric {alternative.metric:.4f}, "
            f"TRE {built.tre_mm(alternative.matrix_moving_to_fixed):.1f} mm"
        )
    if result.ambiguous:
        # Never a confident wrong level: the right one is among the choices offered.
        options = [result.matrix_moving_to_fixed] + [
            a.matrix_moving_to_fixed for a in result.alternatives
        ]
        assert min(built.tre_mm(m) for m in options) <= TRE_LIMIT_MM
        assert any("ambiguous" in w for w in result.warnings)
        offset = result.alternatives[0].offset_mm
        assert 0.5 * built.pitch_mm < abs(offset) < 2.6 * built.pitch_mm
    else:
        assert tre <= TRE_LIMIT_MM
    assert result.metric < 0
    if result.estimated_pitch_mm is not None:
        assert 0.6 * built.pitch_mm < result.estimated_pitch_mm < 1.5 * built.pitch_mm
    assert 0.0 < result.normalised_mi < 1.0
    assert result.metric_gap is not None
    assert result.moving_frame_of_reference_uid == built.moving.frame_of_reference_uid
    assert result.fixed_frame_of_reference_uid == built.fixed.frame_of_reference_uid


def test_automatic_with_a_z_range_only() -> None:
    """A region given as heights only: the MR's whole width and depth between them."""
    built = pair("T10-11, CT one level off")
    region = RegionBox.z_range(built.region.lower_mm[2], built.region.upper_mm[2])
    result = register_rigid(built.moving, built.fixed, region=region)
    tre = report("T10-11", result, built, "automatic, z range")
    assert result.ambiguous or tre <= TRE_LIMIT_MM


def test_three_point_pairs_fit_the_rotation() -> None:
    """Three exact pairs: the landmark fit alone is the truth; refinement keeps it."""
    built = pair("T9, CT two levels up")
    m = built.matrix_moving_to_fixed
    points = [built.body_centre_moving_mm + d for d in ([0, 0, 40.0], [0, 0, -40.0], [0, 30.0, 0])]
    pairs = [PointPair(tuple(p), tuple((m @ np.append(p, 1))[:3])) for p in points]
    result = register_rigid(built.moving, built.fixed, region=built.region, point_pairs=pairs)
    assert report("T9", result, built, "3 point pairs") <= TRE_LIMIT_MM
    assert result.initialisation == "3 point pairs"
    assert result.warnings == ()
    # The direction: the moving (MR) lesion lands on the CT lesion, not the other way round.
    lesion_ct = (m @ np.append(built.lesion_centre_moving_mm, 1))[:3]
    assert np.linalg.norm(result.map_to_fixed(built.lesion_centre_moving_mm) - lesion_ct) < 2.0


def test_point_pairs_that_disagree_warn() -> None:
    built = pair("T9, CT two levels up")
    m = built.matrix_moving_to_fixed
    points = [built.body_centre_moving_mm + d for d in ([0, 0, 40.0], [0, 0, -40.0], [0, 30.0, 0])]
    fixed = [(m @ np.append(p, 1))[:3] for p in points]
    fixed[0] = fixed[0] + (0.0, 0.0, 25.0)  # one click a vertebra off
    pairs = [PointPair(tuple(p), tuple(f)) for p, f in zip(points, fixed, strict=True)]
    result = register_rigid(built.moving, built.fixed, region=built.region, point_pairs=pairs)
    assert any("disagree" in w for w in result.warnings)


def test_progress_and_cancel() -> None:
    built = pair("C4-5 neck, no lungs")
    seen: list[int] = []
    calls = 0

    def should_cancel() -> bool:
        nonlocal calls
        calls += 1
        return calls > 30

    with pytest.raises(RegistrationCancelled, match="cancelled"):
        register_rigid(
            built.moving,
            built.fixed,
            region=built.region,
            progress=lambda done, total: seen.append(done),
            should_cancel=should_cancel,
        )
    assert seen and seen == sorted(seen)
    assert seen[-1] < 1000


def test_bad_regions_are_refused() -> None:
    built = pair("C4-5 neck, no lungs")
    far = RegionBox.z_range(5000.0, 5100.0)
    with pytest.raises(RegistrationError, match="region holds 0 MR voxels"):
        register_rigid(built.moving, built.fixed, region=far)
    with pytest.raises(RegistrationError, match="MR's grid"):
        register_rigid(built.moving, built.fixed, region=built.fixed)


def test_result_json_has_the_documented_keys() -> None:
    built = pair("C4-5 neck, no lungs")
    clicked = PointPair(tuple(built.body_centre_moving_mm), tuple(built.body_centre_fixed_mm))
    seen: list[tuple[int, int]] = []
    result = register_rigid(
        built.moving,
        built.fixed,
        region=built.region,
        point_pairs=[clicked],
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen[-1] == (1000, 1000)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    data = result.to_json()
    assert {
        "matrix_moving_to_fixed",
        "moving_frame_of_reference_uid",
        "fixed_frame_of_reference_uid",
        "metric",
        "ambiguous",
        "warnings",
        "quality",
        "alternatives",
    } <= set(data)
    assert np.allclose(data["matrix_moving_to_fixed"], result.matrix_moving_to_fixed, atol=1e-6)
    assert "normalised" in data["quality"]["text"]


def test_region_as_a_mask_on_the_mr_grid() -> None:
    """A mask volume (e.g. painted or derived from the levels) works like the box."""
    built = pair("T4-6, CT one level up")
    mr = built.moving
    k, j, i = np.indices(mr.shape)
    points = mr.index_to_patient(np.stack([i, j, k], axis=-1))
    lower, upper = np.asarray(built.region.lower_mm), np.asarray(built.region.upper_mm)
    inside = np.all((points >= lower) & (points <= upper), axis=-1)
    # A mask that is not a box: the column between the box's planes, narrowed at the top.
    inside &= ~((points[..., 2] > upper[2] - 20.0) & (points[..., 1] > lower[1] + 40.0))
    mask = mr.with_array(inside.astype(np.uint8))
    clicked = PointPair(tuple(built.body_centre_moving_mm), tuple(built.body_centre_fixed_mm))
    result = register_rigid(built.moving, built.fixed, region=mask, point_pairs=[clicked])
    assert report("T4-6", result, built, "mask region, 1 point pair") <= TRE_LIMIT_MM


def test_a_start_off_the_ct_is_one_clear_error() -> None:
    built = pair("C4-5 neck, no lungs")
    far = PointPair(tuple(built.body_centre_moving_mm), (0.0, 0.0, 5000.0))
    with pytest.raises(RegistrationError) as error:
        register_rigid(built.moving, built.fixed, region=built.region, point_pairs=[far])
    message = str(error.value)
    assert "cannot be registered" in message and "\n" not in message
