"""resample_to and map_index: one volume on another's grid, checked with an analytic field."""

from __future__ import annotations

import numpy as np
import pytest

from imaging import Volume, map_index, resample_to
from imaging.volume import affine_from_dicom


def linear_field_volume(affine: np.ndarray, shape: tuple[int, int, int]) -> Volume:
    """A volume whose value at every voxel is x + 2y + 3z of its LPS position (mm)."""
    k, j, i = np.meshgrid(*(np.arange(n) for n in shape), indexing="ij")
    ijk = np.stack([i, j, k], axis=-1).astype(float)
    xyz = ijk @ affine[:3, :3].T + affine[:3, 3]
    return Volume(array=(xyz @ np.array([1.0, 2.0, 3.0])).astype(np.float32), affine=affine)


SAGITTAL = affine_from_dicom(
    np.array([-20.0, -40.0, 60.0]),
    np.array([0, 1.0, 0]),
    np.array([0, 0, -1.0]),
    (1.5, 1.2),
    np.array([4.0, 0, 0]),
)
AXIAL = affine_from_dicom(
    np.array([-15.0, -30.0, 10.0]),
    np.array([1.0, 0, 0]),
    np.array([0, 1.0, 0]),
    (0.9, 0.8),
    np.array([0, 0, 3.0]),
)


def test_linear_resampling_reproduces_a_linear_field() -> None:
    sagittal = linear_field_volume(SAGITTAL, (12, 50, 70))  # x -20..24, y -40..43, z 60..-13
    axial_grid = Volume(array=np.zeros((30, 40, 30), np.float32), affine=AXIAL)  # z 10..97
    resampled = resample_to(sagittal, axial_grid, default_value=-1.0)

    assert resampled.shape == axial_grid.shape
    np.testing.assert_allclose(resampled.affine, AXIAL)
    expected = linear_field_volume(AXIAL, axial_grid.shape).array
    inside = sagittal.contains_index(
        sagittal.patient_to_index(
            axial_grid.index_to_patient(
                np.stack(np.meshgrid(*(np.arange(n) for n in (30, 40, 30)), indexing="ij"), -1)
            )
        )
    ).transpose(2, 1, 0)
    assert inside.any() and not inside.all()
    interior = inside & (resampled.array != -1.0)
    np.testing.assert_allclose(resampled.array[interior], expected[interior], atol=1e-3)
    assert np.all(resampled.array[~inside] == -1.0)


def test_nearest_keeps_labels() -> None:
    labels = Volume(array=np.zeros((12, 50, 70), np.uint8), affine=SAGITTAL)
    labels.array[4:8, 10:30, 20:50] = 3
    on_axial = resample_to(
        labels,
        Volume(array=np.zeros((10, 40, 30), np.uint8), affine=AXIAL),
        interpolator="nearest",
    )
    assert on_axial.array.dtype == np.uint8
    assert set(np.unique(on_axial.array)) <= {0, 3}
    assert (on_axial.array == 3).any()


def test_unknown_interpolator() -> None:
    volume = Volume(array=np.zeros((2, 2, 2)), affine=np.eye(4))
    with pytest.raises(ValueError, match="interpolator must be one of"):
        resample_to(volume, volume, interpolator="cubic")  # type: ignore[arg-type]


def test_map_index_between_grids() -> None:
    sagittal = Volume(array=np.zeros((12, 50, 70)), affine=SAGITTAL)
    axial = Volume(array=np.zeros((10, 40, 30)), affine=AXIAL)
    ijk = np.array([[3.0, 7.5, 2.0], [10.0, 20.0, 5.0]])
    in_axial = map_index(sagittal, axial, ijk)
    np.testing.assert_allclose(
        axial.index_to_patient(in_axial), sagittal.index_to_patient(ijk), atol=1e-9
    )
    np.testing.assert_allclose(map_index(axial, sagittal, in_axial), ijk, atol=1e-9)
