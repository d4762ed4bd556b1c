"""spineplan's imaging core: DICOM discovery and loading, `Volume` geometry in LPS millimetres.

No Qt here: this package is a typed library that a physicist can script from a notebook.
"""

from imaging.errors import (
    GeometryError,
    ImagingError,
    NoDicomError,
    SeriesError,
    SpineplanError,
    UnreadableFileError,
)
from imaging.volume import SeriesMetadata, Volume

__all__ = [
    "GeometryError",
    "ImagingError",
    "NoDicomError",
    "SeriesError",
    "SeriesMetadata",
    "SpineplanError",
    "UnreadableFileError",
    "Volume",
]
