"""The exceptions a user can cause, and nothing else.

Every message names the file, series or field at fault and says what was expected, so the CLI
can print it as one line and the GUI can show it in a dialog without a traceback.
"""

from __future__ import annotations


class SpineplanError(Exception):
    """Base of every error spineplan reports to a user (bad input, not a bug)."""


class ImagingError(SpineplanError):
    """A problem with DICOM input: files, series, geometry."""


class NoDicomError(ImagingError):
    """A path holds no DICOM file at all."""


class UnreadableFileError(ImagingError):
    """A file that claims to be DICOM (or was named explicitly) cannot be parsed or decoded."""


class SeriesError(ImagingError):
    """A series cannot form a volume (missing geometry, mixed matrices, no pixel data...)."""


class GeometryError(ImagingError):
    """Geometry that cannot be represented or does not match (e.g. another frame of reference)."""


class LoadCancelled(SpineplanError):
    """The user cancelled a long load; nothing was produced."""


class BurnedInAnnotationError(ImagingError):
    """An image may carry text burned into its pixels, and the user has not accepted it."""


class RegistrationError(ImagingError):
    """Two images cannot be registered as asked (no overlap, bad point pairs, empty region)."""


class SpatialRegistrationError(ImagingError):
    """A DICOM Spatial Registration object that spineplan cannot use (deformable, other frames)."""


class RegistrationCancelled(SpineplanError):
    """The user cancelled a running registration; no result was produced."""
