"""spineplan's planning layer: levels, lesion, edema, case file, field derivation (no Qt).

Everything here works in DICOM patient coordinates (LPS, mm; z increases towards the head)
and may be scripted without the GUI::

    from planning import load_case, derive_field
    case = load_case("sample_dicom/case1/reference.spineplan.json")
    field = derive_case_field(case)          # or derive_field(levels, z_range, settings)
    print(field.levels_words(), field.arrangement, field.superior_border_z_mm)
"""

from planning.anatomy.counting import CountingAnchors, CountingCheck, anchors_at, counting_check
from planning.anatomy.edema import EdemaExtent, EdemaLimits, describe_edema, position_words
from planning.anatomy.lesion import (
    EllipsoidLesion,
    LesionLevels,
    LesionMeasurements,
    LesionSpec,
    MaskLesion,
    SeedLesion,
    build_lesion_mask,
    ellipsoid_mask,
    grow_from_seed,
    lesion_levels,
    mask_from_file,
    measure_lesion,
)
from planning.anatomy.levels import (
    LEVEL_SEQUENCE,
    BodyMarks,
    DiscSpace,
    LevelIssue,
    Segment,
    VertebralLevel,
    canonical_level_name,
    check_levels,
    disc_name,
    disc_spaces,
    display_name,
    level_range_short,
    level_range_words,
    name_bodies,
    rename_level,
    renumber_from,
    segment,
    segments,
)
from planning.case import (
    CASE_FILE_SUFFIX,
    SCHEMA_VERSION,
    Case,
    StudyReference,
    case_from_dict,
    case_to_dict,
    check_study,
    load_case,
    save_case,
)
from planning.case.settings import PlanSettings
from planning.errors import CaseFileError, FieldError, LabelError, PlanningError
from planning.field.beam import Beam
from planning.field.derivation import Field, derive_case_field, derive_field

__all__ = [
    "CASE_FILE_SUFFIX",
    "LEVEL_SEQUENCE",
    "SCHEMA_VERSION",
    "Beam",
    "BodyMarks",
    "Case",
    "CaseFileError",
    "CountingAnchors",
    "CountingCheck",
    "DiscSpace",
    "EdemaExtent",
    "EdemaLimits",
    "EllipsoidLesion",
    "Field",
    "FieldError",
    "LabelError",
    "LesionLevels",
    "LesionMeasurements",
    "LesionSpec",
    "LevelIssue",
    "MaskLesion",
    "PlanSettings",
    "PlanningError",
    "SeedLesion",
    "Segment",
    "StudyReference",
    "VertebralLevel",
    "anchors_at",
    "build_lesion_mask",
    "canonical_level_name",
    "case_from_dict",
    "case_to_dict",
    "check_levels",
    "check_study",
    "counting_check",
    "derive_case_field",
    "derive_field",
    "describe_edema",
    "disc_name",
    "disc_spaces",
    "display_name",
    "ellipsoid_mask",
    "grow_from_seed",
    "lesion_levels",
    "level_range_short",
    "level_range_words",
    "load_case",
    "mask_from_file",
    "measure_lesion",
    "name_bodies",
    "position_words",
    "rename_level",
    "renumber_from",
    "save_case",
    "segment",
    "segments",
]
