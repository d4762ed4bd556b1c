"""DICOM RT Structure Set: masks to planar contours and back.

Writing: each structure's mask is resampled (linear) onto each image plane of the referenced
series -- the planning CT's axial slices, a sagittal MR's sagittal slices -- and traced there
with marching squares at :data:`CONTOUR_LEVEL`, so every contour lies on the plane of one
referenced image, names it in its ContourImageSequence and is CLOSED_PLANAR, as readers such as
rt-utils and planning systems require; the polygons run 0.475 pixel outside the centres of the
pixels they enclose, so readers that fill by pixel centre and readers that round the vertices
and fill edges included both get the mask back. Reading: each polygon is filled back
(even-odd, so holes stay holes) on the planes it lies in, then resampled onto the grid asked for.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileDataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import RTStructureSetStorage
from skimage.draw import polygon2mask

from imaging.contours import mask_outlines
from imaging.errors import GeometryError, UnreadableFileError, malformed
from imaging.resample import resample_to
from imaging.rt_common import new_rt_dataset, save_atomically
from imaging.volume import Volume

#: The iso-level each structure is traced at on the referenced images' pixels: the polygon runs
#: 0.475 pixel outside the centres of the edge pixels inside it (0.025 pixel inside the pixels'
#: edge). So both ways readers turn a polygon back into pixels give back the mask exactly:
#: "a pixel is inside when its centre is" (dicompyler-core's matplotlib Path test, plastimatch's
#: scan lines through the pixel centres in rasterize_slice.cxx, skimage's polygon2mask) and
#: "round the vertices to pixel centres and fill, the outline's pixels included" (OpenCV's
#: fillPoly, as rt-utils 1.2.7 does), which at 0.5 -- vertices on the pixel edges, a tie for
#: rounding -- added outside pixels along the outline (+68 % on sample case 4's lesion; see
#: docs/plan_panel.md, "Reading the RT Structure Set", and tests/imaging/test_rtstruct_readers.py).
CONTOUR_LEVEL = 0.525
#: Contour points closer than this to a plane of the grid belong to it (fraction of a slice).
PLANE_TOLERANCE = 0.25


@dataclass(frozen=True)
class Structure:
    """One region of interest: a boolean mask on a volume grid, with how it is to be shown.

    ``interpreted_type`` is the DICOM RTROIInterpretedType (``GTV``, ``CTV``, ``ORGAN``,
    ``EXTERNAL``, ``CONTROL``...); ``color_rgb`` the display colour, 0-255 each.
    """

    name: str
    mask: Volume
    color_rgb: tuple[int, int, int] = (255, 0, 0)
    interpreted_type: str = "GTV"


def mask_to_contours(mask: Volume, grid: Volume | None = None) -> list[np.ndarray]:
    """Planar contours of a mask, as ``(n, 3)`` arrays of LPS mm points, one per polygon.

    Parameters
    ----------
    mask : Volume
        Boolean (or 0/1) mask.
    grid : Volume, optional
        The contours lie in the slice planes (constant ``k``) of this grid; default the mask's
        own grid.
    """
    source = mask.with_array(np.asarray(mask.array, dtype=np.float32))
    if grid is None or grid.same_grid(mask):
        on_grid = source
    else:
        on_grid = resample_to(source, grid, interpolator="linear", default_value=0.0)
    values = np.asarray(on_grid.array, dtype=np.float32)
    contours: list[np.ndarray] = []
    for k in np.flatnonzero(values.reshape(values.shape[0], -1).max(axis=1) >= 0.5):
        for polygon in mask_outlines(values[k]):
            rows, columns = polygon[:, 0], polygon[:, 1]
            ijk = np.column_stack([columns, rows, np.full(len(polygon), float(k))])
            contours.append(on_grid.index_to_patient(ijk))
    return contours


def _normal(image: Dataset) -> np.ndarray:
    orientation = np.asarray(image.ImageOrientationPatient, float)
    normal = np.cross(orientation[:3], orientation[3:])
    return normal / np.linalg.norm(normal)


def _image_plane(image: Dataset, thickness_mm: float) -> Volume:
    """A one-slice grid on ``image``'s plane: its pixels, its position and orientation."""
    orientation = np.asarray(image.ImageOrientationPatient, float)
    row_spacing, column_spacing = (float(v) for v in image.PixelSpacing)
    affine = np.eye(4)
    affine[:3, 0] = orientation[:3] * column_spacing  # along a row: the next column
    affine[:3, 1] = orientation[3:] * row_spacing  # down a column: the next row
    affine[:3, 2] = _normal(image) * thickness_mm
    affine[:3, 3] = np.asarray(image.ImagePositionPatient, float)
    shape = (1, int(image.Rows), int(image.Columns))
    return Volume(array=np.zeros(shape, dtype=np.float32), affine=affine)


