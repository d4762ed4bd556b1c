"""The case file: hand-written minimal form, validation messages, atomic save, round trip."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from imaging.errors import NoDicomError
from planning.anatomy.counting import CountingAnchors
from planning.anatomy.edema import EdemaLimits
from planning.anatomy.lesion import EllipsoidLesion, MaskLesion, SeedLesion
from planning.case import (
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
from planning.errors import CaseFileError
from planning.field.derivation import derive_field
from tests.planning.synthetic_spine import by_name, spine

STUDY_UID = "1.2.826.0.1.3680043.8.498.1"
FRAME_UID = "1.2.826.0.1.3680043.8.498.2"


def _minimal() -> dict[str, Any]:
    """The hand-written form of issue 5, item 5 (no schema_version: the current one)."""
    levels = spine(["C3", "C4", "C5", "C6", "C7"])
    return {
        "study": {
            "path": "../sample_dicom/case1",
            "study_instance_uid": STUDY_UID,
            "frame_of_reference_uid": FRAME_UID,
        },
        "levels": [
            {"name": lv.name, "superior_z_mm": lv.superior_z_mm, "inferior_z_mm": lv.inferior_z_mm}
            for lv in levels
        ],
        "lesion": {"type": "ellipsoid", "center_mm": [0.5, 10.0, -51.0], "radii_mm": [4, 4, 9]},
        "edema": {"superior_z_mm": 30.0, "inferior_z_mm": -120.0},
    }


def _write(tmp_path: Path, data: Any, name: str = "case.spineplan.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_minimal_hand_written_case_loads(tmp_path: Path) -> None:
    path = _write(tmp_path, _minimal())
    case = load_case(path)
    assert case.study.study_instance_uid == STUDY_UID
    assert [lv.name for lv in case.levels] == ["C3", "C4", "C5", "C6", "C7"]
    assert case.lesion == EllipsoidLesion((0.5, 10.0, -51.0), (4.0, 4.0, 9.0))
    assert case.edema == EdemaLimits(30.0, -120.0)
    assert case.plan == PlanSettings()
    assert case.reference is False
    # A relative study path is relative to the case file's folder.
    assert case.study_path() == (tmp_path / "../sample_dicom/case1")
    field = derive_field(case.levels, case.lesion.z_range_mm, case.plan)
    assert field.lesion_levels == ("C4", "C5")


def test_reference_case_with_findings_and_dorsal_names(tmp_path: Path) -> None:
    data = _minimal()
    data["reference"] = True
    data["findings"] = ["bone metastasis at L1", {"type": "bone_metastasis", "level": "L1"}]
    data["levels"][0]["name"] = "c3"
    data["thoracic_prefix"] = "D"
    case = load_case(_write(tmp_path, data))
    assert case.reference is True
    assert case.findings[1]["level"] == "L1"
    assert case.levels[0].name == "C3"
    assert case.thoracic_prefix == "D"


def test_full_case_round_trips(tmp_path: Path) -> None:
    levels = spine(with_widths=True)
    table = by_name(levels)
    case = Case(
        study=StudyReference("study", STUDY_UID, FRAME_UID),
        levels=levels,
        lesion=SeedLesion((1.0, 2.0, -300.0), tolerance=0.25, method="confidence"),
        edema=EdemaLimits(-250.0, -350.0, ((0.0, 1.0, -200.0), (0.0, 3.0, -400.0))),
        plan=PlanSettings(
            energy="6MV", border_convention="endplate", margin_mm=2.5, arrangement="AP_PA",
            field_width_mm=75.0, ssd_cm=95.0, dose_gy=30.0, fractions=10,
            normalisation="depth", normalisation_depth_mm=50.0,
        ),
        counting_anchors=CountingAnchors(table["C2"].middle_z_mm, table["S1"].middle_z_mm),
        thoracic_prefix="D",
        reference=True,
        findings=("bone metastasis at L1",),
        description="round trip",
    )  # fmt: skip
    path = tmp_path / "full.spineplan.json"
    saved = save_case(case, path)
    assert saved.source_path == path.resolve()
    loaded = load_case(path)
    assert loaded == case
    written = json.loads(path.read_text())
    assert written["schema_version"] == SCHEMA_VERSION
    assert written["levels"][8]["name"] == "D3"  # shown with the user's thoracic prefix
    assert written["counting_check"]["status"] == "agree"
    assert "agree" in written["counting_check"]["sentence"]
    assert loaded.counting_check().agree is True
    # Saving what was loaded writes the same file.
    save_case(loaded, tmp_path / "again.spineplan.json")
    assert (tmp_path / "again.spineplan.json").read_text() == path.read_text()


def test_mask_lesion_round_trips_and_resolves(tmp_path: Path) -> None:
    case = Case(StudyReference("/data/study"), lesion=MaskLesion("lesion.nrrd", "painted"))
    path = tmp_path / "m.spineplan.json"
    save_case(case, path)
    loaded = load_case(path)
    assert loaded.lesion == MaskLesion("lesion.nrrd", "painted")
    assert loaded.resolve(loaded.lesion.path) == path.resolve().parent / "lesion.nrrd"
    assert loaded.study_path() == Path("/data/study")


def _error(tmp_path: Path, data: Any) -> str:
    path = _write(tmp_path, data, "broken.spineplan.json")
    with pytest.raises(CaseFileError) as raised:
        load_case(path)
    return str(raised.value)


def _broken(change) -> dict[str, Any]:
    data = copy.deepcopy(_minimal())
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["levels"][3].update(superior_z_mm="abc"),
         'broken.spineplan.json: levels[3].superior_z_mm: expected a number, got "abc"'),
        (lambda d: d["levels"][1].pop("inferior_z_mm"),
         "levels[1].inferior_z_mm: required field is missing"),
        (lambda d: d["levels"][2].update(name="C9"),
         "levels[2].name: 'C9' is not a vertebral level"),
        (lambda d: d.pop("study"), "study: required field is missing"),
        (lambda d: d["study"].update(path=""), "study.path: must not be empty"),
        (lambda d: d["study"].update(frame_of_reference_uid=12),
         "study.frame_of_reference_uid: expected a string, got 12"),
        (lambda d: d.update(lesoin={}), "lesoin: unknown field (did you mean 'lesion'?)"),
        (lambda d: d["lesion"].update(type="sphere"),
         'lesion.type: expected ellipsoid, seed or mask, got "sphere"'),
        (lambda d: d["lesion"].update(radii_mm=[4, 4]),
         "lesion.radii_mm: expected a list of 3 numbers [x, y, z] in mm, got a list"),
        (lambda d: d["lesion"].update(radii_mm=[4, 0, 4]),
         "lesion.radii_mm[1]: expected a number greater than 0, got 0"),
        (lambda d: d.update(lesion={"type": "seed"}), "lesion.point_mm: required field"),
        (lambda d: d.update(lesion={"type": "mask", "path": "x.nrrd", "origin": "drawn"}),
         'lesion.origin: expected file or painted, got "drawn"'),
        (lambda d: d["edema"].update(superior_z_mm=-200.0),
         "edema: superior_z_mm (-200) must not lie below inferior_z_mm (-120)"),
        (lambda d: d.update(plan={"energy": "18MV"}),
         "plan.energy: expected an energy Co60 or 6MV, got '18MV'"),
        (lambda d: d.update(plan={"border_convention": "middle"}),
         "plan.border_convention: expected a border convention disc or endplate"),
        (lambda d: d.update(plan={"fractions": 2.5}),
         "plan.fractions: expected a whole number, got 2.5"),
        (lambda d: d.update(plan={"normalisation": "depth"}),
         "plan.normalisation_depth_mm: a number is required"),
        (lambda d: d.update(plan={"margin_mm": True}),
         "plan.margin_mm: expected a number, got true"),
        (lambda d: d.update(schema_version=2),
         "schema_version: the file uses schema 2; this spineplan reads schema 1"),
        (lambda d: d.update(reference="yes"), 'reference: expected true or false, got "yes"'),
        (lambda d: d.update(levels={}), "levels: expected a list, got an object"),
        (lambda d: d.update(structures=""), 'structures: expected a list, got ""'),
        (lambda d: d.update(structures=0), "structures: expected a list, got 0"),
        (lambda d: d.update(plan={"ssd_cm": 1e9}), "plan.ssd_cm: 1e+09 cm is outside 20-200 cm"),
        (lambda d: d.update(counting_check={"anchors": {"c2_z_mm": 900.0}}),
         "counting_check.anchors: the C2 anchor at z 900.0 mm is not inside any marked"),
    ],
)  # fmt: skip
def test_malformed_fields_are_named(tmp_path: Path, change, expected: str) -> None:
    assert expected in _error(tmp_path, _broken(change))


def test_not_json_and_not_an_object(tmp_path: Path) -> None:
    path = tmp_path / "bad.spineplan.json"
    path.write_text('{"study": {"path": "x"},\n  "levels": [1, 2,]\n}')
    with pytest.raises(CaseFileError, match=r"bad\.spineplan\.json: not valid JSON \(line 2"):
        load_case(path)
    assert "expected an object, got a list" in _error(tmp_path, [1, 2])
    with pytest.raises(CaseFileError, match="case file not found"):
        load_case(tmp_path / "nowhere.spineplan.json")


def test_comment_fields_are_allowed() -> None:
    data = _minimal()
    data["_comment"] = "written by hand"
    data["lesion"]["x_note"] = "measured on T1 post"
    assert case_from_dict(data).lesion is not None


def test_save_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, _minimal())
    before = path.read_text()
    case = load_case(path)

    def fail(_: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(CaseFileError, match=r"cannot write the case file.*disk full"):
        save_case(case, path)
    assert path.read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temporary left


def test_case_to_dict_is_json_with_units_in_names() -> None:
    data = case_to_dict(case_from_dict(_minimal()))
    text = json.dumps(data)
    assert json.loads(text)["plan"]["margin_mm"] == 0.0
    assert data["lesion"]["type"] == "ellipsoid"


# -- the study ----------------------------------------------------------------------------
def _discovery(*series: tuple[str, str]) -> SimpleNamespace:
    return SimpleNamespace(
        series=[
            SimpleNamespace(study_instance_uid=s, frame_of_reference_uid=f, modality="MR")
            for s, f in series
        ]
    )


def _case_in(tmp_path: Path, **study: str) -> Case:
    (tmp_path / "study").mkdir(exist_ok=True)
    data = _minimal()
    data["study"] = {"path": "study", **study}
    return load_case(_write(tmp_path, data))


def test_check_study_finds_the_matching_series(tmp_path: Path) -> None:
    case = _case_in(tmp_path, study_instance_uid=STUDY_UID, frame_of_reference_uid=FRAME_UID)
    seen = []

    def discover(path: Path) -> SimpleNamespace:
        seen.append(path)
        return _discovery((STUDY_UID, FRAME_UID), (STUDY_UID, "other"), ("9.9", FRAME_UID))

    series = check_study(case, discover)
    assert len(series) == 1
    assert seen == [tmp_path.resolve() / "study"]


def test_check_study_errors_name_the_field(tmp_path: Path) -> None:
    missing = load_case(_write(tmp_path, _minimal()))
    with pytest.raises(CaseFileError, match=r"case\.spineplan\.json: study\.path: .* does not"):
        check_study(missing, lambda p: _discovery())
    case = _case_in(tmp_path, study_instance_uid=STUDY_UID, frame_of_reference_uid=FRAME_UID)
    with pytest.raises(CaseFileError, match=r"study\.study_instance_uid: .* is not among"):
        check_study(case, lambda p: _discovery(("1.2.3", FRAME_UID)))
    with pytest.raises(CaseFileError, match=r"study\.frame_of_reference_uid: .* does not match"):
        check_study(case, lambda p: _discovery((STUDY_UID, "1.2.3")))

    def no_dicom(path: Path) -> None:
        raise NoDicomError(f"{path}: no DICOM files found")

    with pytest.raises(CaseFileError, match=r"study\.path: .*no DICOM files"):
        check_study(case, no_dicom)
    unchecked = _case_in(tmp_path)  # no UIDs given: any series will do
    assert len(check_study(unchecked, lambda p: _discovery(("1", "2")))) == 1


# -- the bundled sample cases ----------------------------------------------------------------
SAMPLE_DIR = Path(__file__).resolve().parents[2] / "sample_dicom"


@pytest.mark.parametrize("number", [1, 2, 3, 4])
def test_reference_cases_load_and_match_their_study(number: int) -> None:
    path = SAMPLE_DIR / f"case{number}" / "reference.spineplan.json"
    if not path.is_file():
        pytest.skip(f"{path} has not been generated")
    case = load_case(path)
    assert case.reference is True
    assert case.study_path() == path.resolve().parent
    assert isinstance(case.lesion, EllipsoidLesion)
    assert case.edema is not None
    assert [lv.name for lv in case.levels][:2] == ["C2", "C3"]
    series = check_study(case)
    assert {s.frame_of_reference_uid for s in series} == {case.study.frame_of_reference_uid}
    assert len(series) >= 3  # T1 post-contrast sagittal and axial, T2 sagittal (+ CT)
    if number == 4:
        assert case.findings[0]["type"] == "bone_metastasis"
        assert case.findings[0]["level"] == "L1"


def test_saved_file_keeps_usual_permissions(tmp_path: Path) -> None:
    path = tmp_path / "p.spineplan.json"
    save_case(Case(StudyReference(".")), path)
    assert path.stat().st_mode & 0o777 == 0o644
    path.chmod(0o600)
    save_case(Case(StudyReference(".")), path)
    assert path.stat().st_mode & 0o777 == 0o600
