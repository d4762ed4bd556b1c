"""`Volume`: a voxel array plus its 4x4 affine in DICOM patient coordinates (LPS, mm).

The affine follows ITK's convention: it maps the index ``(i, j, k, 1)`` -- column ``i``, row
``j``, slice ``k`` -- to patient LPS millimetres. ``array`` is indexed ``array[k, j, i]``, the
same order as ``SimpleITK.GetArrayFromImage``. The grid is an :class:`imaging.geometry.Grid`
(``volume.geometry``); every view, mask and planner reads geometry from it; nobody recomputes an
affine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import SimpleITK as sitk

from imaging.errors import GeometryError
from imaging.geometry import GEOMETRY_TOLERANCE_MM, Grid, Orientation

__all__ = [
    "GEOMETRY_TOLERANCE_MM",
    "Grid",
    "SeriesMetadata",
    "Volume",
    "affine_from_dicom",
    "affine_from_sitk_geometry",
]


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


@dataclass(frozen=True, eq=False, init=False)
class Volume:
    """A 3D image on a regular grid in patient coordinates.

    Parameters
    ----------
    array : numpy.ndarray
        Voxel values shaped ``(slices, rows, columns)``, rescale slope/intercept applied.
    affine : numpy.ndarray, optional
        4x4 matrix mapping ``(column i, row j, slice k, 1)`` to patient LPS millimetres; the
        grid is then this affine and the array's shape. Give either ``affine`` or ``geometry``.
    metadata : SeriesMetadata
        Identifying and display information from the DICOM headers.
    warnings : tuple of str
        Geometry problems found while loading, in words a user can read.
    geometry : Grid, optional
        The grid (keyword only); its shape must be the array's.

    Attributes
    ----------
    geometry : Grid
        The one geometry record (affine, shape, spacing, conversions); ``affine``,
        ``spacing_mm``, ``index_to_patient`` and the other grid members of a volume delegate
        to it (they have too many callers to remove).

    Raises
    ------
    GeometryError
        A non-3D array, a bad affine (see :class:`Grid`), neither or both of ``affine`` and
        ``geometry``, or a geometry whose shape is not the array's.
    """

    array: np.ndarray
    geometry: Grid
    metadata: SeriesMetadata = field(default_factory=SeriesMetadata)
    warnings: tuple[str, ...] = ()

    def __init__(
        self,
        array: np.ndarray,
        affine: np.ndarray | None = None,
        metadata: SeriesMetadata | None = None,
        warnings: tuple[str, ...] = (),
        *,
        geometry: Grid | None = None,
    ) -> None:
        if array.ndim != 3:
            raise GeometryError(
                f"a volume needs a 3D array (slices, rows, columns); got shape {array.shape}"
            )
        if (affine is None) == (geometry is None):
            raise GeometryError("a volume needs either an affine or a geometry (not both)")
        if geometry is None:
            geometry = Grid(affine, array.shape)  # type: ignore[arg-type]
        elif geometry.shape != array.shape:
            raise GeometryError(
                f"array shape {array.shape} does not match the grid {geometry.shape}"
            )
        object.__setattr__(self, "array", array)
        object.__setattr__(self, "geometry", geometry)
        object.__setattr__(self, "metadata", metadata or SeriesMetadata())
        object.__setattr__(self, "warnings", tuple(warnings))

    # -- grid (thin delegates to ``geometry``) ---------------------------------------------
    @property
    def affine(self) -> np.ndarray:
        """The 4x4 index-to-LPS affine (read-only), ``geometry.affine``."""
        return self.geometry.affine

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(slices, rows, columns)``."""
        return self.geometry.shape

    @property
    def size_ijk(self) -> tuple[int, int, int]:
        """Number of voxels along ``(i, j, k)`` = (columns, rows, slices), ITK order."""
        return self.geometry.size_ijk

    @property
    def spacing_mm(self) -> tuple[float, float, float]:
        """Step lengths along ``(i, j, k)`` in mm (``geometry.spacing_mm``)."""
        return self.geometry.spacing_mm

    @property
    def voxel_volume_mm3(self) -> float:
        """Volume of one voxel, mm^3 (``geometry.voxel_volume_mm3``)."""
        return self.geometry.voxel_volume_mm3

    @property
    def slice_spacing_mm(self) -> float:
        """Distance between slice planes, mm (``geometry.slice_spacing_mm``)."""
        return self.geometry.slice_spacing_mm

    @property
    def direction(self) -> np.ndarray:
        """3x3 matrix whose columns are the unit LPS directions of the i, j, k axes."""
        return self.geometry.direction

    @property
    def origin_mm(self) -> np.ndarray:
        """Patient LPS position of the centre of voxel (0, 0, 0)."""
        return self.geometry.origin_mm

    @property
    def orientation(self) -> Orientation:
        """The acquisition plane: the plane of constant slice index ``k``."""
        return self.geometry.orientation

    @property
    def frame_of_reference_uid(self) -> str:
        return self.metadata.frame_of_reference_uid

    def bounds_mm(self) -> tuple[np.ndarray, np.ndarray]:
        """Minimum and maximum LPS corner over all voxel centres."""
        return self.geometry.bounds_mm()

    def index_to_patient(self, ijk: np.ndarray) -> np.ndarray:
        """Map (continuous) indices ``(..., 3)`` in ``(i, j, k)`` order to LPS mm ``(..., 3)``."""
        return self.geometry.index_to_patient(ijk)

    def patient_to_index(self, xyz_mm: np.ndarray) -> np.ndarray:
        """Map LPS mm points ``(..., 3)`` to continuous ``(i, j, k)`` indices ``(..., 3)``."""
        return self.geometry.patient_to_index(xyz_mm)

    def contains_index(self, ijk: np.ndarray) -> np.ndarray:
        """Whether continuous indices fall within the grid (half a voxel beyond the centres)."""
        return self.geometry.contains_index(ijk)

    def same_grid(self, other: Volume, tolerance_mm: float = GEOMETRY_TOLERANCE_MM) -> bool:
        """Whether ``other`` has the same shape and the same affine within ``tolerance_mm``."""
        return self.geometry.same_as(other.geometry, tolerance_mm)

    # -- SimpleITK ------------------------------------------------------------------------
    def to_sitk(self) -> sitk.Image:
        """A SimpleITK image with the same voxels, origin, spacing and direction (a copy)."""
        image = sitk.GetImageFromArray(np.ascontiguousarray(self.array))
        origin, spacing, direction = self.geometry.sitk_geometry()
        image.SetSpacing(spacing)
        image.SetOrigin(origin)
        image.SetDirection(direction)
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
        return Volume(array=array, geometry=self.geometry, metadata=self.metadata, warnings=())


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