def _extent_along(mask: Volume, normal: np.ndarray) -> tuple[float, float] | None:
    """The range of ``mask``'s set voxels along ``normal``, mm (None for an empty mask)."""
    k, j, i = np.nonzero(np.asarray(mask.array))
    if len(k) == 0:
        return None
    low = np.array([i.min(), j.min(), k.min()], float) - 0.5
    high = np.array([i.max(), j.max(), k.max()], float) + 0.5
    corners = np.array(
        [[x, y, z] for x in (low[0], high[0]) for y in (low[1], high[1]) for z in (low[2], high[2])]
    )
    along = mask.index_to_patient(corners) @ normal
    return float(along.min()), float(along.max())


def contours_on_images(mask: Volume, images: Sequence[Dataset]) -> list[tuple[Dataset, np.ndarray]]:
    """A mask's contours on the planes of ``images``: ``(image, (n, 3) LPS mm points)`` pairs.

    The mask is resampled (linear, 0 outside) onto each image's own pixel grid and traced at
    0.5, so each polygon lies exactly on that image's plane. Images whose plane misses the
    mask are skipped.
    """
    if not images:
        return []
    normal = _normal(images[0])
    extent = _extent_along(mask, normal)
    if extent is None:
        return []
    source = mask.with_array(np.asarray(mask.array, dtype=np.float32))
    heights = sorted(
        float(np.dot(np.asarray(im.ImagePositionPatient, float), normal)) for im in images
    )
    thickness = float(np.median(np.diff(heights))) if len(heights) > 1 else 1.0
    result = []
    for image in images:
        height = float(np.dot(np.asarray(image.ImagePositionPatient, float), normal))
        if not extent[0] - 1e-6 <= height <= extent[1] + 1e-6:
            continue
        plane = _image_plane(image, max(thickness, 1e-3))
        values = np.asarray(
            resample_to(source, plane, interpolator="linear", default_value=0.0).array
        )[0]
        if values.max() < 0.5:
            continue
        for polygon in mask_outlines(values, CONTOUR_LEVEL):
            rows, columns = polygon[:, 0], polygon[:, 1]
            ijk = np.column_stack([columns, rows, np.zeros(len(polygon))])
            result.append((image, plane.index_to_patient(ijk)))
    return result


def _referenced_images(images: Sequence[Dataset]) -> DicomSequence:
    items = []
    for image in images:
        item = Dataset()
        item.ReferencedSOPClassUID = image.SOPClassUID
        item.ReferencedSOPInstanceUID = image.SOPInstanceUID
        items.append(item)
    return DicomSequence(items)


