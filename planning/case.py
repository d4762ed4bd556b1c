"""The case file (``*.spineplan.json``): read with precise messages, write atomically.

The schema is documented in ``docs/case-file.md``; this module is its reference
implementation. Loading never touches the images: :func:`check_study` resolves the study and
checks its frame of reference separately, so a case can be parsed (and tested) without DICOM.

Every message of a malformed file names the file and the field path, e.g.
``case.spineplan.json: levels[3].superior_z_mm: expected a number, got "abc"``.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NoReturn

from imaging.errors import SpineplanError
from planning.counting import CountingAnchors, CountingCheck, counting_check
from planning.edema import EdemaLimits
from planning.errors import CaseFileError, PlanningError
from planning.lesion import EllipsoidLesion, LesionSpec, MaskLesion, SeedLesion
from planning.levels import ThoracicPrefix, VertebralLevel, display_name
from planning.settings import (
    PlanSettings,
    parse_arrangement,
    parse_border_convention,
    parse_energy,
)
from planning.structures import (
    INTERPRETED_TYPES,
    CaseStructure,
    check_structure_name,
)

#: The schema this spineplan writes and the newest it reads.
SCHEMA_VERSION = 1
CASE_FILE_SUFFIX = ".spineplan.json"


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

    def counting_check(self) -> CountingCheck | None:
        """The counting check of the current levels and anchors, or ``None`` without anchors."""
        if self.counting_anchors is None:
            return None
        return counting_check(self.levels, self.counting_anchors, self.thoracic_prefix)


def in_case(case: Case, message: str) -> str:
    """``message`` prefixed with the case file's name, when the case came from a file."""
    return message if case.source_path is None else f"{Path(case.source_path).name}: {message}"


# -- reading -------------------------------------------------------------------------------
def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return json.dumps(value) if isinstance(value, str) else repr(value)


