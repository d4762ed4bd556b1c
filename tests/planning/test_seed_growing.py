"""Seed growing on sample case 2 (issue 16, item 6): the tolerance changes the region
gradually, and a tiny or leaking region is reported with its numbers."""

from __future__ import annotations

import functools
import itertools

import numpy as np
import pytest

from planning.anatomy.lesion import (
    DEFAULT_GROW_MAX_RADIUS_MM,
    grow_region,
    seed_reference_intensity,
)
from tests.planning.plan_fixtures import SAMPLES

CASE2 = SAMPLES / "case2" / "reference.spineplan.json"


@functools.cache
def _case2():
    from planning.case import load_case
    from planning.dose.images import load_plan_images

    case = load_case(CASE2)
    return case, load_plan_images(case).lesion_volume


def test_the_reference_intensity_is_the_seed_slice_not_the_thick_slices_beside_it() -> None:
    case, post = _case2()
    assert post.spacing_mm[2] == pytest.approx(4.0)  # thick axial slices: partial volume
    index = np.rint(post.patient_to_index(np.asarray(case.lesion.center_mm))).astype(int)
    reference = seed_reference_intensity(post, index)
    i, j, k = index
    assert reference == pytest.approx(np.median(post.array[k, j - 1 : j + 2, i - 1 : i + 2]))


def test_growth_is_monotonic_and_gradual_until_it_leaks() -> None:
    case, post = _case2()
    tolerances = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5]
    grown = [grow_region(post, case.lesion.center_mm, t) for t in tolerances]
    counts = [g.voxel_count for g in grown]
    assert counts == sorted(counts)
    # no step more than doubles the region, none is a single voxel, none warns
    assert all(b <= 2 * a for a, b in itertools.pairwise(counts))
    assert min(counts) >= 8 and not any(g.warnings for g in grown)
    # at the default +-30 % and at +-45 % (1 voxel before) the region is the enhancing nodule
    # (the reference ellipsoid is 0.29 cm3)
    for g in (grown[5], grown[8]):
        assert 0.12 < g.volume_cm3 < 0.45
    # wider, it leaks into the cord: the size and the limit are said, and it only grows
    wide = [grow_region(post, case.lesion.center_mm, t) for t in (0.55, 0.67, 0.8)]
    wide_counts = [g.voxel_count for g in wide]
    assert wide_counts == sorted(wide_counts) and wide_counts[0] >= counts[-1]
    for g in wide:
        assert g.reached_limit
        (warning,) = g.warnings
        assert f"{g.volume_cm3:.1f} cm³" in warning
        assert f"{DEFAULT_GROW_MAX_RADIUS_MM:g} mm growth limit" in warning
        assert "leaked" in warning


def test_a_seed_off_the_lesion_with_a_narrow_band_is_reported_tiny() -> None:
    _, post = _case2()
    # a seed in the noisy background beside the body: nothing within 1 % of it is connected
    corner = post.index_to_patient(np.array([[2.0, 2.0, 5.0]]))[0]
    grown = grow_region(post, corner, 0.01)
    assert grown.voxel_count < 8
    (warning,) = grown.warnings
    assert f"only {grown.voxel_count} voxel" in warning and "at tolerance ±1 %" in warning
