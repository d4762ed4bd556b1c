"""Orientation and slice geometry in DICOM patient coordinates (LPS, millimetres)."""

from __future__ import annotations

from typing import Literal

import numpy as np

Orientation = Literal["sagittal", "coronal", "axial", "oblique"]

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
