"""Geometry in DICOM patient coordinates (LPS, millimetres): the :class:`Grid` record every
image, series and slice holds, and the orientation names of planes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from imaging.errors import GeometryError

Orientation = Literal["sagittal", "coronal", "axial", "oblique"]

#: Two grids are the same when every affine element agrees to this many millimetres.
GEOMETRY_TOLERANCE_MM = 1e-3

#: A plane counts as sagittal/coronal/axial when its normal is within this angle of an axis.
OBLIQUE_TOLERANCE_DEG = 10.0

_AXIS_PLANES: tuple[Orientation, Orientation, Orientation] = ("sagittal", "coronal", "axial")


def slice_normal(row_cosine: np.ndarray, column_cosine: np.ndarray) -> np.ndarray:
    """Unit normal of an image plane from ImageOrientationPatient's two direction cosines.

    ``row_cosine`` is the direction of increasing column index (the first three values of
    ImageOrientationPatient), ``column_cosine`` the direction of increasing row index.
    """
    normal = np.cross(np.asarray(row_cosine, float), np.asarray(column_cosine, float))
    norm = float(np.linalg.norm(normal))
    if norm < 1e-6:
        raise ValueError("ImageOrientationPatient cosines are parallel: no plane can be formed")
    return normal / norm


def orientation_of_normal(
    normal: np.ndarray, tolerance_deg: float = OBLIQUE_TOLERANCE_DEG
) -> Orientation:
    """Name the acquisition plane whose normal is ``normal`` (L->sagittal, P->coronal, S->axial)."""
    n = np.abs(np.asarray(normal, float))
    n = n / np.linalg.norm(n)
    axis = int(np.argmax(n))
    angle_deg = float(np.degrees(np.arccos(np.clip(n[axis], -1.0, 1.0))))
    return _AXIS_PLANES[axis] if angle_deg <= tolerance_deg else "oblique"


def orientation_of_cosines(row_cosine: np.ndarray, column_cosine: np.ndarray) -> Orientation:
    """Name the acquisition plane of ImageOrientationPatient's two cosines."""
    return orientation_of_normal(slice_normal(row_cosine, column_cosine))


def patient_direction_letters(direction: np.ndarray) -> str:
    """Letters (of L/R, P/A, S/I) a patient-space direction points towards, strongest first.

    Used for the orientation markers on view edges, e.g. ``(0, 0, 1)`` -> ``"S"`` and
    ``(0.7, 0, 0.7)`` -> ``"LS"``; components under 0.25 of the vector are left out.
    """
    d = np.asarray(direction, float)
    positive, negative = "LPS", "RAI"
    order = np.argsort(-np.abs(d))
    letters = []
    largest = float(np.max(np.abs(d))) or 1.0
    for axis in order:
        if abs(d[axis]) >= 0.25 * largest:
            letters.append(positive[axis] if d[axis] > 0 else negative[axis])
    return "".join(letters)


