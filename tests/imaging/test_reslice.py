"""Reslice geometry against analytic expectations (linear test fields, known orientations)."""

from __future__ import annotations

import numpy as np
import pytest

from imaging.reslice import (
    VIEW_PLANES,
    acquired_plane,
    extract_slice,
    move_to_slice,
    planes_for,
    sample_on_plane,
    slice_array,
    slice_geometry,
    slice_index_at,
)
from imaging.volume import Volume

EXPECTED_SCREEN = {
    "axial": ((1, 0, 0), (0, 1, 0)),
    "coronal": ((1, 0, 0), (0, 0, -1)),
    "sagittal": ((0, 1, 0), (0, 0, -1)),
}


def linear_field(xyz: np.ndarray) -> np.ndarray:
    """A field whose value tells where it was sampled: exact under trilinear interpolation."""
    return xyz[..., 0] + 10.0 * xyz[..., 1] + 100.0 * xyz[..., 2]


def volume_with_field(affine: np.ndarray, shape: tuple[int, int, int]) -> Volume:
    k, j, i = np.meshgrid(*(np.arange(n) for n in shape), indexing="ij")
    ijk = np.stack([i, j, k], axis=-1).astype(float)
    xyz = ijk @ affine[:3, :3].T + affine[:3, 3]
    return Volume(linear_field(xyz).astype(np.float64), affine)


def axial_affine(spacing=(0.5, 0.7, 3.0), origin=(-20.0, -30.0, -100.0)) -> np.ndarray:
    affine = np.diag([*spacing, 1.0])
    affine[:3, 3] = origin
    return affine


def sagittal_affine(step_x_mm: float = -4.0) -> np.ndarray:
    """DICOM sagittal: rows run posterior (+y), columns run inferior (-z), slices along x."""
    affine = np.eye(4)
    affine[:3, 0] = (0.0, 0.8, 0.0)
    affine[:3, 1] = (0.0, 0.0, -0.9)
    affine[:3, 2] = (step_x_mm, 0.0, 0.0)
    affine[:3, 3] = (30.0, -60.0, 50.0)
    return affine


def rotation_x(angle_deg: float) -> np.ndarray:
    a = np.radians(angle_deg)
    return np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])


@pytest.mark.parametrize(
    ("affine", "shape", "acquired"),
    [
        (axial_affine(), (6, 9, 7), "axial"),
        (sagittal_affine(), (5, 11, 8), "sagittal"),
        (sagittal_affine(step_x_mm=+4.0), (5, 11, 8), "sagittal"),
    ],
)
def test_every_plane_shows_the_field_at_its_pixel_positions(affine, shape, acquired):
    volume = volume_with_field(affine, shape)
    assert acquired_plane(volume) == acquired
    assert planes_for(volume)[0] == acquired
    assert set(planes_for(volume)) == set(VIEW_PLANES)
    for plane in VIEW_PLANES:
        geometry = slice_geometry(volume, plane, 1)
        pixels = slice_array(volume.array, geometry)
        assert pixels.shape == (geometry.height, geometry.width)
        ys, xs = np.mgrid[0 : geometry.height, 0 : geometry.width]
        xyz = geometry.pixel_to_patient(np.stack([xs, ys], -1))
        np.testing.assert_allclose(pixels, linear_field(xyz), atol=1e-9)
        right, down = EXPECTED_SCREEN[plane]
        np.testing.assert_allclose(geometry.right_direction, right, atol=1e-12)
        np.testing.assert_allclose(geometry.down_direction, down, atol=1e-12)
        assert np.shares_memory(pixels, volume.array)  # a view, not a copy


def test_reformat_of_axial_series_keeps_anisotropic_pixel_size():
    volume = volume_with_field(axial_affine(spacing=(0.5, 0.7, 3.0)), (6, 9, 7))
    sagittal = slice_geometry(volume, "sagittal", 0)
    assert (sagittal.width, sagittal.height) == (9, 6)  # posterior across, slices down
    assert sagittal.spacing_x_mm == pytest.approx(0.7)
    assert sagittal.spacing_y_mm == pytest.approx(3.0)
    assert sagittal.extent_mm == pytest.approx((6.3, 18.0))
    assert sagittal.slice_spacing_mm == pytest.approx(0.5)


def test_pixel_and_patient_coordinates_round_trip_and_distance_to_plane():
    volume = volume_with_field(sagittal_affine(), (5, 11, 8))
    geometry = slice_geometry(volume, "axial", 4)
    xy = np.array([[0.0, 0.0], [2.5, 3.25], [7.0, 4.0]])
    xyz = geometry.pixel_to_patient(xy)
    np.testing.assert_allclose(geometry.patient_to_pixel(xyz), xy, atol=1e-9)
    np.testing.assert_allclose(geometry.distance_to_plane_mm(xyz), 0.0, atol=1e-9)
    above = xyz + geometry.normal_direction * 2.0
    np.testing.assert_allclose(geometry.distance_to_plane_mm(above), 2.0, atol=1e-9)
    # the axial plane's position is its z, which row 4 of a 0.9 mm inferior-running grid sets
    assert geometry.position_mm == pytest.approx(50.0 - 4 * 0.9)
    assert geometry.position_label == "z = 46.4 mm"


