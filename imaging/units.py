"""Length unit conversions: millimetres (geometry, DICOM) and centimetres (beam data, physics).

Positions and sizes live in mm (DICOM LPS); depth-dose tables, field sizes of the beam model,
SSD and SAD in cm. Every conversion between them goes through these two functions, so a reader
finds one spelling and the arithmetic is always the same operation (``/ 10.0`` and ``* 10.0``:
``x / 10.0`` and ``x * 0.1`` differ in the last bit, and the outputs must not change).
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np

#: A scalar or an array of lengths; the result has the same type.
Length = TypeVar("Length", float, np.floating, np.ndarray)

MM_PER_CM = 10.0


def mm_to_cm(value_mm: Length) -> Length:
    """A length in mm (scalar or array) in cm."""
    return value_mm / MM_PER_CM


def cm_to_mm(value_cm: Length) -> Length:
    """A length in cm (scalar or array) in mm."""
    return value_cm * MM_PER_CM