@dataclass(frozen=True, eq=False)
class Grid:
    """A regular 3D voxel grid in patient coordinates: the one geometry record.

    A :class:`imaging.volume.Volume`, a discovered series
    (:class:`imaging.discovery.SeriesInfo`), the stack of slices it was sorted from
    (:class:`imaging.series_geometry.StackGeometry`) and a displayed slice
    (:class:`imaging.reslice.SliceGeometry`) all hold one of these instead of each carrying an
    affine, a shape and a spacing. Like highdicom's ``VolumeGeometry``: an affine in patient
    coordinates plus a shape, validated when made, compared with a tolerance, never with ``==``.

    Parameters
    ----------
    affine : numpy.ndarray, shape (4, 4)
        Maps the index ``(column i, row j, slice k, 1)`` to patient LPS millimetres (ITK's
        convention; a voxel centre at integer indices). Stored as a read-only copy.
    shape : tuple of 3 int
        ``(slices, rows, columns)``: the shape of a voxel array on this grid, ``array[k, j, i]``
        (the order of ``SimpleITK.GetArrayFromImage``).

    Raises
    ------
    GeometryError
        An affine that is not a finite 4x4 matrix with last row ``(0, 0, 0, 1)``, a singular
        affine (two axes parallel or zero), or a shape that is not 3 counts of at least 1.
    """

    affine: np.ndarray
    shape: tuple[int, int, int]

    def __post_init__(self) -> None:
        affine = np.array(self.affine, dtype=float)  # own copy: the caller keeps theirs writable
        if affine.shape != (4, 4) or not np.all(np.isfinite(affine)):
            raise GeometryError(f"a grid affine must be a finite 4x4 matrix; got {affine!r}")
        if not np.allclose(affine[3], (0.0, 0.0, 0.0, 1.0)):
            raise GeometryError(f"the last affine row must be (0, 0, 0, 1); got {affine[3]}")
        if abs(np.linalg.det(affine[:3, :3])) < 1e-9:
            raise GeometryError("the grid affine is singular: two axes are parallel or zero")
        affine.setflags(write=False)
        object.__setattr__(self, "affine", affine)
        shape = tuple(self.shape)
        if len(shape) != 3 or not all(
            isinstance(n, int | np.integer) and not isinstance(n, bool) and n >= 1 for n in shape
        ):
            raise GeometryError(
                f"a grid shape is 3 counts (slices, rows, columns) of at least 1; got {shape}"
            )
        object.__setattr__(self, "shape", (int(shape[0]), int(shape[1]), int(shape[2])))

    # -- derived --------------------------------------------------------------------------
    @property
    def size_ijk(self) -> tuple[int, int, int]:
        """Number of voxels along ``(i, j, k)`` = (columns, rows, slices), ITK order."""
        k, j, i = self.shape
        return (i, j, k)

    @property
    def spacing_mm(self) -> tuple[float, float, float]:
        """Step lengths along ``(i, j, k)`` in mm (column, row, slice step).

        On a sheared grid (gantry tilt) the slice step is longer than the distance between the
        slice planes by 1/cos(tilt): use :attr:`slice_spacing_mm` for that distance and
        :attr:`voxel_volume_mm3` for volumes.
        """
        s = np.linalg.norm(self.affine[:3, :3], axis=0)
        return (float(s[0]), float(s[1]), float(s[2]))

    @property
    def voxel_volume_mm3(self) -> float:
        """Volume of one voxel, mm^3 (the affine's determinant: right for sheared grids too)."""
        return abs(float(np.linalg.det(self.affine[:3, :3])))

    @property
    def slice_spacing_mm(self) -> float:
        """Distance between successive slice planes, mm (the slice step's part along the normal
        of the rows and columns: shorter than the step of a gantry-tilted stack)."""
        column_step, row_step, _ = self.spacing_mm
        return self.voxel_volume_mm3 / (column_step * row_step)

    @property
    def direction(self) -> np.ndarray:
        """3x3 matrix whose columns are the unit LPS directions of the i, j, k axes."""
        return self.affine[:3, :3] / np.asarray(self.spacing_mm)

    @property
    def origin_mm(self) -> np.ndarray:
        """Patient LPS position of the centre of voxel (0, 0, 0), mm, shape (3,)."""
        return self.affine[:3, 3].copy()

    @property
    def orientation(self) -> Orientation:
        """The acquisition plane: the plane of constant slice index ``k``."""
        return orientation_of_normal(np.cross(self.direction[:, 0], self.direction[:, 1]))

    def bounds_mm(self) -> tuple[np.ndarray, np.ndarray]:
        """Minimum and maximum LPS corner over all voxel centres, mm, each shape (3,)."""
        corners = np.array(
            [
                [i, j, k]
                for i in (0, self.size_ijk[0] - 1)
                for j in (0, self.size_ijk[1] - 1)
                for k in (0, self.size_ijk[2] - 1)
            ],
            dtype=float,
        )
        points = self.index_to_patient(corners)
        return points.min(axis=0), points.max(axis=0)

    def box_corners_mm(self) -> np.ndarray:
        """The 8 outer corners of the voxel box (voxel edges, not centres), LPS mm, (8, 3)."""
        size = np.asarray(self.size_ijk, dtype=float) - 1.0
        corners = np.array(
            [
                [a, b, c]
                for a in (-0.5, size[0] + 0.5)
                for b in (-0.5, size[1] + 0.5)
                for c in (-0.5, size[2] + 0.5)
            ]
        )
        return self.index_to_patient(corners)

    # -- coordinates ----------------------------------------------------------------------
    def index_to_patient(self, ijk: np.ndarray) -> np.ndarray:
        """Map (continuous) indices ``(..., 3)`` in ``(i, j, k)`` order to LPS mm ``(..., 3)``."""
        ijk = np.asarray(ijk, dtype=float)
        return ijk @ self.affine[:3, :3].T + self.affine[:3, 3]

    def patient_to_index(self, xyz_mm: np.ndarray) -> np.ndarray:
        """Map LPS mm points ``(..., 3)`` to continuous ``(i, j, k)`` indices ``(..., 3)``."""
        xyz = np.asarray(xyz_mm, dtype=float)
        inverse = np.linalg.inv(self.affine)
        return xyz @ inverse[:3, :3].T + inverse[:3, 3]

    def contains_index(self, ijk: np.ndarray) -> np.ndarray:
        """Whether continuous indices ``(..., 3)`` fall within the grid (half a voxel beyond the
        centres); boolean ``(...)``."""
        ijk = np.asarray(ijk, dtype=float)
        upper = np.asarray(self.size_ijk, dtype=float) - 0.5
        return np.all((ijk >= -0.5) & (ijk <= upper), axis=-1)

    def same_as(self, other: Grid, tolerance_mm: float = GEOMETRY_TOLERANCE_MM) -> bool:
        """Whether ``other`` has the same shape and the same affine within ``tolerance_mm``."""
        return self.shape == other.shape and bool(
            np.allclose(self.affine, other.affine, atol=tolerance_mm, rtol=0.0)
        )

    # -- SimpleITK ------------------------------------------------------------------------
    def sitk_geometry(
        self,
    ) -> tuple[tuple[float, float, float], tuple[float, float, float], tuple[float, ...]]:
        """``(origin, spacing, direction)`` as SimpleITK's ``SetOrigin``, ``SetSpacing`` and
        ``SetDirection`` (row-major) take them."""
        x, y, z = (float(v) for v in self.origin_mm)
        return (x, y, z), self.spacing_mm, tuple(float(v) for v in self.direction.ravel())

    @classmethod
    def from_sitk_geometry(
        cls,
        origin_mm: Sequence[float],
        spacing_mm: Sequence[float],
        direction: Sequence[float],
        size_ijk: Sequence[int],
    ) -> Grid:
        """The grid of a SimpleITK image: its origin, spacing, row-major direction and size
        (``GetSize()``, i.e. ``(i, j, k)`` order)."""
        affine = np.eye(4)
        affine[:3, :3] = np.asarray(direction, float).reshape(3, 3) * np.asarray(spacing_mm, float)
        affine[:3, 3] = origin_mm
        i, j, k = (int(n) for n in size_ijk)
        return cls(affine, (k, j, i))