def test_slice_through_a_point_and_scrolling_keep_the_in_plane_position():
    volume = volume_with_field(axial_affine(), (6, 9, 7))
    point = np.array([-18.0, -27.2, -94.2])  # i = 4, j = 4, k = 1.93
    assert slice_index_at(volume, "axial", point) == 2
    assert slice_index_at(volume, "sagittal", point) == 4
    assert slice_index_at(volume, "axial", point + np.array([0.0, 0.0, 1e4])) == 5  # clamped
    pixels, geometry = extract_slice(volume, "axial", point)
    assert geometry.index == 2
    np.testing.assert_allclose(pixels, volume.array[2])
    moved = move_to_slice(volume, "axial", point, 4)
    np.testing.assert_allclose(moved, (-18.0, -27.2, -88.0))
    assert geometry.index_at(moved) == 4


def test_second_volume_on_another_grid_is_resampled_exactly_for_a_linear_field():
    reference = volume_with_field(sagittal_affine(), (5, 40, 30))
    other_affine = axial_affine(spacing=(0.6, 0.6, 2.5), origin=(10.0, -65.0, 10.0))
    other = volume_with_field(other_affine, (20, 60, 40))
    geometry = slice_geometry(reference, "sagittal", 2)
    sampled = sample_on_plane(other, geometry, order=1, fill=np.nan)
    ys, xs = np.mgrid[0 : geometry.height, 0 : geometry.width]
    expected = linear_field(geometry.pixel_to_patient(np.stack([xs, ys], -1)))
    inside = ~np.isnan(sampled)
    assert inside.sum() > 100
    np.testing.assert_allclose(sampled[inside], expected[inside], rtol=1e-5, atol=1e-2)
    # nearest neighbour lands within half a voxel of the exact value
    nearest = sample_on_plane(other, geometry, order=0, fill=np.nan)
    half_voxel_error = 0.5 * (0.6 + 10 * 0.6 + 100 * 2.5) + 1e-6
    assert np.nanmax(np.abs(nearest - expected)) <= half_voxel_error


def test_sampling_on_its_own_grid_is_a_view_and_honours_the_step():
    volume = volume_with_field(axial_affine(), (6, 9, 7))
    geometry = slice_geometry(volume, "coronal", 3)
    sampled = sample_on_plane(volume, geometry, pixel_step=2)
    np.testing.assert_array_equal(sampled, slice_array(volume.array, geometry)[::2, ::2])
    assert np.shares_memory(sampled, volume.array)


def test_mask_on_a_different_grid_is_drawn_where_the_sphere_is():
    reference = volume_with_field(
        axial_affine(spacing=(1.0, 1.0, 1.0), origin=(0, 0, 0)), (40, 40, 40)
    )
    mask_affine = axial_affine(spacing=(0.5, 0.5, 0.5), origin=(5.0, 5.0, 5.0))
    k, j, i = np.mgrid[0:60, 0:60, 0:60]
    xyz = np.stack([i, j, k], -1) * 0.5 + 5.0
    mask = Volume(np.linalg.norm(xyz - (20.0, 20.0, 20.0), axis=-1) <= 6.0, mask_affine)
    geometry = slice_geometry(reference, "axial", 20)  # z = 20 through the centre
    drawn = sample_on_plane(mask, geometry, order=0, fill=False)
    assert drawn.dtype == bool
    ys, xs = np.nonzero(drawn)
    assert np.pi * 6.0**2 * 0.85 < drawn.sum() < np.pi * 6.0**2 * 1.15
    assert xs.mean() == pytest.approx(20.0, abs=0.5)
    assert ys.mean() == pytest.approx(20.0, abs=0.5)


def test_slightly_oblique_grid_still_gives_three_distinct_planes():
    affine = np.eye(4)
    affine[:3, :3] = rotation_x(12.0) @ np.diag([0.8, 0.8, 3.0])
    volume = volume_with_field(affine, (5, 10, 10))
    assert acquired_plane(volume) == "axial"
    axes = {slice_geometry(volume, plane, 0).normal_axis for plane in VIEW_PLANES}
    assert axes == {0, 1, 2}
    geometry = slice_geometry(volume, "sagittal", 3)
    xy = np.array([4.0, 2.0])
    np.testing.assert_allclose(geometry.patient_to_pixel(geometry.pixel_to_patient(xy)), xy)


def test_slice_outside_the_volume_is_refused():
    volume = volume_with_field(axial_affine(), (6, 9, 7))
    with pytest.raises(IndexError, match=r"slice 6 outside 0\.\.5"):
        slice_geometry(volume, "axial", 6)
