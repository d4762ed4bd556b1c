"""Planes through a `Volume` for display: the acquired plane and its two orthogonal reformats.

A view shows one *patient plane* (sagittal, coronal or axial) of a volume. The plane is taken
along the volume's own grid axis closest to that plane's normal, so extracting it is plain numpy
slicing (a view of the voxel array, no copy and no interpolation) even for slightly oblique
acquisitions. Screen directions follow the radiological reading convention:

==========  =====================  =========================
plane       screen right            screen down
==========  =====================  =========================
axial       patient left (+x, L)    posterior (+y, P)
coronal     patient left (+x, L)    inferior (-z, I)
sagittal    posterior (+y, P)       inferior (-z, I)
==========  =====================  =========================

`SliceGeometry` maps between view pixel coordinates ``(x, y)`` (pixel centres at integers,
``x`` along columns of the 2D array) and patient LPS millimetres. A second volume in the same
frame of reference -- another series on a different grid, a mask, a dose -- is linked by
patient position: `slice_index_at` finds its own slice through a patient point, and
`sample_on_plane` resamples it onto another volume's plane (nearest neighbour or trilinear) only
where a true reslice is needed.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np

from imaging.geometry import GEOMETRY_TOLERANCE_MM, Grid
from imaging.sampling import sample_linear_inside, sample_nearest_inside
from imaging.volume import Volume

ViewPlane = Literal["sagittal", "coronal", "axial"]

#: Every plane a view can show, in the order used for an axial/sagittal/coronal triple.
VIEW_PLANES: tuple[ViewPlane, ViewPlane, ViewPlane] = ("sagittal", "coronal", "axial")

#: LPS axis (0 = x/L, 1 = y/P, 2 = z/S) normal to each patient plane.
PLANE_NORMAL_AXIS: dict[ViewPlane, int] = {"sagittal": 0, "coronal": 1, "axial": 2}

#: (LPS axis, sign) pointing to screen right and to screen down for each plane.
SCREEN_AXES: dict[ViewPlane, tuple[tuple[int, int], tuple[int, int]]] = {
    "axial": ((0, +1), (1, +1)),
    "coronal": ((0, +1), (2, -1)),
    "sagittal": ((1, +1), (2, -1)),
}

_LPS_AXIS_NAMES = ("x", "y", "z")


def grid_axes_of_lps(volume: Volume) -> tuple[int, int, int]:
    """The grid axis (0 = i, 1 = j, 2 = k) that runs closest to each LPS axis x, y, z.

    The assignment is a permutation chosen to maximise the summed alignment, so the three
    patient planes always fall on three distinct grid axes, even for oblique grids.
    """
    direction = np.abs(volume.direction)  # rows: LPS axis, columns: grid axis
    best = max(
        itertools.permutations(range(3)),
        key=lambda perm: sum(direction[lps, perm[lps]] for lps in range(3)),
    )
    return (best[0], best[1], best[2])


def acquired_plane(volume: Volume) -> ViewPlane:
    """The patient plane that contains the acquired slices (constant ``k``)."""
    lps_of_grid = {grid: lps for lps, grid in enumerate(grid_axes_of_lps(volume))}
    return VIEW_PLANES[lps_of_grid[2]]


def planes_for(volume: Volume) -> tuple[ViewPlane, ViewPlane, ViewPlane]:
    """The acquired plane first, then the two orthogonal reformats (e.g. sag, ax, cor)."""
    first = acquired_plane(volume)
    order: dict[ViewPlane, tuple[ViewPlane, ViewPlane]] = {
        "sagittal": ("axial", "coronal"),
        "axial": ("sagittal", "coronal"),
        "coronal": ("sagittal", "axial"),
    }
    second, third = order[first]
    return (first, second, third)


@dataclass(frozen=True)
class SliceGeometry:
    """Where one displayed 2D slice of a volume lies in patient space.

    Attributes
    ----------
    plane : the patient plane shown.
    normal_axis : grid axis (0 = i, 1 = j, 2 = k) held constant on this slice.
    index : slice number along ``normal_axis`` (0-based).
    count : number of slices along ``normal_axis``.
    x_axis, y_axis : grid axes running along screen columns and screen rows.
    x_flipped, y_flipped : whether screen x / y run against the grid axis.
    pixel_affine : 3x3 matrix mapping ``(x, y, 1)`` to LPS mm (columns: mm per pixel along x,
        along y, and the LPS position of pixel (0, 0)): the slice as a 2D grid.
    grid : the :class:`imaging.geometry.Grid` of the volume the slice was cut from; the slice's
        size and pixel spacing are read from it (``width``, ``height``, ``spacing_x_mm``...).
    """

    plane: ViewPlane
    normal_axis: int
    index: int
    count: int
    x_axis: int
    y_axis: int
    x_flipped: bool
    y_flipped: bool
    pixel_affine: np.ndarray
    grid: Grid

    # -- the 2D grid ------------------------------------------------------------------------
    @property
    def width(self) -> int:
        """Columns of the 2D slice (pixels along screen x)."""
        return self.grid.size_ijk[self.x_axis]

    @property
    def height(self) -> int:
        """Rows of the 2D slice (pixels along screen y)."""
        return self.grid.size_ijk[self.y_axis]

    @property
    def spacing_x_mm(self) -> float:
        """Pixel size along screen x, mm."""
        return self.grid.spacing_mm[self.x_axis]

    @property
    def spacing_y_mm(self) -> float:
        """Pixel size along screen y, mm."""
        return self.grid.spacing_mm[self.y_axis]

    # -- directions -----------------------------------------------------------------------
    @property
    def right_direction(self) -> np.ndarray:
        """Unit LPS vector pointing to screen right."""
        return self.pixel_affine[:, 0] / self.spacing_x_mm

    @property
    def down_direction(self) -> np.ndarray:
        """Unit LPS vector pointing to screen down."""
        return self.pixel_affine[:, 1] / self.spacing_y_mm

    @property
    def normal_direction(self) -> np.ndarray:
        """Unit LPS vector of increasing slice index."""
        column = self.grid.affine[:3, self.normal_axis]
        return column / np.linalg.norm(column)

    @property
    def slice_spacing_mm(self) -> float:
        """Distance between neighbouring slices along the normal, in mm."""
        return float(np.linalg.norm(self.grid.affine[:3, self.normal_axis]))

    @property
    def center_mm(self) -> np.ndarray:
        """LPS position of the centre of the slice."""
        return self.pixel_to_patient(((self.width - 1) / 2.0, (self.height - 1) / 2.0))

    @property
    def position_mm(self) -> float:
        """Coordinate of the slice centre along the plane's LPS normal axis (x, y or z), mm."""
        return float(self.center_mm[PLANE_NORMAL_AXIS[self.plane]])

    @property
    def position_label(self) -> str:
        """E.g. ``"z = -331.0 mm"`` for an axial slice."""
        axis = _LPS_AXIS_NAMES[PLANE_NORMAL_AXIS[self.plane]]
        return f"{axis} = {self.position_mm:.1f} mm"

    @property
    def extent_mm(self) -> tuple[float, float]:
        """Width and height of the slice on screen in mm (pixel edges, not centres)."""
        return (self.width * self.spacing_x_mm, self.height * self.spacing_y_mm)

    # -- coordinates ----------------------------------------------------------------------
    def pixel_to_patient(self, xy: np.ndarray | tuple[float, float]) -> np.ndarray:
        """Map continuous pixel coordinates ``(..., 2)`` to LPS mm ``(..., 3)``."""
        xy = np.asarray(xy, dtype=float)
        return xy @ self.pixel_affine[:, :2].T + self.pixel_affine[:, 2]

    def patient_to_pixel(self, xyz_mm: np.ndarray | tuple[float, float, float]) -> np.ndarray:
        """Project LPS mm points ``(..., 3)`` onto the slice: continuous ``(x, y)``."""
        ijk = self._patient_to_index(xyz_mm)
        return np.stack([self._grid_to_screen(ijk, "x"), self._grid_to_screen(ijk, "y")], -1)

    def distance_to_plane_mm(self, xyz_mm: np.ndarray | tuple[float, float, float]) -> np.ndarray:
        """Signed distance of LPS points from the slice, along increasing slice index, in mm."""
        ijk = self._patient_to_index(xyz_mm)
        return (ijk[..., self.normal_axis] - self.index) * self.slice_spacing_mm

    def index_at(self, xyz_mm: np.ndarray | tuple[float, float, float]) -> int:
        """The slice of this grid and plane nearest to an LPS point (clamped to the volume)."""
        ijk = self._patient_to_index(xyz_mm)
        return int(np.clip(np.rint(ijk[self.normal_axis]), 0, self.count - 1))

    def same_in_plane(self, other: SliceGeometry) -> bool:
        """Whether ``other`` shows the same plane of the same grid (possibly another slice)."""
        return self.plane == other.plane and self.grid.same_as(other.grid, GEOMETRY_TOLERANCE_MM)

    @cached_property
    def _grid_inverse(self) -> np.ndarray:
        return np.linalg.inv(self.grid.affine)

    def _patient_to_index(self, xyz_mm: np.ndarray | tuple[float, float, float]) -> np.ndarray:
        xyz = np.asarray(xyz_mm, dtype=float)
        inverse = self._grid_inverse
        return xyz @ inverse[:3, :3].T + inverse[:3, 3]

    def _grid_to_screen(self, ijk: np.ndarray, which: str) -> np.ndarray:
        axis, flipped = (
            (self.x_axis, self.x_flipped) if which == "x" else (self.y_axis, self.y_flipped)
        )
        size = self.grid.shape[2 - axis]
        value = ijk[..., axis]
        return (size - 1) - value if flipped else value


