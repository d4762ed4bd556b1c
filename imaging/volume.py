"""`Volume`: a voxel array plus its 4x4 affine in DICOM patient coordinates (LPS, mm).

The affine follows ITK's convention: it maps the index ``(i, j, k, 1)`` -- column ``i``, row
``j``, slice ``k`` -- to patient LPS millimetres. ``array`` is indexed ``array[k, j, i]``, the
same order as ``SimpleITK.GetArrayFromImage``. Every view, mask and planner reads geometry from
here; nobody recomputes an affine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import SimpleITK as sitk

from imaging.errors import GeometryError
from imaging.geometry import Orientation, orientation_of_normal

#: Two geometries are the same when every affine element agrees to this many millimetres.
GEOMETRY_TOLERANCE_MM = 1e-3


@dataclass(frozen=True)
class SeriesMetadata:
    """What a volume knows of the DICOM series it came from (all optional for synthetic data)."""

    series_instance_uid: str = ""
    study_instance_uid: str = ""
    frame_of_reference_uid: str = ""
    modality: str = ""
    series_description: str = ""
    series_number: int | None = None
    patient_name: str = ""
    patient_id: str = ""
    patient_birth_date: str = ""
    patient_sex: str = ""
    study_date: str = ""
    study_description: str = ""
    institution_name: str = ""
    patient_position: str = ""
    #: (center, width) pairs from the headers, in output units after rescale.
    window_presets: tuple[tuple[float, float], ...] = ()
    #: "HU" for CT after rescale, "" when unknown (MR signal has no physical unit).
    units: str = ""


@dataclass(frozen=True, eq=False)
class Volume:
    """A 3D image on a regular grid in patient coordinates.

    Parameters
    ----------
    array : numpy.ndarray
        Voxel values shaped ``(slices, rows, columns)``, rescale slope/intercept applied.
    affine : numpy.ndarray
        4x4 matrix mapping ``(column i, row j, slice k, 1)`` to patient LPS millimetres.
    metadata : SeriesMetadata
        Identifying and display information from the DICOM headers.
    warnings : tuple of str
        Geometry problems found while loading, in words a user can read.
    """

    array: np.ndarray
    affine: np.ndarray
    metadata: SeriesMetadata = field(default_factory=SeriesMetadata)
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.array.ndim != 3:
            raise GeometryError(
                f"a volume needs a 3D array (slices, rows, columns); got shape {self.array.shape}"
            )
        affine = np.array(self.affine, dtype=float)  # own copy: the caller keeps theirs writable
        if affine.shape != (4, 4) or not np.all(np.isfinite(affine)):
            raise GeometryError(f"a volume affine must be a finite 4x4 matrix; got {affine!r}")
        if not np.allclose(affine[3], (0.0, 0.0, 0.0, 1.0)):
            raise GeometryError(f"the last affine row must be (0, 0, 0, 1); got {affine[3]}")
        if abs(np.linalg.det(affine[:3, :3])) < 1e-9:
            raise GeometryError("the volume affine is singular: two axes are parallel or zero")
        affine.setflags(write=False)
        object.__setattr__(self, "affine", affine)

    # -- grid -----------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int, int]:
        """``(slices, rows, columns)``."""
        k, j, i = self.array.shape
        return (int(k), int(j), int(i))

    @property
    def size_ijk(self) -> tuple[int, int, int]:
        """Number of voxels along ``(i, j, k)`` = (columns, rows, slices), ITK order."""
        k, j, i = self.shape
        return (i, j, k)

    @property
    def spacing_mm(self) -> tuple[float, float, float]:
        """Voxel spacing along ``(i, j, k)`` in mm (column spacing, row spacing, slice spacing)."""
        s = np.linalg.norm(self.affine[:3, :3], axis=0)
        return (float(s[0]), float(s[1]), float(s[2]))

    @property
    def direction(self) -> np.ndarray:
        """3x3 matrix whose columns are the unit LPS directions of the i, j, k axes."""
        return self.affine[:3, :3] / np.asarray(self.spacing_mm)

    @property
    def origin_mm(self) -> np.ndarray:
        """Patient LPS position of the centre of voxel (0, 0, 0)."""
        return self.affine[:3, 3].copy()

    @property
    def orientation(self) -> Orientation:
        """The acquisition plane: the plane of constant slice index ``k``."""
        return orientation_of_normal(np.cross(self.direction[:, 0], self.direction[:, 1]))

    @property
    def frame_of_reference_uid(self) -> str:
        return self.metadata.frame_of_reference_uid

    def bounds_mm(self) -> tuple[np.ndarray, np.ndarray]:
        """Minimum and maximum LPS corner over all voxel centres."""
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
        """Whether continuous indices fall within the grid (half a voxel beyond the centres)."""
        ijk = np.asarray(ijk, dtype=float)
        upper = np.asarray(self.size_ijk, dtype=float) - 0.5
        return np.all((ijk >= -0.5) & (ijk <= upper), axis=-1)

    def same_grid(self, other: Volume, tolerance_mm: float = GEOMETRY_TOLERANCE_MM) -> bool:
        """Whether ``other`` has the same shape and the same affine within ``tolerance_mm``."""
        return self.shape == other.shape and bool(
            np.allclose(self.affine, other.affine, atol=tolerance_mm, rtol=0.0)
        )

    # -- SimpleITK ------------------------------------------------------------------------
    def to_sitk(self) -> sitk.Image:
        """A SimpleITK image with the same voxels, origin, spacing and direction (a copy)."""
        image = sitk.GetImageFromArray(np.ascontiguousarray(self.array))
        image.SetSpacing(self.spacing_mm)
        image.SetOrigin(tuple(float(v) for v in self.origin_mm))
        image.SetDirection(tuple(float(v) for v in self.direction.ravel()))
        return image

    @classmethod
    def from_sitk(
        cls,
        image: sitk.Image,
        metadata: SeriesMetadata | None = None,
        warnings: tuple[str, ...] = (),
    ) -> Volume:
        """Build a volume from a 3D SimpleITK image (its voxels are copied into numpy)."""
        if image.GetDimension() != 3:
            raise GeometryError(f"expected a 3D image, got {image.GetDimension()}D")
        return cls(
            array=sitk.GetArrayFromImage(image),
            affine=affine_from_sitk_geometry(
                image.GetOrigin(), image.GetSpacing(), image.GetDirection()
            ),
            metadata=metadata or SeriesMetadata(),
            warnings=warnings,
        )

    def with_array(self, array: np.ndarray) -> Volume:
        """The same grid and metadata holding other voxels (e.g. a mask or a dose)."""
        if array.shape != self.array.shape:
            raise GeometryError(
                f"array shape {array.shape} does not match the volume grid {self.array.shape}"
            )
        return Volume(array=array, affine=self.affine, metadata=self.metadata, warnings=())


def affine_from_sitk_geometry(
    origin_mm: tuple[float, ...], spacing_mm: tuple[float, ...], direction: tuple[float, ...]
) -> np.ndarray:
    """The 4x4 index-to-LPS affine from SimpleITK's origin, spacing and row-major direction."""
    affine = np.eye(4)
    affine[:3, :3] = np.asarray(direction, float).reshape(3, 3) * np.asarray(spacing_mm, float)
    affine[:3, 3] = origin_mm
    return affine


def affine_from_dicom(
    first_position_mm: np.ndarray,
    row_cosine: np.ndarray,
    column_cosine: np.ndarray,
    pixel_spacing_mm: tuple[float, float],
    slice_step_mm: np.ndarray,
) -> np.ndarray:
    """The 4x4 affine from DICOM plane geometry.

    Parameters
    ----------
    first_position_mm : ImagePositionPatient of the first slice (centre of its first pixel).
    row_cosine : direction of increasing column index (ImageOrientationPatient[0:3]).
    column_cosine : direction of increasing row index (ImageOrientationPatient[3:6]).
    pixel_spacing_mm : PixelSpacing as stored: (spacing between rows, spacing between columns).
    slice_step_mm : vector from one slice's position to the next, in mm.
    """
    row_spacing, column_spacing = (float(v) for v in pixel_spacing_mm)
    affine = np.eye(4)
    affine[:3, 0] = np.asarray(row_cosine, float) * column_spacing
    affine[:3, 1] = np.asarray(column_cosine, float) * row_spacing
    affine[:3, 2] = np.asarray(slice_step_mm, float)
    affine[:3, 3] = np.asarray(first_position_mm, float)
    return affine
