"""The fixed inputs of a sample case's planning CT (see ``planning_ct``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PlanningCtSpec:
    """The set-up of one case's planning CT.

    ``rotation_deg`` about the LPS x, y, z axes (R = Rz Ry Rx); ``fov_centre_ct_mm`` is where
    the CT frame puts the anatomy point at the lesion's z, on the mid-sagittal plane and the
    middle of the body's AP extent (the table offset); ``levels_around`` vertebrae above and
    below the lesion levels are in the field of view.
    """

    rotation_deg: tuple[float, float, float]
    fov_centre_ct_mm: tuple[float, float, float]
    study_date: str
    study_time: str
    accession_number: str
    levels_around: int = 3