def build_rtstruct(
    structures: Sequence[Structure],
    reference_images: Sequence[Dataset],
    *,
    label: str = "spineplan",
    series_description: str = "spineplan structures",
    series_number: int = 901,
    timestamp: _dt.datetime | None = None,
) -> FileDataset:
    """An RT Structure Set referencing ``reference_images``.

    Parameters
    ----------
    structures : sequence of Structure
        The regions of interest, each with a mask in the frame of reference of the images.
    reference_images : sequence of pydicom Dataset
        Headers (pixel data not needed) of every image of the referenced series: each contour
        lies on one image's plane and names it (:func:`contours_on_images`).

    Raises
    ------
    GeometryError
        No images, images in several frames of reference or not parallel.
    """
    if not reference_images:
        raise GeometryError("an RT Structure Set needs the headers of its referenced series")
    first = reference_images[0]
    frame_uid = str(first.FrameOfReferenceUID)
    for image in reference_images:
        if str(getattr(image, "FrameOfReferenceUID", "")) != frame_uid:
            raise GeometryError(
                f"image {image.SOPInstanceUID} is in another frame of reference than "
                f"{first.SOPInstanceUID}: the referenced series must share one"
            )
    now = timestamp or _dt.datetime.now()

    ds = new_rt_dataset(
        RTStructureSetStorage,
        "RTSTRUCT",
        first,
        series_number=series_number,
        series_description=series_description,
    )
    ds.StructureSetLabel = label[:16]
    ds.StructureSetDate = now.strftime("%Y%m%d")
    ds.StructureSetTime = now.strftime("%H%M%S")

    series_item = Dataset()
    series_item.SeriesInstanceUID = first.SeriesInstanceUID
    series_item.ContourImageSequence = _referenced_images(reference_images)
    study_item = Dataset()
    study_item.ReferencedSOPClassUID = "1.2.840.10008.3.1.2.3.1"  # Detached Study Management
    study_item.ReferencedSOPInstanceUID = first.StudyInstanceUID
    study_item.RTReferencedSeriesSequence = DicomSequence([series_item])
    frame_item = Dataset()
    frame_item.FrameOfReferenceUID = frame_uid
    frame_item.RTReferencedStudySequence = DicomSequence([study_item])
    ds.ReferencedFrameOfReferenceSequence = DicomSequence([frame_item])

    normal = _normal(first)
    for image in reference_images:
        if abs(float(np.dot(_normal(image), normal))) < 1.0 - 1e-4:
            raise GeometryError(
                f"image {image.SOPInstanceUID} is not parallel to {first.SOPInstanceUID}: the "
                "referenced series must be one stack of parallel planes"
            )

    roi_items, contour_items, observation_items = [], [], []
    for number, structure in enumerate(structures, start=1):
        roi = Dataset()
        roi.ROINumber = number
        roi.ReferencedFrameOfReferenceUID = frame_uid
        roi.ROIName = structure.name
        roi.ROIGenerationAlgorithm = "MANUAL"
        roi_items.append(roi)

        contours = []
        for on_plane, points in contours_on_images(structure.mask, reference_images):
            contour = Dataset()
            contour.ContourImageSequence = _referenced_images([on_plane])
            contour.ContourGeometricType = "CLOSED_PLANAR"
            contour.NumberOfContourPoints = len(points)
            contour.ContourData = [f"{v:.3f}" for v in points.ravel()]
            contours.append(contour)
        roi_contour = Dataset()
        roi_contour.ROIDisplayColor = list(structure.color_rgb)
        roi_contour.ReferencedROINumber = number
        if contours:
            roi_contour.ContourSequence = DicomSequence(contours)
        contour_items.append(roi_contour)

        observation = Dataset()
        observation.ObservationNumber = number
        observation.ReferencedROINumber = number
        observation.RTROIInterpretedType = structure.interpreted_type
        observation.ROIInterpreter = ""
        observation_items.append(observation)

    ds.StructureSetROISequence = DicomSequence(roi_items)
    ds.ROIContourSequence = DicomSequence(contour_items)
    ds.RTROIObservationsSequence = DicomSequence(observation_items)
    return ds


def write_rtstruct(
    path: str | Path,
    structures: Sequence[Structure],
    reference_images: Sequence[Dataset],
    **options: object,
) -> Path:
    """Build an RT Structure Set (see `build_rtstruct`) and write it to ``path`` atomically."""
    dataset = build_rtstruct(structures, reference_images, **options)  # type: ignore[arg-type]
    return save_atomically(dataset, path)


@dataclass(frozen=True)
class StructureContours:
    """One ROI as read from an RT Structure Set: polygons in LPS mm."""

    number: int
    name: str
    color_rgb: tuple[int, int, int]
    interpreted_type: str
    contours: tuple[np.ndarray, ...]


def read_rtstruct(path: str | Path) -> tuple[str, list[StructureContours]]:
    """The frame of reference UID and the ROIs of an RT Structure Set file."""
    with malformed(path, "RT Structure Set"):
        return _read_rtstruct(path)


