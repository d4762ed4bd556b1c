"""The exceptions a user can cause, and nothing else.

Every message names the file, series or field at fault and says what was expected, so the CLI
can print it as one line and the GUI can show it in a dialog without a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


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


@contextmanager
def malformed(path: object, what: str) -> Iterator[None]:
    """Report what a reader meets in a file it cannot interpret as one line naming the file.

    A DICOM object can be well-formed yet hold a missing attribute, text where a number belongs
    or a wrong multiplicity; the reader's own checks give the clearer messages, and whatever
    slips past them still reaches the user as an :class:`UnreadableFileError`, never a
    traceback.
    """
    try:
        yield
    except SpineplanError as error:
        text = str(error)
        if "\n" not in text.strip():
            raise
        raise type(error)(" ".join(text.split())) from error  # one line for the CLI and GUI
    except Exception as error:
        detail = " ".join(str(error).split())
        raise UnreadableFileError(
            f"{path}: not a usable {what} ({type(error).__name__}: {detail})"
        ) from error
