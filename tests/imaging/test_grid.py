"""The one geometry record: validation, index <-> LPS (checked against SimpleITK), tolerance."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk

from imaging.errors import GeometryError
from imaging.geometry import GEOMETRY_TOLERANCE_MM, Grid
from imaging.reslice import slice_geometry
from imaging.volume import Volume


def _oblique_grid() -> Grid:
    """A sheared-free oblique grid: rotated 20 deg about z and 10 deg about x, anisotropic."""
    a, b = np.radians(20.0), np.radians(10.0)
    rz = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
    affine = np.eye(4)
    affine[:3, :3] = rz @ rx @ np.diag([0.7, 0.9, 3.0])
    affine[:3, 3] = (-120.5, 33.0, -410.25)
    return Grid(affine, (7, 11, 13))


def _sitk_image(grid: Grid) -> sitk.Image:
    """An independent SimpleITK image of the same grid, built from origin, spacing, direction."""
    image = sitk.Image(list(grid.size_ijk), sitk.sitkUInt8)
    spacing = np.linalg.norm(grid.affine[:3, :3], axis=0)
    image.SetSpacing([float(v) for v in spacing])
    image.SetOrigin([float(v) for v in grid.affine[:3, 3]])
    image.SetDirection([float(v) for v in (grid.affine[:3, :3] / spacing).ravel()])
    return image


@pytest.mark.parametrize(
    ("affine", "shape", "message"),
    [
        (np.eye(3), (1, 1, 1), "4x4"),
        (np.full((4, 4), np.nan), (1, 1, 1), "4x4"),
        (np.diag([1.0, 1.0, 1.0, 2.0]), (1, 1, 1), "last affine row"),
        (np.diag([1.0, 0.0, 1.0, 1.0]), (1, 1, 1), "singular"),
        (np.eye(4), (2, 3), "3 counts"),
        (np.eye(4), (2, 0, 3), "3 counts"),
        (np.eye(4), (2, 1.5, 3), "3 counts"),
    ],
)
def test_a_grid_that_cannot_place_voxels_is_refused(affine, shape, message) -> None:
    with pytest.raises(GeometryError, match=message):
        Grid(affine, shape)


def test_the_affine_is_a_read_only_copy() -> None:
    affine = np.eye(4)
    grid = Grid(affine, (np.int64(2), 3, 4))
    affine[0, 0] = 5.0
    assert grid.affine[0, 0] == 1.0 and not grid.affine.flags.writeable
    assert grid.shape == (2, 3, 4) and all(type(n) is int for n in grid.shape)
    assert grid.size_ijk == (4, 3, 2)


def test_index_to_lps_agrees_with_simpleitk() -> None:
    grid = _oblique_grid()
    image = _sitk_image(grid)
    rng = np.random.default_rng(7)
    corners = [(0, 0, 0), (12, 10, 6), (12, 0, 6), (0, 10, 0)]
    for ijk in corners:
        expected = image.TransformIndexToPhysicalPoint([int(v) for v in ijk])
        np.testing.assert_allclose(grid.index_to_patient(np.array(ijk)), expected, atol=1e-9)
    continuous = rng.uniform(-0.5, 10.0, size=(20, 3))
    expected = [image.TransformContinuousIndexToPhysicalPoint(list(p)) for p in continuous]
    np.testing.assert_allclose(grid.index_to_patient(continuous), expected, atol=1e-9)
    # the comparison can fail: a grid one voxel off along k does not agree
    shifted = grid.affine.copy()
    shifted[:3, 3] += grid.affine[:3, 2]
    assert not np.allclose(Grid(shifted, grid.shape).index_to_patient(continuous), expected)


def test_lps_to_index_inverts_index_to_lps_and_matches_simpleitk() -> None:
    grid = _oblique_grid()
    image = _sitk_image(grid)
    points = grid.index_to_patient(np.array([[1.25, 2.5, 3.75], [0.0, 10.0, 6.0]]))
    back = grid.patient_to_index(points)
    np.testing.assert_allclose(back, [[1.25, 2.5, 3.75], [0.0, 10.0, 6.0]], atol=1e-9)
    for point, ijk in zip(points, back, strict=True):
        expected = image.TransformPhysicalPointToContinuousIndex([float(v) for v in point])
        np.testing.assert_allclose(ijk, expected, atol=1e-9)


def test_derived_properties_match_simpleitk() -> None:
    grid = _oblique_grid()
    image = _sitk_image(grid)
    np.testing.assert_allclose(grid.spacing_mm, image.GetSpacing(), atol=1e-12)
    np.testing.assert_allclose(grid.origin_mm, image.GetOrigin(), atol=1e-12)
    np.testing.assert_allclose(grid.direction.ravel(), image.GetDirection(), atol=1e-12)
    origin, spacing, direction = grid.sitk_geometry()
    again = Grid.from_sitk_geometry(origin, spacing, direction, image.GetSize())
    assert again.same_as(grid, 1e-9) and again.shape == grid.shape


def test_grids_are_compared_with_a_tolerance_never_exactly() -> None:
    grid = _oblique_grid()
    nudged = grid.affine.copy()
    nudged[0, 3] += GEOMETRY_TOLERANCE_MM / 2
    assert Grid(nudged, grid.shape).same_as(grid)
    nudged[0, 3] += GEOMETRY_TOLERANCE_MM * 2
    assert not Grid(nudged, grid.shape).same_as(grid)
    assert not Grid(grid.affine, (7, 11, 14)).same_as(grid)


def test_contains_index_reaches_half_a_voxel_beyond_the_centres() -> None:
    grid = Grid(np.eye(4), (2, 3, 4))
    inside = grid.contains_index(np.array([[-0.5, -0.5, -0.5], [3.5, 2.5, 1.5], [3.6, 0, 0]]))
    assert inside.tolist() == [True, True, False]


def test_a_volume_holds_its_grid_and_shares_it_with_its_masks() -> None:
    grid = _oblique_grid()
    volume = Volume(np.zeros(grid.shape, dtype=np.float32), geometry=grid)
    assert volume.geometry is grid and volume.affine is grid.affine
    mask = volume.with_array(np.ones(grid.shape, dtype=bool))
    assert mask.geometry is grid and mask.same_grid(volume)
    assert Volume(np.zeros(grid.shape), grid.affine).geometry.same_as(grid)
    with pytest.raises(GeometryError, match="does not match the grid"):
        Volume(np.zeros((1, 1, 1)), geometry=grid)
    with pytest.raises(GeometryError, match="either an affine or a geometry"):
        Volume(np.zeros(grid.shape))
    # round trip through SimpleITK keeps the grid
    assert Volume.from_sitk(volume.to_sitk()).geometry.same_as(grid, 1e-9)


def test_a_slice_is_a_2d_grid_cut_from_the_volume_grid() -> None:
    affine = np.diag([0.7, 0.8, 3.0, 1.0])
    volume = Volume(np.zeros((5, 6, 7), dtype=np.float32), affine)
    axial = slice_geometry(volume, "axial", 2)
    assert axial.grid is volume.geometry
    assert (axial.width, axial.height) == (7, 6)
    assert (axial.spacing_x_mm, axial.spacing_y_mm) == pytest.approx((0.7, 0.8))
    corner = axial.pixel_to_patient((6.0, 5.0))
    np.testing.assert_allclose(corner, volume.index_to_patient(np.array([6.0, 5.0, 2.0])))


def test_box_corners_are_the_voxel_edges() -> None:
    grid = _oblique_grid()
    image = _sitk_image(grid)
    corners = grid.box_corners_mm()
    assert corners.shape == (8, 3)
    far = [n - 0.5 for n in grid.size_ijk]
    expected = image.TransformContinuousIndexToPhysicalPoint(far)
    assert any(np.allclose(c, expected, atol=1e-9) for c in corners)
    nearest = image.TransformContinuousIndexToPhysicalPoint([-0.5, -0.5, -0.5])
    np.testing.assert_allclose(corners[0], nearest, atol=1e-9)
