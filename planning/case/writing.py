"""Writing a case file: a :class:`~planning.case.model.Case` as JSON, saved atomically."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from imaging.atomic_write import write_atomic
from planning.anatomy.lesion import EllipsoidLesion, LesionSpec, SeedLesion
from planning.anatomy.levels import ThoracicPrefix, VertebralLevel, display_name
from planning.anatomy.structures import CaseStructure
from planning.case.model import PLAN_FIELDS, SCHEMA_VERSION, Case
from planning.errors import CaseFileError


def _level_to_dict(level: VertebralLevel, prefix: ThoracicPrefix) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": display_name(level.name, prefix),
        "superior_z_mm": level.superior_z_mm,
        "inferior_z_mm": level.inferior_z_mm,
    }
    if level.center_mm is not None:
        data["center_mm"] = list(level.center_mm)
    if level.body_width_mm is not None:
        data["body_width_mm"] = level.body_width_mm
    return data


def _lesion_to_dict(lesion: LesionSpec) -> dict[str, Any]:
    if isinstance(lesion, EllipsoidLesion):
        return {
            "type": "ellipsoid",
            "center_mm": list(lesion.center_mm),
            "radii_mm": list(lesion.radii_mm),
        }
    if isinstance(lesion, SeedLesion):
        return {
            "type": "seed",
            "point_mm": list(lesion.point_mm),
            "tolerance": lesion.tolerance,
            "method": lesion.method,
        }
    return {"type": "mask", "path": lesion.path, "origin": lesion.origin}


def _structure_to_dict(structure: CaseStructure) -> dict[str, Any]:
    if structure.shape is None:
        raise CaseFileError(
            f"the painted structure {structure.name!r} needs a mask file before the case is saved"
        )
    data: dict[str, Any] = {"name": structure.name, **_lesion_to_dict(structure.shape)}
    if structure.interpreted_type:
        data["interpreted_type"] = structure.interpreted_type
    return data


def case_to_dict(case: Case) -> dict[str, Any]:
    """The JSON-ready dict of a case, in the current schema."""
    data: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "study": {
            "path": case.study.path,
            "study_instance_uid": case.study.study_instance_uid,
            "frame_of_reference_uid": case.study.frame_of_reference_uid,
        },
    }
    if case.description:
        data["description"] = case.description
    if case.reference:
        data["reference"] = True
    data["thoracic_prefix"] = case.thoracic_prefix
    data["levels"] = [_level_to_dict(lv, case.thoracic_prefix) for lv in case.levels]
    data["lesion"] = None if case.lesion is None else _lesion_to_dict(case.lesion)
    if case.edema is None:
        data["edema"] = None
    else:
        data["edema"] = {
            "superior_z_mm": case.edema.superior_z_mm,
            "inferior_z_mm": case.edema.inferior_z_mm,
        }
        if case.edema.centreline_mm is not None:
            data["edema"]["centreline_mm"] = [list(p) for p in case.edema.centreline_mm]
    plan = case.plan
    data["plan"] = {key: getattr(plan, key) for key in PLAN_FIELDS}
    if plan.machine is None:
        # optional: only written when a commissioned machine is chosen (older versions read it)
        del data["plan"]["machine"]
    if case.structures:
        # only when present, so that a case without them reads in older spineplan versions
        data["structures"] = [_structure_to_dict(s) for s in case.structures]
    check = case.counting_check()
    if check is not None:
        data["counting_check"] = check.to_dict()
    if case.findings:
        data["findings"] = list(case.findings)
    return data


def save_case(case: Case, path: str | Path) -> Case:
    """Write a case file atomically (`imaging.atomic_write.write_atomic`).

    A failure leaves any existing file untouched. Returns the case with ``source_path`` set.

    Raises
    ------
    CaseFileError
        When the folder cannot be written.
    """
    path = Path(path)
    text = json.dumps(case_to_dict(case), indent=2, ensure_ascii=False) + "\n"
    try:
        write_atomic(path, text)
    except OSError as exc:
        raise CaseFileError(f"{path}: cannot write the case file ({exc})") from exc
    return replace(case, source_path=path.resolve())
