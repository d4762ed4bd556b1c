"""The one sampler (imaging.sampling, over scipy.ndimage.map_coordinates)."""

from __future__ import annotations

import numpy as np
import pytest

from imaging.sampling import (
    sample_at_ijk,
    sample_at_index,
    sample_linear_inside,
    sample_nearest_inside,
)


def linear(k, j, i):
    return 1.0 + 2.0 * i + 30.0 * j + 500.0 * k


@pytest.fixture
def volume() -> np.ndarray:
    k, j, i = np.mgrid[0:4, 0:5, 0:6]
    return linear(k, j, i).astype(np.float32)


def test_trilinear_is_exact_for_a_linear_field_inside(volume):
    rng = np.random.default_rng(0)
    ijk = rng.uniform([0, 0, 0], [5, 4, 3], size=(50, 3))
    expected = linear(ijk[:, 2], ijk[:, 1], ijk[:, 0])
    np.testing.assert_allclose(sample_at_ijk(volume, ijk), expected, rtol=1e-6)
    kji = [ijk[:, 2], ijk[:, 1], ijk[:, 0]]
    np.testing.assert_array_equal(sample_at_index(volume, kji), sample_at_ijk(volume, ijk))


def test_edge_modes(volume):
    beyond = np.array([[-0.5, 0.0, 0.0], [-2.0, 0.0, 0.0]])
    # grid-constant fades to the fill over the last half voxel, then is the fill
    np.testing.assert_allclose(sample_at_ijk(volume, beyond, fill=0.0), [0.5, 0.0])
    # nearest repeats the edge voxel
    np.testing.assert_allclose(sample_at_ijk(volume, beyond, mode="nearest"), [1.0, 1.0])
    assert np.isnan(sample_at_ijk(volume, beyond, mode="constant", fill=np.nan)[1])


def test_sample_inside_reaches_the_outer_faces_with_the_edge_value(volume):
    ijk = np.array(
        [
            [-0.5, 0.0, 0.0],  # on the outer face: the edge value
            [-0.51, 0.0, 0.0],  # just outside: the fill
            [5.5, 4.5, 3.5],  # far corner face
            [2.25, 1.5, 1.0],  # inside: trilinear
        ]
    )
    values = sample_linear_inside(volume, ijk, fill=np.nan)
    assert values.dtype == np.float32
    assert values[0] == pytest.approx(1.0)
    assert np.isnan(values[1])
    assert values[2] == pytest.approx(linear(3, 4, 5))
    assert values[3] == pytest.approx(linear(1.0, 1.5, 2.25))
    as_int = sample_linear_inside(volume.astype(np.int32), ijk[3:], fill=0.0)
    assert as_int.dtype == np.float32 and as_int[0] == pytest.approx(linear(1.0, 1.5, 2.25))


def test_nearest_inside_keeps_the_dtype_and_rounds_half_to_even():
    mask = np.zeros((1, 1, 4), dtype=bool)
    mask[0, 0, 2] = True
    ijk = np.array([[1.5, 0.0, 0.0], [2.5, 0.0, 0.0], [3.49, 0.0, 0.0], [3.5, 0.0, 0.0]])
    values = sample_nearest_inside(mask, ijk, fill=False)
    assert values.dtype == bool
    # 1.5 -> 2 (inside the mask), 2.5 -> 2, 3.49 -> 3, 3.5 -> 4 (outside: the fill)
    np.testing.assert_array_equal(values, [True, True, False, False])