def slice_geometry(volume: Volume, plane: ViewPlane, index: int) -> SliceGeometry:
    """The geometry of slice ``index`` of ``volume`` in patient plane ``plane``.

    Raises
    ------
    IndexError
        When ``index`` lies outside the volume along the plane's normal.
    """
    lps_to_grid = grid_axes_of_lps(volume)
    normal_axis = lps_to_grid[PLANE_NORMAL_AXIS[plane]]
    (right_lps, right_sign), (down_lps, down_sign) = SCREEN_AXES[plane]
    x_axis, y_axis = lps_to_grid[right_lps], lps_to_grid[down_lps]
    direction = volume.direction
    x_flipped = bool(np.sign(direction[right_lps, x_axis]) != right_sign)
    y_flipped = bool(np.sign(direction[down_lps, y_axis]) != down_sign)
    size_ijk = volume.size_ijk
    count = size_ijk[normal_axis]
    if not 0 <= index < count:
        raise IndexError(f"slice {index} outside 0..{count - 1} of the {plane} plane")

    # grid index of pixel (x, y): base + x * step_x + y * step_y
    base = np.zeros(3)
    base[normal_axis] = index
    step_x = np.zeros(3)
    step_y = np.zeros(3)
    step_x[x_axis] = -1.0 if x_flipped else 1.0
    step_y[y_axis] = -1.0 if y_flipped else 1.0
    if x_flipped:
        base[x_axis] = size_ijk[x_axis] - 1
    if y_flipped:
        base[y_axis] = size_ijk[y_axis] - 1
    linear = volume.affine[:3, :3]
    pixel_affine = np.column_stack(
        [linear @ step_x, linear @ step_y, linear @ base + volume.affine[:3, 3]]
    )
    pixel_affine.setflags(write=False)
    return SliceGeometry(
        plane=plane,
        normal_axis=normal_axis,
        index=int(index),
        count=count,
        x_axis=x_axis,
        y_axis=y_axis,
        x_flipped=x_flipped,
        y_flipped=y_flipped,
        pixel_affine=pixel_affine,
        grid=volume.geometry,
    )


