"""spineplan's imaging core: DICOM discovery and loading, `Volume` and its `Grid` in LPS mm.

No Qt here: this package is a typed library that a physicist can script from a notebook.
"""

from imaging.discovery import Discovery, SeriesInfo, SkippedFile, StudyInfo, discover
from imaging.errors import (
    GeometryError,
    ImagingError,
    LoadCancelled,
    NoDicomError,
    RegistrationCancelled,
    RegistrationError,
    SeriesError,
    SpatialRegistrationError,
    SpineplanError,
    UnreadableFileError,
)
from imaging.geometry import Grid
from imaging.loading import load_series
from imaging.resample import map_index, resample_to
from imaging.volume import SeriesMetadata, Volume

__all__ = [
    "Discovery",
    "GeometryError",
    "Grid",
    "ImagingError",
    "LoadCancelled",
    "NoDicomError",
    "RegistrationCancelled",
    "RegistrationError",
    "SeriesError",
    "SeriesInfo",
    "SeriesMetadata",
    "SkippedFile",
    "SpatialRegistrationError",
    "SpineplanError",
    "StudyInfo",
    "UnreadableFileError",
    "Volume",
    "discover",
    "load_series",
    "map_index",
    "resample_to",
]
