"""Per-frame geometry of single- and multi-frame images (enhanced MR/CT functional groups).

Enhanced multi-frame objects keep each frame's plane position, orientation, pixel spacing and
rescale in the Per-frame Functional Groups Sequence, with values common to all frames in the
Shared Functional Groups Sequence; a per-frame value wins over a shared one. Classic
single-frame images keep the same values at the top level of the data set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydicom.dataset import Dataset

from imaging.dicom_values import HeaderSource, NotANumberError, numbers


@dataclass(frozen=True, slots=True)
class FrameGeometry:
    """Plane geometry and modality rescale of one frame (``None`` where the header lacks it)."""

    position_mm: tuple[float, float, float] | None
    row_cosine: tuple[float, float, float] | None
    column_cosine: tuple[float, float, float] | None
    pixel_spacing_mm: tuple[float, float] | None
    slice_thickness_mm: float | None
    rescale_slope: float
    rescale_intercept: float
    window_presets: tuple[tuple[float, float], ...]


def frame_geometries(dataset: HeaderSource, number_of_frames: int) -> list[FrameGeometry]:
    """One `FrameGeometry` per frame of ``dataset``.

    Parameters
    ----------
    dataset : pydicom.dataset.Dataset
        A header (pixel data need not be loaded).
    number_of_frames : int
        NumberOfFrames (1 for single-frame images).
    """
    if not isinstance(dataset, Dataset):  # the fast reader leaves functional groups to pydicom
        return _classic_frames(dataset, number_of_frames)
    shared_items = dataset.get("SharedFunctionalGroupsSequence") or []
    shared = shared_items[0] if len(shared_items) else None
    per_frame = dataset.get("PerFrameFunctionalGroupsSequence") or []
    if shared is None and not len(per_frame):
        return _classic_frames(dataset, number_of_frames)
    return [
        _functional_group_frame(dataset, per_frame[i] if i < len(per_frame) else None, shared)
        for i in range(number_of_frames)
    ]


def _classic_frames(dataset: HeaderSource, number_of_frames: int) -> list[FrameGeometry]:
    """Top-level geometry; frames of a classic multi-frame stack step along the plane normal."""
    position = _top_vector(dataset, "ImagePositionPatient", 3)
    orientation = _top_vector(dataset, "ImageOrientationPatient", 6)
    spacing = _top_vector(dataset, "PixelSpacing", 2)
    thickness = _top_float(dataset, "SliceThickness")
    slope = _top_float(dataset, "RescaleSlope")
    intercept = _top_float(dataset, "RescaleIntercept")
    row, column = (orientation[:3], orientation[3:]) if orientation else (None, None)
    step_mm = _top_float(dataset, "SpacingBetweenSlices") or thickness
    frames = []
    for index in range(number_of_frames):
        frame_position = position
        if index and position and row and column and step_mm:
            normal = _cross(row, column)
            frame_position = tuple(
                p + index * step_mm * n for p, n in zip(position, normal, strict=True)
            )
        frames.append(
            FrameGeometry(
                position_mm=frame_position,  # type: ignore[arg-type]
                row_cosine=row,  # type: ignore[arg-type]
                column_cosine=column,  # type: ignore[arg-type]
                pixel_spacing_mm=spacing,  # type: ignore[arg-type]
                slice_thickness_mm=thickness,
                rescale_slope=1.0 if slope is None else slope,
                rescale_intercept=0.0 if intercept is None else intercept,
                window_presets=(),
            )
        )
    return frames


def _functional_group_frame(
    dataset: Dataset, frame_item: Dataset | None, shared: Dataset | None
) -> FrameGeometry:
    def attribute(sequence: str, keyword: str) -> Any:
        for group in (frame_item, shared):
            if group is None:
                continue
            items = group.get(sequence)
            if items and keyword in items[0]:
                return items[0].get(keyword)
        return None

    position = _vector(
        attribute("PlanePositionSequence", "ImagePositionPatient"), 3, "ImagePositionPatient"
    )
    orientation = _vector(
        attribute("PlaneOrientationSequence", "ImageOrientationPatient"),
        6,
        "ImageOrientationPatient",
    )
    spacing = _vector(attribute("PixelMeasuresSequence", "PixelSpacing"), 2, "PixelSpacing")
    thickness = _float(attribute("PixelMeasuresSequence", "SliceThickness"), "SliceThickness")
    slope = _float(attribute("PixelValueTransformationSequence", "RescaleSlope"), "RescaleSlope")
    intercept = _float(
        attribute("PixelValueTransformationSequence", "RescaleIntercept"), "RescaleIntercept"
    )
    if slope is None:
        slope = _top_float(dataset, "RescaleSlope")
    if intercept is None:
        intercept = _top_float(dataset, "RescaleIntercept")
    centers = _floats(attribute("FrameVOILUTSequence", "WindowCenter"))
    widths = _floats(attribute("FrameVOILUTSequence", "WindowWidth"))
    return FrameGeometry(
        position_mm=position or _top_vector(dataset, "ImagePositionPatient", 3),  # type: ignore[arg-type]
        row_cosine=orientation[:3] if orientation else None,  # type: ignore[arg-type]
        column_cosine=orientation[3:] if orientation else None,  # type: ignore[arg-type]
        pixel_spacing_mm=spacing or _top_vector(dataset, "PixelSpacing", 2),  # type: ignore[arg-type]
        slice_thickness_mm=thickness,
        rescale_slope=1.0 if slope is None else slope,
        rescale_intercept=0.0 if intercept is None else intercept,
        window_presets=tuple((c, w) for c, w in zip(centers, widths, strict=False) if w > 0),
    )


def _top_vector(dataset: HeaderSource, keyword: str, length: int) -> tuple[float, ...] | None:
    values = numbers(dataset, keyword)
    return tuple(values) if len(values) == length else None


def _top_float(dataset: HeaderSource, keyword: str) -> float | None:
    values = numbers(dataset, keyword)
    return values[0] if values else None


def _vector(value: Any, length: int, keyword: str) -> tuple[float, ...] | None:
    values = _floats(value, keyword)
    return tuple(values) if len(values) == length else None


def _floats(value: Any, keyword: str = "") -> list[float]:
    """Floats of a converted value; a value that is not numeric is refused, naming ``keyword``
    (window presets pass no keyword: display only, dropped instead)."""
    if value is None or value == "":
        return []
    items: Sequence[Any] = value if _is_multi(value) else [value]
    try:
        return [float(item) for item in items]
    except (TypeError, ValueError):
        if not keyword:
            return []
        shown = "\\".join(str(item) for item in items)
        raise NotANumberError(f"{keyword} '{shown}' is not a number") from None


def _is_multi(value: Any) -> bool:
    return isinstance(value, list | tuple) or type(value).__name__ == "MultiValue"


def _float(value: Any, keyword: str) -> float | None:
    values = _floats(value, keyword)
    return values[0] if values else None


def _cross(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, float]:
    return (
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    )
