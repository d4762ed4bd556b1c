"""Reading a case file: parsed JSON validated into a :class:`~planning.case.model.Case`.

Every message of a malformed file names the file and the field path, e.g.
``case.spineplan.json: levels[3].superior_z_mm: expected a number, got "abc"``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from planning.anatomy.counting import CountingAnchors
from planning.anatomy.edema import EdemaLimits
from planning.anatomy.lesion import EllipsoidLesion, LesionSpec, MaskLesion, SeedLesion
from planning.anatomy.levels import VertebralLevel
from planning.anatomy.structures import (
    INTERPRETED_TYPES,
    CaseStructure,
    check_structure_name,
)
from planning.case.field_reader import FieldReader, describe_value
from planning.case.model import PLAN_FIELDS, SCHEMA_VERSION, Case, StudyReference
from planning.case.planning_ct import PlanningCtReference, rigid_matrix
from planning.case.settings import (
    PlanSettings,
    parse_arrangement,
    parse_border_convention,
    parse_energy,
)
from planning.errors import CaseFileError, PlanningError

_TOP_FIELDS = (
    "schema_version",
    "levels",
    "lesion",
    "edema",
    "plan",
    "counting_check",
    "thoracic_prefix",
    "reference",
    "findings",
    "description",
    "structures",
    "planning_ct",
)
_LEVEL_FIELDS = ("center_mm", "body_width_mm")
#: Results saved with the check for readers of the file; recomputed on load.
_COUNTING_RESULT_FIELDS = (
    "status",
    "confidence",
    "sentence",
    "bodies_between",
    "expected_between",
    "difference_levels",
    "labels_match_c2",
    "labels_match_s1",
    "rib_bearing_count",
    "lumbar_count",
    "explanations",
)


def _parse_level(r: FieldReader, value: Any, path: str) -> VertebralLevel:
    data = r.obj(value, path, ("name", "superior_z_mm", "inferior_z_mm"), _LEVEL_FIELDS)
    name = r.string(data["name"], f"{path}.name", non_empty=True)
    superior = r.number(data["superior_z_mm"], f"{path}.superior_z_mm")
    inferior = r.number(data["inferior_z_mm"], f"{path}.inferior_z_mm")
    center = None
    if data.get("center_mm") is not None:
        center = r.vector3(data["center_mm"], f"{path}.center_mm")
    width = r.optional_number(data.get("body_width_mm"), f"{path}.body_width_mm", positive=True)
    try:
        return VertebralLevel(name, superior, inferior, center, width)  # type: ignore[arg-type]
    except PlanningError as exc:
        r.fail(f"{path}.name", str(exc))


def _parse_lesion(r: FieldReader, value: Any, path: str) -> LesionSpec:
    kind_data = r.obj(
        value,
        path,
        ("type",),
        ("center_mm", "radii_mm", "point_mm", "tolerance", "method", "path", "origin"),
    )
    kind = r.string(kind_data["type"], f"{path}.type")
    if kind == "ellipsoid":
        data = r.obj(value, path, ("type", "center_mm", "radii_mm"))
        return EllipsoidLesion(
            r.vector3(data["center_mm"], f"{path}.center_mm"),  # type: ignore[arg-type]
            r.vector3(data["radii_mm"], f"{path}.radii_mm", positive=True),  # type: ignore[arg-type]
        )
    if kind == "seed":
        data = r.obj(value, path, ("type", "point_mm"), ("tolerance", "method"))
        tolerance = data.get("tolerance", SeedLesion.tolerance)
        method = data.get("method", SeedLesion.method)
        if method not in ("threshold", "confidence"):
            r.fail(
                f"{path}.method", f"expected threshold or confidence, got {describe_value(method)}"
            )
        return SeedLesion(
            r.vector3(data["point_mm"], f"{path}.point_mm"),  # type: ignore[arg-type]
            r.number(tolerance, f"{path}.tolerance", positive=True),
            method,
        )
    if kind == "mask":
        data = r.obj(value, path, ("type", "path"), ("origin",))
        origin = data.get("origin", "file")
        if origin not in ("file", "painted"):
            r.fail(f"{path}.origin", f"expected file or painted, got {describe_value(origin)}")
        return MaskLesion(r.string(data["path"], f"{path}.path", non_empty=True), origin)
    r.fail(f"{path}.type", f"expected ellipsoid, seed or mask, got {describe_value(kind)}")


def _parse_structure(
    r: FieldReader, value: Any, path: str, earlier: Sequence[str]
) -> CaseStructure:
    # the lesion's seed fields are known here so that a seed is reported as a wrong type
    shape_fields = ("center_mm", "radii_mm", "path", "origin", "point_mm", "tolerance", "method")
    data = r.obj(value, path, ("name", "type"), (*shape_fields, "interpreted_type"))
    name = r.string(data["name"], f"{path}.name", non_empty=True)
    try:
        name = check_structure_name(name, earlier)
    except PlanningError as exc:
        r.fail(f"{path}.name", str(exc))
    kind = r.string(data["type"], f"{path}.type")
    if kind not in ("mask", "ellipsoid"):
        r.fail(f"{path}.type", f"expected mask or ellipsoid, got {describe_value(kind)}")
    roi_type = data.get("interpreted_type", "")
    if roi_type != "":
        roi_type = r.string(roi_type, f"{path}.interpreted_type").upper()
        if roi_type not in INTERPRETED_TYPES:
            r.fail(
                f"{path}.interpreted_type",
                f"expected one of {', '.join(INTERPRETED_TYPES)}, "
                f"got {describe_value(data['interpreted_type'])}",
            )
    shape_data = {k: v for k, v in data.items() if k not in ("name", "interpreted_type")}
    shape = _parse_lesion(r, shape_data, path)
    return CaseStructure(name, shape, roi_type)  # type: ignore[arg-type]


def _parse_edema(r: FieldReader, value: Any, path: str) -> EdemaLimits:
    data = r.obj(value, path, ("superior_z_mm", "inferior_z_mm"), ("centreline_mm",))
    superior = r.number(data["superior_z_mm"], f"{path}.superior_z_mm")
    inferior = r.number(data["inferior_z_mm"], f"{path}.inferior_z_mm")
    if superior < inferior:
        r.fail(
            path,
            f"superior_z_mm ({superior:g}) must not lie below inferior_z_mm "
            f"({inferior:g}); z increases towards the head",
        )
    centreline = None
    if data.get("centreline_mm") is not None:
        points = r.array(data["centreline_mm"], f"{path}.centreline_mm")
        if len(points) < 2:
            r.fail(f"{path}.centreline_mm", "expected at least two points")
        centreline = tuple(r.vector3(p, f"{path}.centreline_mm[{i}]") for i, p in enumerate(points))
    return EdemaLimits(superior, inferior, centreline)  # type: ignore[arg-type]


def _parse_plan(r: FieldReader, value: Any, path: str) -> PlanSettings:
    data = r.obj(value, path, (), PLAN_FIELDS)
    defaults = PlanSettings()
    kwargs: dict[str, Any] = {}
    if "energy" in data:
        kwargs["energy"] = r.choice(data["energy"], f"{path}.energy", parse_energy)
    if "border_convention" in data:
        kwargs["border_convention"] = r.choice(
            data["border_convention"], f"{path}.border_convention", parse_border_convention
        )
    if "arrangement" in data:
        kwargs["arrangement"] = r.choice(
            data["arrangement"], f"{path}.arrangement", parse_arrangement
        )
    for key in (
        "margin_mm",
        "width_margin_mm",
        "dose_gy",
        "skull_base_margin_mm",
        "sacral_margin_mm",
    ):
        if key in data:
            kwargs[key] = r.number(data[key], f"{path}.{key}", positive=key == "dose_gy")
    for key in ("field_width_mm", "ssd_cm", "normalisation_depth_mm"):
        if key in data:
            kwargs[key] = r.optional_number(data[key], f"{path}.{key}", positive=True)
    if "fractions" in data:
        kwargs["fractions"] = r.integer(data["fractions"], f"{path}.fractions")
    if data.get("machine") is not None:
        kwargs["machine"] = r.string(data["machine"], f"{path}.machine", non_empty=True)
    if "normalisation" in data:
        kwargs["normalisation"] = r.string(data["normalisation"], f"{path}.normalisation")
    try:
        return PlanSettings(**{**defaults.__dict__, **kwargs})
    except PlanningError as exc:
        message = str(exc)
        key = message.split(":", 1)[0]
        r.fail(f"{path}.{key}" if key in PLAN_FIELDS else path, message.split(": ", 1)[-1])


def _parse_planning_ct(r: FieldReader, value: Any, path: str) -> PlanningCtReference:
    data = r.obj(value, path, ("path",), ("series_instance_uid", "registration"))
    ct_path = r.string(data["path"], f"{path}.path", non_empty=True)
    series_uid = r.string(data.get("series_instance_uid", ""), f"{path}.series_instance_uid")
    if data.get("registration") is None:
        return PlanningCtReference(ct_path, series_uid)
    where = f"{path}.registration"
    registration = r.obj(data["registration"], where, (), ("matrix_mm", "path"))
    if ("matrix_mm" in registration) == ("path" in registration):
        r.fail(where, 'give either "matrix_mm" (a 4x4 list of rows) or "path" (a REG file)')
    if "path" in registration:
        reg_path = r.string(registration["path"], f"{where}.path", non_empty=True)
        return PlanningCtReference(ct_path, series_uid, registration_path=reg_path)
    rows = r.array(registration["matrix_mm"], f"{where}.matrix_mm")
    if len(rows) != 4:
        r.fail(f"{where}.matrix_mm", f"expected 4 rows of 4 numbers, got {len(rows)} rows")
    numbers = []
    for i, row in enumerate(rows):
        row = r.array(row, f"{where}.matrix_mm[{i}]")
        if len(row) != 4:
            r.fail(f"{where}.matrix_mm[{i}]", f"expected 4 numbers, got {len(row)}")
        numbers.append(
            tuple(r.number(v, f"{where}.matrix_mm[{i}][{j}]") for j, v in enumerate(row))
        )
    try:
        rigid_matrix(numbers)
    except PlanningError as exc:
        r.fail(f"{where}.matrix_mm", str(exc))
    return PlanningCtReference(ct_path, series_uid, matrix_mm=tuple(numbers))


def _parse_counting(r: FieldReader, value: Any, path: str) -> CountingAnchors:
    data = r.obj(value, path, ("anchors",), _COUNTING_RESULT_FIELDS)
    keys = ("c2_z_mm", "s1_z_mm", "lowest_rib_z_mm", "first_lumbar_z_mm", "conus_tip_z_mm")
    anchors = r.obj(data["anchors"], f"{path}.anchors", (), keys)
    return CountingAnchors(
        *(r.optional_number(anchors.get(key), f"{path}.anchors.{key}") for key in keys)
    )


def case_from_dict(
    data: Any, source: str = "<case>", source_path: str | Path | None = None
) -> Case:
    """Build a :class:`Case` from parsed JSON, validating every field.

    Parameters
    ----------
    data : object
        The parsed JSON.
    source : str
        Name used in messages (the file name).
    source_path : path, optional
        The case file, for resolving relative paths.

    Raises
    ------
    CaseFileError
        Naming the file and the field path.
    """
    r = FieldReader(source)
    top = r.obj(data, "", ("study",), _TOP_FIELDS)
    version = SCHEMA_VERSION
    if "schema_version" in top:
        version = r.integer(top["schema_version"], "schema_version")
        if version > SCHEMA_VERSION:
            r.fail(
                "schema_version",
                f"the file uses schema {version}; this spineplan reads "
                f"schema {SCHEMA_VERSION} and older: update spineplan",
            )
        if version < 1:
            r.fail("schema_version", f"expected 1 or more, got {version}")
    study_data = r.obj(
        top["study"], "study", ("path",), ("study_instance_uid", "frame_of_reference_uid")
    )
    study = StudyReference(
        path=r.string(study_data["path"], "study.path", non_empty=True),
        study_instance_uid=r.string(
            study_data.get("study_instance_uid", ""), "study.study_instance_uid"
        ),
        frame_of_reference_uid=r.string(
            study_data.get("frame_of_reference_uid", ""), "study.frame_of_reference_uid"
        ),
    )
    levels = tuple(
        _parse_level(r, item, f"levels[{i}]")
        for i, item in enumerate(r.array(top.get("levels", []), "levels"))
    )
    lesion = None if top.get("lesion") is None else _parse_lesion(r, top["lesion"], "lesion")
    edema = None if top.get("edema") is None else _parse_edema(r, top["edema"], "edema")
    plan = PlanSettings() if top.get("plan") is None else _parse_plan(r, top["plan"], "plan")
    anchors = None
    if top.get("counting_check") is not None:
        anchors = _parse_counting(r, top["counting_check"], "counting_check")
    prefix = top.get("thoracic_prefix", "T")
    if prefix not in ("T", "D"):
        r.fail("thoracic_prefix", f'expected "T" or "D", got {describe_value(prefix)}')
    findings = tuple(r.array(top.get("findings", []), "findings"))
    structures: list[CaseStructure] = []
    listed = top.get("structures")
    # null means none, like an absent key; "" or 0 is a wrong type, not "no structures".
    for i, item in enumerate([] if listed is None else r.array(listed, "structures")):
        names = [s.name for s in structures]
        structures.append(_parse_structure(r, item, f"structures[{i}]", names))
    planning_ct = None
    if top.get("planning_ct") is not None:
        planning_ct = _parse_planning_ct(r, top["planning_ct"], "planning_ct")
    case = Case(
        study=study,
        levels=levels,
        lesion=lesion,
        edema=edema,
        plan=plan,
        counting_anchors=anchors,
        thoracic_prefix=prefix,
        reference=r.boolean(top.get("reference", False), "reference"),
        findings=findings,
        description=r.string(top.get("description", ""), "description"),
        source_path=None if source_path is None else Path(source_path),
        structures=tuple(structures),
        planning_ct=planning_ct,
    )
    if anchors is not None:
        try:
            case.counting_check()
        except PlanningError as exc:
            r.fail("counting_check.anchors", str(exc))
    return case


def load_case(path: str | Path) -> Case:
    """Read and validate a ``*.spineplan.json`` file.

    Raises
    ------
    CaseFileError
        When the file is missing, not JSON, or any field is malformed (the message names the
        file and the field path).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise CaseFileError(f"{path}: case file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise CaseFileError(f"{path}: cannot read the case file ({exc})") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CaseFileError(
            f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    return case_from_dict(data, source=path.name, source_path=path.resolve())
