"""Volume geometry against SimpleITK's own index<->physical conversions."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk

from imaging.errors import GeometryError
from imaging.geometry import orientation_of_cosines, patient_direction_letters
from imaging.volume import Volume, affine_from_dicom


def _oblique_volume() -> Volume:
    angle = np.radians(20.0)
    row = np.array([np.sin(angle), np.cos(angle), 0.0])
    col = np.array([0.0, 0.0, -1.0])
    normal = np.cross(row, col)
    affine = affine_from_dicom(
        first_position_mm=np.array([-12.0, -80.5, 210.0]),
        row_cosine=row,
        column_cosine=col,
        pixel_spacing_mm=(0.9, 0.7),
        slice_step_mm=normal * 3.5,
    )
    array = np.arange(4 * 6 * 5, dtype=np.int16).reshape(4, 6, 5)
    return Volume(array=array, affine=affine)


def test_index_to_patient_agrees_with_simpleitk() -> None:
    volume = _oblique_volume()
    image = volume.to_sitk()
    for ijk in [(0, 0, 0), (4, 5, 3), (2, 1, 2)]:
        expected = image.TransformIndexToPhysicalPoint(tuple(int(v) for v in ijk))
        np.testing.assert_allclose(volume.index_to_patient(ijk), expected, atol=1e-9)
    continuous = (1.25, 3.5, 0.75)
    expected = image.TransformContinuousIndexToPhysicalPoint(continuous)
    np.testing.assert_allclose(volume.index_to_patient(continuous), expected, atol=1e-9)
    np.testing.assert_allclose(volume.patient_to_index(expected), continuous, atol=1e-9)


def test_sitk_round_trip_keeps_voxels_and_geometry() -> None:
    volume = _oblique_volume()
    back = Volume.from_sitk(volume.to_sitk())
    assert back.same_grid(volume)
    np.testing.assert_array_equal(back.array, volume.array)
    assert volume.spacing_mm == pytest.approx((0.7, 0.9, 3.5))
    assert volume.orientation == "oblique"


def test_array_order_matches_simpleitk_indexing() -> None:
    volume = _oblique_volume()
    image = volume.to_sitk()
    # SimpleITK's GetPixel takes (i, j, k); numpy's array is [k, j, i].
    assert image.GetPixel(4, 2, 3) == volume.array[3, 2, 4]


@pytest.mark.parametrize(
    ("row", "col", "expected"),
    [
        ((0, 1, 0), (0, 0, -1), "sagittal"),
        ((1, 0, 0), (0, 0, -1), "coronal"),
        ((1, 0, 0), (0, 1, 0), "axial"),
        ((1, 0, 0), (0, np.cos(0.5), np.sin(0.5)), "oblique"),
    ],
)
def test_orientation_names(row, col, expected) -> None:
    assert orientation_of_cosines(np.array(row), np.array(col)) == expected


def test_direction_letters() -> None:
    assert patient_direction_letters(np.array([0, 0, 1.0])) == "S"
    assert patient_direction_letters(np.array([-1.0, 0, 0])) == "R"
    assert patient_direction_letters(np.array([0.7, -0.7, 0.1])) in {"LA", "AL"}


def test_invalid_geometry_is_a_domain_error() -> None:
    with pytest.raises(GeometryError, match="3D array"):
        Volume(array=np.zeros((4, 4)), affine=np.eye(4))
    singular = np.eye(4)
    singular[:3, 2] = singular[:3, 0]
    with pytest.raises(GeometryError, match="singular"):
        Volume(array=np.zeros((2, 2, 2)), affine=singular)
    with pytest.raises(GeometryError, match="does not match"):
        Volume(array=np.zeros((2, 2, 2)), affine=np.eye(4)).with_array(np.zeros((3, 2, 2)))


def test_same_grid_uses_a_tolerance() -> None:
    volume = Volume(array=np.zeros((2, 3, 4)), affine=np.eye(4))
    nudged = np.eye(4)
    nudged[0, 3] = 1e-5
    assert volume.same_grid(Volume(array=np.zeros((2, 3, 4)), affine=nudged))
    nudged[0, 3] = 0.1
    assert not volume.same_grid(Volume(array=np.zeros((2, 3, 4)), affine=nudged))


def test_sitk_image_spacing_direction_are_exact() -> None:
    image = sitk.Image(5, 6, 7, sitk.sitkInt16)
    image.SetSpacing((0.5, 0.75, 4.0))
    image.SetOrigin((10.0, -20.0, 30.0))
    image.SetDirection((0, 0, -1, 1, 0, 0, 0, -1, 0))
    volume = Volume.from_sitk(image)
    assert volume.shape == (7, 6, 5)
    assert volume.spacing_mm == pytest.approx((0.5, 0.75, 4.0))
    np.testing.assert_allclose(volume.direction.ravel(), image.GetDirection(), atol=1e-12)
    assert volume.orientation == "sagittal"
