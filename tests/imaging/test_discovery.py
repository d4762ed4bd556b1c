"""Discovery on messy folders: junk, truncated files, mixed series, no preamble, DICOMDIR."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from pydicom.fileset import FileSet

import imaging
from imaging.errors import NoDicomError, UnreadableFileError
from tests.dicom_builders import (
    write_enhanced_mr,
    write_garbage_file,
    write_raw_dataset,
    write_series,
    write_text_file,
    write_truncated_copy,
)


@pytest.fixture()
def messy_folder(tmp_path: Path) -> dict[str, object]:
    """Two series interleaved in one folder tree, plus junk of every kind."""
    root = tmp_path / "export"
    t2 = write_series(
        root / "mixed",
        orientation="sagittal",
        shape=(6, 16, 12),
        series_number=2,
        series_description="T2 SAG",
        file_prefix="A",
        instance_numbers=[4, 2, 6, 1, 5, 3],
    )
    t1 = write_series(
        root / "mixed",
        orientation="axial",
        shape=(4, 12, 12),
        series_number=3,
        series_description="T1 AX",
        file_prefix="B",
        study_instance_uid=t2.study_instance_uid,
        frame_of_reference_uid=t2.frame_of_reference_uid,
    )
    bare = write_series(
        root / "deep" / "er",
        orientation="coronal",
        shape=(3, 10, 10),
        series_number=4,
        series_description="NO PREAMBLE",
        preamble=False,
        extension="",
        study_instance_uid=t2.study_instance_uid,
    )
    write_text_file(root / "README.txt")
    write_text_file(root / "deep" / "notes", "0008 looks like a number but is text\n")
    write_garbage_file(root / "mixed" / "garbage.dcm")
    write_truncated_copy(t2.paths[0], root / "truncated.dcm", keep_fraction=0.3)
    (root / "empty.dcm").write_bytes(b"")
    return {"root": root, "t2": t2, "t1": t1, "bare": bare}


def test_messy_folder_groups_series_and_counts_skipped(messy_folder: dict[str, object]) -> None:
    found = imaging.discover(messy_folder["root"])  # type: ignore[arg-type]

    assert len(found.studies) == 1
    study = found.studies[0]
    assert study.patient_name == "TEST^PATIENT"
    assert [s.series_number for s in study.series] == [2, 3, 4]
    t2, t1, bare = study.series
    assert (t2.description, t2.orientation, t2.shape) == ("T2 SAG", "sagittal", (6, 16, 12))
    assert (t1.orientation, t1.shape) == ("axial", (4, 12, 12))
    assert (bare.orientation, bare.shape) == ("coronal", (3, 10, 10))
    assert all(not s.warnings for s in study.series)
    # files in slice order (by position along the normal), not by instance number
    assert t2.files == messy_folder["t2"].paths  # type: ignore[attr-defined]
    np.testing.assert_allclose(t2.geometry.affine, messy_folder["t2"].affine, atol=1e-6)  # type: ignore[attr-defined]

    skipped = {p.path.name: p.reason for p in found.skipped}
    assert set(skipped) == {"README.txt", "notes", "garbage.dcm", "truncated.dcm", "empty.dcm"}
    assert skipped["garbage.dcm"] == "not a DICOM file"
    assert "truncated" in skipped["truncated.dcm"] or "corrupt" in skipped["truncated.dcm"]
    assert found.series == study.series


def test_progress_reports_every_file(messy_folder: dict[str, object]) -> None:
    calls: list[tuple[int, int]] = []
    imaging.discover(messy_folder["root"], progress=lambda d, t: calls.append((d, t)))  # type: ignore[arg-type]
    total = calls[-1][1]
    assert calls[-1] == (total, total)
    assert total == 6 + 4 + 3 + 5
    assert [d for d, _ in calls] == list(range(1, total + 1))


def test_file_without_preamble_or_meta_group(tmp_path: Path) -> None:
    built = write_series(tmp_path / "src", shape=(2, 8, 8))
    import pydicom

    raw = tmp_path / "raw" / "IMG1"
    raw.parent.mkdir()
    write_raw_dataset(pydicom.dcmread(built.paths[0]), raw)
    assert raw.read_bytes()[:2] == b"\x08\x00"

    found = imaging.discover(raw)
    assert found.series[0].shape == (1, 8, 8)
    volume = imaging.load_series(raw)
    np.testing.assert_array_equal(volume.array[0], built.array[0])


def test_list_of_files_and_folders(messy_folder: dict[str, object]) -> None:
    t1 = messy_folder["t1"]
    bare = messy_folder["bare"]
    found = imaging.discover([*t1.paths, bare.folder])  # type: ignore[attr-defined]
    assert [s.shape for s in found.series] == [(4, 12, 12), (3, 10, 10)]


def test_explicit_garbage_file_is_an_error(tmp_path: Path) -> None:
    path = write_garbage_file(tmp_path / "scan.dcm")
    with pytest.raises(UnreadableFileError, match=r"scan\.dcm.*not a DICOM file"):
        imaging.discover(path)


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError, match="no such file or folder"):
        imaging.discover(tmp_path / "nowhere")


def test_folder_without_dicom_names_folder_and_count(tmp_path: Path) -> None:
    write_text_file(tmp_path / "a.txt")
    write_garbage_file(tmp_path / "b.dcm")
    write_garbage_file(tmp_path / "c", size=10)
    with pytest.raises(NoDicomError, match=rf"{tmp_path.name}: no DICOM images found \(3 file"):
        imaging.discover(tmp_path)


def test_one_uid_with_two_orientations_is_split(tmp_path: Path) -> None:
    sagittal = write_series(tmp_path, orientation="sagittal", shape=(5, 10, 10), file_prefix="S")
    write_series(
        tmp_path,
        orientation="axial",
        shape=(3, 10, 10),
        file_prefix="A",
        series_instance_uid=sagittal.series_instance_uid,
        study_instance_uid=sagittal.study_instance_uid,
    )
    found = imaging.discover(tmp_path)
    parts = found.series
    assert [p.key for p in parts] == [
        f"{sagittal.series_instance_uid}.1",
        f"{sagittal.series_instance_uid}.2",
    ]
    assert {p.series_instance_uid for p in parts} == {sagittal.series_instance_uid}
    assert [(p.orientation, p.shape[0]) for p in parts] == [("sagittal", 5), ("axial", 3)]
    assert all("mixed orientations" in p.warnings[0] for p in parts)
    # Loading by UID takes the largest part; by key, the one asked for.
    assert imaging.load_series(tmp_path).shape == (5, 10, 10)
    axial = imaging.load_series(tmp_path, series_instance_uid=parts[1].key)
    assert axial.orientation == "axial"
    assert any("mixed orientations" in w for w in axial.warnings)


def test_one_uid_with_two_matrix_sizes_is_split(tmp_path: Path) -> None:
    big = write_series(tmp_path, shape=(4, 12, 12), file_prefix="B")
    write_series(
        tmp_path,
        shape=(2, 8, 8),
        file_prefix="S",
        series_instance_uid=big.series_instance_uid,
        study_instance_uid=big.study_instance_uid,
        origin_mm=(0, 0, 100),
    )
    shapes = [s.shape for s in imaging.discover(tmp_path).series]
    assert shapes == [(4, 12, 12), (2, 8, 8)]


def test_dicomdir_made_with_fileset(tmp_path: Path) -> None:
    t2 = write_series(tmp_path / "src", orientation="sagittal", shape=(4, 10, 8))
    enhanced = write_enhanced_mr(tmp_path / "src" / "enhanced.dcm", shape=(3, 8, 8))
    file_set = FileSet()
    for path in (*t2.paths, *enhanced.paths):
        file_set.add(path)
    media = tmp_path / "media"
    file_set.write(media)
    shutil.rmtree(tmp_path / "src")

    found = imaging.discover(media / "DICOMDIR")
    assert sorted(s.shape for s in found.series) == [(3, 8, 8), (4, 10, 8)]
    assert not found.skipped
    # Searching the media folder finds the same images; the DICOMDIR itself is skipped.
    walked = imaging.discover(media)
    assert sorted(s.shape for s in walked.series) == [(3, 8, 8), (4, 10, 8)]
    assert [(s.path.name, s.reason) for s in walked.skipped] == [
        ("DICOMDIR", "a DICOMDIR index, not an image")
    ]


def test_to_json_is_plain_data(messy_folder: dict[str, object]) -> None:
    import json

    data = imaging.discover(messy_folder["root"]).to_json()  # type: ignore[arg-type]
    text = json.dumps(data)
    assert '"skipped_files": 5' in text
    series = data["studies"][0]["series"][0]
    assert series["shape"] == [6, 16, 12]
    assert series["number_of_images"] == 6
    np.testing.assert_allclose(series["affine"], messy_folder["t2"].affine, atol=1e-5)  # type: ignore[attr-defined]


def test_non_image_dicom_is_skipped_with_reason(tmp_path: Path) -> None:
    import pydicom
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    write_series(tmp_path, shape=(2, 8, 8))
    report = Dataset()
    report.file_meta = FileMetaDataset()
    report.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.88.11"
    report.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    report.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    report.SOPClassUID = report.file_meta.MediaStorageSOPClassUID
    report.SOPInstanceUID = report.file_meta.MediaStorageSOPInstanceUID
    report.StudyInstanceUID = generate_uid()
    report.SeriesInstanceUID = generate_uid()
    report.Modality = "SR"
    pydicom.dcmwrite(tmp_path / "report.dcm", report, enforce_file_format=True)

    found = imaging.discover(tmp_path)
    assert len(found.series) == 1
    assert [(s.path.name, "without an image (SR)" in s.reason) for s in found.skipped] == [
        ("report.dcm", True)
    ]


def test_names_in_other_character_sets(tmp_path: Path) -> None:
    write_series(
        tmp_path / "utf8",
        shape=(2, 8, 8),
        SpecificCharacterSet="ISO_IR 192",
        PatientName="Müller^Jürgen",
        SeriesDescription="T2 SAG Wirbelsäule",
    )
    write_series(
        tmp_path / "latin1",
        shape=(2, 8, 8),
        SpecificCharacterSet="ISO_IR 100",
        PatientName="Fontaine^Hélène",
    )
    names = sorted(study.patient_name for study in imaging.discover(tmp_path).studies)
    assert names == ["Fontaine^Hélène", "Müller^Jürgen"]
    series = imaging.discover(tmp_path / "utf8").series[0]
    assert series.description == "T2 SAG Wirbelsäule"
    assert series.metadata.patient_name == "Müller^Jürgen"


def test_dicomdir_after_copy_to_lower_case_names(tmp_path: Path) -> None:
    built = write_series(tmp_path / "src", shape=(3, 8, 8))
    file_set = FileSet()
    for path in built.paths:
        file_set.add(path)
    media = tmp_path / "media"
    file_set.write(media)
    for path in sorted(media.rglob("*"), key=lambda p: -len(p.parts)):
        if path.name != "DICOMDIR":
            path.rename(path.with_name(path.name.lower()))
    found = imaging.discover(media / "DICOMDIR")
    assert found.series[0].shape == (3, 8, 8)
    assert not found.skipped


def test_a_case_file_in_a_study_folder_is_listed_apart_not_skipped(tmp_path: Path) -> None:
    write_series(tmp_path / "T2", shape=(2, 8, 8))
    case_file = tmp_path / "reference.spineplan.json"
    case_file.write_text("{}")
    found = imaging.discover(tmp_path)
    assert found.skipped == []
    assert found.case_files == [case_file]
    assert found.to_json()["case_files"] == [str(case_file)]


def test_no_images_says_nothing_about_skipping_when_nothing_was_skipped(tmp_path: Path) -> None:
    with pytest.raises(NoDicomError) as raised:
        imaging.discover(tmp_path)
    assert str(raised.value) == f"{tmp_path}: no DICOM images found"


@pytest.mark.parametrize(
    ("names", "words"),
    [
        (["a.txt"], "(1 file skipped, e.g. a.txt: not a DICOM file)"),
        (["a.txt", "b.txt"], "(2 files skipped, e.g. a.txt: not a DICOM file)"),
        (
            ["a.txt", "x.spineplan.json"],
            "(1 file skipped, e.g. a.txt: not a DICOM file; 1 case file: x.spineplan.json)",
        ),
    ],
)
def test_no_images_counts_skipped_and_case_files_in_words(
    tmp_path: Path, names: list[str], words: str
) -> None:
    for name in names:
        (tmp_path / name).write_text("not an image\n")
    with pytest.raises(NoDicomError) as raised:
        imaging.discover(tmp_path)
    assert str(raised.value) == f"{tmp_path}: no DICOM images found {words}"
