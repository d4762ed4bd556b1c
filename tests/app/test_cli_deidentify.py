"""``spineplan deidentify IN OUT``: a study folder or a case file, and bad input as exit 2."""

from __future__ import annotations

from pathlib import Path

import pydicom

from app import cli
from imaging import discover
from planning.case import check_study, load_case
from planning.field import derive_case_field
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
