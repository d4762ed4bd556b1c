"""The PS3.15 Basic Application Level Confidentiality Profile on a corpus with identifiers
planted in 30+ attributes, private tags and nested sequences: none survives in any byte."""

from __future__ import annotations

import datetime
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.uid import SecondaryCaptureImageStorage

from imaging import confidentiality, discover, load_series
from imaging.deidentify import burned_in_images, deidentify_study
from imaging.errors import BurnedInAnnotationError
from tests.dicom_builders import write_series
from tests.identifiers_corpus import (
    NAME_PARTS,
    PLANTED_DATES,
    PLANTED_STRINGS,
    TOP_LEVEL,
    planted_in,
    write_identified_series,
)

SAMPLE_FILE = (
    Path(__file__).resolve().parents[2] / "sample_dicom" / "case2" / "T1C_SAG" / "IM0001.dcm"
)


@pytest.fixture
def identified_study(tmp_path) -> Path:
    """Two MR series of one study (one frame of reference), every file with the identifiers."""
    folder = tmp_path / "Yamada_Taro_ZZSECRET99"
    t1 = write_identified_series(folder / "Yamada_T1", series_number=3)
    write_identified_series(
        folder / "Yamada_T2",
        series_number=4,
        series_description="T2 TSE SAG",
        study_instance_uid=t1.study_instance_uid,
        frame_of_reference_uid=t1.frame_of_reference_uid,
        seed=1,
    )
    return folder


def _elements(ds: Dataset):
    for element in ds:
        yield element
        if element.VR == "SQ":
            for item in element.value:
                yield from _elements(item)


def test_the_corpus_has_teeth(identified_study) -> None:
    files = sorted(identified_study.rglob("*.dcm"))
    for path in files:
        assert set(planted_in(path.read_bytes())) == {*PLANTED_STRINGS, *PLANTED_DATES}
    ds = pydicom.dcmread(files[0])
    top = {e.keyword for e in ds if any(s in str(e.value) for s in PLANTED_STRINGS)}
    assert len(TOP_LEVEL) >= 30 and len(top) >= 30
    assert any(e.tag.is_private for e in _elements(ds))
    nested = ds.ReferencedImageSequence[0].PurposeOfReferenceCodeSequence[0]
    assert "ZZSECRET37" in str(nested.OperatorsName)  # three items deep


def test_no_planted_identifier_survives_in_any_byte(identified_study, tmp_path) -> None:
    out = tmp_path / "teaching"
    report = deidentify_study(identified_study, out, seed="corpus")
    files = sorted(p for p in out.rglob("*") if p.is_file())
    assert report.files_written == len(files) == 8
    for path in files:
        assert planted_in(path.read_bytes()) == [], path
        assert planted_in(str(path.relative_to(out)).encode()) == [], path
    assert all(name not in str(p) for p in out.rglob("*") for name in NAME_PARTS)
    lines = report.summary_lines()
    assert any(line.startswith("removed private tags (8 files)") for line in lines)
    assert any("inside a sequence" in line for line in lines)


def test_the_profile_is_applied_at_every_depth_and_recorded(identified_study, tmp_path) -> None:
    before = pydicom.dcmread(sorted((identified_study / "Yamada_T1").glob("*.dcm"))[0])
    out = tmp_path / "teaching"
    report = deidentify_study(identified_study, out, seed="corpus")
    after = next(
        pydicom.dcmread(p)
        for p in sorted(out.rglob("*.dcm"))
        if pydicom.dcmread(p, stop_before_pixels=True).InstanceNumber == 1
        and pydicom.dcmread(p, stop_before_pixels=True).SeriesNumber == 3
    )
    elements = list(_elements(after))
    assert not any(e.tag.is_private for e in elements)
    for element in elements:
        if element.VR not in ("DA", "DT", "TM") and element.keyword != "SeriesDescription":
            assert confidentiality.table_action(element.tag) != "X", element.keyword
        if element.VR == "PN" and element.value:
            assert str(element.value) not in {str(e.value) for e in _elements(before)}
    assert after.PatientIdentityRemoved == "YES"
    assert after.LongitudinalTemporalInformationModified == "MODIFIED"
    assert list(confidentiality.method_codes(after)) == ["113100", "113105", "113107"]
    assert "Basic Application Confidentiality Profile" in after.DeidentificationMethod[0]
    assert after.SeriesDescription == "T1 SE SAG +C"  # cleaned, still says post-contrast
    assert after.PatientBirthDate == "" and "PatientAge" not in after
    assert "StudyDescription" not in after and "ImageComments" not in after
    assert after.preamble == b"\x00" * 128
    assert "SourceApplicationEntityTitle" not in after.file_meta
    # dates shifted by one offset, paired and lone times by the same hours
    shift = datetime.timedelta(hours=report.date_shift_hours)
    assert shift <= -datetime.timedelta(days=62)

    def moment(ds: Dataset, date: str, time: str) -> datetime.datetime:
        return datetime.datetime.strptime(ds[date].value + ds[time].value[:6], "%Y%m%d%H%M%S")

    for date, time in (("StudyDate", "StudyTime"), ("AcquisitionDate", "AcquisitionTime")):
        assert moment(after, date, time) == moment(before, date, time) + shift
    nested_date = after.ReferencedImageSequence[0].PurposeOfReferenceCodeSequence[0].ContentDate
    midnight = datetime.datetime.strptime(before.ContentDate, "%Y%m%d")  # a date with no time
    assert nested_date == (midnight + shift).strftime("%Y%m%d")
    lone = datetime.datetime.strptime(before.PerformedProcedureStepStartTime, "%H%M%S") + shift
    assert after.PerformedProcedureStepStartTime == lone.strftime("%H%M%S")