class _Reader:
    """Typed access to parsed JSON that fails with the file name and field path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, problem: str) -> NoReturn:
        where = f"{path}: " if path else ""
        raise CaseFileError(f"{self.source}: {where}{problem}")

    def obj(
        self, value: Any, path: str, required: Sequence[str] = (), optional: Sequence[str] = ()
    ) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            self.fail(path, f"expected an object, got {_describe(value)}")
        for key in required:
            if key not in value:
                self.fail(f"{path}.{key}" if path else key, "required field is missing")
        known = set(required) | set(optional)
        for key in value:
            if key in known or str(key).startswith(("_", "x_")):
                continue
            close = difflib.get_close_matches(str(key), sorted(known), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            self.fail(f"{path}.{key}" if path else str(key), f"unknown field{hint}")
        return value

    def number(self, value: Any, path: str, *, positive: bool = False) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(path, f"expected a number, got {_describe(value)}")
        if not math.isfinite(value):
            self.fail(path, f"expected a finite number, got {value!r}")
        if positive and value <= 0:
            self.fail(path, f"expected a number greater than 0, got {value!r}")
        return float(value)

    def optional_number(self, value: Any, path: str, *, positive: bool = False) -> float | None:
        return None if value is None else self.number(value, path, positive=positive)

    def integer(self, value: Any, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            self.fail(path, f"expected a whole number, got {_describe(value)}")
        return int(value)

    def string(self, value: Any, path: str, *, non_empty: bool = False) -> str:
        if not isinstance(value, str):
            self.fail(path, f"expected a string, got {_describe(value)}")
        if non_empty and not value.strip():
            self.fail(path, "must not be empty")
        return value

    def boolean(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            self.fail(path, f"expected true or false, got {_describe(value)}")
        return value

    def vector3(self, value: Any, path: str, *, positive: bool = False) -> tuple[float, ...]:
        if not isinstance(value, list) or len(value) != 3:
            self.fail(path, f"expected a list of 3 numbers [x, y, z] in mm, got {_describe(value)}")
        return tuple(self.number(v, f"{path}[{i}]", positive=positive) for i, v in enumerate(value))

    def choice(self, value: Any, path: str, parse: Callable[[Any], Any]) -> Any:
        try:
            return parse(value)
        except PlanningError as exc:
            self.fail(path, str(exc))

    def array(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            self.fail(path, f"expected a list, got {_describe(value)}")
        return value


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
)
_LEVEL_FIELDS = ("center_mm", "body_width_mm")
_PLAN_FIELDS = (
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
)
#: Results saved with the check for readers of the file; recomputed on load.
_COUNTING_RESULT_FIELDS = (
    "status",
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


def _parse_level(r: _Reader, value: Any, path: str) -> VertebralLevel:
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


def _parse_lesion(r: _Reader, value: Any, path: str) -> LesionSpec:
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
            r.fail(f"{path}.method", f"expected threshold or confidence, got {_describe(method)}")
        return SeedLesion(
            r.vector3(data["point_mm"], f"{path}.point_mm"),  # type: ignore[arg-type]
            r.number(tolerance, f"{path}.tolerance", positive=True),
            method,
        )
    if kind == "mask":
        data = r.obj(value, path, ("type", "path"), ("origin",))
        origin = data.get("origin", "file")
        if origin not in ("file", "painted"):
            r.fail(f"{path}.origin", f"expected file or painted, got {_describe(origin)}")
        return MaskLesion(r.string(data["path"], f"{path}.path", non_empty=True), origin)
    r.fail(f"{path}.type", f"expected ellipsoid, seed or mask, got {_describe(kind)}")


def _parse_structure(r: _Reader, value: Any, path: str, earlier: Sequence[str]) -> CaseStructure:
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
        r.fail(f"{path}.type", f"expected mask or ellipsoid, got {_describe(kind)}")
    roi_type = data.get("interpreted_type", "")
    if roi_type != "":
        roi_type = r.string(roi_type, f"{path}.interpreted_type").upper()
        if roi_type not in INTERPRETED_TYPES:
            r.fail(
                f"{path}.interpreted_type",
                f"expected one of {', '.join(INTERPRETED_TYPES)}, "
                f"got {_describe(data['interpreted_type'])}",
            )
    shape_data = {k: v for k, v in data.items() if k not in ("name", "interpreted_type")}
    shape = _parse_lesion(r, shape_data, path)
    return CaseStructure(name, shape, roi_type)  # type: ignore[arg-type]


def _parse_edema(r: _Reader, value: Any, path: str) -> EdemaLimits:
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


def _parse_plan(r: _Reader, value: Any, path: str) -> PlanSettings:
    data = r.obj(value, path, (), _PLAN_FIELDS)
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
    for key in ("margin_mm", "width_margin_mm", "dose_gy"):
        if key in data:
            kwargs[key] = r.number(data[key], f"{path}.{key}", positive=key == "dose_gy")
    for key in ("field_width_mm", "ssd_cm", "normalisation_depth_mm"):
        if key in data:
            kwargs[key] = r.optional_number(data[key], f"{path}.{key}", positive=True)
    if "fractions" in data:
        kwargs["fractions"] = r.integer(data["fractions"], f"{path}.fractions")
    if "normalisation" in data:
        kwargs["normalisation"] = r.string(data["normalisation"], f"{path}.normalisation")
    try:
        return PlanSettings(**{**defaults.__dict__, **kwargs})
    except PlanningError as exc:
        message = str(exc)
        key = message.split(":", 1)[0]
        r.fail(f"{path}.{key}" if key in _PLAN_FIELDS else path, message.split(": ", 1)[-1])


def _parse_counting(r: _Reader, value: Any, path: str) -> CountingAnchors:
    data = r.obj(value, path, ("anchors",), _COUNTING_RESULT_FIELDS)
    anchors = r.obj(
        data["anchors"], f"{path}.anchors", (), ("c2_z_mm", "s1_z_mm", "lowest_rib_z_mm")
    )
    return CountingAnchors(
        *(
            r.optional_number(anchors.get(key), f"{path}.anchors.{key}")
            for key in ("c2_z_mm", "s1_z_mm", "lowest_rib_z_mm")
        )
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
    r = _Reader(source)
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
        r.fail("thoracic_prefix", f'expected "T" or "D", got {_describe(prefix)}')
    findings = tuple(r.array(top.get("findings", []), "findings"))
    structures: list[CaseStructure] = []
    listed = top.get("structures")
    # null means none, like an absent key; "" or 0 is a wrong type, not "no structures".
    for i, item in enumerate([] if listed is None else r.array(listed, "structures")):
        names = [s.name for s in structures]
        structures.append(_parse_structure(r, item, f"structures[{i}]", names))
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


# -- writing -------------------------------------------------------------------------------
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
    data["plan"] = {key: getattr(plan, key) for key in _PLAN_FIELDS}
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
    """Write a case file atomically (a temporary file in the same folder, then ``os.replace``).

    A failure leaves any existing file untouched. Returns the case with ``source_path`` set.

    Raises
    ------
    CaseFileError
        When the folder cannot be written.
    """
    path = Path(path)
    text = json.dumps(case_to_dict(case), indent=2, ensure_ascii=False) + "\n"
    folder = path.parent if str(path.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise CaseFileError(f"{path}: cannot write the case file ({exc})") from exc
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            # mkstemp makes the file readable by its owner only; keep the usual permissions.
            os.chmod(temporary, path.stat().st_mode & 0o777 if path.exists() else 0o644)
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException as exc:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise CaseFileError(f"{path}: cannot write the case file ({exc})") from exc
        raise
    return replace(case, source_path=path.resolve())


# -- the study ----------------------------------------------------------------------------
def check_study(case: Case, discover: Callable[[Path], Any] | None = None) -> list[Any]:
    """Find the case's study on disk and check it matches; return its series.

    Parameters
    ----------
    case : Case
        A loaded case (its ``source_path`` resolves a relative study path).
    discover : callable, optional
        ``discover(path) -> Discovery`` whose ``.series`` items have ``study_instance_uid`` and
        ``frame_of_reference_uid``; defaults to :func:`imaging.discover`.

    Returns
    -------
    list
        The series of the study in the case's frame of reference.

    Raises
    ------
    CaseFileError
        ``study.path`` missing or holding no DICOM, no series of ``study.study_instance_uid``,
        or no series in ``study.frame_of_reference_uid``.
    """
    source = case.source_path.name if case.source_path is not None else "<case>"
    path = case.study_path()
    if not path.exists():
        raise CaseFileError(f"{source}: study.path: {path} does not exist")
    if discover is None:
        from imaging import discover as imaging_discover

        discover = imaging_discover
    try:
        found = discover(path)
    except SpineplanError as exc:
        raise CaseFileError(f"{source}: study.path: {exc}") from exc
    series = list(found.series)
    if not series:
        raise CaseFileError(f"{source}: study.path: no image series found under {path}")
    uid = case.study.study_instance_uid
    if uid:
        in_study = [s for s in series if s.study_instance_uid == uid]
        if not in_study:
            others = sorted({s.study_instance_uid for s in series})
            raise CaseFileError(
                f"{source}: study.study_instance_uid: {uid} is not among the studies under "
                f"{path} (found {', '.join(others)})"
            )
        series = in_study
    frame = case.study.frame_of_reference_uid
    if frame:
        in_frame = [s for s in series if s.frame_of_reference_uid == frame]
        if not in_frame:
            others = sorted({s.frame_of_reference_uid for s in series})
            raise CaseFileError(
                f"{source}: study.frame_of_reference_uid: {frame} does not match the images "
                f"(their frame of reference: {', '.join(others)})"
            )
        series = in_frame
    return series