def slice_index_at(volume: Volume, plane: ViewPlane, point_mm: np.ndarray) -> int:
    """The slice of ``volume`` in ``plane`` nearest to an LPS point, clamped to the volume."""
    normal_axis = grid_axes_of_lps(volume)[PLANE_NORMAL_AXIS[plane]]
    ijk = volume.patient_to_index(point_mm)
    return int(np.clip(np.rint(ijk[normal_axis]), 0, volume.size_ijk[normal_axis] - 1))


def slice_array(array: np.ndarray, geometry: SliceGeometry) -> np.ndarray:
    """The 2D slice ``(height, width)`` of a voxel array on ``geometry``'s grid: a numpy view.

    ``array`` is any array shaped like the geometry's volume (the image itself, a mask, a dose
    on the same grid). No data are copied: the result may have negative strides.
    """
    if array.shape != geometry.grid.shape:
        raise ValueError(f"array shape {array.shape} is not the grid {geometry.grid.shape}")
    index: list[int | slice] = [slice(None)] * 3
    index[2 - geometry.normal_axis] = geometry.index
    plane = array[tuple(index)]
    # remaining numpy axes keep their order: the one with the larger grid number comes first
    if 2 - geometry.y_axis > 2 - geometry.x_axis:
        plane = plane.T
    if geometry.y_flipped:
        plane = plane[::-1, :]
    if geometry.x_flipped:
        plane = plane[:, ::-1]
    return plane


def extract_slice(
    volume: Volume, plane: ViewPlane, point_mm: np.ndarray
) -> tuple[np.ndarray, SliceGeometry]:
    """The slice of ``volume`` in ``plane`` through an LPS point, and its geometry.

    The pixels are a view of ``volume.array`` (no copy, no interpolation).
    """
    geometry = slice_geometry(volume, plane, slice_index_at(volume, plane, point_mm))
    return slice_array(volume.array, geometry), geometry


def move_to_slice(volume: Volume, plane: ViewPlane, point_mm: np.ndarray, index: int) -> np.ndarray:
    """``point_mm`` moved along the grid's normal onto slice ``index`` (clamped), in LPS mm.

    Scrolling a view uses this so the in-plane part of the linked point stays where it was.
    """
    normal_axis = grid_axes_of_lps(volume)[PLANE_NORMAL_AXIS[plane]]
    ijk = volume.patient_to_index(np.asarray(point_mm, dtype=float))
    ijk[normal_axis] = float(np.clip(index, 0, volume.size_ijk[normal_axis] - 1))
    return volume.index_to_patient(ijk)


