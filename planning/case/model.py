"""The case file's model: the :class:`Case` dataclasses and the schema's constants.

A case is read by :mod:`planning.case.reading`, written by :mod:`planning.case.writing`, and
its study is found on disk by :mod:`planning.case.study`; :mod:`planning.case` gathers the
public names. The schema is documented in ``docs/case-file.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planning.anatomy.counting import CountingAnchors, CountingCheck, counting_check
from planning.anatomy.edema import EdemaLimits
from planning.anatomy.lesion import LesionSpec
from planning.anatomy.levels import ThoracicPrefix, VertebralLevel
from planning.anatomy.structures import CaseStructure
from planning.case.planning_ct import PlanningCtReference
from planning.case.settings import PlanSettings

#: The schema this spineplan writes and the newest it reads.
SCHEMA_VERSION = 1
CASE_FILE_SUFFIX = ".spineplan.json"
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
class Case:
    """One annotated case: the study, levels, lesion, edema, plan settings.

    The levels, lesion and edema are in the study's frame (the MR's); ``planning_ct``, when
    given, is a CT from another study the plan is made on (see :mod:`planning.case.planning_ct`).

    ``source_path`` is where the case was loaded from or last saved to (not part of the file).
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


def in_case(case: Case, message: str) -> str:
    """``message`` prefixed with the case file's name, when the case came from a file."""
    return message if case.source_path is None else f"{Path(case.source_path).name}: {message}"
