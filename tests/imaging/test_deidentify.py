"""Teaching export: nothing identifying survives, and the study still hangs together."""

from __future__ import annotations

import pydicom
import pytest

from imaging.deidentify import deidentify_study
from imaging.discovery import discover
from imaging.errors import ImagingError, NoDicomError
from imaging.loading import load_series
from tests.dicom_builders import write_series, write_text_file

IDENTIFIERS = {
    "PatientName": "DOE^JANE",
    "PatientID": "MRN-0042",
    "PatientBirthDate": "19580317",
    "InstitutionName": "St Elsewhere",
    "ReferringPhysicianName": "HOUSE^GREGORY",
}


def _all_values(ds: pydicom.Dataset) -> list[str]:
    values = []
    for element in ds.iterall():
        if element.keyword != "PixelData":
            values.append(str(element.value))
    return values


@pytest.fixture
def study(tmp_path):
    folder = tmp_path / "study"
    t1 = write_series(folder / "t1", orientation="sagittal", series_number=1, **IDENTIFIERS)
    write_series(
        folder / "t2",
        orientation="sagittal",
        series_number=2,
        study_instance_uid=t1.study_instance_uid,
        frame_of_reference_uid=t1.frame_of_reference_uid,
        **IDENTIFIERS,
    )
    write_text_file(folder / "notes.txt")
    source_values = _all_values(pydicom.dcmread(t1.paths[0]))
    assert all(v in source_values for v in IDENTIFIERS.values())  # the test has teeth
    return folder


def test_no_identifier_survives_in_any_element(study, tmp_path) -> None:
    out = tmp_path / "teaching"
    report = deidentify_study(study, out, seed="test")
    files = sorted(p for p in out.rglob("*") if p.is_file())
    assert report.files_written == len(files) > 0
    for path in files:
        values = _all_values(pydicom.dcmread(path))
        for original in IDENTIFIERS.values():
            assert not any(original in value for value in values), (path, original)
        assert pydicom.dcmread(path).PatientIdentityRemoved == "YES"
    assert report.files_skipped and report.files_skipped[0].endswith("notes.txt")
    assert report.replaced["PatientName"] == report.files_written
    assert any("PatientBirthDate" in line for line in report.summary_lines())


def test_series_and_frame_of_reference_still_match(study, tmp_path) -> None:
    before = discover(study)
    out = tmp_path / "teaching"
    report = deidentify_study(study, out, seed="test")
    after = discover(out)
    assert len(after.series) == len(before.series) == 2
    assert {s.frame_of_reference_uid for s in after.series} == {
        report.uid_map[before.series[0].frame_of_reference_uid]
    }
    assert {s.study_instance_uid for s in after.series} != {
        s.study_instance_uid for s in before.series
    }
    original = load_series(before.series[0])
    copy = load_series(next(s for s in after.series if s.series_number == 1))
    assert copy.same_grid(original)
    assert (copy.array == original.array).all()


def test_nothing_is_written_for_a_folder_without_dicom(tmp_path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    write_text_file(folder / "a.txt")
    with pytest.raises(NoDicomError):
        deidentify_study(folder, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "out.partial").exists()


def test_an_existing_output_is_never_overwritten(study, tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(ImagingError, match="not empty"):
        deidentify_study(study, out)
    assert (out / "keep.txt").read_text() == "mine"


def test_output_paths_do_not_repeat_identifying_folder_names(tmp_path) -> None:
    folder = tmp_path / "DOE_JANE_MRN-0042"
    write_series(folder / "DOE_JANE_T1", orientation="sagittal", **IDENTIFIERS)
    out = tmp_path / "teaching"
    deidentify_study(folder, out)
    written = [str(p.relative_to(out)) for p in out.rglob("*")]
    assert written and not any("DOE" in name or "0042" in name for name in written)
