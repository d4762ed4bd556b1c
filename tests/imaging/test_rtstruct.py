"""RT Structure Set export: dciodvfy conformance and the round trip back to masks."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from imaging.rtstruct import (
    Structure,
    contours_to_mask,
    mask_to_contours,
    read_rtstruct,
    write_rtstruct,
)
from imaging.volume import Volume, affine_from_dicom

MR_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.4"


def _sagittal_series(slices: int = 15, rows: int = 80, columns: int = 60):
    """Headers of a sagittal series and the matching empty volume (1.5 mm pixels, 3 mm slices)."""
    row_cosine, column_cosine = np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, -1.0])
    first = np.array([21.0, -45.0, 60.0])  # slices run towards patient right (-x)
    normal = np.cross(row_cosine, column_cosine)
    affine = affine_from_dicom(first, row_cosine, column_cosine, (1.5, 1.5), normal * 3.0)
    volume = Volume(array=np.zeros((slices, rows, columns), dtype=np.int16), affine=affine)
    headers = headers_of(volume)
    return headers, volume


def headers_of(volume: Volume) -> list[Dataset]:
    """Headers of a series whose images are ``volume``'s slices (e.g. an axial CT)."""
    study, series, frame = generate_uid(), generate_uid(), generate_uid()
    spacing = volume.spacing_mm
    direction = volume.affine[:3, :3] / np.asarray(spacing)
    headers = []
    for k in range(volume.shape[0]):
        ds = Dataset()
        ds.SOPClassUID = MR_IMAGE_STORAGE
        ds.SOPInstanceUID = generate_uid()
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = study, series, frame
        ds.PatientName, ds.PatientID = "TEST^RTSTRUCT", "RT001"
        ds.PatientBirthDate, ds.PatientSex = "19600101", "F"
        ds.StudyDate, ds.StudyTime, ds.StudyID = "20260101", "120000", "1"
        ds.AccessionNumber, ds.ReferringPhysicianName = "", ""
        ds.ImagePositionPatient = [float(v) for v in volume.index_to_patient([0.0, 0.0, k])]
        ds.ImageOrientationPatient = [*direction[:, 0], *direction[:, 1]]
        ds.PixelSpacing = [float(spacing[1]), float(spacing[0])]
        ds.Rows, ds.Columns = volume.shape[1], volume.shape[2]
        headers.append(ds)
    return headers


def _ellipsoid(volume: Volume, center_mm, radii_mm) -> Volume:
    k, j, i = np.indices(volume.shape)
    points = volume.index_to_patient(np.stack([i, j, k], axis=-1))
    inside = (((points - center_mm) / radii_mm) ** 2).sum(axis=-1) <= 1.0
    assert inside.sum() > 100, "the test ellipsoid must lie inside the grid"
    return volume.with_array(inside)


def dice(a: np.ndarray, b: np.ndarray) -> float:
    return 2.0 * np.count_nonzero(a & b) / (np.count_nonzero(a) + np.count_nonzero(b))


def test_round_trip_on_the_referenced_grid_is_exact(tmp_path) -> None:
    headers, volume = _sagittal_series()
    lesion = _ellipsoid(volume, np.array([0.0, -5.0, 0.0]), np.array([8.0, 12.0, 25.0]))
    path = write_rtstruct(tmp_path / "rtstruct.dcm", [Structure("Lesion", lesion)], headers)
    frame_uid, structures = read_rtstruct(path)
    assert frame_uid == headers[0].FrameOfReferenceUID
    assert [s.name for s in structures] == ["Lesion"]
    back = contours_to_mask(structures[0].contours, volume)
    np.testing.assert_array_equal(back.array, lesion.array)


def test_contours_reference_the_images_they_lie_on(tmp_path) -> None:
    headers, volume = _sagittal_series()
    lesion = _ellipsoid(volume, np.array([0.0, -5.0, 0.0]), np.array([8.0, 12.0, 25.0]))

    ds = pydicom.dcmread(
        write_rtstruct(tmp_path / "rs.dcm", [Structure("Lesion", lesion)], headers)
    )
    referenced = {
        c.ContourImageSequence[0].ReferencedSOPInstanceUID
        for c in ds.ROIContourSequence[0].ContourSequence
    }
    slices_with_lesion = np.flatnonzero(lesion.array.any(axis=(1, 2)))
    assert referenced == {headers[k].SOPInstanceUID for k in slices_with_lesion}


def test_an_axial_mask_is_contoured_on_the_sagittal_planes_it_references(tmp_path) -> None:
    # e.g. a lesion on the axial dose grid exported with a sagittal MR: the contours lie on the
    # MR's sagittal planes (one x each), never on the mask's axial planes
    headers, volume = _sagittal_series()
    axial = Volume(
        array=np.zeros((40, 70, 50), dtype=np.uint8),
        affine=np.array(
            [[1.0, 0, 0, -25.0], [0, 1.0, 0, -40.0], [0, 0, 2.0, -40.0], [0, 0, 0, 1.0]]
        ),
    )
    lesion = _ellipsoid(axial, np.array([0.0, -5.0, 0.0]), np.array([9.0, 12.0, 25.0]))
    path = write_rtstruct(tmp_path / "rs.dcm", [Structure("Lesion", lesion)], headers)
    _, structures = read_rtstruct(path)
    slice_x = {round(float(h.ImagePositionPatient[0]), 3) for h in headers}
    assert all(np.ptp(c[:, 0]) < 1e-6 for c in structures[0].contours)
    assert {round(float(c[0, 0]), 3) for c in structures[0].contours} <= slice_x
    back = contours_to_mask(structures[0].contours, volume)
    on_sagittal = _ellipsoid(volume, np.array([0.0, -5.0, 0.0]), np.array([9.0, 12.0, 25.0]))
    assert dice(back.array, on_sagittal.array) >= 0.9


def test_holes_survive_the_round_trip() -> None:
    _, volume = _sagittal_series()
    outer = _ellipsoid(volume, np.zeros(3), np.array([10.0, 25.0, 30.0])).array
    inner = _ellipsoid(volume, np.zeros(3), np.array([10.0, 10.0, 12.0])).array
    ring = volume.with_array(outer & ~inner)
    back = contours_to_mask(mask_to_contours(ring), volume)
    np.testing.assert_array_equal(back.array, ring.array)


@pytest.mark.skipif(shutil.which("dciodvfy") is None, reason="dicom3tools not installed")
def test_dciodvfy_finds_no_error(tmp_path) -> None:
    headers, volume = _sagittal_series()
    lesion = _ellipsoid(volume, np.array([0.0, -5.0, 0.0]), np.array([8.0, 12.0, 25.0]))
    edema = _ellipsoid(volume, np.array([0.0, -5.0, 0.0]), np.array([5.0, 6.0, 50.0]))
    path = write_rtstruct(
        tmp_path / "rs.dcm",
        [Structure("Lesion", lesion), Structure("Edema", edema, (0, 128, 255), "CONTROL")],
        headers,
    )
    result = subprocess.run(["dciodvfy", str(path)], capture_output=True, text=True, check=False)
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert result.returncode == 0 and errors == [], result.stderr
