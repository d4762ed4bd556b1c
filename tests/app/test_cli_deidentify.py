"""``spineplan deidentify IN OUT``: a study folder or a case file, and bad input as exit 2."""

from __future__ import annotations

import contextlib
import json
import shutil
from pathlib import Path

import pydicom

from app import cli
from imaging import discover
from planning.case import check_study, load_case
from planning.field.derivation import derive_case_field
from tests.dicom_builders import write_series
from tests.identifiers_corpus import identified_case_copy, planted_in, write_identified_series

SAMPLE = Path(__file__).resolve().parents[2] / "sample_dicom" / "case2" / "reference.spineplan.json"
CASE3 = SAMPLE.parents[1] / "case3" / "reference.spineplan.json"


def _values(path: Path) -> list[str]:
    return [str(e.value) for e in pydicom.dcmread(path).iterall() if e.keyword != "PixelData"]


def test_study_folder(tmp_path, capsys) -> None:
    write_series(tmp_path / "in" / "t1", shape=(3, 8, 8), PatientName="ROE^RICHARD")
    out = tmp_path / "out"
    assert cli.main(["deidentify", str(tmp_path / "in"), str(out), "--seed", "x"]) == 0
    text = capsys.readouterr().out
    assert "3 files de-identified" in text and "replaced PatientName (3 files)" in text
    files = sorted(out.rglob("*.dcm"))
    assert len(files) == 3
    assert all(not any("ROE" in v for v in _values(f)) for f in files)
    assert len(discover(out).series) == 1


def test_case_file(tmp_path, capsys) -> None:
    out = tmp_path / "teaching"
    assert cli.main(["deidentify", str(SAMPLE), str(out)]) == 0
    text = capsys.readouterr().out
    assert "case file reference.spineplan.json:" in text
    assert "study.study_instance_uid: replaced" in text
    exported = load_case(out / "reference.spineplan.json")
    assert len(check_study(exported)) == 3
    original = load_case(SAMPLE)
    assert derive_case_field(exported).to_dict() == derive_case_field(original).to_dict()
    for path in out.rglob("*.dcm"):
        assert not any("SPINEPLAN^CASE2" in v for v in _values(path))


def test_bad_input_exits_2_and_writes_nothing(tmp_path, capsys) -> None:
    out = tmp_path / "out"
    assert cli.main(["deidentify", str(tmp_path / "nothing"), str(out)]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert cli.main(["deidentify", str(tmp_path / "empty"), str(out)]) == 2
    assert "no DICOM file" in capsys.readouterr().err
    missing_case = tmp_path / "x.spineplan.json"
    assert cli.main(["deidentify", str(missing_case), str(out)]) == 2
    assert "case file not found" in capsys.readouterr().err
    assert not out.exists()


def test_output_that_is_a_file_or_inside_the_study_is_refused(tmp_path, capsys) -> None:
    study = tmp_path / "study"
    shutil.copytree(SAMPLE.parent, study)
    before = sorted(p.relative_to(study) for p in study.rglob("*"))
    a_file = tmp_path / "a_file"
    a_file.write_text("keep me")
    for source in (study, study / SAMPLE.name):
        assert cli.main(["deidentify", str(source), str(a_file)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "exists and is not a folder" in err[0]
        assert cli.main(["deidentify", str(source), str(study / "teaching")]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "must not lie inside the study folder" in err[0]
    assert a_file.read_text() == "keep me"
    assert sorted(p.relative_to(study) for p in study.rglob("*")) == before


def test_truncated_image_is_refused_and_a_partial_folder_of_the_user_is_kept(
    tmp_path, capsys
) -> None:
    source = tmp_path / "broken"
    source.mkdir()
    first = sorted(p for p in SAMPLE.parent.rglob("*.dcm"))[0]
    data = first.read_bytes()
    (source / "IM1.dcm").write_bytes(data[: len(data) // 2])
    out = tmp_path / "out"
    mine = tmp_path / "out.partial"
    mine.mkdir()
    (mine / "mine.txt").write_text("keep me")
    assert cli.main(["deidentify", str(source), str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "IM1.dcm: truncated file" in err[0]
    assert not out.exists()
    assert (mine / "mine.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken", "out.partial"]


def _field_json(case_file: Path, capsys) -> dict:
    assert cli.main(["field", str(case_file), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    for key in ("case", "study_instance_uid", "frame_of_reference_uid"):
        data.pop(key)
    return data


def test_planted_identifiers_leave_no_byte_and_the_same_field(tmp_path, capsys) -> None:
    """Issue 14's acceptance through the command line: a case whose study carries identifiers
    in 30+ attributes, private tags and nested sequences, and in its case file."""
    case_file = identified_case_copy(CASE3, tmp_path / "Yamada_Taro_ZZSECRET99")
    assert planted_in(case_file.read_bytes())  # the test has teeth
    assert all(planted_in(p.read_bytes()) for p in case_file.parent.rglob("*.dcm"))
    out = tmp_path / "teaching"
    assert cli.main(["deidentify", str(case_file), str(out), "--seed", "acceptance"]) == 0
    text = capsys.readouterr().out
    assert "Basic Application Confidentiality Profile" in text
    assert "removed private tags (42 files)" in text
    files = sorted(p for p in out.rglob("*") if p.is_file())
    assert len(files) == 43  # 42 images and the case file
    for path in files:
        assert planted_in(path.read_bytes()) == [], path
        assert planted_in(str(path.relative_to(out)).encode()) == [], path
    exported = out / "reference.spineplan.json"
    assert _field_json(exported, capsys) == _field_json(CASE3, capsys)


def test_burned_in_text_needs_the_flag(tmp_path, capsys) -> None:
    write_identified_series(tmp_path / "in" / "shot", BurnedInAnnotation="YES")
    out = tmp_path / "out"
    assert cli.main(["deidentify", str(tmp_path / "in"), str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "IM0000.dcm: may show the patient's name in its pixels" in err[0]
    assert "--accept-burned-in" in err[0] and not out.exists()
    assert cli.main(["deidentify", str(tmp_path / "in"), str(out), "--accept-burned-in"]) == 0
    assert "4 files may show burned-in text (accepted)" in capsys.readouterr().out
    assert all(planted_in(p.read_bytes()) == [] for p in out.rglob("*.dcm"))


def test_help_states_the_profile_and_options(capsys) -> None:
    with contextlib.suppress(SystemExit):
        cli.main(["deidentify", "-h"])
    text = " ".join(capsys.readouterr().out.split())
    for words in (
        "PS3.15 Basic Application Level Confidentiality Profile",
        "Retain Longitudinal Temporal Information with Modified Dates",
        "Clean Descriptors, for Series Description only",
        "every private tag is removed",
        "--accept-burned-in",
    ):
        assert words in text
