"""``spineplan info``: table, JSON, and corrupt folders as one line with exit status 2."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from app import cli
from tests.dicom_builders import (
    write_garbage_file,
    write_series,
    write_text_file,
    write_truncated_copy,
)

REPO = Path(__file__).resolve().parents[2]
SAMPLE_DICOM = REPO / "sample_dicom"


@pytest.fixture()
def study_folder(tmp_path: Path) -> Path:
    t1 = write_series(
        tmp_path / "t1",
        orientation="sagittal",
        shape=(5, 12, 10),
        series_number=3,
        series_description="T1 SAG +C",
    )
    write_series(
        tmp_path / "ax",
        orientation="axial",
        shape=(4, 10, 10),
        series_number=5,
        series_description="T1 AX +C",
        skip_slices=[2],
        study_instance_uid=t1.study_instance_uid,
        frame_of_reference_uid=t1.frame_of_reference_uid,
    )
    write_text_file(tmp_path / "README.txt")
    return tmp_path


def test_table(study_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["info", str(study_folder)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("Patient TEST^PATIENT [TEST001]  Study 2024-01-01 MRI SPINE")
    assert lines[1].split() == [
        "#",
        "Description",
        "Mod",
        "Plane",
        "Shape",
        "(k×j×i)",
        "Spacing",
        "mm",
        "(i,",
        "j,",
        "k)",
        "Images",
    ]
    assert lines[2].split() == [
        "3",
        "T1",
        "SAG",
        "+C",
        "MR",
        "sagittal",
        "5×12×10",
        "0.70",
        "0.80",
        "3.00",
        "5",
    ]
    assert lines[3].split() == [
        "5",
        "T1",
        "AX",
        "+C",
        "MR",
        "axial",
        "3×10×10",
        "0.70",
        "0.80",
        "4.50",
        "3",
    ]
    assert "! 1 slice(s) appear to be missing" in lines[4]
    assert lines[-1] == "1 study, 2 series, 1 file skipped (not DICOM images or unreadable)"


def test_json(study_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["info", str(study_folder), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["skipped_files"] == 1
    (study,) = data["studies"]
    assert study["patient_name"] == "TEST^PATIENT"
    sagittal, axial = study["series"]
    assert sagittal["description"] == "T1 SAG +C"
    assert sagittal["modality"] == "MR"
    assert sagittal["orientation"] == "sagittal"
    assert sagittal["shape"] == [5, 12, 10]
    assert sagittal["spacing_mm"] == pytest.approx([0.7, 0.8, 3.0])
    assert sagittal["number_of_images"] == 5
    assert sagittal["warnings"] == []
    assert sagittal["frame_of_reference_uid"] == axial["frame_of_reference_uid"]
    assert axial["warnings"][0].startswith("1 slice(s) appear to be missing")
    affine = np.array(sagittal["affine"])
    assert affine.shape == (4, 4)
    np.testing.assert_allclose(affine[:3, 0], [0.0, 0.7, 0.0])  # columns run anterior->posterior


def test_list_skipped(study_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["info", str(study_folder), "--list-skipped"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        f"  skipped {study_folder / 'README.txt'}: not a DICOM file"
    )
    assert cli.main(["info", str(study_folder), "--json", "--list-skipped"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["skipped"] == [
        {"path": str(study_folder / "README.txt"), "reason": "not a DICOM file"}
    ]


def test_corrupt_folder_is_one_line_and_status_2(tmp_path: Path) -> None:
    built = write_series(tmp_path / "src", shape=(2, 16, 16))
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    for index, path in enumerate(built.paths):
        write_truncated_copy(path, corrupt / f"IM{index}", keep_fraction=0.15)
    write_garbage_file(corrupt / "IM9.dcm")
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "info", str(corrupt)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"spineplan: error: {corrupt}: no DICOM images found (3 files skipped")
    assert "Traceback" not in result.stderr


def test_missing_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["info", str(tmp_path / "nothing")]) == 2
    assert capsys.readouterr().err.strip().endswith("nothing: no such file or folder")


def _sample_cases() -> list[Path]:
    return sorted(SAMPLE_DICOM.glob("case*")) if SAMPLE_DICOM.is_dir() else []


@pytest.mark.skipif(len(_sample_cases()) < 4, reason="sample_dicom/case1..4 not generated yet")
def test_sample_dicom_lists_four_studies(capsys: pytest.CaptureFixture[str]) -> None:
    # four MR studies, and case 4's planning CT in a fifth study of its own
    assert cli.main(["info", str(SAMPLE_DICOM), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["studies"]) == 5
    ct_only = [s for s in data["studies"] if {x["modality"] for x in s["series"]} == {"CT"}]
    assert [s["patient_id"] for s in ct_only] == ["SPL-0004"]
    for study in data["studies"]:
        series = study["series"]
        mr = [s for s in series if s["modality"] == "MR"]
        if study in ct_only:
            assert len(series) == 1 and series[0]["orientation"] == "axial"
        else:
            assert len(mr) == 3
            assert sorted(s["orientation"] for s in mr) == ["axial", "sagittal", "sagittal"]
        assert {s["modality"] for s in series} <= {"MR", "CT"}
        assert len({s["frame_of_reference_uid"] for s in series}) == 1
        for item in series:
            assert not item["error"]
            folder_files = _series_files(item["series_instance_uid"])
            reader = sitk.ImageSeriesReader()
            reader.SetFileNames([str(p) for p in folder_files])
            reader.SetMetaDataDictionaryArrayUpdate(False)
            image = reader.Execute()
            affine = np.array(item["affine"])
            spacing = np.linalg.norm(affine[:3, :3], axis=0)
            np.testing.assert_allclose(affine[:3, 3], image.GetOrigin(), atol=0.01)
            np.testing.assert_allclose(spacing, image.GetSpacing(), atol=0.01)
            np.testing.assert_allclose(
                (affine[:3, :3] / spacing).ravel(), image.GetDirection(), atol=1e-4
            )


def _series_files(series_instance_uid: str) -> list[str]:
    """SimpleITK/GDCM's own file list (and order) for one sample series."""
    folders = _gdcm_series_folders()
    if series_instance_uid not in folders:
        raise AssertionError(f"SimpleITK finds no files for series {series_instance_uid}")
    folder = folders[series_instance_uid]
    return list(sitk.ImageSeriesReader.GetGDCMSeriesFileNames(folder, series_instance_uid))


@functools.cache
def _gdcm_series_folders() -> dict[str, str]:
    """SeriesInstanceUID -> folder, as GDCM sees the sample folders."""
    found = {}
    for folder in sorted({p.parent for p in SAMPLE_DICOM.rglob("*") if p.is_file()}):
        for uid in sitk.ImageSeriesReader.GetGDCMSeriesIDs(str(folder)):
            found[uid] = str(folder)
    return found
