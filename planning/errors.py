"""Planning errors a user can cause: malformed case files, inconsistent labels, bad settings."""

from __future__ import annotations

from imaging.errors import SpineplanError


class PlanningError(SpineplanError):
    """A problem with the annotation or the plan settings."""


class PlanCancelled(PlanningError):
    """The caller stopped a plan computation (the window is closing); no result."""


class CaseFileError(PlanningError):
    """A case file that cannot be read: missing, malformed, or not matching its study."""


class LabelError(PlanningError):
    """Vertebral labels that cannot be used (none, out of order, overlapping...)."""


class FieldError(PlanningError):
    """A field that cannot be derived (no lesion, a lesion outside the labelled levels...)."""
