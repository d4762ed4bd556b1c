"""From a bag of 2D slice headers to one regular 3D grid: order, affine, and what is wrong.

Slices are ordered by the projection of ImagePositionPatient on the slice normal (the cross
product of the ImageOrientationPatient cosines), never by InstanceNumber. The slice step is
``(last position - first position) / (n - 1)``, as in ITK's ImageSeriesReader, so the affine
agrees with SimpleITK's origin, spacing and direction; when the positions are not evenly spaced
or the step is not along the normal (gantry tilt) a warning says so in words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from imaging.dicom_headers import SliceHeader
from imaging.errors import SeriesError
from imaging.geometry import Grid, Orientation, orientation_of_normal
from imaging.volume import affine_from_dicom

#: Two slices whose positions along the normal differ by less than this are duplicates (mm).
DUPLICATE_TOLERANCE_MM = 0.01
#: Slice gaps may deviate from the median gap by this fraction before a warning.
SPACING_TOLERANCE_FRACTION = 0.01
#: Angle between slice normals (degrees) above which slices count as not parallel.
PARALLEL_TOLERANCE_DEG = 0.1
#: Angle between the slice step and the normal (degrees) above which slices are sheared (tilt).
TILT_TOLERANCE_DEG = 0.1


@dataclass(frozen=True, eq=False)
class StackGeometry:
    """The regular grid a series forms.

    Attributes
    ----------
    slices : the slice headers in grid order (k = 0, 1, ...), duplicates removed.
    geometry : the grid they form (affine from (column i, row j, slice k, 1) to LPS mm, shape
        (slices, rows, columns), spacing...).
    orientation : acquisition plane name (of the first slice's normal).
    warnings : geometry problems in words a user can read.
    """

    slices: tuple[SliceHeader, ...]
    geometry: Grid
    orientation: Orientation
    warnings: tuple[str, ...]


def stack_geometry(slices: Sequence[SliceHeader], series_label: str) -> StackGeometry:
    """Sort ``slices`` into a grid and describe it.

    Parameters
    ----------
    slices : the 2D images of one series (single-frame files and/or frames).
    series_label : how to name the series in messages (e.g. number and description).

    Raises
    ------
    SeriesError
        A slice lacks ImagePositionPatient, ImageOrientationPatient or PixelSpacing, or the
        slices have different matrix sizes.
    """
    if not slices:
        raise SeriesError(f"series {series_label}: no images")
    first = slices[0]
    for item in slices:
        missing = [
            name
            for name, value in (
                ("ImagePositionPatient", item.position_mm),
                ("ImageOrientationPatient", item.row_cosine),
                ("PixelSpacing", item.pixel_spacing_mm),
                ("PixelData", item.has_pixel_data or None),
            )
            if value is None
        ]
        if missing:
            raise SeriesError(
                f"series {series_label}: {item.label} lacks {', '.join(missing)}; "
                "it cannot be part of a volume"
            )
        if (item.rows, item.columns) != (first.rows, first.columns):
            raise SeriesError(
                f"series {series_label}: {item.label} is {item.rows}x{item.columns} pixels but "
                f"{first.label} is {first.rows}x{first.columns}; mixed matrix sizes cannot form "
                "one volume"
            )

    warnings: list[str] = []
    row = np.asarray(first.row_cosine, float)
    column = np.asarray(first.column_cosine, float)
    normal = np.cross(row, column)
    norm = float(np.linalg.norm(normal))
    if norm < 1e-6:
        raise SeriesError(
            f"series {series_label}: {first.label} has parallel ImageOrientationPatient cosines"
        )
    normal /= norm

    rows_cos = np.array([s.row_cosine for s in slices], dtype=np.float64)
    columns_cos = np.array([s.column_cosine for s in slices], dtype=np.float64)
    normals = np.cross(rows_cos, columns_cos)
    normals = normals / np.linalg.norm(normals, axis=1, keepdims=True)
    max_angle = float(np.degrees(np.arccos(np.clip(np.min(normals @ normal), -1.0, 1.0))))
    if max_angle > PARALLEL_TOLERANCE_DEG:
        warnings.append(
            f"slices are not parallel (their planes differ by up to {max_angle:.1f}°); "
            "the volume assumes the orientation of the first slice"
        )

    positions = np.array([s.position_mm for s in slices], float)
    distances = positions @ normal
    order = sorted(
        range(len(slices)),
        key=lambda i: (
            round(float(distances[i]) / DUPLICATE_TOLERANCE_MM),
            slices[i].instance_number if slices[i].instance_number is not None else 0,
            str(slices[i].path),
            slices[i].frame,
        ),
    )
    kept = [order[0]]
    duplicates = 0
    for index in order[1:]:
        if abs(distances[index] - distances[kept[-1]]) < DUPLICATE_TOLERANCE_MM:
            duplicates += 1
        else:
            kept.append(index)
    if duplicates:
        warnings.append(
            f"{duplicates} image(s) share a slice position with another image (duplicate "
            "positions, e.g. repeated acquisitions or several echoes); the first image at each "
            "position was kept"
        )

    sorted_slices = tuple(slices[i] for i in kept)
    sorted_positions = positions[kept]
    sorted_distances = distances[kept]
    row_spacing, column_spacing = first.pixel_spacing_mm  # type: ignore[misc]
    count = len(kept)
    if count > 1:
        step = (sorted_positions[-1] - sorted_positions[0]) / (count - 1)
        warnings.extend(_spacing_warnings(np.diff(sorted_distances)))
        step_length = float(np.linalg.norm(step))
        tilt = float(np.degrees(np.arccos(np.clip(abs(step @ normal) / step_length, 0, 1))))
        if tilt > TILT_TOLERANCE_DEG:
            warnings.append(
                f"gantry tilt: slices are shifted sideways, the stack leans {tilt:.1f}° from the "
                "slice normal; the volume grid is sheared to keep every slice in place"
            )
    else:
        thickness = first.slice_thickness_mm or 1.0
        step = normal * thickness
        warnings.append(f"single image: slice thickness {thickness:g} mm used as slice spacing")

    affine = affine_from_dicom(
        sorted_positions[0], row, column, (row_spacing, column_spacing), step
    )
    return StackGeometry(
        slices=sorted_slices,
        geometry=Grid(affine, (count, first.rows, first.columns)),
        orientation=orientation_of_normal(normal),
        warnings=tuple(warnings),
    )


def _spacing_warnings(gaps_mm: np.ndarray) -> list[str]:
    """Words for missing slices or uneven spacing, from the gaps between sorted slices (mm)."""
    median = float(np.median(gaps_mm))
    if np.all(np.abs(gaps_mm - median) <= _gap_tolerance(median)):
        return []
    # Missing slices leave gaps that are whole multiples of the smallest (the true) spacing.
    smallest = float(gaps_mm.min())
    multiples = np.round(gaps_mm / smallest)
    if np.all(np.abs(gaps_mm - multiples * smallest) <= _gap_tolerance(smallest)):
        missing = int(np.sum(multiples - 1))
        wide = gaps_mm[multiples > 1]
        where = ", ".join(f"{gap:.1f} mm" for gap in wide[:3]) + (" ..." if len(wide) > 3 else "")
        return [
            f"{missing} slice(s) appear to be missing: gaps of {where} where the usual spacing "
            f"is {smallest:.2f} mm; the volume spreads the slices evenly, so positions near the "
            "gap are off"
        ]
    return [
        f"uneven slice spacing: gaps from {smallest:.2f} to {float(gaps_mm.max()):.2f} mm "
        f"(usual {median:.2f} mm); the volume uses an even average spacing"
    ]


def _gap_tolerance(gap_mm: float) -> float:
    return max(DUPLICATE_TOLERANCE_MM, SPACING_TOLERANCE_FRACTION * gap_mm)