def _read_rtstruct(path: str | Path) -> tuple[str, list[StructureContours]]:
    try:
        ds = pydicom.dcmread(path)
    except Exception as error:  # pydicom raises several types for a broken file
        raise UnreadableFileError(f"{path}: not a readable DICOM file ({error})") from error
    if getattr(ds, "Modality", "") != "RTSTRUCT" or "StructureSetROISequence" not in ds:
        raise UnreadableFileError(f"{path}: not an RT Structure Set")
    frame_uid = ""
    if "ReferencedFrameOfReferenceSequence" in ds:
        frame_uid = str(ds.ReferencedFrameOfReferenceSequence[0].FrameOfReferenceUID)
    names = {int(r.ROINumber): str(r.ROIName) for r in ds.StructureSetROISequence}
    types = {
        int(o.ReferencedROINumber): str(getattr(o, "RTROIInterpretedType", ""))
        for o in getattr(ds, "RTROIObservationsSequence", [])
    }
    structures = []
    for item in getattr(ds, "ROIContourSequence", []):
        number = int(item.ReferencedROINumber)
        polygons = tuple(
            np.asarray(c.ContourData, dtype=float).reshape(-1, 3)
            for c in getattr(item, "ContourSequence", [])
            if getattr(c, "ContourGeometricType", "") == "CLOSED_PLANAR"
        )
        color = tuple(int(v) for v in getattr(item, "ROIDisplayColor", (255, 0, 0)))
        structures.append(
            StructureContours(
                number=number,
                name=names.get(number, f"ROI {number}"),
                color_rgb=(color[0], color[1], color[2]),
                interpreted_type=types.get(number, ""),
                contours=polygons,
            )
        )
    return frame_uid, structures


def _plane_grid(contours: Sequence[np.ndarray], like: Volume) -> Volume:
    """A grid whose slice planes hold ``contours`` (all parallel), with ``like``'s pixel size."""
    points = np.concatenate(contours)
    first = contours[0] - contours[0].mean(axis=0)
    normal = np.linalg.svd(first)[2][-1]  # the direction of least spread: the plane normal
    if normal[np.argmax(np.abs(normal))] < 0:  # one sign convention: largest component > 0
        normal = -normal
    helper = np.eye(3)[int(np.argmin(np.abs(normal)))]
    u = np.cross(normal, helper)
    u /= np.linalg.norm(u)
    v = np.cross(normal, u)
    pixel = float(min(like.spacing_mm))
    heights = np.unique(np.round(points @ normal, 3))
    steps = np.diff(heights)
    step = float(np.min(steps)) if len(steps) else pixel
    in_u, in_v = points @ u, points @ v
    origin = (in_u.min() - 2 * pixel) * u + (in_v.min() - 2 * pixel) * v + heights[0] * normal
    columns = int(np.ceil((in_u.max() - in_u.min()) / pixel)) + 5
    rows = int(np.ceil((in_v.max() - in_v.min()) / pixel)) + 5
    slices = round((heights[-1] - heights[0]) / step) + 1
    affine = np.eye(4)
    affine[:3, 0], affine[:3, 1], affine[:3, 2] = u * pixel, v * pixel, normal * step
    affine[:3, 3] = origin
    return Volume(array=np.zeros((slices, rows, columns), dtype=np.uint8), affine=affine)


def _fill_on_planes(contours: Sequence[np.ndarray], grid: Volume) -> np.ndarray | None:
    """Even-odd fill of the polygons on ``grid``'s planes, or None if they are off its planes."""
    mask = np.zeros(grid.shape, dtype=bool)
    plane_shape = grid.shape[1:]
    for points in contours:
        ijk = grid.patient_to_index(points)
        k = float(np.round(ijk[0, 2]))
        if np.max(np.abs(ijk[:, 2] - k)) > PLANE_TOLERANCE:
            return None
        if not 0 <= k < grid.shape[0]:
            continue
        polygon = np.column_stack([ijk[:, 1], ijk[:, 0]])  # (row, column)
        mask[int(k)] ^= polygon2mask(plane_shape, polygon)
    return mask


def contours_to_mask(contours: Sequence[np.ndarray], grid: Volume) -> Volume:
    """Fill planar polygons (LPS mm) into a boolean mask on ``grid``.

    Polygons on the grid's own slice planes are filled there directly; others are filled on
    a grid of their own planes and resampled (nearest neighbour) onto ``grid``.
    """
    if not contours:
        return grid.with_array(np.zeros(grid.shape, dtype=bool))
    direct = _fill_on_planes(contours, grid)
    if direct is not None:
        return grid.with_array(direct)
    planes = _plane_grid(contours, grid)
    filled = _fill_on_planes(contours, planes)
    if filled is None:
        raise GeometryError("the contours of one structure do not lie in parallel planes")
    on_planes = planes.with_array(filled.astype(np.uint8))
    resampled = resample_to(on_planes, grid, interpolator="nearest", default_value=0)
    return grid.with_array(np.asarray(resampled.array) > 0)