def test_the_copy_is_the_same_geometry_and_pixels(identified_study, tmp_path) -> None:
    out = tmp_path / "teaching"
    report = deidentify_study(identified_study, out, seed="corpus")
    before = sorted(discover(identified_study).series, key=lambda s: s.series_number)
    after = sorted(discover(out).series, key=lambda s: s.series_number)
    assert [s.description for s in after] == ["T1 SE SAG +C", "T2 TSE SAG"]
    assert {s.frame_of_reference_uid for s in after} == {
        report.uid_map[before[0].frame_of_reference_uid]
    }
    for original, copy in zip(before, after, strict=True):
        volume, copied = load_series(original), load_series(copy)
        assert copied.same_grid(volume)
        assert np.array_equal(copied.array, volume.array)


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("T1 SE SAG +C ZZSECRET18", "T1 SE SAG +C"),
        ("t2_tse_sag Yamada", "T2 TSE SAG"),
        ("PLANNING CT C-T SPINE", "PLANNING CT C-T SPINE"),
        ("Yamada Taro 1958", "MR SAG"),
        ("", "MR SAG"),
    ],
)
def test_series_description_keeps_only_technical_words(description, expected) -> None:
    ds = Dataset()
    ds.Modality, ds.ImageOrientationPatient = "MR", [0, 1, 0, 0, 0, -1]
    assert confidentiality.cleaned_description(description, ds) == expected


def test_burned_in_text_is_refused_unless_accepted(tmp_path) -> None:
    study = tmp_path / "study"
    write_series(study / "mr", shape=(2, 8, 8), BurnedInAnnotation="NO")
    write_series(study / "shot", shape=(1, 8, 8), series_number=2, BurnedInAnnotation="YES")
    out = tmp_path / "out"
    with pytest.raises(BurnedInAnnotationError, match=r"IM0000\.dcm: .*Burned In Annotation"):
        deidentify_study(study, out)
    assert not out.exists() and list(tmp_path.iterdir()) == [study]
    assert [Path(line.split(":")[0]).parent.name for line in burned_in_images(study)] == ["shot"]

    report = deidentify_study(study, out, accept_burned_in=True)
    assert report.files_written == 3 and len(report.burned_in_accepted) == 1
    assert any("burned-in text (accepted)" in line for line in report.summary_lines())
    shot = next(
        p for p in out.rglob("*.dcm") if pydicom.dcmread(p).get("BurnedInAnnotation") == "YES"
    )
    assert confidentiality.BURNED_IN_ACCEPTED_TEXT in pydicom.dcmread(shot).DeidentificationMethod


def test_a_secondary_capture_counts_as_burned_in_unless_marked_no() -> None:
    ds = Dataset()
    ds.SOPClassUID = SecondaryCaptureImageStorage
    assert "secondary capture" in (confidentiality.burned_in_reason(ds) or "")
    ds.BurnedInAnnotation = "NO"
    assert confidentiality.burned_in_reason(ds) is None


def _dciodvfy_errors(path: Path) -> set[str]:
    run = subprocess.run(["dciodvfy", str(path)], capture_output=True, text=True, timeout=60)
    lines = (run.stdout + run.stderr).splitlines()
    return {line.strip() for line in lines if line.startswith("Error")}


@pytest.mark.skipif(shutil.which("dciodvfy") is None, reason="dciodvfy (dicom3tools) not installed")
@pytest.mark.skipif(not SAMPLE_FILE.is_file(), reason="sample case 2 is not generated")
def test_dciodvfy_finds_no_new_error(identified_study, tmp_path) -> None:
    """An independent validator: de-identified files are no less valid than their originals."""
    copy = tmp_path / "sample" / "IM0001.dcm"
    copy.parent.mkdir()
    shutil.copy(SAMPLE_FILE, copy)
    deidentify_study(copy.parent, tmp_path / "sample_out")
    written = next((tmp_path / "sample_out").rglob("*.dcm"))
    assert _dciodvfy_errors(written) <= _dciodvfy_errors(copy)

    original = sorted(identified_study.rglob("*.dcm"))[0]
    assert _dciodvfy_errors(original)  # the validator does report errors (the corpus has some)
    deidentify_study(identified_study, tmp_path / "corpus_out", seed="corpus")
    for written in sorted((tmp_path / "corpus_out").rglob("*.dcm"))[:2]:
        assert _dciodvfy_errors(written) <= _dciodvfy_errors(original), written
