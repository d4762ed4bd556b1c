"""The case model: the :class:`Case` dataclasses and the case file schema's constants.

One model for the case file and the GUI: a case is read by :mod:`planning.case.reading`,
written by :mod:`planning.case.writing`, its study is found on disk by
:mod:`planning.case.study`, its masks are built on the images by :mod:`planning.case.masks`
and it is edited by the pure functions of :mod:`planning.case.edits`; :mod:`planning.case`
gathers the public names. The schema is documented in ``docs/case-file.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

# the case file's suffix is imaging's: discovery knows a case file in a study folder
from imaging.discovery import CASE_FILE_SUFFIX as CASE_FILE_SUFFIX
from imaging.volume import Volume
from planning.anatomy.counting import CountingAnchors, CountingCheck, counting_check
from planning.anatomy.edema import EdemaLimits
from planning.anatomy.lesion import LesionSpec
from planning.anatomy.levels import ThoracicPrefix, VertebralLevel
from planning.anatomy.structures import CaseStructure, find_structure
from planning.case.planning_ct import PlanningCtReference
from planning.case.settings import PlanSettings

#: The schema this spineplan writes and the newest it reads.
SCHEMA_VERSION = 1
#: The fields of the ``plan`` object, in the order they are written.
PLAN_FIELDS = (
    "energy",
    "border_convention",
    "margin_mm",
    "arrangement",
    "field_width_mm",
    "width_margin_mm",
    "ssd_cm",
    "dose_gy",
    "fractions",
    "normalisation",
    "normalisation_depth_mm",
    "skull_base_margin_mm",
    "sacral_margin_mm",
    "machine",
)
#: Plan fields written only when they differ from the default, so that a case file that does
#: not use them reads in older spineplan versions (the schema version stays 1).
OPTIONAL_PLAN_FIELDS = ("skull_base_margin_mm", "sacral_margin_mm", "machine")


@dataclass(frozen=True)
class StudyReference:
    """Which images the case belongs to.

    ``path`` is a folder, DICOMDIR or file, as written in the case file: relative paths are
    relative to the case file's folder (see :meth:`Case.study_path`). Empty UIDs are not checked.
    """

    path: str
    study_instance_uid: str = ""
    frame_of_reference_uid: str = ""


@dataclass(frozen=True)
class WidthRuler:
    """A body-width measurement as the user drew it, both ends in LPS mm.

    Held by the case beside the width it measured (``VertebralLevel.body_width_mm``), so that
    undo takes both back together; not written to the case file, which keeps the width only,
    so a reopened case draws its widths centred on the bodies instead.
    """

    start_mm: tuple[float, float, float]
    end_mm: tuple[float, float, float]

    @property
    def width_mm(self) -> float:
        """Left-right (patient x) extent of the ruler, mm: what the field width needs."""
        return abs(self.end_mm[0] - self.start_mm[0])

    @property
    def length_mm(self) -> float:
        """Full length of the ruler, mm."""
        return float(np.linalg.norm(np.subtract(self.end_mm, self.start_mm)))

    @property
    def z_mm(self) -> float:
        """Patient z of the ruler's middle, mm."""
        return 0.5 * (self.start_mm[2] + self.end_mm[2])


@dataclass(frozen=True)
class Case:
    """One annotated case: the study, levels, lesion, edema, plan settings.

    The levels, lesion and edema are in the study's frame (the MR's); ``planning_ct``, when
    given, is a CT from another study the plan is made on (see :mod:`planning.case.planning_ct`).

    ``source_path`` is where the case was loaded from or last saved to (not part of the file).

    Being edited (the GUI, :mod:`planning.case.edits`), a case also carries what is drawn on
    its images but not written into the case file itself; none of it is compared, so two
    records of the same case are equal whether or not their masks have been built:

    * ``lesion_mask``: the lesion as a boolean mask on the reference (post-contrast) grid,
      built from ``lesion`` (:func:`planning.case.masks.load_masks`) or painted; ``lesion`` is
      None while a painted mask has not been saved to a file yet. Each structure carries its
      mask the same way (:class:`~planning.anatomy.structures.CaseStructure`);
    * ``width_rulers``: the body-width rulers drawn in this session (see :class:`WidthRuler`).

    A case read from a file has neither; planning builds its masks from the specifications.
    """

    study: StudyReference
    levels: tuple[VertebralLevel, ...] = ()
    lesion: LesionSpec | None = None
    edema: EdemaLimits | None = None
    plan: PlanSettings = field(default_factory=PlanSettings)
    counting_anchors: CountingAnchors | None = None
    thoracic_prefix: ThoracicPrefix = "T"
    reference: bool = False
    findings: tuple[Any, ...] = ()
    description: str = ""
    source_path: Path | None = field(default=None, compare=False)
    structures: tuple[CaseStructure, ...] = ()
    planning_ct: PlanningCtReference | None = None
    lesion_mask: Volume | None = field(default=None, compare=False, repr=False)
    width_rulers: tuple[WidthRuler, ...] = field(default=(), compare=False)

    @property
    def base_dir(self) -> Path | None:
        """The folder relative paths are relative to (the case file's folder)."""
        return None if self.source_path is None else Path(self.source_path).parent

    def resolve(self, path: str | Path) -> Path:
        """A path from the case file made absolute against the case file's folder."""
        path = Path(path).expanduser()
        if path.is_absolute() or self.base_dir is None:
            return path
        return self.base_dir / path

    def study_path(self) -> Path:
        """The study's path on disk."""
        return self.resolve(self.study.path)

    def planning_ct_path(self) -> Path | None:
        """The planning CT's path on disk, or None when the case names none."""
        return None if self.planning_ct is None else self.resolve(self.planning_ct.path)

    def counting_check(self) -> CountingCheck | None:
        """The counting check of the current levels and anchors, or ``None`` without anchors."""
        if self.counting_anchors is None:
            return None
        return counting_check(self.levels, self.counting_anchors, self.thoracic_prefix)

    def is_empty(self) -> bool:
        """Nothing marked on the images: no level, lesion, edema or structure."""
        return (
            not self.levels
            and self.lesion is None
            and self.lesion_mask is None
            and self.edema is None
            and not self.structures
        )

    def structure(self, name: str) -> CaseStructure | None:
        """The structure called ``name`` (ignoring case), if any."""
        return find_structure(self.structures, name)


def in_case(case: Case, message: str) -> str:
    """``message`` prefixed with the case file's name, when the case came from a file."""
    return message if case.source_path is None else f"{Path(case.source_path).name}: {message}"
