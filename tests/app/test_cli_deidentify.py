"""``spineplan deidentify IN OUT``: a study folder or a case file, and bad input as exit 2."""

from __future__ import annotations

import shutil
from pathlib import Path

import pydicom

from app import cli
from imaging import discover
from planning.case import check_study, load_case
from planning.field.derivation import derive_case_field
from tests.dicom_builders import write_series

SAMPLE = Path(__file__).resolve().parents[2] / "sample_dicom" / "case2" / "reference.spineplan.json"


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