def sample_on_plane(
    volume: Volume,
    geometry: SliceGeometry,
    *,
    order: Literal[0, 1] = 0,
    fill: float = 0.0,
    pixel_step: int = 1,
) -> np.ndarray:
    """Resample ``volume`` at the pixel centres of a slice cut from another (or the same) grid.

    Parameters
    ----------
    volume : Volume
        The volume to sample (same frame of reference as the slice; any grid).
    geometry : SliceGeometry
        The plane to sample on; pixel ``(x, y)`` is sampled at ``geometry.pixel_to_patient``.
    order : 0 or 1
        0 = nearest neighbour (masks, labels), 1 = trilinear (dose, continuous images).
    fill : float
        Value for pixels outside ``volume``.
    pixel_step : int
        Sample every ``pixel_step``-th pixel along x and y (a coarse dose grid needs no more).

    Returns
    -------
    numpy.ndarray
        Shape ``(ceil(height / step), ceil(width / step))``; element ``[r, c]`` is the value at
        pixel ``(c * step, r * step)``. When ``volume`` is on the slice's own grid this is a
        (strided) numpy view, no interpolation.
    """
    step = max(1, int(pixel_step))
    if volume.geometry.same_as(geometry.grid, GEOMETRY_TOLERANCE_MM):
        return slice_array(volume.array, geometry)[::step, ::step]
    xs = np.arange(0, geometry.width, step, dtype=float)
    ys = np.arange(0, geometry.height, step, dtype=float)
    return _sample_points(volume, geometry, xs, ys, order, fill)


def sample_window_on_plane(
    volume: Volume,
    geometry: SliceGeometry,
    *,
    order: Literal[0, 1] = 0,
    fill: float = 0.0,
    pixel_step: int = 1,
) -> tuple[np.ndarray, tuple[int, int]]:
    """Like `sample_on_plane`, but only over the part of the slice that ``volume`` can cover.

    A dose grid or a lesion mask usually covers a small part of the slice; sampling just the
    bounding rectangle of its footprint saves most of the work.

    Returns
    -------
    values : numpy.ndarray
        Element ``[r, c]`` is the value at pixel ``(x0 + c * step, y0 + r * step)``; empty
        (shape ``(0, 0)``) when ``volume`` does not reach the slice.
    origin : tuple of int
        ``(x0, y0)``, the pixel of element ``[0, 0]``.
    """
    step = max(1, int(pixel_step))
    same_grid = volume.geometry.same_as(geometry.grid, GEOMETRY_TOLERANCE_MM)
    if same_grid:
        return slice_array(volume.array, geometry)[::step, ::step], (0, 0)
    size = np.asarray(volume.size_ijk, dtype=float)
    corners_ijk = np.array(list(itertools.product(*[(-0.5, n - 0.5) for n in size])))
    corners_mm = volume.index_to_patient(corners_ijk)
    distance = geometry.distance_to_plane_mm(corners_mm)
    if distance.min() > 0.0 or distance.max() < 0.0:  # the slice misses the volume
        return np.zeros((0, 0), dtype=volume.array.dtype), (0, 0)
    xy = geometry.patient_to_pixel(corners_mm)
    x0 = max(0, int(np.floor(xy[:, 0].min())) - 1)
    y0 = max(0, int(np.floor(xy[:, 1].min())) - 1)
    x1 = min(geometry.width - 1, int(np.ceil(xy[:, 0].max())) + 1)
    y1 = min(geometry.height - 1, int(np.ceil(xy[:, 1].max())) + 1)
    if x1 < x0 or y1 < y0:
        return np.zeros((0, 0), dtype=volume.array.dtype), (0, 0)
    xs = np.arange(x0, x1 + 1, step, dtype=float)
    ys = np.arange(y0, y1 + 1, step, dtype=float)
    return _sample_points(volume, geometry, xs, ys, order, fill), (x0, y0)


def _sample_points(
    volume: Volume,
    geometry: SliceGeometry,
    xs: np.ndarray,
    ys: np.ndarray,
    order: int,
    fill: float,
) -> np.ndarray:
    inverse = np.linalg.inv(volume.affine)
    # (x, y, 1) -> ijk of the sampled volume, as one 3x3 matrix
    to_index = inverse[:3, :3] @ geometry.pixel_affine
    to_index[:, 2] += inverse[:3, 3]
    ijk = (
        to_index[:, 0][None, None, :] * xs[None, :, None]
        + to_index[:, 1][None, None, :] * ys[:, None, None]
        + to_index[:, 2][None, None, :]
    )
    if order == 0:
        return sample_nearest_inside(volume.array, ijk, fill=fill)
    return sample_linear_inside(volume.array, ijk, fill=fill)
